"""Sharing a model, dataset or project from its panel, as a user of a team's platform.

The lab here uses its server's own store, where sharing has nobody to reach, so
the panels hide the control. The test tells the page its server uses a team's
platform (the one fact ``GET /dl/api/info`` gives for that) and checks that the
control shows who holds each record, and that the form shares it: the server's
sharing route then answers with the group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from ..hub.running_hub import RunningHub
from .conftest import (
    DATASETS,
    DEMO_USER,
    EXPERIMENTS,
    LAB_TIMEOUT_MS,
    MODELS,
    OUTPUT_DIR,
    platform_api,
    run_from_palette,
)
from .test_accessibility import FAILING_IMPACTS, axe_violations


def _as_team_member(route: Route) -> None:
    response = route.fetch()
    info = response.json()
    info["team"] = {"url": "http://hub.example/services/jupyter-dl-platform/"}
    route.fulfill(response=response, body=json.dumps(info))


@pytest.fixture
def team_lab(lab: Page, hub: RunningHub, platform_content: dict[str, Any]) -> Iterator[Page]:
    """A second tab of the demo user's lab whose server says it uses a team's platform."""
    page = lab.context.new_page()
    page.set_default_timeout(30_000)
    # The lab adds a cache-busting query to its requests.
    page.route(re.compile(r"/dl/api/info(\?|$)"), _as_team_member)
    page.goto(f"{hub.url}user/{DEMO_USER}/lab")
    page.wait_for_selector("#jp-main-dock-panel", timeout=LAB_TIMEOUT_MS)
    try:
        yield page
    finally:
        page.close()


def _share(page: Page, button: Any, group: str, access: str) -> None:
    button.click()
    dialog = page.locator(".jp-Dialog")
    form = dialog.locator('[data-testid="dl-share-form"]')
    form.wait_for()
    serious = [
        v for v in axe_violations(page, ".jp-Dialog-content") if v["impact"] in FAILING_IMPACTS
    ]
    assert serious == [], serious
    form.locator('[data-testid="dl-share-group"]').fill(group)
    form.locator("select").select_option(access)
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="detached")


def test_a_model_is_shared_from_its_panel(
    team_lab: Page, hub: RunningHub, platform_content: dict[str, Any]
) -> None:
    model = platform_content["model"]
    run_from_palette(team_lab, "Open Models")
    team_lab.locator(f'{MODELS} [data-testid="dl-model-item"]', has_text=model).click()
    button = team_lab.locator(f'{MODELS} [data-testid="dl-sharing"]')
    expect(button).to_have_text("Private")
    _share(team_lab, button, "vision", "write")
    expect(button).to_have_text("Shared with vision (read and write)")
    assert platform_api(hub, "GET", f"models/{model}/sharing") == {
        "owner": DEMO_USER,
        "group": "vision",
        "group_access": "write",
    }
    team_lab.screenshot(path=str(OUTPUT_DIR / "sharing-model.png"))
    # Made private again from the same form: an empty group.
    _share(team_lab, button, "", "read")
    expect(button).to_have_text("Private")
    assert platform_api(hub, "GET", f"models/{model}/sharing")["group"] is None


def test_datasets_and_projects_show_who_holds_them(
    team_lab: Page, hub: RunningHub, platform_content: dict[str, Any]
) -> None:
    run_from_palette(team_lab, "Open Datasets")
    team_lab.locator(
        f'{DATASETS} [data-testid="dl-catalog-item"]', has_text=platform_content["dataset"]
    ).click()
    dataset_button = team_lab.locator(f'{DATASETS} [data-testid="dl-sharing"]')
    expect(dataset_button).to_have_text("Private")
    _share(team_lab, dataset_button, "vision", "read")
    expect(dataset_button).to_have_text("Shared with vision (read)")

    run_from_palette(team_lab, "Open Experiments")
    team_lab.locator(f'{EXPERIMENTS} [data-testid="dl-project-select"]').select_option(
        platform_content["project"]
    )
    project_button = team_lab.locator(f'{EXPERIMENTS} [data-testid="dl-sharing"]')
    expect(project_button).to_have_text("Private")
    try:
        assert (
            platform_api(hub, "GET", f"datasets/{platform_content['dataset']}/sharing")["group"]
            == "vision"
        )
    finally:
        platform_api(
            hub, "PUT", f"datasets/{platform_content['dataset']}/sharing", json={"group": None}
        )
