"""A real embedded hub, and a Chromium logged in to it with JupyterLab open.

The browser is Debian's Chromium driven by Playwright (never a downloaded
browser), so the tests skip where it is not installed. Everything a run leaves
behind for people to look at (screenshots, the hub's log) goes to
test-output/ui/ at the repository root.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ..hub.running_hub import RunningHub, hub_running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "test-output" / "ui"

DEMO_USER = "demo"
#: Spawning a server and loading JupyterLab the first time, in milliseconds.
LAB_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory, output_dir: Path) -> Iterator[RunningHub]:
    with hub_running(tmp_path_factory.mktemp("ui-hub")) as running:
        yield running
    shutil.copyfile(running.log_file, output_dir / "hub.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (make system-deps installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def lab(browser: Browser, hub: RunningHub) -> Iterator[Page]:
    """The demo user's JupyterLab, reached the way a person does: log in, get a server."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(hub.url + "hub/login")
        page.fill("#username_input", DEMO_USER)
        page.fill("#password_input", hub.password)
        page.click("#login_submit")
        # Where profiles are offered, the default one is fine.
        page.wait_for_selector("#jp-main-dock-panel, #spawn_form", timeout=LAB_TIMEOUT_MS)
        if page.locator("#spawn_form").count():
            page.locator("#spawn_form [type=submit]").click()
        page.wait_for_selector("#jp-main-dock-panel", timeout=LAB_TIMEOUT_MS)
        assert f"/user/{DEMO_USER}/lab" in page.url, page.url
        _decline_news(page)
        yield page
    finally:
        context.close()


def _decline_news(page: Page) -> None:
    """Answer JupyterLab's first-start question about news, which would cover screenshots."""
    question = page.locator(".jp-Notification-Toast-default", has_text="Jupyter news")
    try:
        question.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeoutError:
        return
    question.get_by_role("button", name="No", exact=True).click()
    question.wait_for(state="detached")
