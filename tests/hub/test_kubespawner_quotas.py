"""GPU quotas on Kubernetes: QuotaKubeSpawner checks every spawn before any pod is
requested, refuses forged choices, and accounts each pod from its start to its stop.

No cluster: KubeSpawner's own start and stop run against :class:`FakeCluster`,
which records the pods requested. Users: ana in ml-team (at most 2 GPUs at once),
bob in students (CPU only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from tornado import web
from traitlets.config import Config

from jupyter_dl_hub.kubespawner import QuotaKubeSpawner
from jupyter_dl_hub.profiles import GPU_RESOURCE, ServerProfiles
from jupyter_dl_hub.quotas.ledger import QuotaLedger
from jupyter_dl_hub.quotas.models import ServerSession
from jupyter_dl_hub.quotas.settings import SERVICE_URL_ENV, QuotaSettings
from jupyter_dl_hub.quotas.store import QuotaStore

from .kubespawner_cluster import FakeCluster, hub_stop

QUOTA_URL = "http://hub:10101/services/jupyter-dl-quotas/"
GROUPS = {"ana": "ml-team", "bob": "students"}

Spawn = Callable[..., Any]
Start = Callable[[Any], str]
Refusal = Callable[[Any], web.HTTPError]
Run = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture
def ledger(quota_database: str) -> QuotaLedger:
    ledger = QuotaLedger(QuotaStore(quota_database), QuotaSettings(db_url=quota_database))
    ledger.set_limits("group", "ml-team", {"max_gpus": 2}, by="admin")
    ledger.set_limits("group", "students", {"allowed_profiles": ["cpu"]}, by="admin")
    return ledger


@pytest.fixture
def config(offline_kubeconfig: Path) -> Config:
    c = Config()
    c.KubeSpawner.image = "ghcr.io/jupyter-dl/jupyter-dl:0.1.0"
    c.KubeSpawner.profile_list = ServerProfiles().kubespawner_profile_list()
    c.KubeSpawner.events_enabled = False
    c.QuotaKubeSpawner.quota_service_url = QUOTA_URL
    return c


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def run() -> Iterator[Run]:
    """Run a coroutine on the test's one event loop, which KubeSpawner's clients need."""
    with asyncio.Runner() as runner:
        yield runner.run


@pytest.fixture
def spawner(
    config: Config,
    cluster: FakeCluster,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> Spawn:
    """``spawner(user, server, options)``: the spawner JupyterHub would make for
    ``user``'s ``server``, about to start with ``options``."""

    async def make(user: str, server: str, options: dict[str, Any]) -> Any:
        groups = [SimpleNamespace(name=GROUPS[user])]
        hub_user = SimpleNamespace(name=user, id=len(user), url=f"/user/{user}/", groups=groups)
        orm_spawner = SimpleNamespace(name=server, display_name="", server=None)
        made = QuotaKubeSpawner(config=config, _mock=True, user=hub_user, orm_spawner=orm_spawner)
        made.user_options = options
        return cluster.attach(made, monkeypatch)

    def spawner(user: str, server: str = "", options: dict[str, Any] | None = None) -> Any:
        return run(make(user, server, options or {}))

    return spawner


@pytest.fixture
def start(run: Run) -> Start:
    """Start a spawner as JupyterHub does once its options are set; the server's URL."""

    async def started(spawner: Any) -> str:
        url: str = await spawner.start()
        return url

    def start(spawner: Any) -> str:
        url: str = run(started(spawner))
        return url

    return start


@pytest.fixture
def refusal(start: Start) -> Refusal:
    """The error that refuses to start a spawner."""

    def refusal(spawner: Any) -> web.HTTPError:
        with pytest.raises(web.HTTPError) as refused:
            start(spawner)
        return refused.value

    return refusal


def sessions(ledger: QuotaLedger) -> list[ServerSession]:
    with ledger.store.session() as session:
        return list(session.scalars(select(ServerSession).order_by(ServerSession.id)))


def test_more_gpus_than_the_group_allows_is_refused_before_any_pod(
    spawner: Spawn, cluster: FakeCluster, ledger: QuotaLedger, refusal: Refusal
) -> None:
    error = refusal(spawner("ana", options={"profile": "4-gpus"}))
    assert error.status_code == 403
    assert error.log_message == (
        "This would use 4 GPUs at once; your limit is 2 (group ml-team). Choose a profile"
        " with fewer GPUs."
    )
    assert cluster.requests == []
    assert sessions(ledger) == []


def test_gpus_of_running_pods_count(
    spawner: Spawn, cluster: FakeCluster, ledger: QuotaLedger, start: Start, refusal: Refusal
) -> None:
    start(spawner("ana", "first", {"profile": "1-gpu"}))
    start(spawner("ana", "second", {"profile": "1-gpu"}))
    error = refusal(spawner("ana", "third", {"profile": "1-gpu"}))
    assert error.status_code == 403
    assert str(error.log_message).startswith(
        "This would use 3 GPUs at once; your limit is 2 (group ml-team). Stop a GPU server"
    )
    assert cluster.created == ["jupyter-ana--first", "jupyter-ana--second"]


def test_a_profile_the_user_may_not_have_is_refused(
    spawner: Spawn, cluster: FakeCluster, ledger: QuotaLedger, refusal: Refusal
) -> None:
    # Forged: bob may only start CPU servers, and asks the REST API for a GPU anyway.
    error = refusal(spawner("bob", options={"profile": "1-gpu"}))
    assert error.status_code == 403
    assert error.log_message == (
        "The profile '1-gpu' (1 GPU) is not allowed for you; you may use: cpu (group students)."
    )
    assert cluster.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "64-gpus"}, "No such profile: 64-gpus. Options include: cpu, 1-gpu, 4-gpus"),
        (
            {"profile": "cpu", "extra_resource_limits": {GPU_RESOURCE: "8"}},
            "Unknown server option 'extra_resource_limits': only 'profile' can be chosen, and"
            " the profile decides the server's resources.",
        ),
        ({"gpus": 8}, "Unknown server option 'gpus'"),
    ],
)
def test_forged_options_are_refused(
    spawner: Spawn,
    cluster: FakeCluster,
    ledger: QuotaLedger,
    options: dict[str, Any],
    message: str,
    refusal: Refusal,
) -> None:
    error = refusal(spawner("ana", options=options))
    assert error.status_code == 400
    assert str(error.log_message).startswith(message)
    assert cluster.requests == []
    assert sessions(ledger) == []


def test_an_allowed_pod_is_accounted_until_the_hub_stops_it(
    spawner: Spawn, cluster: FakeCluster, ledger: QuotaLedger, start: Start, run: Run
) -> None:
    server = spawner("ana", options={"profile": "1-gpu"})
    assert start(server).startswith("http://10.1.0.")
    (pod,) = cluster.pods.values()
    (container,) = pod["spec"]["containers"]
    assert container["resources"]["limits"][GPU_RESOURCE] == "1"
    env = {var["name"]: var.get("value") for var in container["env"]}
    assert env[SERVICE_URL_ENV] == QUOTA_URL

    (running,) = ledger.open_sessions()
    assert (running.user, running.server, running.profile, running.gpus) == ("ana", "", "1-gpu", 1)
    assert running.groups == ("ml-team",)
    assert server.get_state()["quota_session"] == running.id

    run(hub_stop(server))
    assert cluster.requests == [("create", "jupyter-ana"), ("delete", "jupyter-ana")]
    (closed,) = sessions(ledger)
    assert closed.end_reason == "stopped"
    assert closed.ended_at is not None
    assert "quota_session" not in server.get_state()


def test_accounting_survives_a_hub_restart(
    spawner: Spawn,
    cluster: FakeCluster,
    ledger: QuotaLedger,
    start: Start,
    refusal: Refusal,
    run: Run,
) -> None:
    before = spawner("ana", options={"profile": "1-gpu"})
    start(before)
    state = before.get_state()

    # A restarted hub makes a new spawner from the state it saved.
    after = spawner("ana")
    after.load_state(state)
    assert run(after.poll()) is None
    # Still accounted: a second GPU server fits, a third GPU does not.
    start(spawner("ana", "second", {"profile": "1-gpu"}))
    assert refusal(spawner("ana", "third", {"profile": "1-gpu"})).status_code == 403

    run(hub_stop(after))
    first = next(record for record in sessions(ledger) if record.server == "")
    assert (first.id, first.end_reason) == (state["quota_session"], "stopped")


def test_a_pod_found_gone_is_closed_at_its_last_sighting(
    spawner: Spawn, cluster: FakeCluster, ledger: QuotaLedger, start: Start, run: Run
) -> None:
    server = spawner("ana", options={"profile": "1-gpu"})
    start(server)
    cluster.pods.clear()  # deleted behind the hub's back (a node went away)

    run(hub_stop(server))
    (closed,) = sessions(ledger)
    assert closed.end_reason == "gone"
    assert closed.ended_at == closed.last_seen_at
    assert ("delete", "jupyter-ana") not in cluster.requests


def test_a_profile_option_that_adds_gpus_is_counted(
    config: Config,
    spawner: Spawn,
    cluster: FakeCluster,
    ledger: QuotaLedger,
    start: Start,
    refusal: Refusal,
) -> None:
    """The GPUs counted are those the pod asks for, whatever set them."""
    config.KubeSpawner.profile_list = [
        {
            "display_name": "GPU",
            "slug": "gpu",
            "profile_options": {
                "gpus": {
                    "display_name": "GPUs",
                    "choices": {
                        str(n): {
                            "display_name": str(n),
                            "kubespawner_override": {
                                "extra_resource_limits": {GPU_RESOURCE: str(n)}
                            },
                        }
                        for n in (1, 4)
                    },
                }
            },
        }
    ]
    error = refusal(spawner("ana", options={"profile": "gpu", "gpus": "4"}))
    assert str(error.log_message).startswith("This would use 4 GPUs at once")
    start(spawner("ana", options={"profile": "gpu", "gpus": "1"}))
    (running,) = ledger.open_sessions()
    assert (running.profile, running.gpus) == ("gpu", 1)
