"""A notebook in a hub-spawned server: the magics are there without ``%load_ext``."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

import jupyter_dl

from ..hub.running_hub import RunningHub
from .conftest import DEMO_USER

#: A kernel's first start in a fresh server, in milliseconds.
KERNEL_TIMEOUT_MS = 60_000


def test_dl_info_in_a_new_notebook(lab: Page, hub: RunningHub, output_dir: Path) -> None:
    store = hub.request("GET", f"user/{DEMO_USER}/dl/api/info").json()["store"]

    lab.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    notebook = lab.locator(".jp-NotebookPanel:visible")
    # The debugger button is enabled once the kernel has connected and answered.
    notebook.locator(".jp-DebuggerBugButton[aria-disabled='false']").wait_for(
        timeout=KERNEL_TIMEOUT_MS
    )
    cell = notebook.locator(".jp-Cell .jp-InputArea-editor .cm-content").first
    cell.click()
    cell.type("%dl_info")
    lab.keyboard.press("Shift+Enter")

    table = notebook.locator(".jp-OutputArea-output table.jupyter-dl-info").first
    table.wait_for(timeout=KERNEL_TIMEOUT_MS)
    text = table.inner_text()
    notebook.screenshot(path=str(output_dir / "notebook-dl-info.png"))
    assert jupyter_dl.__version__ in text
    assert store["location"] in text
    assert "No GPUs visible" in text or "GiB" in text
