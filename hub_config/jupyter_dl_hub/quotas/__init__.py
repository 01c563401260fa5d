"""GPU quotas and accounting for the hub.

Admins set limits per user and per group (GPUs at once, GPU-hours per rolling
period, servers at once, allowed profiles); the spawner refuses a spawn that
would break them, and records how long each server held how many GPUs.

- :mod:`.policy`: the limits, and the pure decision from (request, usage,
  limits) to "allowed" or a refusal that says why.
- :mod:`.models`, :mod:`.store`: the quota database (its own tables and Alembic
  history, so it can share a database with JupyterHub or the platform).
- :mod:`.ledger`: limits and accounting over the store; what the spawner, the
  admin service and the benchmark call.
- :mod:`.settings`: ``c.Quotas``, the hub's configuration of all of this.
- :mod:`.enforce`: the periodic warning, stopping and reconciling.
- :mod:`.app`, :mod:`.handlers`: the admin service (page and REST API).
- :mod:`.client`, :mod:`.cli`: ``jupyter dl quota`` and ``jupyter dl usage``.

Importing this package costs nothing: the modules import SQLAlchemy and tornado
only where they need them.
"""
