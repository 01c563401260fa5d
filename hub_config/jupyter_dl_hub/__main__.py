"""``python -m jupyter_dl_hub``: the embedded hub without the ``jupyter dl`` command."""

import sys

from jupyter_dl_hub.launcher import main

sys.exit(main())
