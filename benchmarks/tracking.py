"""How fast is experiment tracking, next to the tools people would otherwise use?

Four measurements, each against its goal, with the baselines run in the same
process on the same machine:

1. ``dl.log`` latency per call (p50/p99 of a 4-metric dict) against ``wandb.log``
   in offline mode. Goal: at least 5x faster, p50 at most 20 us.
2. One million points logged and durable: from the first ``dl.log`` until
   ``run.flush()`` returns, then counted back from the store. Goal: at most 1.6 s.
3. The runs table: a filtered, sorted first page out of 10,000 runs, against
   ``MlflowClient.search_runs`` with the same filter on an MLflow SQLite store
   holding the same runs. Goal: at least 50x faster.
4. A 1,000-point chart of a 1M-point metric (``TrackingService.series``, and the
   REST route through a real Jupyter server). Goal: at most 50 ms.

Every store lives in a temporary directory. Seeding is never timed. Prints each
section's numbers, then one table of results, ratios and goals.

    python benchmarks/tracking.py [--quick] [--skip-mlflow] [--skip-wandb] [--skip-http]
                                  [--profile]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from report import Result, heading, print_table

TOKEN = "bench"
MLFLOW_SEED_BUDGET_S = 180.0
OPTIMIZERS = ("adam", "adamw", "sgd")


@dataclass
class Sizes:
    log_calls: int  # timed dl.log calls
    wandb_calls: int  # timed wandb.log calls
    warmup: int
    durable_calls: int  # dl.log calls of 4 keys for the durability run
    durable_repeats: int
    runs: int  # runs in the runs table
    query_repeats: int
    series_points: int  # points of the one long metric
    series_repeats: int


FULL = Sizes(100_000, 10_000, 2_000, 250_000, 3, 10_000, 20, 1_000_000, 20)
QUICK = Sizes(5_000, 500, 200, 10_000, 1, 300, 5, 100_000, 5)


def short(n: int) -> str:
    """1000000 -> 1M, 40000 -> 40k: counts as table labels."""
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def percentile(ordered: list[int], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * q))])


def use_store(path: Path) -> str:
    """Point ``dl.init`` (and anything reading ``JUPYTER_DL_DB_URL``) at a new SQLite file."""
    url = f"sqlite:///{path}"
    os.environ["JUPYTER_DL_DB_URL"] = url
    return url


def metrics_at(i: int) -> dict[str, float]:
    return {"loss": 1.0 / (i + 1), "acc": i * 1e-6, "lr": 0.001, "grad_norm": 0.5 + (i % 7)}


def time_calls(log: Callable[[dict[str, float]], Any], calls: int, warmup: int) -> list[int]:
    """Nanoseconds of each call after ``warmup`` untimed ones, ascending."""
    for i in range(warmup):
        log(metrics_at(i))
    clock = time.perf_counter_ns
    laps = [0] * calls
    for i in range(calls):
        metrics = metrics_at(i)
        start = clock()
        log(metrics)
        laps[i] = clock() - start
    laps.sort()
    return laps


# ------------------------------------------------------------ 1. dl.log latency


def bench_log_latency(tmp: Path, sizes: Sizes, skip_wandb: bool) -> list[Result]:
    heading("1. dl.log latency per call (4 metrics)")
    import jupyter_dl as dl

    use_store(tmp / "latency" / "dl.sqlite")
    run = dl.init(
        project="bench-latency", config={"lr": 0.001}, system_metrics=None, capture_code=False
    )
    ours = time_calls(dl.log, sizes.log_calls, sizes.warmup)
    run.flush(timeout=300)
    dl.finish()
    p50, p99 = percentile(ours, 0.5) / 1000, percentile(ours, 0.99) / 1000
    print(f"  dl.log     {sizes.log_calls:>7,} calls   p50 {p50:8.2f} us   p99 {p99:8.2f} us")
    results = [
        Result("dl.log p50", f"{p50:.2f} us", goal="<= 20 us", met=p50 <= 20),
        Result("dl.log p99", f"{p99:.2f} us"),
    ]
    if skip_wandb:
        print("  wandb.log: skipped (--skip-wandb)")
        return results

    wandb_dir = tmp / "wandb"
    wandb_dir.mkdir()
    os.environ.update(WANDB_MODE="offline", WANDB_DIR=str(wandb_dir), WANDB_SILENT="true")
    import wandb

    settings = wandb.Settings(
        console="off", x_disable_stats=True, disable_code=True, disable_git=True, save_code=False
    )
    wb = wandb.init(project="bench-latency", config={"lr": 0.001}, settings=settings)
    theirs = time_calls(wandb.log, sizes.wandb_calls, sizes.warmup)
    wb.finish()
    w50, w99 = percentile(theirs, 0.5) / 1000, percentile(theirs, 0.99) / 1000
    print(
        f"  wandb.log  {sizes.wandb_calls:>7,} calls   p50 {w50:8.2f} us   p99 {w99:8.2f} us"
        f"   (offline, wandb {wandb.__version__})"
    )
    print(f"  wandb / dl.log: p50 {w50 / p50:.1f}x, p99 {w99 / p99:.1f}x")
    results[0] = Result(
        "dl.log p50",
        f"{p50:.2f} us",
        f"{w50:.2f} us (wandb)",
        f"{w50 / p50:.1f}x faster",
        ">= 5x and <= 20 us",
        w50 / p50 >= 5 and p50 <= 20,
    )
    results[1] = Result(
        "dl.log p99", f"{p99:.2f} us", f"{w99:.2f} us (wandb)", f"{w99 / p99:.1f}x faster"
    )
    return results


# ------------------------------------------------------ 2. 1M points, durable


def bench_durable(tmp: Path, sizes: Sizes) -> list[Result]:
    points = sizes.durable_calls * 4
    heading(f"2. {points:,} points logged and durable")
    import jupyter_dl as dl

    totals: list[float] = []
    for repeat in range(sizes.durable_repeats):
        use_store(tmp / f"durable-{repeat}" / "dl.sqlite")
        run = dl.init(project="bench-durable", system_metrics=None, capture_code=False)
        log = dl.log
        start = time.perf_counter()
        for i in range(sizes.durable_calls):
            log({"loss": 1.0 / (i + 1), "acc": i * 1e-6, "lr": 0.001, "grad_norm": 0.5})
        logged = time.perf_counter()
        if not run.flush(timeout=600):
            raise SystemExit("run.flush() timed out")
        durable = time.perf_counter()
        stored = sum(m["count"] for m in run.transport.get_run(run.id)["metrics"])
        dl.finish()
        if stored != points:
            raise SystemExit(f"the store holds {stored:,} points, not {points:,}")
        totals.append(durable - start)
        print(
            f"  run {repeat + 1}: logging {logged - start:6.3f} s + waiting for flush"
            f" {durable - logged:6.3f} s = {durable - start:6.3f} s"
            f"   ({points / (durable - start) / 1e6:.2f} M points/s; {stored:,} stored)"
        )
    total = statistics.median(totals)
    print(f"  median of {len(totals)}: {total:.3f} s, {points / total / 1e6:.2f} M points/s")
    goal_s = 1.6 * points / 1_000_000
    return [
        Result(
            f"{short(points)} points durable",
            f"{total:.3f} s",
            ratio=f"{points / total / 1e6:.2f} M pts/s",
            goal=f"<= {goal_s:.2f} s",
            met=total <= goal_s,
        ),
    ]


# ------------------------------------------------------- 3. runs table query


def run_rows(n: int) -> list[dict[str, Any]]:
    """The same runs for both stores: config and final metrics, reproducible."""
    rng = random.Random(7)
    return [
        {
            "lr": rng.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
            "batch_size": rng.choice([32, 64, 128, 256]),
            "optimizer": rng.choice(OPTIMIZERS),
            "acc": rng.random(),
            "loss": rng.random() * 3,
        }
        for _ in range(n)
    ]


def seed_mlflow(tmp: Path, rows: list[dict[str, Any]], budget_s: float) -> tuple[Any, str, int]:
    """An MLflow SQLite store with ``rows`` as runs; stops at the time budget."""
    import logging

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    for name in ("mlflow", "alembic"):  # MLflow sets its loggers to INFO on import
        logging.getLogger(name).setLevel(logging.WARNING)

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}")
    experiment = client.create_experiment("bench-runs")
    start = time.perf_counter()
    for n, row in enumerate(rows, 1):
        run = client.create_run(experiment)
        ms = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", row["acc"], ms, 0), Metric("loss", row["loss"], ms, 0)],
            params=[Param(k, str(row[k])) for k in ("lr", "batch_size", "optimizer")],
        )
        if time.perf_counter() - start > budget_s:
            return client, experiment, n
    return client, experiment, len(rows)


def seed_ours(service: Any, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        run = service.create_run(
            "bench-runs", config={k: row[k] for k in ("lr", "batch_size", "optimizer")}
        )
        service.update_run(
            run["id"],
            {"summary": {"acc": row["acc"], "loss": row["loss"]}, "status": "finished"},
        )


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``fn`` in ms after one untimed warm-up call, and its result."""
    result = fn()
    laps = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        laps.append(time.perf_counter() - start)
    return statistics.median(laps) * 1000, result


def seed_query_store(tmp: Path, sizes: Sizes, skip_mlflow: bool) -> dict[str, Any]:
    """Both stores of section 3, and the long metric of section 4 (in our store)."""
    from jupyter_dl.store import Store
    from jupyter_dl.tracking.service import TrackingService

    heading("seeding (not timed)")
    url = use_store(tmp / "query" / "dl.sqlite")
    service = TrackingService(Store(url).open(), tmp / "query" / "artifacts")
    rows = run_rows(sizes.runs)
    state: dict[str, Any] = {"url": url, "service": service}
    if not skip_mlflow:
        start = time.perf_counter()
        client, experiment, n = seed_mlflow(tmp, rows, MLFLOW_SEED_BUDGET_S)
        print(f"  MLflow: {n:,} runs in {time.perf_counter() - start:.1f} s")
        if n < len(rows):
            print(
                f"  NOTE: seeding {len(rows):,} MLflow runs would take more than"
                f" {MLFLOW_SEED_BUDGET_S:.0f} s; both stores hold {n:,} runs"
            )
            rows = rows[:n]
        state["mlflow"] = (client, experiment)
    start = time.perf_counter()
    seed_ours(service, rows)
    print(f"  jupyter-dl: {len(rows):,} runs in {time.perf_counter() - start:.1f} s")
    state["rows"] = rows

    start = time.perf_counter()
    run = service.create_run("bench-series", name="long")
    n, batch, t0 = sizes.series_points, 100_000, time.time()
    rng = random.Random(3)
    for lo in range(0, n, batch):
        steps = list(range(lo, min(n, lo + batch)))
        values = [1.0 / (s + 1) + rng.random() * 0.01 for s in steps]
        service.log_series(run["id"], {"loss": (steps, [t0 + s * 1e-3 for s in steps], values)})
    print(f"  jupyter-dl: one metric of {n:,} points in {time.perf_counter() - start:.1f} s")
    state["series_run"] = run["id"]
    return state


def bench_runs_query(
    state: dict[str, Any], sizes: Sizes, server: Server | None, profile: bool
) -> list[Result]:
    from jupyter_dl.tracking.service import RunQuery

    rows, service = state["rows"], state["service"]
    heading(f"3. runs table: filter + sort + first page of 50, {len(rows):,} runs")
    filters = ["config.optimizer=adam", "summary.acc>0.5"]
    query = RunQuery(
        project="bench-runs", filters=filters, sort="summary.acc", order="desc", limit=50
    )
    expression = "metrics.acc > 0.5 and params.optimizer = 'adam'"
    expected = sorted(
        (r["acc"] for r in rows if r["optimizer"] == "adam" and r["acc"] > 0.5), reverse=True
    )
    print(f"  jupyter-dl: filters {' & '.join(filters)}, sort summary.acc desc, limit 50")
    print(f'  MLflow:     "{expression}", order_by metrics.acc DESC, max_results 50')
    print(f"  {len(expected):,} runs match; medians of {sizes.query_repeats} after a warm-up")

    ours_ms, page = median_ms(lambda: service.list_runs(query), sizes.query_repeats)
    got = [r["summary"]["acc"] for r in page.items]
    if got != expected[:50]:
        raise SystemExit("jupyter-dl's runs query returned the wrong runs")
    print(f"  jupyter-dl  TrackingService.list_runs   {ours_ms:9.2f} ms")
    counted_query = dataclasses.replace(query, count=True)
    count_ms, counted = median_ms(lambda: service.list_runs(counted_query), sizes.query_repeats)
    if counted.total != len(expected):
        raise SystemExit("jupyter-dl's runs query counted the wrong number of runs")
    print(f"  jupyter-dl  ... with the exact total     {count_ms:9.2f} ms   (count=true)")
    results = [Result(f"runs query ({len(rows):,} runs)", f"{ours_ms:.2f} ms")]

    if server is not None:
        params = urlencode(
            {"project": "bench-runs", "sort": "summary.acc", "order": "desc", "limit": 50}
        ) + "".join(f"&filter={quote(f)}" for f in filters)
        http_ms, body = median_ms(lambda: server.get(f"runs?{params}"), sizes.query_repeats)
        if [r["summary"]["acc"] for r in body["items"]] != got:
            raise SystemExit("GET /dl/api/runs returned other runs than list_runs")
        print(f"  jupyter-dl  GET /dl/api/runs            {http_ms:9.2f} ms")
        results.append(Result("runs query over HTTP", f"{http_ms:.2f} ms"))

    if "mlflow" in state:
        import mlflow

        client, experiment = state["mlflow"]

        def search() -> Any:
            return client.search_runs(
                [experiment], expression, order_by=["metrics.acc DESC"], max_results=50
            )

        theirs_ms, found = median_ms(search, sizes.query_repeats)
        if [r.data.metrics["acc"] for r in found] != got:
            raise SystemExit("MLflow's search returned other runs than jupyter-dl's query")
        print(
            f"  MLflow      MlflowClient.search_runs    {theirs_ms:9.2f} ms"
            f"   (mlflow {mlflow.__version__}, SQLite store)"
        )
        print(
            f"  same 50 runs in the same order: yes;"
            f" MLflow / jupyter-dl: {theirs_ms / ours_ms:.1f}x"
            f" ({theirs_ms / count_ms:.1f}x with the exact total)"
        )
        results[0] = Result(
            f"runs query ({len(rows):,} runs)",
            f"{ours_ms:.2f} ms",
            f"{theirs_ms:.2f} ms (MLflow)",
            f"{theirs_ms / ours_ms:.1f}x faster",
            ">= 50x",
            theirs_ms / ours_ms >= 50,
        )
        results.insert(
            1,
            Result(
                "runs query + exact total",
                f"{count_ms:.2f} ms",
                f"{theirs_ms:.2f} ms (MLflow)",
                f"{theirs_ms / count_ms:.1f}x faster",
                "-",
                None,
            ),
        )
    else:
        print("  MLflow: skipped (--skip-mlflow)")

    other = RunQuery(
        project="bench-runs",
        filters=["config.lr>=0.001", "summary.acc>0.5"],
        sort="summary.acc",
        order="desc",
        limit=50,
        count=True,
    )
    other_ms, other_page = median_ms(lambda: service.list_runs(other), sizes.query_repeats)
    print(
        f"  jupyter-dl  numeric config filter config.lr>=0.001 & summary.acc>0.5:"
        f" {other_ms:.2f} ms ({other_page.total:,} match; MLflow params are strings)"
    )
    results.append(bench_shared_query(service, query, ours_ms, sizes))
    if profile:
        print_profile(service, lambda: service.list_runs(query))
    return results


def bench_shared_query(service: Any, query: Any, own_ms: float, sizes: Sizes) -> Result:
    """The same page as a member of the group the project is shared with, as the team's
    platform service asks it: the cost of the access condition every list adds."""
    from jupyter_dl.access import Access
    from jupyter_dl.permissions import PermissionService

    PermissionService(service.store).share(
        Access.everything(), "project", "bench-runs", {"group": "bench", "owner": "owner"}
    )
    member = dataclasses.replace(query, visible=Access("member", frozenset({"bench", "other"})))
    shared_ms, page = median_ms(lambda: service.list_runs(member), sizes.query_repeats)
    if [r["id"] for r in page.items] != [r["id"] for r in service.list_runs(query).items]:
        raise SystemExit("a group member saw other runs than the project's owner")
    outsider = dataclasses.replace(query, visible=Access("outsider", frozenset({"other"})))
    if service.list_runs(outsider).items:
        raise SystemExit("a user outside the group saw the project's runs")
    print(
        f"  jupyter-dl  ... as a group member (team service)  {shared_ms:9.2f} ms"
        f"   ({shared_ms / own_ms:.2f}x the unrestricted query)"
    )
    return Result(
        "runs query as a group member",
        f"{shared_ms:.2f} ms",
        f"{own_ms:.2f} ms (unrestricted)",
        f"{shared_ms / own_ms:.2f}x",
        "-",
        None,
    )


# -------------------------------------------------- 4. downsampled long series


def bench_series(
    state: dict[str, Any], sizes: Sizes, server: Server | None, profile: bool
) -> list[Result]:
    service, run_id = state["service"], state["series_run"]
    heading(f"4. 1,000-point chart of a {sizes.series_points:,}-point metric")
    ours_ms, data = median_ms(
        lambda: service.series(run_id, "loss", points=1000), sizes.series_repeats
    )
    if data["total"] != sizes.series_points:
        raise SystemExit(f"the series holds {data['total']:,} points, not {sizes.series_points:,}")
    print(
        f"  TrackingService.series(points=1000)   median {ours_ms:8.2f} ms"
        f"   ({len(data['steps'])} points back, downsampled={data['downsampled']})"
    )
    results = [
        Result(
            f"series of {short(sizes.series_points)} points",
            f"{ours_ms:.2f} ms",
            goal="<= 50 ms",
            met=ours_ms <= 50,
        )
    ]
    if server is not None:
        http_ms, body = median_ms(
            lambda: server.get(f"runs/{run_id}/metrics/loss?points=1000"), sizes.series_repeats
        )
        if body["steps"] != data["steps"]:
            raise SystemExit("GET .../metrics/loss returned another series than the service")
        print(f"  GET /dl/api/runs/<id>/metrics/loss?points=1000   median {http_ms:8.2f} ms")
        results.append(
            Result("series over HTTP", f"{http_ms:.2f} ms", goal="<= 50 ms", met=http_ms <= 50)
        )
    if profile:
        print_profile(service, lambda: service.series(run_id, "loss", points=1000))
    return results


# ------------------------------------------------------------------ profile


def print_profile(service: Any, fn: Callable[[], Any], calls: int = 10, top: int = 12) -> None:
    """Where ``fn``'s time goes: the functions with the most own time, and each SQL statement."""
    import cProfile
    import pstats

    from sqlalchemy import event

    statements: dict[str, list[float]] = {}
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        text = " ".join(statement.split())
        columns, _, rest = text.partition(" FROM ")
        if rest and len(columns) > 60:  # the column list says nothing; the rest does
            text = f"SELECT ... FROM {rest}"
        statements.setdefault(text, []).append(time.perf_counter() - started.pop())

    engine = service.store.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    wall = (time.perf_counter() - start) / calls
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)

    stats = pstats.Stats(profiler).stats
    own = sorted(stats.items(), key=lambda item: -item[1][2])[:top]
    print(f"  profile: {wall * 1000:.2f} ms per call under cProfile; most own time per call:")
    for (path, line, name), (_, _, tottime, _, _) in own:
        where = path.split("site-packages/")[-1].split("extensions/")[-1]
        print(f"    {tottime / calls * 1000:7.2f} ms  {where}:{line}({name})")
    print("  SQL statements per call (execute to the first row; reading the rest is fetchall):")
    for statement, laps in sorted(statements.items(), key=lambda item: -sum(item[1])):
        print(f"    {sum(laps) / calls * 1000:7.2f} ms  {statement[:120]}")


# ------------------------------------------------------------------- server


class Server:
    """A ``jupyter server`` with the extension on a given store, for the REST timings."""

    def __init__(self, db_url: str, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        env = {
            **os.environ,
            "JUPYTER_DL_DB_URL": db_url,
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--ServerApp.jpserver_extensions={'jupyter_dl': True}",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                "--ServerApp.open_browser=False",
                "--allow-root",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
        )
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the Jupyter server exited before it was ready")
            try:
                self.get("projects")  # answers once the server has opened the store
                return
            except (OSError, RuntimeError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise
                self.conn.close()
                time.sleep(0.05)

    def request(self, path: str) -> bytes:
        self.conn.request("GET", path, headers={"Authorization": f"token {TOKEN}"})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:200]!r}")
        return body

    def get(self, path: str) -> Any:
        """GET ``/dl/api/<path>`` on a kept-alive connection, decoded."""
        return json.loads(self.request(f"/dl/api/{path}"))

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--skip-mlflow", action="store_true", help="no MLflow baseline")
    parser.add_argument("--skip-wandb", action="store_true", help="no W&B baseline")
    parser.add_argument("--skip-http", action="store_true", help="no Jupyter server timings")
    parser.add_argument(
        "--profile", action="store_true", help="where the time of the queries goes (cProfile, SQL)"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL

    mode = "quick" if args.quick else "full"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {mode} sizes")
    with tempfile.TemporaryDirectory(prefix="dl-bench-") as name:
        tmp = Path(name)
        results = bench_log_latency(tmp, sizes, args.skip_wandb)
        results += bench_durable(tmp, sizes)
        state = seed_query_store(tmp, sizes, args.skip_mlflow)
        server = None if args.skip_http else Server(state["url"], tmp)
        try:
            results += bench_runs_query(state, sizes, server, args.profile)
            results += bench_series(state, sizes, server, args.profile)
        finally:
            if server is not None:
                server.stop()
        state["service"].store.close()
    print_table(results)


if __name__ == "__main__":
    main()
