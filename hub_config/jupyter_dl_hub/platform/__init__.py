"""The team's platform service: the ``/dl/api`` platform API as a JupyterHub service.

The same handlers and services as in every user server (``jupyter_dl``), hosted by
a Jupyter server that serves nothing else (no kernels, files or terminals), on the
team's database (PostgreSQL) and storage, with JupyterHub OAuth for identity. Each
request acts as the hub user who made it, with their groups and admin flag, so
``jupyter_dl.access`` decides what they see. User servers are pointed at it
(``$JUPYTER_DL_API_URL``) and forward the shared routes to it.
"""

SERVICE_NAME = "jupyter-dl-platform"
