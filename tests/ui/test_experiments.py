"""The Experiments panel in JupyterLab, served by the embedded hub.

Runs are seeded the way a script would log them: through the REST API of the
demo user's server (create, log metric points, finish). Each test then uses
the panel as a person does: the command palette, the sidebar, clicks and keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect

from ..hub.running_hub import RunningHub
from .conftest import DEMO_USER

PROJECT = "ui-experiments"
PANEL = '[id="jupyter-dl:experiments"]'
SIDEBAR = '[id="jupyter-dl:sidebar"]'
SIDEBAR_TAB = '.jp-SideBar li[data-id="jupyter-dl:sidebar"]'
STEPS = 50
#: name -> (learning rate, final accuracy); the table sorts them by accuracy.
RUNS = {
    "slow-start": (0.001, 0.71),
    "fast-lr": (0.1, 0.93),
    "middle-lr": (0.01, 0.88),
}
#: An artifact of "slow-start"; its name holds a slash, sent encoded.
ARTIFACT = "weights/model.pt"
WEIGHTS = b"not really a model" * 64


def _api(hub: RunningHub, method: str, path: str, **kwargs: Any) -> Any:
    response = hub.request(method, f"user/{DEMO_USER}/dl/api/{path}", **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def runs(lab: Page, hub: RunningHub) -> dict[str, dict[str, Any]]:
    """Three finished runs of one project, by name; the slowest has a NaN loss,
    system metrics and an artifact."""
    created = {}
    for name, (lr, acc) in RUNS.items():
        run = _api(
            hub,
            "POST",
            "runs",
            json={
                "project": PROJECT,
                "name": name,
                "config": {"lr": lr, "batch_size": 64},
                "tags": ["baseline"] if name == "slow-start" else [],
            },
        )
        points = []
        for step in range(STEPS):
            loss: float | str = 2.0 * (1 - step / STEPS) + lr
            if name == "slow-start" and step == 10:
                loss = "NaN"
            points.append({"key": "loss", "step": step, "value": loss, "time": 1.7e9 + step})
            value = acc * (step + 1) / STEPS
            points.append({"key": "acc", "step": step, "value": value, "time": 1.7e9 + step})
        if name == "slow-start":
            for step in range(0, STEPS, 5):
                point = {"key": "system/cpu_percent", "step": step, "value": 50.0 + step}
                points.append(point)
            _api(hub, "PUT", f"runs/{run['id']}/artifacts/{quote(ARTIFACT, safe='')}", data=WEIGHTS)
        _api(hub, "POST", f"runs/{run['id']}/metrics", json={"points": points})
        created[name] = _api(hub, "PATCH", f"runs/{run['id']}", json={"status": "finished"})
    return created


@pytest.fixture(scope="module", autouse=True)
def _close_panel_afterwards(lab: Page) -> Iterator[None]:
    """Other modules share the page: leave it with the panel closed."""
    yield
    tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Experiments")
    if tab.count():
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        lab.locator(PANEL).wait_for(state="detached")


def _testid(page: Page, testid: str) -> Locator:
    return page.locator(f'{PANEL} [data-testid="{testid}"]')


def _run_names(page: Page) -> list[str]:
    return page.locator(
        f"{PANEL} [data-testid='dl-run-row'] .jp-DLExperiments-runName"
    ).all_inner_texts()


def _open_from_palette(page: Page) -> None:
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-input")
    palette.fill("Open Experiments")
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text="Open Experiments").wait_for()
    page.keyboard.press("Enter")


@pytest.fixture
def experiments(lab: Page, runs: dict[str, dict[str, Any]]) -> Page:
    """The lab page with the Experiments panel on the runs of PROJECT."""
    if not lab.locator(PANEL).is_visible():
        _open_from_palette(lab)
    lab.locator(PANEL).wait_for(state="visible")
    if _testid(lab, "dl-back").count():
        _testid(lab, "dl-back").click()
    _testid(lab, "dl-project-select").select_option(PROJECT)
    if _testid(lab, "dl-clear-selection").count():
        _testid(lab, "dl-clear-selection").click()
    expect(lab.locator(f"{PANEL} [data-testid='dl-run-row']")).to_have_count(len(RUNS))
    return lab


def test_sidebar_button_opens_the_panel(lab: Page, runs: dict[str, dict[str, Any]]) -> None:
    if not lab.locator(SIDEBAR).is_visible():
        lab.locator(SIDEBAR_TAB).click()

    button = lab.locator(f'{SIDEBAR} [data-command="jupyter-dl:open-experiments"]')
    expect(button).to_have_attribute("title", re.compile("Open Experiments"))

    button.click()

    lab.locator(PANEL).wait_for(state="visible")
    tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text("Experiments")
    # The toolbar keeps the last used button as its Tab stop; move it back to
    # the refresh button with the arrow keys, where a fresh page has it.
    button.focus()
    lab.keyboard.press("ArrowLeft")


def test_runs_sort_by_a_metric_column(experiments: Page, output_dir: Path) -> None:
    by_acc = sorted(RUNS, key=lambda name: RUNS[name][1])
    header = experiments.locator(f"{PANEL} th[data-column='summary.acc']")

    _testid(experiments, "dl-sort-summary.acc").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(experiments.locator(f"{PANEL} [data-testid='dl-run-row']").first).to_contain_text(
        by_acc[0]
    )
    assert _run_names(experiments) == by_acc

    _testid(experiments, "dl-sort-summary.acc").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(experiments.locator(f"{PANEL} [data-testid='dl-run-row']").first).to_contain_text(
        by_acc[-1]
    )
    assert _run_names(experiments) == by_acc[::-1]
    experiments.screenshot(path=str(output_dir / "experiments-table.png"))


def test_run_page_charts_the_logged_points(
    experiments: Page, runs: dict[str, dict[str, Any]], output_dir: Path
) -> None:
    run = runs["slow-start"]
    experiments.locator(f"{PANEL} [data-testid='dl-run-row'][data-run-id='{run['id']}']").click()

    view = _testid(experiments, "dl-run-view")
    expect(view).to_have_attribute("data-run-id", run["id"])
    expect(_testid(experiments, "dl-run-name")).to_have_text("slow-start")
    loss = experiments.locator(f"{PANEL} [data-testid='dl-metric-chart'][data-metric='loss']")
    expect(loss).to_have_attribute("data-points", str(STEPS))
    canvas = loss.locator("canvas")
    canvas.wait_for()
    # Pixels the line was drawn with: the chart is not an empty frame.
    painted = canvas.evaluate(
        """canvas => {
            const context = canvas.getContext('2d');
            const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { n++; } }
            return n;
        }"""
    )
    assert painted > 500
    expect(_testid(experiments, "dl-run-tags")).to_contain_text("baseline")
    system = _testid(experiments, "dl-run-system-charts")
    cpu = system.locator("[data-testid='dl-metric-chart'][data-metric='system/cpu_percent']")
    expect(cpu).to_have_attribute("data-points", str(STEPS // 5))
    experiments.screenshot(path=str(output_dir / "experiments-run.png"))

    _testid(experiments, "dl-run-tab-artifacts").click()
    link = _testid(experiments, "dl-artifact-link")
    expect(link).to_have_text(ARTIFACT)
    # The page's own cookies authenticate the download, as when a person clicks.
    download = experiments.request.get(link.get_attribute("href") or "")
    assert download.ok, download.status
    assert download.body() == WEIGHTS

    _testid(experiments, "dl-run-tab-config").click()
    expect(_testid(experiments, "dl-run-config")).to_contain_text("batch_size")
    _testid(experiments, "dl-back").click()
    expect(_testid(experiments, "dl-runs-table")).to_be_visible()


def test_compare_overlays_the_selected_runs(experiments: Page, output_dir: Path) -> None:
    compare = _testid(experiments, "dl-compare-button")
    expect(compare).to_be_disabled()
    boxes = experiments.locator(f"{PANEL} [data-testid='dl-run-select']")
    boxes.nth(0).click()
    boxes.nth(1).click()
    expect(compare).to_be_enabled()
    chosen = _run_names(experiments)[:2]

    compare.click()

    legend = _testid(experiments, "dl-compare-legend")
    expect(legend.locator("[data-testid='dl-compare-run']")).to_have_text(chosen)
    chart = experiments.locator(f"{PANEL} [data-testid='dl-compare-chart'][data-metric='loss']")
    expect(chart).to_have_attribute("data-runs", "2")
    chart.locator("canvas").wait_for()
    expect(_testid(experiments, "dl-compare-scatter").locator("canvas")).to_have_count(1)
    experiments.screenshot(path=str(output_dir / "experiments-compare.png"))

    _testid(experiments, "dl-compare-plot-parallel").click()
    expect(_testid(experiments, "dl-compare-parallel").locator("path")).to_have_count(2)


def test_keyboard_moves_selects_and_opens_runs(experiments: Page) -> None:
    rows = experiments.locator(f"{PANEL} [data-testid='dl-run-row']")
    rows.first.focus()

    experiments.keyboard.press("ArrowDown")
    experiments.keyboard.press("Space")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "false")

    second = rows.nth(1).get_attribute("data-run-id")
    experiments.keyboard.press("Enter")
    expect(_testid(experiments, "dl-run-view")).to_have_attribute("data-run-id", second or "")

    experiments.keyboard.press("Escape")
    expect(_testid(experiments, "dl-runs-table")).to_be_visible()
    focused = experiments.evaluate("document.activeElement.dataset.runId")
    assert focused == second


def test_a_bad_filter_shows_the_servers_message(experiments: Page) -> None:
    _testid(experiments, "dl-runs-filter").fill("bogus>1")
    experiments.keyboard.press("Enter")

    message = _testid(experiments, "dl-experiments-error-message")
    expect(message).to_contain_text(re.compile("bogus"))

    chips = _testid(experiments, "dl-filter-chips")
    chips.get_by_role("button", name="Remove filter bogus>1").click()
    expect(_testid(experiments, "dl-experiments-error")).to_have_count(0)
    expect(experiments.locator(f"{PANEL} [data-testid='dl-run-row']")).to_have_count(len(RUNS))


def test_metric_filter_narrows_the_runs(experiments: Page) -> None:
    _testid(experiments, "dl-runs-filter").fill("summary.acc>0.8")
    experiments.keyboard.press("Enter")

    rows = experiments.locator(f"{PANEL} [data-testid='dl-run-row']")
    expect(rows).to_have_count(2)
    assert sorted(_run_names(experiments)) == sorted(n for n, (_, acc) in RUNS.items() if acc > 0.8)
    export = _testid(experiments, "dl-export-csv").get_attribute("href") or ""
    assert "filter=summary.acc%3E0.8" in export

    _testid(experiments, "dl-filter-chips").get_by_role("button").click()
    expect(rows).to_have_count(len(RUNS))
