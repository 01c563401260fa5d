import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(_isolated_store):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {"db_url": _isolated_store},
    }
