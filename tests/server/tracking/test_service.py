"""The tracking service as the runs table, charts and loggers use it, without HTTP."""

import csv
import hashlib
import io
import json
import math
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from jupyter_dl.errors import BadRequest, Conflict, NotFound
from jupyter_dl.store.models import Run as RunRow
from jupyter_dl.tracking.service import RunQuery, TrackingService


def log(service, run_id, key, values, start=0):
    """Log ``values`` at consecutive steps from ``start``."""
    steps = list(range(start, start + len(values)))
    times = [1_700_000_000.0 + s for s in steps]
    return service.log_series(run_id, {key: (steps, times, [float(v) for v in values])})


def names(page):
    return [r["name"] for r in page.items]


def list_all(service, **query):
    return service.list_runs(RunQuery(limit=500, count=True, **query))


# ------------------------------------------------------------------- runs


def test_new_run_is_running_with_its_config_tags_and_notes(service):
    run = service.create_run(
        "mnist", name="first", config={"lr": 0.1}, tags=["baseline"], notes="try me"
    )
    assert run["status"] == "running"
    assert run["project"] == "mnist"
    assert run["name"] == "first"
    assert run["config"] == {"lr": 0.1}
    assert run["tags"] == ["baseline"]
    assert run["notes"] == "try me"
    assert service.get_run(run["id"])["config"] == {"lr": 0.1}


def test_run_without_a_name_gets_a_readable_one(service):
    run = service.create_run("mnist")
    assert run["name"].endswith("-1")
    assert service.create_run("mnist")["name"].endswith("-2")


def test_get_run_reports_its_series_and_artifact_count(service):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [3.0, 1.0, 2.0])
    service.add_artifact(run["id"], "model.pt", b"weights")
    detail = service.get_run(run["id"])
    assert detail["metrics"] == [
        {"key": "loss", "count": 3, "last": 2.0, "last_step": 2, "min": 1.0, "max": 3.0}
    ]
    assert detail["artifacts"] == 1


def test_update_run_edits_what_people_edit(service):
    run = service.create_run("mnist", name="old", config={"lr": 0.1, "bs": 32})
    changed = service.update_run(
        run["id"],
        {
            "name": "new",
            "tags": ["best", "best", "gpu"],
            "notes": "kept",
            "archived": True,
            "config": {"bs": 64},
            "summary": {"acc": 0.9},
        },
    )
    assert changed["name"] == "new"
    assert changed["tags"] == ["best", "gpu"]
    assert changed["notes"] == "kept"
    assert changed["archived"] is True
    assert changed["config"] == {"lr": 0.1, "bs": 64}
    assert service.get_run(run["id"])["summary"] == {"acc": 0.9}


def test_update_run_refuses_unknown_fields_naming_them(service):
    run = service.create_run("mnist")
    with pytest.raises(BadRequest, match="created_at"):
        service.update_run(run["id"], {"created_at": 0})


def test_finished_run_records_status_exit_code_and_end(service):
    run = service.create_run("mnist")
    done = service.finish_run(run["id"], exit_code=0)
    assert done["status"] == "finished"
    assert done["exit_code"] == 0
    assert done["ended_at"] is not None
    assert done["duration"] >= 0


def test_finished_run_cannot_be_resumed(service):
    run = service.create_run("mnist")
    service.finish_run(run["id"])
    with pytest.raises(Conflict, match="already finished"):
        service.update_run(run["id"], {"status": "running"})
    assert service.get_run(run["id"])["status"] == "finished"


def test_delete_run_removes_it_with_its_artifact_files(service, artifacts_dir):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [1.0, 2.0])
    service.add_artifact(run["id"], "model.pt", b"weights")
    service.delete_run(run["id"])
    with pytest.raises(NotFound):
        service.get_run(run["id"])
    assert list_all(service).total == 0
    assert not (artifacts_dir / run["id"]).exists()


def test_unknown_run_is_not_found_naming_the_id(service):
    with pytest.raises(NotFound, match="abcdef123456"):
        service.get_run("abcdef123456")


def test_projects_are_listed_with_their_run_counts(service):
    service.create_run("mnist")
    service.create_run("mnist")
    service.create_run("cifar")
    projects = {p["name"]: p["runs"] for p in service.list_projects().items}
    assert projects == {"mnist": 2, "cifar": 1}


# --------------------------------------------------------- the runs table


@pytest.fixture
def table(service):
    """Four runs that differ in every column the table filters and sorts by."""
    rows = [
        (
            "mnist-small",
            {"lr": 0.001, "opt": {"name": "sgd"}},
            {"acc": 0.4},
            ["baseline"],
            "finished",
        ),
        ("mnist-large", {"lr": 0.01, "opt": {"name": "adam"}}, {"acc": 0.7}, [], "failed"),
        (
            "cifar-foo",
            {"lr": 0.1, "opt": {"name": "adam"}},
            {"acc": 0.9},
            ["baseline", "gpu"],
            "running",
        ),
        ("foo-bar", {"lr": 0.05}, {}, ["tuned"], "finished"),
    ]
    for name, config, summary, tags, status in rows:
        run = service.create_run("mnist", name=name, config=config, tags=tags)
        service.update_run(run["id"], {"summary": summary, "status": status})
    return service


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["config.lr>=0.01"], {"mnist-large", "cifar-foo", "foo-bar"}),
        (["config.lr<0.01"], {"mnist-small"}),
        (["config.opt.name=adam"], {"mnist-large", "cifar-foo"}),
        (["summary.acc>0.5"], {"mnist-large", "cifar-foo"}),
        (["status=finished"], {"mnist-small", "foo-bar"}),
        (["status!=finished"], {"mnist-large", "cifar-foo"}),
        (["tag=baseline"], {"mnist-small", "cifar-foo"}),
        (["tag!=baseline"], {"mnist-large", "foo-bar"}),
        (["tag=base"], set()),
        (["name~foo"], {"cifar-foo", "foo-bar"}),
        (["config.lr>=0.01", "tag=baseline"], {"cifar-foo"}),
    ],
)
def test_filter_selects_matching_runs(table, filters, expected):
    page = list_all(table, filters=filters)
    assert set(names(page)) == expected
    assert page.total == len(expected)


def test_name_search_is_case_insensitive(table):
    assert set(names(list_all(table, q="MNIST"))) == {"mnist-small", "mnist-large"}


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("config.lr", "'config.lr'"),
        ("lr>=0.01", "'lr'"),
        ("colour=red", "'colour'"),
        ("status=done", "status must be one of"),
        ("tag>baseline", "tag filters use = or !="),
    ],
)
def test_unusable_filter_is_rejected_naming_it(table, bad, named):
    with pytest.raises(BadRequest, match=re.escape(named)):
        list_all(table, filters=[bad])


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("config.lr", "asc", ["mnist-small", "mnist-large", "foo-bar", "cifar-foo"]),
        ("config.lr", "desc", ["cifar-foo", "foo-bar", "mnist-large", "mnist-small"]),
        ("summary.acc", "asc", ["mnist-small", "mnist-large", "cifar-foo", "foo-bar"]),
        ("summary.acc", "desc", ["cifar-foo", "mnist-large", "mnist-small", "foo-bar"]),
        ("config.opt.name", "asc", ["mnist-large", "cifar-foo", "mnist-small", "foo-bar"]),
        ("name", "asc", ["cifar-foo", "foo-bar", "mnist-large", "mnist-small"]),
        ("name", "desc", ["mnist-small", "mnist-large", "foo-bar", "cifar-foo"]),
        ("created_at", "asc", ["mnist-small", "mnist-large", "cifar-foo", "foo-bar"]),
        ("created_at", "desc", ["foo-bar", "cifar-foo", "mnist-large", "mnist-small"]),
        ("status", "asc", ["mnist-large", "mnist-small", "foo-bar", "cifar-foo"]),
    ],
)
def test_sort_by_column_orders_runs(table, sort, order, expected):
    """Runs without the sorted value come last either way; ties keep a stable order."""
    got = names(list_all(table, sort=sort, order=order))
    if sort == "config.opt.name":  # two "adam" runs tie
        assert set(got[:2]) == set(expected[:2])
        assert got[2:] == expected[2:]
    elif sort == "status":  # two finished runs tie
        assert got[0] == expected[0]
        assert set(got[1:3]) == set(expected[1:3])
        assert got[3] == expected[3]
    else:
        assert got == expected


def test_sort_by_unknown_column_is_rejected_naming_it(table):
    with pytest.raises(BadRequest, match="colour"):
        list_all(table, sort="colour")


def test_total_is_only_counted_on_request(service):
    service.create_run("p")
    assert service.list_runs(RunQuery()).total is None
    assert service.list_runs(RunQuery(count=True)).total == 1


def test_cursor_pages_through_every_run_exactly_once(service):
    created = [service.create_run("sweep", config={"lr": i % 3})["id"] for i in range(23)]
    for sort in ("config.lr", "created_at", "name"):
        seen, lrs = [], []
        query = RunQuery(sort=sort, order="asc", limit=5, count=True)
        while True:
            page = service.list_runs(query)
            assert page.total == 23
            assert len(page.items) <= 5
            seen += [r["id"] for r in page.items]
            lrs += [r["config"]["lr"] for r in page.items]
            if page.next_cursor is None:
                break
            query.cursor = page.next_cursor
        assert sorted(seen) == sorted(created), sort
        if sort == "config.lr":
            assert lrs == sorted(lrs)


def test_archived_runs_are_hidden_unless_asked_for(table):
    run = table.list_runs(RunQuery(q="foo-bar")).items[0]
    table.update_run(run["id"], {"archived": True})
    assert "foo-bar" not in names(list_all(table))
    assert names(list_all(table, archived="true")) == ["foo-bar"]
    assert len(list_all(table, archived="all").items) == 4


def test_columns_list_config_and_summary_keys_flattened(table):
    assert table.columns("mnist") == {"config": ["lr", "opt.name"], "summary": ["acc"]}
    assert table.columns("no-such-project") == {"config": [], "summary": []}


def test_csv_export_has_a_row_per_matching_run_with_flattened_values(table):
    text = "".join(table.export_csv(RunQuery(sort="name", order="asc")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["cifar-foo", "foo-bar", "mnist-large", "mnist-small"]
    by_name = {r["name"]: r for r in rows}
    assert float(by_name["cifar-foo"]["config.lr"]) == 0.1
    assert by_name["cifar-foo"]["config.opt.name"] == "adam"
    assert float(by_name["cifar-foo"]["summary.acc"]) == 0.9
    assert by_name["cifar-foo"]["tags"] == "baseline;gpu"
    assert by_name["cifar-foo"]["status"] == "running"
    assert by_name["foo-bar"]["summary.acc"] == ""
    assert by_name["foo-bar"]["config.opt.name"] == ""

    finished = "".join(table.export_csv(RunQuery(filters=["status=finished"])))
    assert {r["name"] for r in csv.DictReader(io.StringIO(finished))} == {"mnist-small", "foo-bar"}


def test_csv_export_includes_runs_beyond_one_page(service):
    for i in range(520):
        service.create_run("big", name=f"run-{i}")
    rows = list(csv.DictReader(io.StringIO("".join(service.export_csv(RunQuery())))))
    assert len(rows) == 520
    assert len({r["id"] for r in rows}) == 520


# ----------------------------------------------------------------- metrics


def test_summary_holds_the_last_logged_value_of_each_metric(service):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [3.0, 2.0, 1.5])
    log(service, run["id"], "system/cpu_percent", [50.0])
    assert service.get_run(run["id"])["summary"] == {"loss": 1.5}


def test_short_series_is_returned_raw(service):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [5.0, 4.0, 3.0])
    got = service.series(run["id"], "loss", points=1000)
    assert got["steps"] == [0, 1, 2]
    assert got["values"] == [5.0, 4.0, 3.0]
    assert got["times"] == [1_700_000_000.0, 1_700_000_001.0, 1_700_000_002.0]
    assert got["total"] == 3
    assert got["downsampled"] is False


@pytest.mark.parametrize(
    ("total", "points", "spike", "dip"),
    [(1_000_000, 1000, 777_777, 123_457), (5_000, 500, 2_345, 4_321)],
    ids=["from-block-summaries", "from-raw-points"],
)
def test_downsampled_series_keeps_the_global_min_and_max(service, total, points, spike, dip):
    run = service.create_run("long")
    values = [math.sin(i / 500) for i in range(total)]
    values[spike], values[dip] = 1e9, -1e9
    log(service, run["id"], "loss", values)

    got = service.series(run["id"], "loss", points=points)

    assert got["downsampled"] is True
    assert got["total"] == total
    assert len(got["steps"]) <= points
    assert got["steps"] == sorted(got["steps"])
    assert max(got["values"]) == 1e9
    assert got["steps"][got["values"].index(1e9)] == spike
    assert min(got["values"]) == -1e9
    assert got["steps"][got["values"].index(-1e9)] == dip


def test_zoom_returns_the_raw_points_in_range(service):
    run = service.create_run("long")
    log(service, run["id"], "loss", [i / 10 for i in range(10_000)])
    got = service.series(run["id"], "loss", points=1000, min_step=1000, max_step=1199)
    assert got["downsampled"] is False
    assert got["total"] == 200
    assert got["steps"] == list(range(1000, 1200))
    assert got["values"] == [i / 10 for i in range(1000, 1200)]


def test_zoom_on_a_long_series_shows_only_steps_in_range(service):
    run = service.create_run("long")
    values = [0.0] * 200_000
    values[900] = 1e6  # just left of the zoomed range
    log(service, run["id"], "loss", values)
    got = service.series(run["id"], "loss", points=100, min_step=1000, max_step=150_000)
    assert got["downsampled"] is True
    assert all(1000 <= s <= 150_000 for s in got["steps"])
    assert 1e6 not in got["values"]


def test_step_logged_again_replaces_the_earlier_point(service):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [1.0, 2.0, 3.0])
    log(service, run["id"], "loss", [20.0], start=1)
    service.log_series(run["id"], {"loss": ([2, 2], [1.0, 2.0], [30.0, 31.0])})
    got = service.series(run["id"], "loss")
    assert got["steps"] == [0, 1, 2]
    assert got["values"] == [1.0, 20.0, 31.0]
    assert service.get_run(run["id"])["metrics"][0]["count"] == 3


def test_nan_and_infinities_are_kept_and_returned_as_strings(service):
    run = service.create_run("diverging")
    log(service, run["id"], "loss", [1.0, math.nan, math.inf, -math.inf])
    log(service, run["id"], "grad", [0.5, math.nan])

    got = service.series(run["id"], "loss")
    assert got["values"] == [1.0, "NaN", "Infinity", "-Infinity"]
    detail = service.get_run(run["id"])
    loss = next(m for m in detail["metrics"] if m["key"] == "loss")
    assert (loss["last"], loss["min"], loss["max"]) == ("-Infinity", "-Infinity", "Infinity")
    assert detail["summary"] == {"loss": "-Infinity", "grad": "NaN"}
    json.dumps([got, detail], allow_nan=False)  # what the REST API sends must be valid JSON


def test_one_bad_point_rejects_the_whole_batch(service):
    run = service.create_run("mnist")
    batch = {
        "good": ([0, 1], [1.0, 2.0], [0.5, 0.6]),
        "bad": ([0], [1.0], ["high"]),
    }
    with pytest.raises(BadRequest, match="'bad'"):
        service.log_series(run["id"], batch)
    assert service.get_run(run["id"])["metrics"] == []


def test_logging_to_a_finished_run_conflicts_and_writes_nothing(service):
    run = service.create_run("mnist")
    log(service, run["id"], "loss", [1.0])
    service.finish_run(run["id"])
    with pytest.raises(Conflict, match="finished"):
        log(service, run["id"], "loss", [2.0, 3.0], start=1)
    assert service.get_run(run["id"])["metrics"][0]["count"] == 1


def test_compare_gives_each_runs_series_per_key(service):
    a = service.create_run("mnist", name="a", config={"lr": 0.1})
    b = service.create_run("mnist", name="b", config={"lr": 0.2})
    log(service, a["id"], "loss", [3.0, 2.0])
    log(service, b["id"], "loss", [4.0, 3.0, 1.0])
    log(service, b["id"], "acc", [0.5])

    got = service.compare([a["id"], b["id"]], [])

    assert [r["name"] for r in got["runs"]] == ["a", "b"]
    assert [r["config"] for r in got["runs"]] == [{"lr": 0.1}, {"lr": 0.2}]
    assert got["series"]["loss"] == {
        a["id"]: {"steps": [0, 1], "values": [3.0, 2.0]},
        b["id"]: {"steps": [0, 1, 2], "values": [4.0, 3.0, 1.0]},
    }
    assert got["series"]["acc"] == {b["id"]: {"steps": [0], "values": [0.5]}}
    assert set(service.compare([a["id"], b["id"]], ["acc"])["series"]) == {"acc"}


# --------------------------------------------------------------- artifacts


def test_artifacts_are_stored_listed_and_read_back(service, tmp_path):
    run = service.create_run("mnist")
    source = tmp_path / "model.pt"
    source.write_bytes(b"\x00weights" * 1000)
    service.add_artifact(run["id"], "model.pt", source)
    with (tmp_path / "model.pt").open("rb") as f:
        service.add_artifact(run["id"], "ckpt/last.pt", f)
    record = service.add_artifact(run["id"], "notes.txt", b"hello")

    assert record["size"] == 5
    assert record["sha256"] == hashlib.sha256(b"hello").hexdigest()
    listed = service.list_artifacts(run["id"]).items
    assert [(a["name"], a["size"]) for a in listed] == [
        ("ckpt/last.pt", 8000),
        ("model.pt", 8000),
        ("notes.txt", 5),
    ]
    assert service.artifact_file(run["id"], "ckpt/last.pt").read_bytes() == source.read_bytes()


def test_artifact_of_the_same_name_replaces_the_old_one(service):
    run = service.create_run("mnist")
    service.add_artifact(run["id"], "model.pt", b"old")
    service.add_artifact(run["id"], "model.pt", b"newer")
    assert [a["size"] for a in service.list_artifacts(run["id"]).items] == [5]
    assert service.artifact_file(run["id"], "model.pt").read_bytes() == b"newer"


@pytest.mark.parametrize(
    "name", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "..", "./x", "a//b", "a\\..\\b"]
)
def test_artifact_name_leaving_the_run_folder_is_refused_and_nothing_written(
    service, artifacts_dir, name
):
    run = service.create_run("mnist")
    with pytest.raises(BadRequest, match="artifact name"):
        service.add_artifact(run["id"], name, b"payload")
    assert service.list_artifacts(run["id"]).items == []
    written = [p for p in artifacts_dir.parent.rglob("*") if p.is_file()]
    assert not [p for p in written if p.read_bytes() == b"payload"]


def test_unknown_artifact_is_not_found(service):
    run = service.create_run("mnist")
    with pytest.raises(NotFound, match=re.escape("model.pt")):
        service.artifact_file(run["id"], "model.pt")


# ------------------------------------------------------------------ reaping


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_run_of_a_dead_process_on_this_host_is_marked_crashed(service):
    run = service.create_run("mnist", system={"host": socket.gethostname(), "pid": dead_pid()})
    listed = list_all(service).items
    assert [r["status"] for r in listed] == ["crashed"]
    assert service.get_run(run["id"])["ended_at"] is not None


def test_run_of_a_live_process_or_another_host_keeps_running(service):
    service.create_run("mnist", system={"host": socket.gethostname(), "pid": os.getpid()})
    service.create_run("mnist", system={"host": "another-node", "pid": dead_pid()})
    assert [r["status"] for r in list_all(service).items] == ["running", "running"]


def test_heartbeat_revives_a_run_marked_crashed_after_silence(service):
    run = service.create_run("mnist", system={"host": "another-node"})
    with service.store.session(write=True) as s:
        s.get(RunRow, run["id"]).heartbeat_at = time.time() - 3600  # silent for an hour
    assert service.get_run(run["id"])["status"] == "crashed"

    service.heartbeat(run["id"])

    revived = service.get_run(run["id"])
    assert revived["status"] == "running"
    assert revived["ended_at"] is None


def test_silence_is_measured_against_the_configured_timeout(service):
    run = service.create_run("mnist", system={"host": "another-node"})
    with service.store.session(write=True) as s:
        s.get(RunRow, run["id"]).heartbeat_at = time.time() - 60
    assert service.get_run(run["id"])["status"] == "running"
    strict = TrackingService(service.store, service.artifacts_dir, heartbeat_timeout=30)
    assert strict.get_run(run["id"])["status"] == "crashed"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_sorted_by_a_value_cross_from_numbers_to_text_to_missing(service, order):
    numbers = [service.create_run("mix", config={"lr": lr})["id"] for lr in (0.3, 0.1, 0.2)]
    texts = [service.create_run("mix", config={"lr": t})["id"] for t in ("auto", "cosine")]
    missing = [service.create_run("mix")["id"] for _ in range(2)]
    query = RunQuery(project="mix", sort="config.lr", order=order, limit=2)
    seen = []
    while True:
        page = service.list_runs(query)
        seen += [(r["id"], r["config"].get("lr")) for r in page.items]
        if page.next_cursor is None:
            break
        query.cursor = page.next_cursor
    assert len(seen) == len({i for i, _ in seen}) == 7
    lrs = [lr for _, lr in seen]
    by_number = sorted((0.1, 0.2, 0.3), reverse=order == "desc")
    by_text = sorted(("auto", "cosine"), reverse=order == "desc")
    assert lrs == [*by_number, *by_text, None, None]
    assert {i for i, _ in seen} == {*numbers, *texts, *missing}
