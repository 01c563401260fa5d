"""The Datasets panel in JupyterLab, served by the embedded hub.

The dataset is made the way a person makes one from a notebook or a script of
the demo user: ``dl.datasets.create`` on a folder of generated images and a
CSV, then ``ds.commit`` of a changed folder, in a process pointed at the same
store and dataset repository as the user's server. A run that used the
second version is logged through the REST API, as ``dl.init`` over HTTP logs
one. Each test then uses the panel as a person does: the command palette, the
sidebar, clicks and keys.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from jupyter_dl.paths import (
    ARTIFACTS_ENV,
    DATASET_REMOTE_ENV,
    DATASETS_ENV,
    DB_URL_ENV,
    resolve_artifacts_dir,
    resolve_dataset_remote,
    resolve_datasets_dir,
)

from ..hub.running_hub import RunningHub, hub_environment
from .conftest import DEMO_USER

DATASET = "ui-shapes"
PANEL = '[id="jupyter-dl:datasets"]'
EXPERIMENTS = '[id="jupyter-dl:experiments"]'
SIDEBAR = '[id="jupyter-dl:sidebar"]'
SIDEBAR_TAB = '.jp-SideBar li[data-id="jupyter-dl:sidebar"]'
#: What v1 holds: 12 images, their labels, and an image that is not one.
IMAGES = 12

#: Run by the demo user's Python: v1 from a generated folder, then v2 with one
#: image removed, one added and the labels changed.
SEED = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from PIL import Image, ImageDraw

    import jupyter_dl as dl

    name, images, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    colours = ["#e53935", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b"]

    def shape(path, index):
        image = Image.new("RGB", (96, 96), "#fafafa")
        draw = ImageDraw.Draw(image)
        box = (16 + index % 3 * 4, 16, 80 - index % 3 * 4, 80)
        fill = colours[index % len(colours)]
        if index % 2:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
        image.save(path)

    (folder / "images").mkdir(parents=True)
    for i in range(images):
        shape(folder / "images" / f"shape_{i:02d}.png", i)
    kinds = ["square", "circle"]
    rows = [f"images/shape_{i:02d}.png,{kinds[i % 2]},{i * 8}" for i in range(images)]
    (folder / "labels.csv").write_text("file,label,area\\n" + "\\n".join(rows) + "\\n")
    (folder / "broken.png").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + b"cut short")
    ds = dl.datasets.create(
        name, folder, description="Generated squares and circles with their labels.",
        tags=["images", "ui-test"], tag="v1", progress=False,
    )

    (folder / "images" / "shape_00.png").unlink()
    shape(folder / "images" / f"shape_{images:02d}.png", images)
    rows = rows[1:] + [f"images/shape_{images:02d}.png,square,{images * 8}"]
    (folder / "labels.csv").write_text("file,label,area\\n" + "\\n".join(rows) + "\\n")
    ds.commit(folder, message="Swap the first shape for a new square", tag="v2", progress=False)
    """
)


def _api(hub: RunningHub, method: str, path: str, **kwargs: Any) -> Any:
    response = hub.request(method, f"user/{DEMO_USER}/dl/api/{path}", **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def dataset(lab: Page, hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The dataset with two versions, and the run that used v2."""
    # The same store, repository and remote the demo user's server resolves.
    env = hub_environment(
        **{
            DB_URL_ENV: hub.db_url,
            DATASETS_ENV: str(resolve_datasets_dir(hub.db_url)),
            DATASET_REMOTE_ENV: resolve_dataset_remote(hub.db_url),
            ARTIFACTS_ENV: str(resolve_artifacts_dir(hub.db_url)),
            "JUPYTERHUB_USER": DEMO_USER,
        }
    )
    folder = tmp_path_factory.mktemp("ui-dataset") / DATASET
    subprocess.run(
        [sys.executable, "-c", SEED, DATASET, str(IMAGES), str(folder)],
        env=env,
        check=True,
        timeout=120,
    )
    seen = _api(hub, "GET", f"datasets/{DATASET}")
    assert seen["versions"] == 2, seen

    run = _api(hub, "POST", "runs", json={"project": "ui-datasets", "name": "shapes-cnn"})
    _api(hub, "POST", f"runs/{run['id']}/datasets", json={"dataset": DATASET, "version": "v2"})
    _api(hub, "PATCH", f"runs/{run['id']}", json={"status": "finished"})
    return {"dataset": seen, "run": run}


@pytest.fixture(scope="module", autouse=True)
def _close_panels_afterwards(lab: Page) -> Iterator[None]:
    """Other modules share the page: leave it with this module's panels closed."""
    yield
    for title, panel in (("Datasets", PANEL), ("Experiments", EXPERIMENTS)):
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=title)
        if tab.count():
            tab.locator(".lm-TabBar-tabCloseIcon").click()
            lab.locator(panel).wait_for(state="detached")


def _testid(page: Page, testid: str) -> Locator:
    return page.locator(f'{PANEL} [data-testid="{testid}"]')


def _entry(page: Page, path: str) -> Locator:
    return page.locator(f'{PANEL} [data-testid="dl-dataset-entry"][data-path="{path}"]')


def _open_from_palette(page: Page) -> None:
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Open Datasets")
    page.locator(".lm-CommandPalette-item.lm-mod-active", has_text="Open Datasets").wait_for()
    page.keyboard.press("Enter")


@pytest.fixture
def datasets(lab: Page, dataset: dict[str, Any]) -> Page:
    """The lab page with the Datasets panel on the top folder of the latest version."""
    if not lab.locator(PANEL).is_visible():
        tab = lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Datasets")
        if tab.count():
            tab.click()
        else:
            _open_from_palette(lab)
    lab.locator(PANEL).wait_for(state="visible")
    _testid(lab, "dl-catalog-item").filter(has_text=DATASET).click()
    view = _testid(lab, "dl-dataset-view")
    expect(view).to_have_attribute("data-dataset", DATASET)
    if view.get_attribute("data-version") != "v2":
        _testid(lab, "dl-version-select").select_option("v2")
    expect(view).to_have_attribute("data-version", "v2")
    _testid(lab, "dl-dataset-tab-files").click()
    _testid(lab, "dl-crumb").first.click()
    _entry(lab, "images").wait_for()
    return lab


def test_sidebar_button_opens_the_panel(lab: Page, dataset: dict[str, Any]) -> None:
    if not lab.locator(SIDEBAR).is_visible():
        lab.locator(SIDEBAR_TAB).click()
    button = lab.locator(f'{SIDEBAR} [data-command="jupyter-dl:open-datasets"]')
    expect(button).to_have_attribute("title", re.compile("Open Datasets"))

    button.click()

    lab.locator(PANEL).wait_for(state="visible")
    expect(lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).to_contain_text(
        "Datasets"
    )
    item = _testid(lab, "dl-catalog-item").filter(has_text=DATASET)
    expect(item).to_contain_text("Generated squares and circles")
    expect(item).to_contain_text("v2")
    expect(item).to_contain_text(f"{IMAGES + 2} files")
    # Give the sidebar toolbar's Tab stop back to its first button, where a
    # fresh page has it.
    button.focus()
    lab.keyboard.press("ArrowLeft")
    lab.keyboard.press("ArrowLeft")
    refresh = lab.locator(f'{SIDEBAR} [data-testid="dl-refresh"]')
    assert refresh.evaluate("button => button === document.activeElement")


def test_search_narrows_the_catalog(datasets: Page) -> None:
    search = _testid(datasets, "dl-catalog-search")
    items = _testid(datasets, "dl-catalog-item")

    search.fill("no-such-dataset")
    expect(_testid(datasets, "dl-no-datasets")).to_contain_text("no-such-dataset")

    search.fill("ui-test")  # a tag
    expect(items.filter(has_text=DATASET)).to_have_count(1)
    search.fill("")
    expect(items.filter(has_text=DATASET)).to_have_count(1)


def test_browse_images_as_a_grid_and_preview_one(datasets: Page, output_dir: Path) -> None:
    expect(_entry(datasets, "labels.csv")).to_be_visible()
    _entry(datasets, "images").dblclick()

    expect(_testid(datasets, "dl-dataset-breadcrumbs")).to_contain_text("images")
    expect(datasets.locator(f'{PANEL} [data-testid="dl-dataset-entry"]')).to_have_count(IMAGES)
    grid = _testid(datasets, "dl-grid-image")
    expect(grid).to_have_count(IMAGES)
    first = grid.first.locator("img")
    # The server made the thumbnail: the browser decoded an image.
    expect(first).to_have_js_property("complete", True)
    assert first.evaluate("img => img.naturalWidth") > 0
    datasets.screenshot(path=str(output_dir / "datasets-browse.png"))

    grid.filter(has_text="shape_03.png").click()

    preview = _testid(datasets, "dl-dataset-preview")
    expect(preview).to_have_attribute("data-kind", "image")
    expect(preview).to_contain_text("96 \N{MULTIPLICATION SIGN} 96")
    assert _testid(datasets, "dl-preview-image").evaluate("img => img.naturalWidth") > 0
    expect(_entry(datasets, "images/shape_03.png")).to_have_class(re.compile("jp-mod-selected"))

    _testid(datasets, "dl-preview-back").click()
    expect(grid).to_have_count(IMAGES)


def test_csv_preview_shows_columns_and_rows(datasets: Page, output_dir: Path) -> None:
    _entry(datasets, "labels.csv").click()

    table = _testid(datasets, "dl-preview-table")
    expect(table.locator("thead .jp-DLDatasets-columnName")).to_have_text(["file", "label", "area"])
    expect(table.locator("thead .jp-DLDatasets-columnType")).to_have_text(
        ["string", "string", "integer"]
    )
    expect(table.locator("tbody tr")).to_have_count(IMAGES)
    expect(table.locator("tbody tr").first).to_contain_text("images/shape_01.png")
    datasets.screenshot(path=str(output_dir / "datasets-preview.png"))


def test_a_corrupt_image_shows_the_servers_reason(datasets: Page) -> None:
    _entry(datasets, "broken.png").click()

    message = _testid(datasets, "dl-datasets-error-message")
    expect(message).to_contain_text(re.compile("cannot read broken.png as an image"))
    # The panel goes on working.
    _entry(datasets, "labels.csv").click()
    expect(_testid(datasets, "dl-preview-table")).to_be_visible()


def test_switching_versions_keeps_the_folder_and_the_file(datasets: Page) -> None:
    _entry(datasets, "images").dblclick()
    _entry(datasets, "images/shape_05.png").click()
    expect(_testid(datasets, "dl-dataset-preview")).to_have_attribute("data-kind", "image")

    _testid(datasets, "dl-version-select").select_option("v1")

    expect(_testid(datasets, "dl-dataset-view")).to_have_attribute("data-version", "v1")
    expect(_testid(datasets, "dl-datasets-location")).to_contain_text(f"{DATASET}@v1")
    expect(_entry(datasets, "images/shape_00.png")).to_be_visible()
    expect(_entry(datasets, f"images/shape_{IMAGES:02d}.png")).to_have_count(0)
    expect(_entry(datasets, "images/shape_05.png")).to_have_class(re.compile("jp-mod-selected"))
    expect(_testid(datasets, "dl-dataset-preview")).to_have_attribute(
        "data-path", "images/shape_05.png"
    )

    _testid(datasets, "dl-version-select").select_option("v2")
    expect(_entry(datasets, "images/shape_00.png")).to_have_count(0)


def test_history_lists_the_versions(datasets: Page) -> None:
    _testid(datasets, "dl-dataset-tab-history").click()

    rows = _testid(datasets, "dl-version-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-ref", "v2")
    expect(rows.nth(0)).to_contain_text("Swap the first shape for a new square")
    expect(rows.nth(0)).to_contain_text(DEMO_USER)
    expect(rows.nth(1)).to_contain_text(f"{IMAGES + 2}")


def test_diff_lists_what_changed_between_versions(datasets: Page, output_dir: Path) -> None:
    _testid(datasets, "dl-dataset-tab-changes").click()

    expect(_testid(datasets, "dl-diff-from")).to_have_value("v1")
    expect(_testid(datasets, "dl-diff-to")).to_have_value("v2")
    changes = datasets.locator(f'{PANEL} [data-testid="dl-diff-change"]')
    expect(changes).to_have_count(3)
    assert {
        (row.get_attribute("data-change"), row.get_attribute("data-path")) for row in changes.all()
    } == {
        ("removed", "images/shape_00.png"),
        ("added", f"images/shape_{IMAGES:02d}.png"),
        ("modified", "labels.csv"),
    }
    expect(_testid(datasets, "dl-diff-filter-all")).to_have_attribute("data-count", "3")
    datasets.screenshot(path=str(output_dir / "datasets-diff.png"))

    _testid(datasets, "dl-diff-filter-added").click()
    expect(changes).to_have_count(1)
    expect(changes).to_have_attribute("data-path", f"images/shape_{IMAGES:02d}.png")
    _testid(datasets, "dl-diff-filter-all").click()


def test_keyboard_opens_folders_and_goes_back(datasets: Page) -> None:
    entries = _testid(datasets, "dl-dataset-entries")
    entries.focus()

    datasets.keyboard.press("Home")
    expect(_entry(datasets, "images")).to_have_class(re.compile("jp-mod-active"))
    datasets.keyboard.press("Enter")
    expect(_entry(datasets, "images/shape_01.png")).to_be_visible()
    datasets.keyboard.press("ArrowDown")
    expect(_testid(datasets, "dl-dataset-preview")).to_have_attribute(
        "data-path", "images/shape_01.png"
    )

    datasets.keyboard.press("Backspace")
    expect(_entry(datasets, "labels.csv")).to_be_visible()
    # Back up, the keyboard is on the folder it came from.
    expect(_entry(datasets, "images")).to_have_class(re.compile("jp-mod-active"))
    assert entries.evaluate("list => list === document.activeElement")


def test_lineage_opens_the_run_in_experiments(datasets: Page, dataset: dict[str, Any]) -> None:
    run = dataset["run"]
    _testid(datasets, "dl-dataset-tab-runs").click()
    link = _testid(datasets, "dl-lineage-open")
    expect(link).to_have_text(run["name"])

    link.click()

    view = datasets.locator(f'{EXPERIMENTS} [data-testid="dl-run-view"]')
    expect(view).to_have_attribute("data-run-id", run["id"])
    expect(datasets.locator(f'{EXPERIMENTS} [data-testid="dl-run-name"]')).to_have_text(run["name"])


def test_insert_snippet_into_the_active_notebook(datasets: Page) -> None:
    button = _testid(datasets, "dl-insert-snippet")
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(button).to_have_attribute("title", re.compile("Open a notebook"))

    launcher = datasets.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Launcher")
    launcher.click()
    datasets.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    notebook = datasets.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-Cell").first.wait_for()
    datasets.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Datasets").click()
    expect(button).to_have_attribute("aria-disabled", "false")

    button.click()

    tab = datasets.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=".ipynb")
    tab.click()
    cells = notebook.locator(".jp-Cell .jp-InputArea-editor .cm-content")
    expect(cells).to_have_count(2)
    expect(cells.nth(1)).to_have_text(
        f'import jupyter_dl as dl\nds = dl.dataset("{DATASET}", version="v2")',
        use_inner_text=True,
    )
    # Leave the page as the other modules expect it: no notebook, a launcher.
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    datasets.locator(".jp-Dialog").get_by_role("button", name=re.compile("Discard")).click()
    datasets.locator(".jp-Dialog").wait_for(state="detached")
    datasets.locator(".lm-DockPanel-tabBar .lm-TabBar-addButton").first.click()
    datasets.locator(".jp-LauncherCard[data-category='Notebook']").first.wait_for()
