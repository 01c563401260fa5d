"""Starting a Jupyter server with the extension must not import heavy libraries."""

import json
import subprocess
import sys

HEAVY = ["torch", "dask", "dvc", "wandb", "optuna", "sqlalchemy", "alembic"]

SCRIPT = """
import json, sys
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=["--ServerApp.jpserver_extensions={'jupyter_dl': True}",
                     "--ServerApp.open_browser=False", "--port=0", "--allow-root"])
loaded = "dl_info_service" in app.web_app.settings
at_load = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
# Opening the store and answering /dl/api/info may load SQLAlchemy, never a framework.
app.web_app.settings["dl_info_service"].info()
after_info = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"loaded": loaded, "at_load": at_load, "after_info": after_info}))
"""


def test_loading_the_extension_imports_no_heavy_library(tmp_path):
    env_home = {"JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**_env(), **env_home},
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["loaded"] is True
    assert result["at_load"] == []
    assert set(result["after_info"]) <= {"sqlalchemy", "alembic"}


def _env():
    import os

    return dict(os.environ)
