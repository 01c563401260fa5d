import pytest

from jupyter_dl.access import Access

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


#: Who a test's requests act as, when the server stands for the team's platform:
#: ada and carol share the group vision, bob is in audio only, root is an admin.
PEOPLE = {
    "ada": Access("ada", frozenset({"vision"})),
    "bob": Access("bob", frozenset({"audio"})),
    "carol": Access("carol", frozenset({"vision"})),
    "root": Access("root", frozenset(), admin=True),
}


class Acting:
    """Gives the server an access resolver, as the team's platform service has, that
    answers with whoever :attr:`who` names (one of :data:`PEOPLE`)."""

    def __init__(self, settings):
        self.settings = settings
        self.who = "ada"
        settings["dl_access"] = self._resolve

    async def _resolve(self, user):
        return PEOPLE[self.who]


@pytest.fixture
def acting(server, jp_serverapp):
    """The test's server as the team's platform; ``acting.who = "bob"`` to change hands."""
    return Acting(jp_serverapp.web_app.settings)


@pytest.fixture
def platform_dirs(tmp_path, monkeypatch):
    """Models, artifacts, jobs and datasets of the test in folders of its own, and the
    notebook API's services opened afresh on them."""
    from jupyter_dl import api
    from jupyter_dl.paths import (
        ARTIFACTS_ENV,
        DATASET_REMOTE_ENV,
        DATASETS_ENV,
        JOBS_ENV,
        MODELS_ENV,
    )

    for env, folder in [
        (MODELS_ENV, "models"),
        (ARTIFACTS_ENV, "artifacts"),
        (JOBS_ENV, "jobs"),
        (DATASETS_ENV, "datasets/repo"),
        (DATASET_REMOTE_ENV, "datasets/remote"),
    ]:
        monkeypatch.setenv(env, str(tmp_path / folder))
    api._registry = api._training = api._datasets = None
    yield tmp_path
    api.finish()
    api._registry = api._training = api._datasets = None
