"""``dl.share`` from a notebook: on the server's own store, and over the team's platform."""

import asyncio

import pytest

import jupyter_dl as dl
from jupyter_dl.platform_client import API_TOKEN_ENV, API_URL_ENV


def test_sharing_is_recorded_in_the_servers_own_store(server):
    run = dl.init(project="local-project")
    dl.finish()
    assert run.id
    shared = dl.share("project", "local-project", group="vision", access="write")
    assert shared["group"] == "vision"
    assert shared["group_access"] == "write"
    assert dl.share("project", "local-project")["group"] is None
    with pytest.raises(ValueError, match="no project 'elsewhere'"):
        dl.share("project", "elsewhere", group="vision")
    with pytest.raises(ValueError, match="kind must be one of"):
        dl.share("run", "local-project", group="vision")
    with pytest.raises(ValueError, match="group_access must be one of"):
        dl.share("project", "local-project", group="vision", access="admin")


@pytest.fixture
def team(server, acting, jp_serverapp, monkeypatch):
    """The test's server as the team's platform, acting as ``team.who``.

    Calls from the notebook API block, and the server answers on this thread's
    event loop: the tests make them from another thread."""
    url, token = server
    jp_serverapp.web_app.settings["dl_tracking"].create_run("ada-project", owner="ada")
    monkeypatch.setenv(API_URL_ENV, url)
    monkeypatch.setenv(API_TOKEN_ENV, token)
    return acting


async def test_over_the_team_platform_only_the_owner_shares_and_only_with_their_groups(team):
    assert await asyncio.to_thread(dl.share, "project", "ada-project", group="vision") == {
        "owner": "ada",
        "group": "vision",
        "group_access": "read",
    }
    with pytest.raises(ValueError, match="not a member of the group 'audio'"):
        await asyncio.to_thread(dl.share, "project", "ada-project", group="audio")
    team.who = "carol"
    with pytest.raises(ValueError, match="only ada or an admin may share"):
        await asyncio.to_thread(dl.share, "project", "ada-project", group=None)
