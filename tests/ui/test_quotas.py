"""GPU quotas in the browser: the quota service's admin page, and the status bar item.

The hub of the UI tests has no GPU to hand out, so the GPU use on show is
history written into its quota database (two users' finished GPU servers);
limits are set through the service's REST API, as an admin's script would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from jupyter_dl_hub.quotas.ledger import QuotaLedger
from jupyter_dl_hub.quotas.settings import QuotaSettings
from jupyter_dl_hub.quotas.store import QuotaStore

from ..hub.running_hub import RunningHub
from .conftest import DEMO_USER, LAB_TIMEOUT_MS, VIEWPORT

SERVICE = "services/jupyter-dl-quotas/"
HOUR = 3600.0


def _ledger(hub: RunningHub, clock: float) -> QuotaLedger:
    url = f"sqlite:///{hub.state_dir / 'quotas.sqlite'}"
    return QuotaLedger(QuotaStore(url).open(), QuotaSettings(db_url=url), lambda: clock)


def _finished_gpu_server(
    hub: RunningHub, user: str, groups: list[str], gpus: int, hours: float
) -> None:
    """A GPU server of ``user`` that ran for ``hours`` and stopped a minute ago."""
    now = time.time()
    start = now - hours * HOUR - 60
    session = _ledger(hub, start).open_session(user, "", f"{gpus}-gpus", gpus, groups)
    _ledger(hub, now - 60).close_session(session, "stopped", stopped_now=True)


@pytest.fixture(scope="module")
def quota_history(hub: RunningHub) -> Iterator[None]:
    limits = {
        "groups/ml-team": {"max_gpus": 2, "gpu_hours": 100, "period_days": 7},
        "groups/vision": {"max_gpus": 4, "gpu_hours": 40, "period_days": 7},
        "users/ana": {"max_servers": 2, "allowed_profiles": ["cpu", "1-gpu"]},
    }
    for path, body in limits.items():
        assert hub.request("PUT", SERVICE + f"api/limits/{path}", json=body).status_code == 200
    for group, users in (("ml-team", ["ana", "bob"]), ("vision", ["bob"])):
        for user in users:
            hub.api("POST", f"users/{user}")
        assert hub.api("POST", f"groups/{group}", json={"users": users}).status_code == 201
    _finished_gpu_server(hub, "ana", ["ml-team"], 2, 30.5)
    _finished_gpu_server(hub, "bob", ["ml-team", "vision"], 4, 9.0)
    yield
    for path in limits:
        hub.request("DELETE", SERVICE + f"api/limits/{path}")
    for group in ("ml-team", "vision"):
        hub.api("DELETE", f"groups/{group}")


@pytest.fixture
def admin_page(browser: Browser, hub: RunningHub) -> Iterator[Page]:
    """The quota page as the demo user (a quota admin) reaches it: log in, follow the link."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(hub.url + f"hub/login?next=/{SERVICE}")
        page.fill("#username_input", DEMO_USER)
        page.fill("#password_input", hub.password)
        page.click("#login_submit")
        page.wait_for_selector("#dl-quotas", timeout=LAB_TIMEOUT_MS)
        yield page
    finally:
        context.close()


def test_admin_page_shows_usage_per_user_and_group_and_the_limits(
    quota_history: None, admin_page: Page, output_dir: Path
) -> None:
    users = admin_page.locator("#dl-quota-users tbody tr")
    ana = users.filter(has_text="ana")
    assert "61.00" in ana.inner_text()  # 2 GPUs for 30.5 hours
    assert "1-gpu, cpu" in ana.inner_text()  # her own
    assert "100 h / 7 d" in ana.inner_text()  # ml-team's
    # bob gets the more generous of ml-team's and vision's: 100 h a week, 4 GPUs.
    bob = users.filter(has_text="bob").inner_text()
    assert "100 h / 7 d" in bob
    assert "\t4\t" in bob
    groups = admin_page.locator("#dl-quota-groups").inner_text()
    assert "ml-team" in groups
    assert "97.00" in groups  # ana's 61 and bob's 36 GPU-hours
    # One bar per user and per group, longest first.
    assert admin_page.locator("svg#user rect").count() >= 2
    assert admin_page.locator("svg#group rect").count() == 2
    assert admin_page.locator("svg#user text.dl-quota-label").nth(1).text_content() == "bob"
    limits = admin_page.locator("#dl-quota-limits table").inner_text()
    assert "ml-team" in limits
    assert "vision" in limits
    admin_page.screenshot(path=str(output_dir / "quotas-admin.png"), full_page=True)


def test_admin_page_sets_limits_from_its_form(
    quota_history: None, admin_page: Page, hub: RunningHub
) -> None:
    form = admin_page.locator("#dl-quota-set")
    form.locator("#kind").select_option("group")
    form.locator("#name").fill("students")
    form.locator("#max_gpus").fill("0")
    form.locator("#profiles_inherit").uncheck()
    form.locator("#profile-cpu").check()
    form.get_by_role("button", name="Save limits").click()
    admin_page.wait_for_selector(".alert-success")
    assert "Limits of group students saved." in admin_page.locator(".alert-success").inner_text()
    saved = hub.request("GET", SERVICE + "api/limits/groups/students").json()["limits"]
    assert saved["max_gpus"] == 0
    assert saved["allowed_profiles"] == ["cpu"]

    # A bad value is refused with its reason, and nothing changes.
    form = admin_page.locator("#dl-quota-set")
    form.locator("#kind").select_option("group")
    form.locator("#name").fill("students")
    form.locator("#max_gpus").fill("-2")
    form.get_by_role("button", name="Save limits").click()
    admin_page.wait_for_selector(".alert-danger")
    assert "max_gpus must be 0 or more" in admin_page.locator(".alert-danger").inner_text()
    assert hub.request("GET", SERVICE + "api/limits/groups/students").json()["limits"] == saved
    hub.request("DELETE", SERVICE + "api/limits/groups/students")


def test_status_bar_shows_gpu_hours_and_warns_near_the_limit(
    lab: Page, hub: RunningHub, output_dir: Path
) -> None:
    # 9.5 of demo's 10 GPU-hours used: past the 90% warning.
    _finished_gpu_server(hub, DEMO_USER, [], 1, 9.5)
    path = f"api/limits/users/{DEMO_USER}"
    assert hub.request("PUT", SERVICE + path, json={"gpu_hours": 10}).status_code == 200
    # A second tab of the same lab, so the shared page is left as it is.
    page = lab.context.new_page()
    try:
        page.goto(hub.url + f"user/{DEMO_USER}/lab")
        item = page.locator(".jp-DLQuotaStatus")
        item.wait_for(state="visible", timeout=LAB_TIMEOUT_MS)
        assert item.inner_text() == "GPU 9.5/10 h"
        assert "jp-mod-warning" in (item.get_attribute("class") or "")
        assert "9.50 of 10 GPU-hours used in the last 7 days (user demo)" in (
            item.get_attribute("title") or ""
        )
        page.locator(".jp-StatusBar-Widget").screenshot(
            path=str(output_dir / "quota-statusbar.png")
        )
    finally:
        page.close()
        hub.request("DELETE", SERVICE + path)
