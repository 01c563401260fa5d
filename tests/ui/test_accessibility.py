"""The panels work for people who use a keyboard or a screen reader.

Each panel is opened with something in it (``platform_content``: runs, a
dataset, a job, a sweep, a model and its deployment) and checked with axe-core
(npm's ``axe-core``, installed with the lab extension's development
dependencies) against the WCAG 2.0, 2.1 and 2.2 A and AA rules and axe's best
practices, scoped to the panel's own DOM node: JupyterLab's chrome around it is
not ours. Serious and critical violations fail, in the light and the dark theme.
Then the keyboard: every panel opens from the command palette under Deep
Learning, every Tab stop in a panel shows where the focus is, rows open with
Enter and Space, Escape goes back and closes dialogs, and the refresh command
reloads the panel on show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import (
    DATASETS,
    DIALOG,
    EXPERIMENTS,
    MODELS,
    QUOTA,
    REPO_ROOT,
    SIDEBAR,
    SIDEBAR_TAB,
    TRAINING,
    close_panels,
)

AXE = REPO_ROOT / "labextension" / "node_modules" / "axe-core" / "axe.min.js"
#: axe-core's rule tags: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


#: The palette's Deep Learning commands: the panels and what they do without arguments.
PALETTE_COMMANDS = [
    "Open Deep Learning Sidebar",
    "Refresh Deep Learning Panel",
    "Open Experiments",
    "Open Datasets",
    "Open Training",
    "Launch Training Job",
    "Open Models",
]
#: Tab presses at most while walking a panel's Tab stops.
MAX_TAB_STOPS = 40

#: Run in the page on a panel's node: every violation, with the nodes at fault.
RUN_AXE = """async ([root, tags]) => {
  const result = await axe.run(root, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""

#: Run in the page on a panel's node after a Tab: what has the focus, and
#: whether anything about it (outline, shadow, border, background of it, its
#: parents, its first cell or its shadow DOM's control) looks different from
#: when it has none. ``null`` once the focus has left the panel.
FOCUS_SHOWN = """(root) => {
  const el = document.activeElement;
  if (!el || el === root || !root.contains(el)) {
    return null;
  }
  const parent = el.parentElement;
  const nodes = [
    el, parent, parent && parent.parentElement, el.querySelector('td'),
    el.shadowRoot && el.shadowRoot.querySelector('.control'),
  ];
  const look = node => {
    if (!node) {
      return '';
    }
    const s = getComputedStyle(node);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow,
            s.borderColor, s.backgroundColor].join('|');
  };
  const focused = nodes.map(look);
  el.blur();
  const blurred = nodes.map(look);
  el.focus();
  const name = (el.getAttribute('data-testid') || el.getAttribute('aria-label')
                || el.textContent || '').trim().slice(0, 40);
  return {element: `${el.tagName.toLowerCase()} "${name}"`,
          shown: focused.some((value, i) => value !== blurred[i])};
}"""


#: Run in the page with the palette open: the labels of one category's items.
PALETTE_CATEGORY = """(category) => {
  const labels = [];
  let node = [...document.querySelectorAll('.lm-CommandPalette-header')]
    .find(header => header.textContent.trim().toLowerCase() === category);
  for (node = node && node.nextElementSibling;
       node && !node.classList.contains('lm-CommandPalette-header');
       node = node.nextElementSibling) {
    labels.push(node.querySelector('.lm-CommandPalette-itemLabel').textContent);
  }
  return labels;
}"""


@pytest.fixture(scope="module", autouse=True)
def _close_panels_afterwards(lab: Page) -> Iterator[None]:
    """Other modules share the page: leave it with the panels this one opened closed."""
    yield
    close_panels(lab)


def _testid(page: Page, panel: str, testid: str) -> Locator:
    return page.locator(f'{panel} [data-testid="{testid}"]')


def _palette(page: Page, label: str) -> None:
    """Run a command from the palette, by keyboard only."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill(label)
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text=label).wait_for()
    page.keyboard.press("Enter")


def axe_violations(page: Page, selector: str) -> list[dict[str, Any]]:
    """axe-core's violations inside the element ``selector`` names."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    root = page.locator(selector)
    root.wait_for(state="visible")
    violations: list[dict[str, Any]] = root.evaluate(
        f"(root, tags) => ({RUN_AXE})([root, tags])", AXE_TAGS
    )
    return violations


def _serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def _report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for view, violations in found.items():
        for v in violations:
            lines.append(f"{view}: [{v['impact']}] {v['id']}: {v['help']}")
            lines.extend(f"    {target}" for target in v["targets"])
    return "\n".join(lines)


# What each check opens: a name, and how to get there from anywhere in the lab.


def _sidebar(page: Page, content: dict[str, Any]) -> str:
    if not page.locator(SIDEBAR).is_visible():
        page.locator(SIDEBAR_TAB).click()
    _testid(page, SIDEBAR, "dl-version").wait_for()
    return SIDEBAR


def _quota(page: Page, content: dict[str, Any]) -> str:
    expect(page.locator(QUOTA)).to_contain_text("GPU")
    return QUOTA


def _runs(page: Page, content: dict[str, Any]) -> str:
    _palette(page, "Open Experiments")
    page.locator(EXPERIMENTS).wait_for()
    if _testid(page, EXPERIMENTS, "dl-back").count():
        _testid(page, EXPERIMENTS, "dl-back").click()
    _testid(page, EXPERIMENTS, "dl-project-select").select_option(content["project"])
    _testid(page, EXPERIMENTS, "dl-run-row").nth(2).wait_for()
    return EXPERIMENTS


def _run(page: Page, content: dict[str, Any]) -> str:
    _runs(page, content)
    _testid(page, EXPERIMENTS, "dl-run-row").filter(has_text="mlp-16").click()
    _testid(page, EXPERIMENTS, "dl-metric-chart").first.wait_for()
    return EXPERIMENTS


def _compare(page: Page, content: dict[str, Any]) -> str:
    _runs(page, content)
    rows = _testid(page, EXPERIMENTS, "dl-run-row").filter(has_text="mlp-")
    for index in range(3):
        rows.nth(index).locator('[data-testid="dl-run-select"]').check()
    _testid(page, EXPERIMENTS, "dl-compare-button").click()
    _testid(page, EXPERIMENTS, "dl-compare-chart").first.wait_for()
    return EXPERIMENTS


def _dataset(page: Page, content: dict[str, Any]) -> str:
    _palette(page, "Open Datasets")
    _testid(page, DATASETS, "dl-catalog-item").filter(has_text=content["dataset"]).click()
    _testid(page, DATASETS, "dl-dataset-tab-files").click()
    _testid(page, DATASETS, "dl-crumb").first.click()
    entry = f'{DATASETS} [data-testid="dl-dataset-entry"][data-path="images"]'
    page.locator(entry).dblclick()
    _testid(page, DATASETS, "dl-grid-image").first.wait_for()
    return DATASETS


def _dataset_table(page: Page, content: dict[str, Any]) -> str:
    _dataset(page, content)
    _testid(page, DATASETS, "dl-crumb").first.click()
    page.locator(f'{DATASETS} [data-testid="dl-dataset-entry"][data-path="labels.csv"]').click()
    _testid(page, DATASETS, "dl-preview-table").wait_for()
    return DATASETS


def _jobs(page: Page, content: dict[str, Any]) -> str:
    _palette(page, "Open Training")
    page.locator(TRAINING).wait_for()
    if _testid(page, TRAINING, "dl-training-back").count():
        _testid(page, TRAINING, "dl-training-back").click()
    _testid(page, TRAINING, "dl-training-tab-jobs").click()
    _testid(page, TRAINING, "dl-job-row").first.wait_for()
    return TRAINING


def _job(page: Page, content: dict[str, Any]) -> str:
    _jobs(page, content)
    _testid(page, TRAINING, "dl-job-row").filter(has_text=content["job"]).click()
    _testid(page, TRAINING, "dl-log-text").wait_for()
    return TRAINING


def _sweep(page: Page, content: dict[str, Any]) -> str:
    _jobs(page, content)
    _testid(page, TRAINING, "dl-training-tab-sweeps").click()
    _testid(page, TRAINING, "dl-sweep-row").filter(has_text=content["sweep"]).click()
    _testid(page, TRAINING, "dl-trial-row").first.wait_for()
    return TRAINING


def _launch(page: Page, content: dict[str, Any]) -> str:
    _palette(page, "Launch Training Job")
    _testid(page, TRAINING, "dl-launch-form").wait_for()
    return TRAINING


def _model(page: Page, content: dict[str, Any]) -> str:
    _palette(page, "Open Models")
    _testid(page, MODELS, "dl-model-item").filter(has_text=content["model"]).click()
    _testid(page, MODELS, "dl-version-detail").wait_for()
    return MODELS


def _deployment(page: Page, content: dict[str, Any]) -> str:
    _model(page, content)
    _testid(page, MODELS, "dl-deployment-item").first.click()
    _testid(page, MODELS, "dl-deployment-view").wait_for()
    return MODELS


VIEWS: dict[str, Callable[[Page, dict[str, Any]], str]] = {
    "sidebar": _sidebar,
    "quota status": _quota,
    "experiments: runs": _runs,
    "experiments: run": _run,
    "experiments: comparison": _compare,
    "datasets: images": _dataset,
    "datasets: table preview": _dataset_table,
    "training: jobs": _jobs,
    "training: job": _job,
    "training: sweep": _sweep,
    "training: launch form": _launch,
    "models: model": _model,
    "models: deployment": _deployment,
}


@pytest.fixture
def theme(lab: Page, request: pytest.FixtureRequest) -> Iterator[str]:
    """The lab in the theme the test asks for; back to the light theme afterwards."""
    name: str = request.param

    def use(theme: str, light: bool) -> None:
        if lab.locator(f'body[data-jp-theme-name="{theme}"]').count() == 0:
            _palette(lab, f"Use Theme: {theme}")
        value = "true" if light else "false"
        lab.locator(f'body[data-jp-theme-light="{value}"]').wait_for(state="attached")

    use(name, light=name.endswith("Light"))
    try:
        yield name
    finally:
        use("JupyterLab Light", light=True)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"], indirect=True)
def test_panels_have_no_serious_accessibility_violations(
    lab: Page, platform_content: dict[str, Any], theme: str
) -> None:
    found = {}
    for view, open_view in VIEWS.items():
        serious = _serious(axe_violations(lab, open_view(lab, platform_content)))
        if serious:
            found[view] = serious

    assert not found, f"axe-core in {theme}:\n{_report(found)}"


def test_every_panel_opens_from_the_palette_under_deep_learning(
    lab: Page, platform_content: dict[str, Any]
) -> None:
    lab.keyboard.press("Control+Shift+C")
    lab.locator(".lm-CommandPalette-input").fill("")
    expect(lab.locator(".lm-CommandPalette-header", has_text="Deep Learning")).to_have_count(1)
    labels = lab.evaluate(PALETTE_CATEGORY, "deep learning")
    lab.keyboard.press("Escape")

    assert sorted(labels) == sorted(PALETTE_COMMANDS)
    for label, panel in (
        ("Open Experiments", EXPERIMENTS),
        ("Open Datasets", DATASETS),
        ("Open Training", TRAINING),
        ("Open Models", MODELS),
    ):
        _palette(lab, label)
        # Opened by keyboard, the panel takes the focus: the next key works in it.
        expect(lab.locator(panel)).to_be_visible()
        lab.wait_for_function(
            "sel => document.querySelector(sel).contains(document.activeElement)", arg=panel
        )


@pytest.mark.parametrize("view", [v for v in VIEWS if v != "quota status"])
def test_every_tab_stop_shows_the_focus(
    lab: Page, platform_content: dict[str, Any], view: str
) -> None:
    selector = VIEWS[view](lab, platform_content)
    root = lab.locator(selector)
    # Focusable for a moment, so that Tab moves to its first stop.
    root.evaluate("root => { root.tabIndex = root.tabIndex; root.focus(); }")

    stops: list[dict[str, Any]] = []
    for _ in range(MAX_TAB_STOPS):
        lab.keyboard.press("Tab")
        stop = root.evaluate(FOCUS_SHOWN)
        if stop is None or stop in stops:
            break
        stops.append(stop)

    assert stops, f"no Tab stop in {view}"
    hidden = [stop["element"] for stop in stops if not stop["shown"]]
    assert not hidden, f"{view}: the focus does not show on {hidden}"


def test_rows_open_with_enter_and_space_and_escape_goes_back(
    lab: Page, platform_content: dict[str, Any]
) -> None:
    _jobs(lab, platform_content)
    row = _testid(lab, TRAINING, "dl-job-row").filter(has_text=platform_content["job"])
    job_view = _testid(lab, TRAINING, "dl-job-view")

    for key in ("Enter", " "):
        row.focus()
        lab.keyboard.press(key)
        expect(job_view).to_be_visible()
        expect(_testid(lab, TRAINING, "dl-job-name")).to_have_text(platform_content["job"])
        lab.keyboard.press("Escape")
        expect(job_view).to_have_count(0)
        # Back in the list, the focus is on the row that was opened.
        expect(row).to_be_focused()


def test_escape_closes_a_dialog_of_the_panels(lab: Page, platform_content: dict[str, Any]) -> None:
    _model(lab, platform_content)
    deploy = _testid(lab, MODELS, "dl-deploy")
    deploy.focus()
    lab.keyboard.press("Enter")
    expect(lab.locator(DIALOG)).to_be_visible()
    # The form in the dialog is ours, the dialog around it JupyterLab's.
    serious = _serious(axe_violations(lab, f"{DIALOG} .jp-Dialog-body"))
    assert not serious, _report({"deploy dialog": serious})

    lab.keyboard.press("Escape")

    expect(lab.locator(DIALOG)).to_have_count(0)
    expect(_testid(lab, MODELS, "dl-deployment-item")).to_have_count(1)


def test_refresh_command_reloads_the_panel_on_show(
    lab: Page, platform_content: dict[str, Any]
) -> None:
    # The Datasets panel loads only when asked to: any request comes from the command.
    _dataset(lab, platform_content)
    name = platform_content["dataset"]

    with lab.expect_request(lambda request: f"/dl/api/datasets/{name}" in request.url):
        _palette(lab, "Refresh Deep Learning Panel")
