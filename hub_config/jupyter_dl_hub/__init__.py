"""What runs in the hub: the embedded JupyterHub behind ``jupyter dl hub``.

The modules are imported by the hub's configuration and launcher only; importing
this package itself costs nothing, so other hub-side code (services, profiles)
can live beside it without pulling JupyterHub into every process.
"""
