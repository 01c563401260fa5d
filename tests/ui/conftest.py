"""A real embedded hub, and a Chromium logged in to it with JupyterLab open.

The browser is Debian's Chromium driven by Playwright (never a downloaded
browser), so the tests skip where it is not installed. Everything a run leaves
behind for people to look at (screenshots, the hub's log) goes to
test-output/ui/ at the repository root.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jupyter_dl.paths import (
    ARTIFACTS_ENV,
    DATASET_REMOTE_ENV,
    DATASETS_ENV,
    DB_URL_ENV,
    JOBS_ENV,
    MODELS_ENV,
    resolve_artifacts_dir,
    resolve_dataset_remote,
    resolve_datasets_dir,
    resolve_jobs_dir,
    resolve_models_dir,
)

from ..hub.running_hub import RunningHub, hub_environment, hub_running

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

#: Where each part of the platform is in the lab's page.
SIDEBAR = '[id="jupyter-dl:sidebar"]'
SIDEBAR_TAB = '.jp-SideBar li[data-id="jupyter-dl:sidebar"]'
EXPERIMENTS = '[id="jupyter-dl:experiments"]'
DATASETS = '[id="jupyter-dl:datasets"]'
TRAINING = '[id="jupyter-dl:training"]'
MODELS = '[id="jupyter-dl:models"]'
QUOTA = ".jp-DLQuotaStatus"
DIALOG = ".jp-Dialog"


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


def demo_environment(hub: RunningHub) -> dict[str, str]:
    """What a notebook of the demo user sees: the store and folders of the user's server.

    The embedded hub gives each server the hub's ``JUPYTER_DL_DB_URL``, and every
    folder (datasets, their remote, artifacts, jobs, models) resolves beside that
    store; they are named here too, so a process started with this environment
    writes exactly where the lab reads.
    """
    db_url = hub.db_url
    return hub_environment(
        **{
            DB_URL_ENV: db_url,
            DATASETS_ENV: str(resolve_datasets_dir(db_url)),
            DATASET_REMOTE_ENV: resolve_dataset_remote(db_url),
            ARTIFACTS_ENV: str(resolve_artifacts_dir(db_url)),
            JOBS_ENV: str(resolve_jobs_dir(db_url)),
            MODELS_ENV: str(resolve_models_dir(db_url)),
            # Who acted, as runs, datasets and the registry record it.
            "JUPYTERHUB_USER": DEMO_USER,
            "LOGNAME": DEMO_USER,
            "USER": DEMO_USER,
            "DVC_NO_ANALYTICS": "1",
            "WANDB_MODE": "disabled",
        }
    )


def demo_home(hub: RunningHub) -> Path:
    """The demo user's folder: the root of the file browser of their server."""
    return hub.state_dir / "users" / DEMO_USER


def platform_api(hub: RunningHub, method: str, path: str, **kwargs: Any) -> Any:
    """Call ``/dl/api/<path>`` of the demo user's server; the JSON answer."""
    response = hub.request(method, f"user/{DEMO_USER}/dl/api/{path}", **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


#: The names of what ``platform_content`` makes.
CONTENT = {
    "project": "toy-classifier",
    "dataset": "toy-shapes",
    "model": "toy-mlp",
    "job": "toy-train",
    "sweep": "toy-lr-search",
}

#: Run by the demo user's Python: three tracked runs, a dataset of images and
#: labels, a model published from a run, a finished one-process training job and
#: a small sweep, all through ``import jupyter_dl as dl``.
CONTENT_SEED = textwrap.dedent(
    """
    import json
    import math
    import sys
    from pathlib import Path

    import torch
    from PIL import Image, ImageDraw

    import jupyter_dl as dl

    names, work = json.loads(sys.argv[1]), Path(sys.argv[2])
    project = names["project"]

    for lr, width in ((0.1, 16), (0.03, 32), (0.01, 64)):
        dl.init(project=project, name=f"mlp-{width}-lr{lr}", config={"lr": lr, "width": width},
                tags=["baseline"] if width == 16 else [], system_metrics=None, capture_code=False)
        for step in range(30):
            loss = 1.5 * math.exp(-lr * 8 * step) + 0.2 / math.sqrt(width)
            dl.log({"loss": loss, "accuracy": 1 - loss / 2}, step=step)
        dl.finish()

    folder = work / "shapes"
    (folder / "images").mkdir(parents=True)
    colours = ["#e53935", "#1e88e5", "#43a047", "#fb8c00"]
    rows = []
    for i in range(8):
        image = Image.new("RGB", (64, 64), "#fafafa")
        draw = ImageDraw.Draw(image)
        (draw.ellipse if i % 2 else draw.rectangle)((12, 12, 52, 52), fill=colours[i % 4])
        image.save(folder / "images" / f"shape_{i}.png")
        rows.append(f"images/shape_{i}.png,{'circle' if i % 2 else 'square'}")
    (folder / "labels.csv").write_text("file,label\\n" + "\\n".join(rows) + "\\n")
    dl.datasets.create(names["dataset"], folder, description="Squares and circles with labels.",
                       tags=["images"], tag="v1", progress=False)

    dl.init(project=project, name="mlp-published", config={"width": 16},
            system_metrics=None, capture_code=False)
    dl.log({"loss": 0.35, "accuracy": 0.9})
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    dl.publish(net, names["model"], example_input=torch.randn(2, 4),
               description="A small MLP telling squares from circles.")
    dl.finish()

    script = work / "train.py"
    script.write_text(
        "import jupyter_dl as dl\\n"
        "for step in range(5):\\n"
        "    print(f'step {step} loss {1 / (step + 1):.3f}', flush=True)\\n"
        "    dl.log({'loss': 1 / (step + 1)}, step=step)\\n"
    )
    job = dl.train(str(script), nproc=1, gpus=0, name=names["job"], project=project)
    job.wait(timeout=240)

    def objective(config):
        return (math.log10(config["lr"]) + 2) ** 2 + 0.1 * config["layers"]

    dl.sweep(objective, {"lr": dl.loguniform(1e-3, 1e-1), "layers": dl.intrange(1, 3)},
             trials=4, parallel=2, metric="val_loss", seed=0, name=names["sweep"],
             project=project)
    """
)


@pytest.fixture(scope="session")
def platform_content(
    hub: RunningHub, lab: Page, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Something in every panel, made as a notebook of the demo user makes it.

    Runs of ``CONTENT["project"]``, the dataset, a published model with a live
    deployment, a finished job and a finished sweep. Yields ``CONTENT`` with the
    deployment's id; the deployment is stopped afterwards.
    """
    work = tmp_path_factory.mktemp("platform-content")
    subprocess.run(
        [sys.executable, "-c", CONTENT_SEED, json.dumps(CONTENT), str(work)],
        env=demo_environment(hub),
        cwd=work,
        check=True,
        timeout=300,
    )
    deployment = platform_api(hub, "POST", "deployments", json={"model": CONTENT["model"]})
    try:
        yield {**CONTENT, "deployment": deployment["id"]}
    finally:
        hub.request("POST", f"user/{DEMO_USER}/dl/api/deployments/{deployment['id']}/stop")


@pytest.fixture(scope="session")
def examples(hub: RunningHub) -> list[Path]:
    """The example notebooks, executed once in the demo user's folder into the lab's
    store: the tour shows what they leave, and ``test_examples_in_the_lab`` checks it."""
    from ..examples.execute import run_examples

    return run_examples(demo_home(hub) / "examples", demo_environment(hub))


#: The titles of the platform's panels in the main area.
PANEL_TITLES = ("Experiments", "Datasets", "Training", "Models")


def close_panels(page: Page) -> None:
    """Close the platform's panels in the main area, so that the next module opens
    them afresh (their lists loaded anew) with the launcher in view."""
    for title in PANEL_TITLES:
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=title)
        while tabs.count():
            tabs.first.locator(".lm-TabBar-tabCloseIcon").click()


def run_from_palette(page: Page, label: str) -> None:
    """Run the command ``label`` from the command palette, opened with its shortcut.

    The shortcut toggles the palette and is lost while the lab is still settling
    (a notification, a panel taking the focus): open it again until its input shows."""
    search = page.locator(".lm-CommandPalette-input")
    for _ in range(3):
        if not search.is_visible():
            page.keyboard.press("Control+Shift+C")
        try:
            search.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            continue
    search.fill(label)
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text=label).wait_for()
    page.keyboard.press("Enter")
