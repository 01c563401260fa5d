"""The platform on a team's PostgreSQL: every domain, used the way people use it.

Each test gets a database of its own on the session's throwaway server (see
``tests/postgres.py``) as ``$JUPYTER_DL_DB_URL``, so ``import jupyter_dl as dl`` and
the services below all work on PostgreSQL exactly as they do on the default SQLite.
"""

import secrets
import threading

import pytest
import torch
from sqlalchemy import func, inspect, select

import jupyter_dl as dl
from jupyter_dl.datasets.service import DatasetService
from jupyter_dl.errors import StoreUnavailable
from jupyter_dl.store import Store, head_revision
from jupyter_dl.store.models import StoreMeta, SweepJournal
from jupyter_dl.tracking.service import RunQuery, TrackingService

from .datasets.conftest import CLASSES, IMAGES_PER_CLASS, second_version, write_sample
from .registry.conftest import mlp, registry_dirs  # noqa: F401 - its own folders per test
from .training import test_sweeps as sweeps
from .training.conftest import function_job, wait


@pytest.fixture
def store_url(postgres, monkeypatch):
    """A fresh database per test, for the services below and for ``dl``."""
    url = postgres.create_database(f"dl_{secrets.token_hex(6)}")
    monkeypatch.setenv("JUPYTER_DL_DB_URL", url)
    return url


@pytest.fixture
def store(store_url):
    opened = Store(store_url).open()
    yield opened
    opened.close()


@pytest.fixture
def tracking(store, tmp_path):
    return TrackingService(store, tmp_path / "artifacts")


def points(n, offset=0.0):
    """``n`` steps of a saw-tooth curve, as (steps, times, values)."""
    return list(range(n)), [1000.0 + i for i in range(n)], [offset + i % 97 for i in range(n)]


def triple(x):
    return 3 * x


# ---------------------------------------------------------------------- store


def test_migrations_build_the_models_tables_on_postgresql(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_dl.store.models import Base

    assert store.backend == "postgresql"
    assert store.revision == head_revision()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_location_and_description_hide_the_password(postgres, store):
    assert postgres.password in store.url
    for shown in (store.location, store.describe()["url"], repr(store.describe())):
        assert postgres.password not in shown
        assert f"{postgres.user}:***@127.0.0.1:{postgres.port}/" in shown


def test_a_wrong_password_is_a_clear_error_naming_the_setting(postgres, store_url):
    wrong = store_url.replace(postgres.password, "not-the-password")
    store = Store(wrong, setting="c.JupyterDL.db_url")
    with pytest.raises(StoreUnavailable) as e:
        store.open()
    message = e.value.message
    assert "password authentication failed" in message
    assert "c.JupyterDL.db_url" in message
    assert f"127.0.0.1:{postgres.port}" in message
    assert "not-the-password" not in message
    assert "Traceback" not in message
    assert "\n" not in message
    assert not store.ready
    assert store.describe()["error"] == message


def test_an_unreachable_server_is_a_clear_error_naming_the_setting(postgres, store_url):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    url = store_url.replace(f":{postgres.port}/", f":{closed}/")
    with pytest.raises(StoreUnavailable) as e:
        Store(url).open()
    assert "JUPYTER_DL_DB_URL" in e.value.message
    assert f"127.0.0.1:{closed}" in e.value.message
    assert postgres.password not in e.value.message


def test_two_stores_opening_one_new_database_at_once_migrate_it_once(store_url):
    stores = [Store(store_url) for _ in range(3)]
    threads = [threading.Thread(target=s.open) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s.revision for s in stores] == [head_revision()] * 3
    with stores[0].session() as s:
        assert s.scalar(select(func.count()).where(StoreMeta.key == "store_id")) == 1
    for s in stores:
        s.close()


# ------------------------------------------------------------------- tracking


def test_tracking_runs_metrics_compare_and_artifacts(tracking):
    first = tracking.create_run(
        "vision", config={"lr": 0.1, "opt": {"name": "Adam"}}, tags=["Base"]
    )
    second = tracking.create_run("vision", config={"lr": 0.01}, tags=["base", "émoji-✓"])
    steps, times, values = points(20_000)
    assert tracking.log_series(first["id"], {"loss": (steps, times, values)}) == 20_000
    # A step logged again replaces its point; NaN is kept as logged.
    tracking.log_points(second["id"], [("loss", 0, 1.0, float("nan")), ("loss", 1, 2.0, 2.5)])
    tracking.log_points(second["id"], [("loss", 1, 3.0, 0.5)])

    run = tracking.get_run(first["id"])
    assert run["metrics"] == [
        {
            "key": "loss",
            "count": 20_000,
            "last": 19_999 % 97,
            "last_step": 19_999,
            "min": 0,
            "max": 96,
        }
    ]
    chart = tracking.series(first["id"], "loss", points=200)
    assert chart["downsampled"]
    assert chart["total"] == 20_000
    assert len(chart["steps"]) <= 200
    assert min(chart["values"]) == 0  # the extremes survive downsampling
    assert max(chart["values"]) == 96
    zoom = tracking.series(first["id"], "loss", points=1000, min_step=500, max_step=700)
    assert zoom["steps"] == list(range(500, 701))
    assert not zoom["downsampled"]
    again = tracking.series(second["id"], "loss")
    assert again["steps"] == [0, 1]
    assert again["values"] == ["NaN", 0.5]
    tracking.log_points(second["id"], [("peak", 0, 1.0, float("inf"))])
    assert tracking.get_run(second["id"])["summary"]["peak"] == "Infinity"

    compared = tracking.compare([first["id"], second["id"]], ["loss"], points=100)
    assert [r["summary"]["loss"] for r in compared["runs"]] == [19_999 % 97, 0.5]
    assert set(compared["series"]["loss"]) == {first["id"], second["id"]}

    def found(*filters, **query):
        return [r["id"] for r in tracking.list_runs(RunQuery(filters=list(filters), **query)).items]

    assert found("tag=Base") == [first["id"]]  # tags match exactly, case included
    assert found("tag=émoji-✓") == [second["id"]]
    assert found("config.lr>=0.05") == [first["id"]]
    assert found("config.lr>0", sort="config.lr", order="asc") == [second["id"], first["id"]]
    assert found("config.opt.name~adam") == [first["id"]]  # ~ ignores case
    assert found("summary.loss<1") == [second["id"]]
    assert found(q=first["name"].upper()) == [first["id"]]
    page = tracking.list_runs(RunQuery(project="vision", count=True, limit=1))
    assert page.total == 2
    assert page.next_cursor is not None
    assert tracking.columns("vision") == {"config": ["lr", "opt.name"], "summary": ["loss", "peak"]}

    tracking.add_artifact(first["id"], "plots/curve.txt", b"falling")
    assert [a["name"] for a in tracking.list_artifacts(first["id"]).items] == ["plots/curve.txt"]
    assert tracking.artifact_file(first["id"], "plots/curve.txt").read_bytes() == b"falling"
    assert tracking.finish_run(first["id"])["status"] == "finished"
    assert [p["runs"] for p in tracking.list_projects().items] == [2]
    tracking.delete_run(second["id"])
    assert found(project="vision") == [first["id"]]


def test_two_writers_logging_at_once_lose_nothing(tracking):
    """Two training processes of a team log into the shared database at the same time,
    each starting its run in a project nobody has used yet."""
    errors: list[BaseException] = []
    run_ids: list[str] = []
    start = threading.Barrier(2)

    def train(seed):
        try:
            start.wait()
            run = tracking.create_run("shared-new-project", config={"seed": seed})
            run_ids.append(run["id"])
            for batch in range(40):
                steps = list(range(batch * 25, (batch + 1) * 25))
                tracking.log_series(
                    run["id"],
                    {
                        "loss": (steps, [0.0] * 25, [float(seed + s) for s in steps]),
                        "lr": ([batch], [0.0], [0.1]),
                    },
                )
            tracking.finish_run(run["id"])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=train, args=(seed,)) for seed in (0, 10_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [repr(e) for e in errors] == []
    assert len(run_ids) == 2
    for run_id in run_ids:
        run = tracking.get_run(run_id)
        seed = run["config"]["seed"]
        counts = {m["key"]: m["count"] for m in run["metrics"]}
        assert counts == {"loss": 1000, "lr": 40}
        data = tracking.series(run_id, "loss", points=2000)
        assert data["steps"] == list(range(1000))
        assert data["values"] == [seed + s for s in range(1000)]
        assert run["summary"]["loss"] == seed + 999
    assert [p["runs"] for p in tracking.list_projects().items] == [2]


# ------------------------------------------------------------------- datasets


def test_datasets_versions_and_browsing(store, tmp_path):
    service = DatasetService(store, tmp_path / "repo", str(tmp_path / "remote"))
    source = write_sample(tmp_path / "sample")
    created = service.create_dataset(
        "Pets", source, description="Cats and dogs", tags=["images"], tag="v1"
    )
    assert created["name"] == "Pets"
    assert created["versions"] == 1
    second_version(source)
    v2 = service.commit("Pets", source, message="More dogs", tag="v2")
    assert [v["tag"] for v in service.list_versions("Pets").items] == ["v2", "v1"]
    assert [d["name"] for d in service.list_datasets(q="CATS").items] == ["Pets"]

    top = service.tree("Pets", "v1")
    folders = [i["name"] for i in top["items"] if i["type"] == "directory"]
    assert folders == ["arrays", "broken", "images", "tables"]
    images = service.tree("Pets", "v1", "images/cat", sort="size", order="desc", limit=2)
    assert len(images["items"]) == 2
    assert images["total"] == IMAGES_PER_CLASS
    assert images["items"][0]["size"] >= images["items"][1]["size"]
    dogs = service.files("Pets", v2["tag"], prefix="images/dog/").items
    assert [f["name"] for f in dogs][-1] == "dog06.png"
    assert len(dogs) == IMAGES_PER_CLASS  # dog05 removed, dog06 added
    changes = service.diff("Pets", "v1", "v2")
    assert {c["path"] for c in changes["items"]} >= {"images/dog/dog05.png", "images/dog/dog06.png"}
    assert {c["name"] for c in service.tree("Pets", "v2", "images")["items"]} == set(CLASSES)

    run = TrackingService(store, tmp_path / "artifacts").create_run("vision")
    service.record_usage(run["id"], "Pets", "v1")
    assert [r["id"] for r in service.runs_using("Pets", "v1").items] == [run["id"]]


# ------------------------------------------------------------------- registry


def test_registry_publish_aliases_and_load(store_url, registry_dirs):  # noqa: F811
    model = mlp()
    example = torch.randn(3, 4)
    first = dl.publish(model, "classifier", example_input=example, description="first")
    assert (first["version"], first["aliases"]) == (1, ["staging"])
    dl.publish(mlp(1), "classifier", example_input=example, aliases=["staging", "production"])
    registry = dl.api.registry_service()
    registry.set_alias("classifier", "production", 1, user="ana")
    assert registry.resolve("classifier@production")["version"] == 1
    assert registry.resolve("classifier")["version"] == 2
    model_info = registry.get_model("classifier")
    assert (model_info["versions"], model_info["latest_version"]) == (2, 2)
    history = [
        (e["alias"], e["version"], e["previous"])
        for e in registry.alias_history("classifier").items
    ]
    assert history[0] == ("production", 1, 2)
    batch = torch.randn(5, 4)
    loaded = dl.load_model("classifier@production")
    assert torch.allclose(loaded(batch), model.eval()(batch), atol=1e-6)
    package = registry.package_dir(registry.resolve("classifier:1"))
    assert package.is_dir()
    assert package.is_relative_to(registry_dirs)  # the test's folder, never the user's


# ------------------------------------------------------------------- training


def test_a_training_job_is_recorded_by_its_own_processes(store_url):
    service = dl.api.training_service()
    job = service.launch(function_job(triple, 14, nproc=1, name="triple"))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done
    assert done["exit_codes"] == [0]
    assert [j["id"] for j in service.list_jobs(status="succeeded").items] == [job["id"]]
    assert service.tracking.get_run(done["run_id"])["status"] == "finished"


def test_a_sweep_on_two_processes_keeps_its_journal_in_postgresql(store_url):
    xs = [3, 2, 0, 1]
    sweep = dl.sweep(
        sweeps.parabola,
        {"x": dl.choice(xs), "offset": 0},
        trials=4,
        parallel=2,
        sampler=sweeps.InOrder(x=xs),
        name="parabola",
    )
    assert sweep.status == "finished"
    assert sweep.best["params"] == {"x": 2}
    assert sweep.best["value"] == 0
    assert sorted(t["value"] for t in sweep.trials) == [0, 1, 1, 4]
    fresh = Store(store_url).open()
    try:
        assert {"dl_sweeps", "dl_sweep_journal"} <= set(inspect(fresh.engine).get_table_names())
        with fresh.session() as s:
            seqs = s.scalars(
                select(SweepJournal.seq).where(SweepJournal.sweep_id == sweep.id)
            ).all()
        assert sorted(seqs) == list(range(len(seqs)))  # numbered without gaps
        assert len(seqs) > 4
        assert dl.Sweep.load(sweep.id).best == sweep.best
    finally:
        fresh.close()
