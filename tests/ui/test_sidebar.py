"""The Deep Learning sidebar in JupyterLab, served by the embedded hub.

One hub, one logged-in browser page for the module; each test opens the
sidebar the way a person does, by its tab in the left sidebar.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route

import jupyter_dl

from ..hub.running_hub import RunningHub
from .conftest import DEMO_USER, REPO_ROOT

SIDEBAR = '[id="jupyter-dl:sidebar"]'
SIDEBAR_TAB = '.jp-SideBar li[data-id="jupyter-dl:sidebar"]'
# JupyterLab adds a cache-busting query string to GET requests.
INFO_ROUTE = re.compile(r"/dl/api/info(\?.*)?$")


def _testid(page: Page, testid: str) -> Locator:
    return page.locator(f'{SIDEBAR} [data-testid="{testid}"]')


def _platform_info(hub: RunningHub) -> dict[str, Any]:
    """What ``GET /dl/api/info`` of the demo user's server answers right now."""
    response = hub.request("GET", f"user/{DEMO_USER}/dl/api/info")
    response.raise_for_status()
    info: dict[str, Any] = response.json()
    return info


@pytest.fixture
def sidebar(lab: Page) -> Page:
    """The lab page with the Deep Learning sidebar open and loaded."""
    if not lab.locator(SIDEBAR).is_visible():
        lab.locator(SIDEBAR_TAB).click()
    _testid(lab, "dl-version").wait_for(state="visible")
    return lab


def test_sidebar_shows_the_installed_version(sidebar: Page, output_dir: Path) -> None:
    package = json.loads((REPO_ROOT / "labextension" / "package.json").read_text())
    assert jupyter_dl.__version__ == package["version"], (
        f"jupyter_dl {jupyter_dl.__version__} and labextension/package.json"
        f" {package['version']} disagree: reinstall with `make install`"
    )

    shown = _testid(sidebar, "dl-version").inner_text()

    sidebar.screenshot(path=str(output_dir / "sidebar.png"))
    assert shown == jupyter_dl.__version__


def test_sidebar_shows_the_servers_store_and_gpus(sidebar: Page, hub: RunningHub) -> None:
    info = _platform_info(hub)

    assert _testid(sidebar, "dl-store-location").inner_text() == info["store"]["location"]
    assert _testid(sidebar, "dl-store-backend").inner_text() == info["store"]["backend"]
    assert _testid(sidebar, "dl-python").inner_text() == info["python"]
    assert _testid(sidebar, "dl-host").inner_text() == info["host"]
    gpus = _testid(sidebar, "dl-gpus")
    if info["gpus"]:
        names = _testid(sidebar, "dl-gpu-name").all_inner_texts()
        assert names == [gpu["name"] for gpu in info["gpus"]]
    else:
        assert gpus.inner_text() == "No GPUs visible"
    assert _testid(sidebar, "dl-error").count() == 0


def test_refresh_is_reachable_with_the_keyboard(sidebar: Page) -> None:
    refresh = _testid(sidebar, "dl-refresh")
    sidebar.locator(f"{SIDEBAR} .jp-SidePanel-header").click()

    sidebar.keyboard.press("Tab")

    assert refresh.evaluate("button => button === document.activeElement")
    assert refresh.get_attribute("aria-label") == "Refresh platform information"
    with sidebar.expect_response(lambda response: "/dl/api/info" in response.url) as answer:
        sidebar.keyboard.press("Enter")
    assert answer.value.ok


def test_sidebar_shows_the_servers_error_message(sidebar: Page) -> None:
    message = "The platform store is locked by another process; retry in a minute."

    def fail(route: Route) -> None:
        route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"error": {"code": "store_unavailable", "message": message}}),
        )

    sidebar.route(INFO_ROUTE, fail)
    try:
        _testid(sidebar, "dl-refresh").click()
        _testid(sidebar, "dl-error").wait_for(state="visible")
        assert _testid(sidebar, "dl-error-message").inner_text() == message
        # The facts from before the failure stay on show.
        assert _testid(sidebar, "dl-version").inner_text() == jupyter_dl.__version__
    finally:
        sidebar.unroute(INFO_ROUTE, fail)

    _testid(sidebar, "dl-refresh").click()
    _testid(sidebar, "dl-error").wait_for(state="detached")
