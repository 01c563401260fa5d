"""The Models panel in JupyterLab, served by the embedded hub.

Models are made the way a person makes them from a notebook or a script of the
demo user: ``dl.publish`` of a small torch MLP inside a run, and a second run
that only keeps its model with ``dl.log_model``, in a process pointed at the
same store, models and artifacts folders as the user's server. Each test then
uses the panels as a person does: the command palette, clicks and keys. Every
deployment the tests start is stopped through the REST API at the end, whatever
happened.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from jupyter_dl.paths import (
    ARTIFACTS_ENV,
    DB_URL_ENV,
    MODELS_ENV,
    resolve_artifacts_dir,
    resolve_models_dir,
)

from ..hub.running_hub import RunningHub, hub_environment
from .conftest import DEMO_USER

MODEL = "demo-mlp"
PROJECT = "ui-models"
PANEL = '[id="jupyter-dl:models"]'
EXPERIMENTS = '[id="jupyter-dl:experiments"]'
DIALOG = ".jp-Dialog"
#: Starting a deployment loads torch in a fresh process, in milliseconds.
DEPLOY_TIMEOUT_MS = 120_000
#: Requests sent from the form before the charts are looked at.
REQUESTS = 5
#: What the panel writes between the sizes of a shape.
BY = "\N{MULTIPLICATION SIGN}"

#: Run by the demo user's Python: version 1 published inside a run (its
#: metrics and lineage), and a second run that keeps a wider MLP to publish
#: from the Experiments panel.
SEED = textwrap.dedent(
    """
    import json
    import sys

    import torch

    import jupyter_dl as dl

    project, name = sys.argv[1], sys.argv[2]

    def mlp(seed, hidden):
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
        )

    baseline = dl.init(project=project, name="mlp-baseline", config={"hidden": 8},
                       system_metrics=None, capture_code=False)
    dl.log({"loss": 0.42, "accuracy": 0.81})
    version = dl.publish(mlp(0, 8), name, example_input=torch.randn(2, 4),
                         description="A small MLP on four features.")
    dl.finish()

    wider = dl.init(project=project, name="mlp-wider", config={"hidden": 16},
                    system_metrics=None, capture_code=False)
    dl.log({"loss": 0.31, "accuracy": 0.88})
    dl.log_model(mlp(1, 16), torch.randn(2, 4))
    dl.finish()
    print(json.dumps({"version": version["version"], "baseline": baseline.id,
                      "wider": wider.id}))
    """
)


def _api(hub: RunningHub, method: str, path: str, **kwargs: Any) -> Any:
    response = hub.request(method, f"user/{DEMO_USER}/dl/api/{path}", **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def seeded(lab: Page, hub: RunningHub) -> dict[str, Any]:
    """Version 1 of MODEL, its run, and the run that kept a model to publish."""
    env = hub_environment(
        **{
            DB_URL_ENV: hub.db_url,
            MODELS_ENV: str(resolve_models_dir(hub.db_url)),
            ARTIFACTS_ENV: str(resolve_artifacts_dir(hub.db_url)),
            "JUPYTERHUB_USER": DEMO_USER,
            # Who published, as the registry records it.
            "LOGNAME": DEMO_USER,
            "USER": DEMO_USER,
            "DVC_NO_ANALYTICS": "1",
            "WANDB_MODE": "disabled",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SEED, PROJECT, MODEL],
        env=env,
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )
    seeded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seeded["version"] == 1, seeded
    assert _api(hub, "GET", f"runs/{seeded['wider']}/models") == {"models": ["models/model"]}
    return seeded


@pytest.fixture(scope="module", autouse=True)
def _stop_deployments_afterwards(hub: RunningHub) -> Iterator[None]:
    """A deployment is a process that outlives the test: stop every one it left."""
    yield
    page = _api(hub, "GET", "deployments", params={"status": "live"})
    for deployment in page["items"]:
        hub.request("POST", f"user/{DEMO_USER}/dl/api/deployments/{deployment['id']}/stop")


@pytest.fixture(scope="module", autouse=True)
def _close_panels_afterwards(lab: Page) -> Iterator[None]:
    """Other modules share the page: leave it with this module's panels closed."""
    yield
    for title, panel in (("Models", PANEL), ("Experiments", EXPERIMENTS)):
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=title)
        if tab.count():
            tab.locator(".lm-TabBar-tabCloseIcon").click()
            lab.locator(panel).wait_for(state="detached")


def _testid(page: Page, testid: str, within: str = PANEL) -> Locator:
    return page.locator(f'{within} [data-testid="{testid}"]')


def _run_command(page: Page, label: str) -> None:
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill(label)
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text=label).wait_for()
    page.keyboard.press("Enter")


@contextmanager
def _left_area_collapsed(page: Page) -> Iterator[None]:
    """Room for a screenshot of the panel: the left sidebar folded away meanwhile."""
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    tab_id = current.get_attribute("data-id") if current.count() else None
    if tab_id:
        current.click()
        expect(current).to_have_count(0)
    try:
        yield
    finally:
        if tab_id:
            page.locator(f'.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="{tab_id}"]').click()


def _painted(canvas: Locator) -> int:
    """How many pixels of a canvas were drawn on."""
    count: int = canvas.evaluate(
        """canvas => {
            const context = canvas.getContext('2d');
            const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { n++; } }
            return n;
        }"""
    )
    return count


@pytest.fixture
def models(lab: Page, seeded: dict[str, Any]) -> Page:
    """The lab page with the Models panel on MODEL."""
    if not lab.locator(PANEL).is_visible():
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Models")
        if tab.count():
            tab.click()
        else:
            _run_command(lab, "Open Models")
    lab.locator(PANEL).wait_for(state="visible")
    if _testid(lab, "dl-models-back").count():
        _testid(lab, "dl-models-back").click()
    _testid(lab, "dl-model-item").filter(has_text=MODEL).click()
    expect(_testid(lab, "dl-model-view")).to_have_attribute("data-model", MODEL)
    return lab


def test_a_version_shows_its_signature_metrics_and_lineage(
    models: Page, seeded: dict[str, Any]
) -> None:
    row = _testid(models, "dl-version-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("staging")
    expect(row).to_contain_text("0.81")

    detail = _testid(models, "dl-version-detail")
    expect(detail).to_have_attribute("data-version", "1")
    expect(detail).to_contain_text("A small MLP on four features.")
    signature = _testid(models, "dl-version-signature")
    expect(signature.locator("tbody tr").first).to_contain_text("FP32")
    expect(signature.locator("tbody tr").first).to_contain_text(f"batch {BY} 4")
    expect(_testid(models, "dl-version-metrics")).to_contain_text("accuracy")
    expect(_testid(models, "dl-lineage-run")).to_have_text("mlp-baseline")
    expect(_testid(models, "dl-version-files")).to_contain_text("weights.safetensors")


def test_deploy_a_version_try_it_and_watch_it(
    models: Page, seeded: dict[str, Any], output_dir: Path
) -> None:
    _testid(models, "dl-deploy").click()
    dialog = models.locator(DIALOG)
    dialog.locator('[data-testid="dl-deploy-batch"]').fill("8")
    dialog.get_by_role("button", name="Deploy").click()
    dialog.wait_for(state="detached")

    view = _testid(models, "dl-deployment-view")
    expect(view).to_have_attribute("data-status", "running", timeout=DEPLOY_TIMEOUT_MS)
    expect(_testid(models, "dl-deployment-ref")).to_have_text(f"{MODEL}:1")
    expect(_testid(models, "dl-deployment-url")).to_contain_text("http://127.0.0.1:")
    expect(_testid(models, "dl-deployment-facts")).to_contain_text("max batch 8")
    live = _testid(models, "dl-deployment-item").filter(has_text=f"{MODEL}:1")
    expect(live).to_have_attribute("data-status", "running")

    request = _testid(models, "dl-try-request")
    expect(request).to_have_value(re.compile(r'"inputs"'))
    send = _testid(models, "dl-try-send")
    outputs = _testid(models, "dl-try-output")
    for _ in range(REQUESTS):
        send.click()
        expect(send).to_be_enabled()
        expect(outputs).to_have_count(1)
    expect(outputs).to_contain_text("FP32")
    expect(outputs).to_contain_text(f"2 {BY} 2")
    # Throughput needs two readings around the requests; the charts draw then.
    expect(_testid(models, "dl-monitor-requests")).to_have_text(str(REQUESTS), timeout=15_000)
    for metric in ("throughput", "latency", "batch"):
        chart = models.locator(f'{PANEL} [data-testid="dl-monitor-chart"][data-metric="{metric}"]')
        expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]"), timeout=15_000)
        assert _painted(chart.locator("canvas").first) > 300, metric
    with _left_area_collapsed(models):
        view.evaluate("view => { view.closest('.jp-DLModels-main').scrollTop = 0; }")
        models.screenshot(path=str(output_dir / "models-deployment.png"))

    # A request that does not fit the signature: the deployment says what it expects.
    request.fill(
        '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}'
    )
    send.click()
    message = _testid(models, "dl-models-error-message")
    expect(message).to_contain_text("expects")
    expect(message).to_contain_text("[-1, 4]")
    _testid(models, "dl-try-reset").click()
    expect(request).to_have_value(re.compile(r'"inputs"'))

    _testid(models, "dl-deployment-stop").click()
    models.locator(DIALOG).get_by_role("button", name="Stop").click()
    expect(view).to_have_attribute("data-status", "stopped", timeout=30_000)
    expect(live).to_have_attribute("data-status", "stopped")


def test_description_and_aliases_are_edited_and_a_used_version_is_kept(models: Page) -> None:
    _testid(models, "dl-edit-description").click()
    expect(_testid(models, "dl-description-input")).to_be_focused()
    models.keyboard.type("Classifies four sensor readings into two states.")
    models.keyboard.press("Control+Enter")
    expect(_testid(models, "dl-model-description")).to_have_text(
        "Classifies four sensor readings into two states."
    )

    _testid(models, "dl-alias-add").click()
    name = _testid(models, "dl-alias-name")
    expect(name).to_be_focused()
    models.keyboard.type("production")
    models.keyboard.press("Tab")
    expect(_testid(models, "dl-alias-version")).to_be_focused()
    models.keyboard.press("Enter")
    alias = models.locator(f'{PANEL} [data-testid="dl-alias"][data-alias="production"]')
    expect(alias).to_have_attribute("data-version", "1")

    _testid(models, "dl-delete-version").click()
    models.locator(DIALOG).get_by_role("button", name="Delete").click()
    message = _testid(models, "dl-models-error-message")
    expect(message).to_contain_text("production")
    expect(_testid(models, "dl-version-row")).to_have_count(1)
    _testid(models, "dl-dismiss-error").click()
    expect(message).to_have_count(0)

    _testid(models, "dl-model-tab-history").click()
    expect(_testid(models, "dl-alias-history")).to_contain_text("production")
    _testid(models, "dl-model-tab-versions").click()


def test_publish_from_a_run_adds_a_version(
    lab: Page, seeded: dict[str, Any], output_dir: Path
) -> None:
    _run_command(lab, "Open Experiments")
    lab.locator(EXPERIMENTS).wait_for(state="visible")
    if _testid(lab, "dl-back", EXPERIMENTS).count():
        _testid(lab, "dl-back", EXPERIMENTS).click()
    _testid(lab, "dl-project-select", EXPERIMENTS).select_option(PROJECT)
    baseline = lab.locator(
        f"{EXPERIMENTS} [data-testid='dl-run-row'][data-run-id='{seeded['baseline']}']"
    )
    baseline.click()
    expect(_testid(lab, "dl-run-name", EXPERIMENTS)).to_have_text("mlp-baseline")
    # The run that published with dl.publish kept nothing to publish.
    expect(_testid(lab, "dl-run-publish", EXPERIMENTS)).to_have_count(0)
    _testid(lab, "dl-back", EXPERIMENTS).click()
    lab.locator(
        f"{EXPERIMENTS} [data-testid='dl-run-row'][data-run-id='{seeded['wider']}']"
    ).click()

    _testid(lab, "dl-run-publish", EXPERIMENTS).click()
    dialog = lab.locator(DIALOG)
    name = dialog.locator('[data-testid="dl-publish-name"]')
    expect(name).to_have_value(PROJECT)
    name.fill(MODEL)
    expect(dialog.locator('[data-testid="dl-publish-aliases"]')).to_have_value("staging")
    dialog.get_by_role("button", name="Publish").click()
    dialog.wait_for(state="detached")

    toast = lab.locator(".Toastify__toast", has_text=f"Published {MODEL} version 2")
    toast.get_by_role("button", name="Open in Models").click()
    toast.wait_for(state="detached")

    lab.locator(PANEL).wait_for(state="visible")
    rows = _testid(lab, "dl-version-row")
    expect(rows).to_have_count(2)
    expect(_testid(lab, "dl-version-detail")).to_have_attribute("data-version", "2")
    expect(
        lab.locator(f'{PANEL} [data-testid="dl-alias"][data-alias="staging"]')
    ).to_have_attribute("data-version", "2")
    expect(_testid(lab, "dl-lineage-run")).to_have_text("mlp-wider")
    expect(rows.first).to_contain_text("0.88")
    with _left_area_collapsed(lab):
        lab.screenshot(path=str(output_dir / "models-versions.png"))
