import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(store_url):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {"db_url": store_url},
    }


@pytest.fixture
def server(jp_serverapp, http_server_client, jp_http_port, jp_base_url):
    """A listening Jupyter server with the extension, its store open: (base URL, token).

    The extension opens its store in the background; opening it here (the call is
    idempotent) means the first request never races the migration.
    """
    jp_serverapp.web_app.settings["dl_store"].open()
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    return url, jp_serverapp.identity_provider.token
