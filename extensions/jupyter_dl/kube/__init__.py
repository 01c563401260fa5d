"""What every part of the platform that talks to Kubernetes shares.

Training jobs (``training/launchers/kubernetes*.py``) and model serving
(``registry/kserve.py``) build their objects with pure functions and check them
offline before anything reaches a cluster; the checks (``validate.py``), the
options people pass (``options.py``) and the connection (``client.py``) live here
once. Importing this package imports neither the Kubernetes client nor the schemas.
"""
