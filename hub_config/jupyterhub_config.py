"""JupyterHub configuration of the jupyter-dl embedded hub (``jupyter dl hub``).

Declarations only: ``EmbeddedHub`` (jupyter_dl_hub.embedded) reads its settings
from traits and environment variables and applies them to ``c``. Set
``c.EmbeddedHub.<trait>`` above the last line to change one; the admin guide
(docs/admin/embedded-hub.md) lists them. The server profiles users choose from
are declared as ``c.ServerProfiles.profiles`` (docs/admin/profiles.md).
"""

from jupyter_dl_hub.embedded import EmbeddedHub

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

EmbeddedHub(config=c).apply(c)
