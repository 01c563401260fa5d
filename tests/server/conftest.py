import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(store_url):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {"db_url": store_url},
    }
