"""``python -m jupyter_dl_hub.quotas``: the quota service, as the hub starts it."""

import sys

from jupyter_dl_hub.quotas.app import main

sys.exit(main())
