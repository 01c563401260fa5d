"""The Training panel in JupyterLab, served by the embedded hub.

The scripts are put in the demo user's folder the way JupyterLab saves a file:
through the Jupyter contents API of the user's server. Each test then uses the
panel as a person does: the command palette, the file browser's context menu,
the launch form, clicks and keys. The jobs are real: two CPU processes each,
under torch elastic, on the machine running the tests.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from jupyter_dl.paths import ARTIFACTS_ENV, DB_URL_ENV, resolve_artifacts_dir

from ..hub.running_hub import RunningHub, hub_environment
from .conftest import DEMO_USER

PANEL = '[id="jupyter-dl:training"]'
EXPERIMENTS = '[id="jupyter-dl:experiments"]'
FOLDER = "ui-training"
#: torch elastic starting two processes that import torch, on a busy test machine.
JOB_TIMEOUT_MS = 180_000

#: Two ranks train a tiny model with DDP, print each step and log the loss.
TRAIN = '''\
"""A tiny data-parallel training run for the Training panel's browser test."""
import argparse
import time

import torch

import jupyter_dl as dl

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--pause", type=float, default=0.3)
args = parser.parse_args()

ddp = dl.distributed
model = ddp.wrap(torch.nn.Linear(4, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
torch.manual_seed(ddp.rank)
for step in range(args.steps):
    x = torch.randn(16, 4)
    loss = torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"rank {ddp.rank}/{ddp.world_size} step {step} loss {loss.item():.4f}", flush=True)
    dl.log({"loss": loss.item()}, step=step)
    time.sleep(args.pause)
print(f"rank {ddp.rank} done", flush=True)
'''

#: Runs until it is cancelled.
FOREVER = """\
import os
import time

rank = os.environ.get("RANK", "?")
tick = 0
while True:
    print(f"rank {rank} tick {tick}", flush=True)
    tick += 1
    time.sleep(0.5)
"""


#: A sweep as a notebook of the demo user runs one: ``dl.sweep`` over a learning
#: rate, a depth and an activation, the loss reported each step (so the median
#: pruner stops poor trials), one combination failing. Arguments: trials, name,
#: seconds each step takes.
SWEEP = """\
import sys
import time

import jupyter_dl as dl

PAUSE = float(sys.argv[3])


def objective(config):
    if config["layers"] == 4 and config["act"] == "tanh":
        raise RuntimeError("diverged: the loss went to inf")
    floor = (config["lr"] * 100 - 3) ** 2 / 20 + 0.1 * config["layers"]
    loss = floor
    for step in range(6):
        loss = floor + 1.0 / (step + 1)
        dl.report(step, loss)
        time.sleep(PAUSE)
    return loss


if __name__ == "__main__":
    space = {
        "lr": dl.loguniform(1e-3, 1e-1),
        "layers": dl.intrange(1, 4),
        "act": dl.choice(["relu", "tanh"]),
    }
    dl.sweep(
        objective, space, trials=int(sys.argv[1]), parallel=2, metric="val_loss",
        mode="min", pruner="median", seed=0, name=sys.argv[2], project="ui-sweeps",
    )
"""


def _contents(hub: RunningHub, method: str, path: str, **kwargs: Any) -> Any:
    response = hub.request(method, f"user/{DEMO_USER}/api/contents/{path}", **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def scripts(lab: Page, hub: RunningHub) -> dict[str, str]:
    """The scripts in a folder of the demo user's server root, by name: their paths."""
    _contents(hub, "PUT", FOLDER, json={"type": "directory"})
    paths = {}
    for name, source in (("train_ui.py", TRAIN), ("forever_ui.py", FOREVER)):
        path = f"{FOLDER}/{name}"
        _contents(hub, "PUT", path, json={"type": "file", "format": "text", "content": source})
        paths[name] = path
    return paths


def _api(hub: RunningHub, method: str, path: str) -> Any:
    response = hub.request(method, f"user/{DEMO_USER}/dl/api/{path}")
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def _start_sweep(
    hub: RunningHub, folder: Path, trials: int, name: str, pause: float
) -> subprocess.Popen[bytes]:
    """``dl.sweep`` in a process of the demo user's, on the store of the user's server."""
    script = folder / "sweep_ui.py"
    script.write_text(SWEEP)
    env = hub_environment(
        **{
            DB_URL_ENV: hub.db_url,
            ARTIFACTS_ENV: str(resolve_artifacts_dir(hub.db_url)),
            "JUPYTERHUB_USER": DEMO_USER,
        }
    )
    return subprocess.Popen(
        [sys.executable, str(script), str(trials), name, str(pause)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _sweep_named(hub: RunningHub, name: str) -> dict[str, Any] | None:
    return next((s for s in _api(hub, "GET", "sweeps")["items"] if s["name"] == name), None)


@pytest.fixture(scope="module")
def finished_sweep(
    lab: Page, hub: RunningHub, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A sweep of twelve trials that has run to its end, with its trials."""
    process = _start_sweep(hub, tmp_path_factory.mktemp("ui-sweep"), 12, "ui-sweep", 0.0)
    assert process.wait(timeout=300) == 0
    sweep = _sweep_named(hub, "ui-sweep")
    assert sweep is not None
    assert sweep["status"] == "finished", sweep
    detail: dict[str, Any] = _api(hub, "GET", f"sweeps/{sweep['id']}")
    return detail


@pytest.fixture(scope="module", autouse=True)
def _close_panels_afterwards(lab: Page) -> Iterator[None]:
    """Other modules share the page: leave it with this module's panels closed."""
    yield
    for title, panel in (("Training", PANEL), ("Experiments", EXPERIMENTS)):
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=title)
        if tab.count():
            tab.locator(".lm-TabBar-tabCloseIcon").click()
            lab.locator(panel).wait_for(state="detached")


def _testid(page: Page, testid: str) -> Locator:
    return page.locator(f'{PANEL} [data-testid="{testid}"]')


def _run_command(page: Page, label: str) -> None:
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill(label)
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text=label).wait_for()
    page.keyboard.press("Enter")


@pytest.fixture
def training(lab: Page, scripts: dict[str, str]) -> Page:
    """The lab page with the Training panel on its jobs."""
    if not lab.locator(PANEL).is_visible():
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Training")
        if tab.count():
            tab.click()
        else:
            _run_command(lab, "Open Training")
    lab.locator(PANEL).wait_for(state="visible")
    if _testid(lab, "dl-training-back").count():
        _testid(lab, "dl-training-back").click()
    _testid(lab, "dl-training-tab-jobs").click()
    _testid(lab, "dl-jobs-view").wait_for()
    return lab


def _fill_form(page: Page, **fields: str) -> None:
    form = _testid(page, "dl-launch-form")
    form.wait_for()
    for field, value in fields.items():
        _testid(page, f"dl-launch-{field}").fill(value)


def _launch(page: Page) -> Locator:
    """Press Launch; the job view it opens."""
    _testid(page, "dl-launch-submit").click()
    view = _testid(page, "dl-job-view")
    view.wait_for()
    return view


def _log_text(page: Page) -> Locator:
    return _testid(page, "dl-log-text")


def test_launch_a_script_on_two_processes_and_follow_its_log(
    training: Page, hub: RunningHub, scripts: dict[str, str], output_dir: Path
) -> None:
    _testid(training, "dl-new-job").click()
    _fill_form(
        training,
        path=scripts["train_ui.py"],
        args="--steps 12 --pause 0.4",
        nproc="2",
        name="ui-ddp",
    )

    view = _launch(training)

    expect(_testid(training, "dl-job-name")).to_have_text("ui-ddp")
    expect(view).to_have_attribute("data-status", "running", timeout=JOB_TIMEOUT_MS)
    expect(_testid(training, "dl-log-following")).to_be_visible()
    expect(_log_text(training)).to_contain_text("rank 0/2 step 0", timeout=JOB_TIMEOUT_MS)
    expect(_testid(training, "dl-job-command")).to_have_text(
        f"{scripts['train_ui.py']} --steps 12 --pause 0.4"
    )
    # The panel follows the log as the job writes it, not once at the end.
    expect(view).to_have_attribute("data-status", "running")
    expect(_log_text(training)).to_contain_text("step 3")

    expect(view).to_have_attribute("data-status", "succeeded", timeout=JOB_TIMEOUT_MS)
    expect(_testid(training, "dl-log-done")).to_be_visible()
    expect(_log_text(training)).to_contain_text("rank 0 done")
    expect(_testid(training, "dl-job-exit-codes")).to_contain_text("rank 0: 0")
    expect(_testid(training, "dl-job-exit-codes")).to_contain_text("rank 1: 0")
    expect(_testid(training, "dl-job-cancel")).to_have_count(0)
    training.screenshot(path=str(output_dir / "training-job.png"))

    _testid(training, "dl-log-rank").select_option("1")
    expect(_testid(training, "dl-job-log")).to_have_attribute("data-rank", "1")
    expect(_log_text(training)).to_contain_text("rank 1/2 step 11")
    expect(_log_text(training)).not_to_contain_text("rank 0/2")

    job_id = view.get_attribute("data-job-id")
    job = hub.request("GET", f"user/{DEMO_USER}/dl/api/jobs/{job_id}").json()
    assert job["status"] == "succeeded", job
    assert job["nproc"] == 2

    _testid(training, "dl-training-back").click()
    row = training.locator(f'{PANEL} [data-testid="dl-job-row"][data-job-id="{job_id}"]')
    expect(row).to_have_attribute("data-status", "succeeded")
    expect(row).to_contain_text("ui-ddp")
    expect(row).to_contain_text("2 \N{MULTIPLICATION SIGN} CPU")

    # Rank 0's dl.log went to the job's run, one click away.
    row.click()
    _testid(training, "dl-job-run").click()
    experiments = training.locator(EXPERIMENTS)
    experiments.wait_for(state="visible")
    run_view = experiments.locator('[data-testid="dl-run-view"]')
    expect(run_view).to_have_attribute("data-run-id", job["run_id"])
    chart = experiments.locator('[data-testid="dl-metric-chart"][data-metric="loss"]')
    expect(chart).to_have_attribute("data-points", "12")
    training.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Training").click()


def test_train_from_the_file_browser_and_cancel(
    training: Page, scripts: dict[str, str], output_dir: Path
) -> None:
    browser_tab = training.locator('.jp-SideBar li[data-id="filebrowser"]')
    if not training.locator("#filebrowser").is_visible():
        browser_tab.click()
    browser = training.locator("#filebrowser")
    browser.locator('[data-command="filebrowser:refresh"]').click()
    browser.locator(".jp-DirListing-item", has_text=FOLDER).dblclick()
    item = browser.locator(".jp-DirListing-item", has_text="forever_ui.py")
    item.click(button="right")
    training.locator(".lm-Menu-item", has_text="Train with jupyter-dl…").click()

    expect(_testid(training, "dl-launch-path")).to_have_value(scripts["forever_ui.py"])
    _fill_form(training, nproc="2", name="ui-forever")
    view = _launch(training)
    expect(view).to_have_attribute("data-status", "running", timeout=JOB_TIMEOUT_MS)
    expect(_log_text(training)).to_contain_text("rank 0 tick 2", timeout=JOB_TIMEOUT_MS)

    _testid(training, "dl-job-cancel").click()
    dialog = training.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Cancel ui-forever?")
    training.screenshot(path=str(output_dir / "training-cancel.png"))
    dialog.get_by_role("button", name="Cancel job").click()

    expect(view).to_have_attribute("data-status", "cancelled", timeout=JOB_TIMEOUT_MS)
    expect(view.locator("[data-testid='dl-job-status']")).to_have_text("Cancelled")
    expect(_testid(training, "dl-log-done")).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(_testid(training, "dl-job-cancel")).to_have_count(0)
    browser_tab.click()


def test_a_refused_launch_shows_the_servers_message_by_its_field(
    training: Page, scripts: dict[str, str], output_dir: Path
) -> None:
    _run_command(training, "Launch Training Job")
    _fill_form(training, path=scripts["train_ui.py"], nproc="0")

    _testid(training, "dl-launch-submit").click()

    error = training.locator(f'{PANEL} [data-testid="dl-launch-field-error"][data-field="nproc"]')
    expect(error).to_contain_text("nproc must be a number of processes >= 1")
    expect(_testid(training, "dl-launch-form")).to_be_visible()
    expect(_testid(training, "dl-launch-nproc")).to_have_value("0")
    expect(_testid(training, "dl-launch-submit")).to_be_enabled()
    training.screenshot(path=str(output_dir / "training-launch.png"))

    _testid(training, "dl-launch-nproc").fill("1")
    expect(error).to_have_count(0)
    _testid(training, "dl-launch-path").fill(f"{FOLDER}/missing.py")
    _testid(training, "dl-launch-submit").click()
    missing = training.locator(f'{PANEL} [data-testid="dl-launch-field-error"][data-field="path"]')
    expect(missing).to_contain_text("no script at")

    training.keyboard.press("Escape")  # in a field: the form stays
    expect(_testid(training, "dl-launch-form")).to_be_visible()
    _testid(training, "dl-launch-form").locator("header").click()
    training.keyboard.press("Escape")
    expect(_testid(training, "dl-jobs-view")).to_be_visible()


def _jobs_of_this_module_listed(page: Page) -> Locator:
    """The job rows, once this module's two jobs are among them (other modules' jobs,
    the examples' for instance, may be listed too)."""
    rows = page.locator(f'{PANEL} [data-testid="dl-job-row"]')
    for name in ("ui-ddp", "ui-forever"):
        expect(rows.filter(has_text=name)).to_have_count(1, timeout=JOB_TIMEOUT_MS)
    return rows


def test_keyboard_moves_between_jobs_and_opens_one(training: Page) -> None:
    rows = _jobs_of_this_module_listed(training)
    rows.first.focus()

    training.keyboard.press("ArrowDown")
    second = rows.nth(1).get_attribute("data-job-id")
    assert rows.nth(1).evaluate("row => row === document.activeElement")
    training.keyboard.press("Enter")
    expect(_testid(training, "dl-job-view")).to_have_attribute("data-job-id", second or "")

    training.keyboard.press("Escape")
    expect(_testid(training, "dl-jobs-view")).to_be_visible()
    focused = training.evaluate("document.activeElement.dataset.jobId")
    assert focused == second


def test_filter_lists_jobs_of_one_status(training: Page, hub: RunningHub, output_dir: Path) -> None:
    rows = _jobs_of_this_module_listed(training)
    everything = rows.count()
    training.screenshot(path=str(output_dir / "training-jobs.png"))
    cancelled = _api(hub, "GET", "jobs?status=cancelled")["items"]
    _testid(training, "dl-jobs-filter").select_option("cancelled")
    expect(rows).to_have_count(len(cancelled))
    for row in rows.all():
        expect(row).to_have_attribute("data-status", "cancelled")
    expect(rows.filter(has_text="ui-forever")).to_have_count(1)

    _testid(training, "dl-jobs-filter").select_option("")
    expect(rows).to_have_count(everything)


def _open_sweep(page: Page, sweep_id: str) -> Locator:
    _testid(page, "dl-training-tab-sweeps").click()
    row = page.locator(f'{PANEL} [data-testid="dl-sweep-row"][data-sweep-id="{sweep_id}"]')
    if not row.count():
        _testid(page, "dl-training-refresh").click()
    row.click()
    view = _testid(page, "dl-sweep-view")
    expect(view).to_have_attribute("data-sweep-id", sweep_id)
    return view


def test_a_sweep_shows_its_best_trial_its_trials_and_their_parameters(
    training: Page, finished_sweep: dict[str, Any], output_dir: Path
) -> None:
    sweep = finished_sweep
    best = sweep["best"]
    complete = [t for t in sweep["trials"] if t["state"] == "complete"]

    view = _open_sweep(training, sweep["id"])

    expect(view).to_have_attribute("data-status", "finished")
    expect(_testid(training, "dl-sweep-name")).to_have_text("ui-sweep")
    shown = _testid(training, "dl-sweep-best-value")
    expect(shown).to_have_attribute("title", re.compile(r"\d"))
    assert math.isclose(float(shown.get_attribute("title") or "nan"), best["value"])
    card = _testid(training, "dl-sweep-best-trial")
    expect(card).to_contain_text(f"Trial {best['number']}")
    for name in ("lr", "layers", "act"):
        expect(card).to_contain_text(name)
    expect(training.locator(f'{PANEL} [data-testid="dl-trial-row"]')).to_have_count(12)

    chart = _testid(training, "dl-sweep-trials-chart")
    expect(chart).to_have_attribute("data-complete", str(len(complete)))
    canvas = chart.locator("canvas")
    canvas.wait_for()
    painted = canvas.evaluate(
        """canvas => {
            const { data } = canvas.getContext('2d').getImageData(
                0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { n++; } }
            return n;
        }"""
    )
    assert painted > 500
    parallel = _testid(training, "dl-sweep-parallel")
    expect(parallel.locator("path")).to_have_count(len(complete))
    expect(parallel.locator("text.jp-DLChart-parallelTitle")).to_have_text(
        ["lr", "layers", "act", "val_loss"]
    )
    _testid(training, "dl-sweep-view").evaluate("view => view.parentElement.scrollTo(0, 0)")
    training.screenshot(path=str(output_dir / "training-sweep.png"))
    _testid(training, "dl-sweep-trials").scroll_into_view_if_needed()
    training.screenshot(path=str(output_dir / "training-sweep-trials.png"))

    _testid(training, "dl-sweep-best-run").click()
    experiments = training.locator(EXPERIMENTS)
    experiments.wait_for(state="visible")
    expect(experiments.locator('[data-testid="dl-run-view"]')).to_have_attribute(
        "data-run-id", best["run_id"]
    )
    training.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Training").click()


def test_a_running_sweep_is_live_and_cancelled_from_the_panel(
    training: Page, hub: RunningHub, tmp_path_factory: pytest.TempPathFactory
) -> None:
    process = _start_sweep(hub, tmp_path_factory.mktemp("ui-slow-sweep"), 40, "ui-slow", 1.0)
    try:
        deadline = time.monotonic() + 120
        sweep = _sweep_named(hub, "ui-slow")
        while sweep is None and time.monotonic() < deadline:
            time.sleep(0.5)
            sweep = _sweep_named(hub, "ui-slow")
        assert sweep is not None

        view = _open_sweep(training, sweep["id"])

        expect(view).to_have_attribute("data-status", "running")
        expect(_testid(training, "dl-live")).to_be_visible()
        rows = training.locator(f'{PANEL} [data-testid="dl-trial-row"]')
        expect(rows.first).to_be_visible(timeout=JOB_TIMEOUT_MS)

        _testid(training, "dl-sweep-cancel").click()
        dialog = training.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Cancel ui-slow?")
        dialog.get_by_role("button", name="Cancel sweep").click()

        expect(view).to_have_attribute("data-status", "cancelled", timeout=JOB_TIMEOUT_MS)
        expect(_testid(training, "dl-sweep-cancel")).to_have_count(0)
        assert process.wait(timeout=120) is not None
        assert _api(hub, "GET", f"sweeps/{sweep['id']}")["status"] == "cancelled"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
