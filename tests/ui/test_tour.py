"""A tour of the platform in the browser, with the example notebooks' results in it.

The example notebooks (``examples/``) are executed first with the environment of
the demo user's server (``demo_environment``: its store and folders), in a folder
of the demo user, so what they leave (the ``shapes`` dataset, the ``shapes``
project's training jobs and runs, the ``shapes-sweep`` sweep, the ``shapes-cnn``
model) is what the lab shows. Then a person's way through: log in, start a server
of their own from the spawn form with a profile chosen, and open each panel in
turn. Each stop is saved as ``test-output/ui/tour/NN-name.png``, for people (and
the documentation) to look at.

The tour's server is a named server of the demo user (``tour``), so the spawn form
shows whatever else the session's tests have started, and it is stopped afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from ..hub.running_hub import RunningHub
from .conftest import (
    DATASETS,
    DEMO_USER,
    DIALOG,
    EXPERIMENTS,
    LAB_TIMEOUT_MS,
    MODELS,
    QUOTA,
    SIDEBAR,
    SIDEBAR_TAB,
    TRAINING,
    VIEWPORT,
    _decline_news,
    run_from_palette,
)

SERVER = "tour"
PROFILE = "cpu"
#: What the example notebooks leave.
DATASET = "shapes"
PROJECT = "shapes"
JOBS = ("small-slow", "wider-faster")
SWEEP = "shapes-sweep"
MODEL = "shapes-cnn"
#: Starting a deployment loads torch in a fresh process, in milliseconds.
DEPLOY_TIMEOUT_MS = 120_000


@pytest.fixture
def tour_dir(output_dir: Path) -> Path:
    folder = output_dir / "tour"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def page(browser: Browser, hub: RunningHub) -> Iterator[Page]:
    """A browser page of its own; the tour's server and deployments stopped afterwards."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        api = f"user/{DEMO_USER}/{SERVER}/dl/api/deployments"
        live = hub.request("GET", api, params={"status": "live"})
        for deployment in live.json()["items"] if live.ok else []:
            if deployment["model"] == MODEL:
                hub.request("POST", f"{api}/{deployment['id']}/stop")
        hub.api("DELETE", f"users/{DEMO_USER}/servers/{SERVER}")


def _testid(page: Page, panel: str, testid: str) -> Locator:
    return page.locator(f'{panel} [data-testid="{testid}"]')


class Tour:
    """Numbered screenshots of the stops, in the order they are taken."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.taken: list[Path] = []

    def stop(self, name: str, element: Locator | None = None) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        if element is None:
            self.page.screenshot(path=str(path))
        else:
            element.screenshot(path=str(path))
        self.taken.append(path)


def _log_in_and_start_a_server(page: Page, hub: RunningHub, tour: Tour) -> None:
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", DEMO_USER)
    page.fill("#password_input", hub.password)
    with page.expect_navigation():
        page.click("#login_submit")
    page.goto(hub.url + f"hub/spawn/{DEMO_USER}/{SERVER}")
    form = page.locator("#spawn_form")
    profile = form.locator(f"#profile-{PROFILE}")
    profile.check()
    tour.stop("spawn-form")

    form.locator("[type=submit]").click()

    page.wait_for_selector("#jp-main-dock-panel", timeout=LAB_TIMEOUT_MS)
    assert f"/user/{DEMO_USER}/{SERVER}/lab" in page.url, page.url
    # The server shares the demo user's home, so JupyterLab would restore the layout
    # other tests left in its workspace (notebooks, dialogs): start from a clean one.
    page.goto(page.url.split("?")[0] + "?reset")
    page.wait_for_selector("#jp-main-dock-panel", timeout=LAB_TIMEOUT_MS)
    _decline_news(page)


def _sidebar(page: Page, tour: Tour) -> None:
    if not page.locator(SIDEBAR).is_visible():
        page.locator(SIDEBAR_TAB).click()
    expect(_testid(page, SIDEBAR, "dl-version")).to_be_visible()
    expect(_testid(page, SIDEBAR, "dl-store-location")).to_be_visible()
    tour.stop("sidebar")


def _datasets(page: Page, tour: Tour) -> None:
    run_from_palette(page, "Open Datasets")
    # By its name exactly: other tests' datasets (toy-shapes, ui-shapes) contain it.
    page.locator(f'{DATASETS} [data-testid="dl-catalog-item"][data-dataset="{DATASET}"]').click()
    _testid(page, DATASETS, "dl-version-select").select_option("v2")
    expect(_testid(page, DATASETS, "dl-dataset-view")).to_have_attribute("data-version", "v2")
    page.locator(f'{DATASETS} [data-testid="dl-dataset-entry"][data-path="circle"]').dblclick()
    images = _testid(page, DATASETS, "dl-grid-image").locator("img")
    images.first.wait_for()
    # Every thumbnail in view decoded, not a grey placeholder (those below load lazily).
    page.wait_for_function(
        """sel => {
          const grid = document.querySelector(sel).getBoundingClientRect();
          return [...document.querySelectorAll(sel + ' [data-testid="dl-grid-image"] img')]
            .filter(img => img.getBoundingClientRect().bottom <= grid.bottom)
            .every(img => img.complete && img.naturalWidth > 0);
        }""",
        arg=f'{DATASETS} [data-testid="dl-image-grid"]',
    )
    tour.stop("datasets")

    _testid(page, DATASETS, "dl-dataset-tab-changes").click()
    expect(_testid(page, DATASETS, "dl-diff-change").first).to_be_visible()
    tour.stop("datasets-changes")


def _experiments(page: Page, tour: Tour) -> None:
    run_from_palette(page, "Open Experiments")
    _testid(page, EXPERIMENTS, "dl-project-select").select_option(PROJECT)
    for job in JOBS:
        row = _testid(page, EXPERIMENTS, "dl-run-row").filter(has_text=job)
        row.locator('[data-testid="dl-run-select"]').check()
    tour.stop("experiments-runs")

    _testid(page, EXPERIMENTS, "dl-compare-button").click()
    expect(_testid(page, EXPERIMENTS, "dl-compare-run")).to_have_count(len(JOBS))
    _testid(page, EXPERIMENTS, "dl-compare-chart").first.locator("canvas").wait_for()
    tour.stop("experiments-compare")


def _training(page: Page, tour: Tour) -> None:
    run_from_palette(page, "Open Training")
    _testid(page, TRAINING, "dl-training-tab-jobs").click()
    _testid(page, TRAINING, "dl-job-row").filter(has_text=JOBS[1]).click()
    expect(_testid(page, TRAINING, "dl-job-name")).to_have_text(JOBS[1])
    expect(_testid(page, TRAINING, "dl-log-text")).not_to_be_empty()
    tour.stop("training-job")

    _testid(page, TRAINING, "dl-training-back").click()
    _testid(page, TRAINING, "dl-training-tab-sweeps").click()
    _testid(page, TRAINING, "dl-sweep-row").filter(has_text=SWEEP).click()
    expect(_testid(page, TRAINING, "dl-trial-row").first).to_be_visible()
    _testid(page, TRAINING, "dl-sweep-view").locator("canvas").first.wait_for()
    tour.stop("training-sweep")


def _models(page: Page, tour: Tour) -> None:
    run_from_palette(page, "Open Models")
    _testid(page, MODELS, "dl-model-item").filter(has_text=MODEL).click()
    expect(_testid(page, MODELS, "dl-version-detail")).to_be_visible()
    expect(_testid(page, MODELS, "dl-lineage-run")).to_be_visible()
    tour.stop("models")

    _testid(page, MODELS, "dl-deploy").click()
    dialog = page.locator(DIALOG)
    dialog.get_by_role("button", name="Deploy").click()
    dialog.wait_for(state="detached")
    view = _testid(page, MODELS, "dl-deployment-view")
    expect(view).to_have_attribute("data-status", "running", timeout=DEPLOY_TIMEOUT_MS)
    _testid(page, MODELS, "dl-try-send").click()
    expect(_testid(page, MODELS, "dl-try-output")).to_contain_text("output0")
    tour.stop("models-deployment")


def _quota(page: Page, tour: Tour) -> None:
    status = page.locator(QUOTA)
    expect(status).to_contain_text("GPU")
    expect(status).to_have_attribute("title", re.compile("GPU-hours"))
    tour.stop("quota", page.locator("#jp-main-statusbar"))


def test_tour_of_the_panels_with_the_examples_results(
    page: Page, hub: RunningHub, examples: list[Path], tour_dir: Path
) -> None:
    tour = Tour(page, tour_dir)

    _log_in_and_start_a_server(page, hub, tour)
    _sidebar(page, tour)
    _datasets(page, tour)
    _experiments(page, tour)
    _training(page, tour)
    _models(page, tour)
    _quota(page, tour)

    assert [path.name for path in tour.taken] == [
        "01-spawn-form.png",
        "02-sidebar.png",
        "03-datasets.png",
        "04-datasets-changes.png",
        "05-experiments-runs.png",
        "06-experiments-compare.png",
        "07-training-job.png",
        "08-training-sweep.png",
        "09-models.png",
        "10-models-deployment.png",
        "11-quota.png",
    ]
    assert all(path.stat().st_size > 0 for path in tour.taken)
