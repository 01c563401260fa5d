"""How fast are datasets at 100k files, next to DVC and to the file system itself?

One dataset of 100,000 small files (50,000 in one folder, 50,000 in 50 folders)
is made through ``DatasetService`` (DVC add, git commit, DVC push, file index),
then a second version changing, removing and adding 1,000 files each. Then:

1. Browse: every page (100 entries) of the 50,000-entry folder, sorted by name
   and by size, both orders, through the service and through the REST API of a
   real Jupyter server. Goal: p99 at most 50 ms.
2. Status of the unchanged working folder (is it still the latest version?),
   against ``dvc status`` in a fresh process (cold) and in-process on a fresh
   ``Repo``, and against a bare ``os.scandir`` + ``stat`` walk of the same folder
   (the least any check must do). Goals: at least 10x faster than ``dvc status``
   cold, at most 1.5x the bare walk.
3. Diff of the two versions (first page and all pages) on a fresh service (no
   cached diff). Goal: at most 1 s.

Everything lives in a temporary directory; making the data is reported, not judged.

    python benchmarks/datasets.py [--quick] [--skip-http] [--skip-dvc-cli]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

os.environ.setdefault("DVC_NO_ANALYTICS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracking import Result, Server, heading, percentile, print_table

NAME = "bench"


@dataclass
class Sizes:
    flat: int  # files in the one big folder
    folders: int  # further folders ...
    per_folder: int  # ... of this many files
    changes: int  # files changed, removed and added (each) in version 2
    page: int
    repeats: int


FULL = Sizes(50_000, 50, 1_000, 1_000, 100, 5)
QUICK = Sizes(1_000, 10, 100, 50, 100, 3)


def make_source(root: Path, sizes: Sizes) -> int:
    """Small files of varied sizes and distinct contents; returns how many."""
    count = 0
    flat = root / "images"
    flat.mkdir(parents=True)
    for i in range(sizes.flat):
        (flat / f"img{i:06}.bin").write_bytes(f"{i}\n".encode() * (1 + i % 40))
        count += 1
    for d in range(sizes.folders):
        folder = root / "labels" / f"part{d:03}"
        folder.mkdir(parents=True)
        for i in range(sizes.per_folder):
            (folder / f"row{i:05}.txt").write_bytes(f"{d}:{i}\n".encode() * (1 + i % 25))
            count += 1
    return count


def change_source(root: Path, sizes: Sizes) -> None:
    flat = root / "images"
    for i in range(sizes.changes):
        (flat / f"img{i:06}.bin").write_bytes(b"changed %d\n" % i)
        (flat / f"img{sizes.flat - 1 - i:06}.bin").unlink()
        (flat / f"new{i:06}.bin").write_bytes(b"new %d\n" % i)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median_s(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    laps, value = [], None
    for _ in range(repeats):
        lap, value = timed(fn)
        laps.append(lap)
    return statistics.median(laps), value


def bare_walk(root: str) -> int:
    """The baseline: visit every file and stat it, nothing else."""
    files = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat(follow_symlinks=False)
                    files += 1
    return files


# ------------------------------------------------------------------- seeding


def seed(tmp: Path, sizes: Sizes) -> dict[str, Any]:
    from jupyter_dl.datasets.service import DatasetService
    from jupyter_dl.store import Store

    heading("seeding (reported, not judged)")
    url = f"sqlite:///{tmp / 'store.sqlite'}"
    repo, remote = tmp / "repo", tmp / "remote"
    store = Store(url).open()
    service = DatasetService(store, repo, str(remote))
    source = tmp / "source"
    lap, files = timed(lambda: make_source(source, sizes))
    print(f"  {files:,} files written in {lap:.1f} s")
    lap, _ = timed(lambda: service.create_dataset(NAME, source, tag="v1"))
    print(f"  version 1 (copy, dvc add, git commit, dvc push, index): {lap:.1f} s")
    change_source(source, sizes)
    lap, _ = timed(lambda: service.commit(NAME, source, tag="v2"))
    print(f"  version 2 ({sizes.changes:,} changed, removed, added each): {lap:.1f} s")
    return {"url": url, "repo": repo, "remote": remote, "store": store, "files": files}


# -------------------------------------------------------------- 1. browse


def browse_pages(get_page: Callable[[str, str, str | None], dict[str, Any]]) -> list[float]:
    """Seconds per page, paging the whole big folder in each sort and order."""
    laps: list[float] = []
    for sort in ("name", "size"):
        for order in ("asc", "desc"):
            cursor = None
            while True:
                lap, page = timed(lambda: get_page(sort, order, cursor))  # noqa: B023
                laps.append(lap)
                cursor = page["next_cursor"]
                if cursor is None:
                    break
    return sorted(laps)


def bench_browse(state: dict[str, Any], sizes: Sizes, server: Server | None) -> list[Result]:
    from jupyter_dl.datasets.service import DatasetService

    service = DatasetService(state["store"], state["repo"], str(state["remote"]))
    folder_size = sizes.flat  # v2 keeps the count: as many added as removed
    heading(f"1. browse a {folder_size:,}-entry folder, pages of {sizes.page}")
    results = []

    def ours(sort: str, order: str, cursor: str | None) -> dict[str, Any]:
        return service.tree(NAME, "v2", "images", sort, order, sizes.page, cursor)

    laps = browse_pages(ours)
    p50, p99 = percentile(laps, 0.5) * 1e3, percentile(laps, 0.99) * 1e3
    print(f"  DatasetService.tree: {len(laps)} pages, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    results.append(
        Result("browse page p99 (service)", f"{p99:.1f} ms", goal="<= 50 ms", met=p99 <= 50)
    )
    if server is not None:

        def http(sort: str, order: str, cursor: str | None) -> dict[str, Any]:
            query = {"path": "images", "sort": sort, "order": order, "limit": sizes.page}
            if cursor:
                query["cursor"] = cursor
            result: dict[str, Any] = server.get(
                f"datasets/{NAME}/versions/v2/tree?{urlencode(query)}"
            )
            return result

        laps = browse_pages(http)
        p50, p99 = percentile(laps, 0.5) * 1e3, percentile(laps, 0.99) * 1e3
        print(f"  GET .../tree (REST):  {len(laps)} pages, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        results.append(
            Result("browse page p99 (REST)", f"{p99:.1f} ms", goal="<= 50 ms", met=p99 <= 50)
        )
    return results


# -------------------------------------------------------------- 2. status


def bench_status(state: dict[str, Any], sizes: Sizes, skip_cli: bool) -> list[Result]:
    from dvc.repo import Repo

    from jupyter_dl.datasets.service import DatasetService

    heading(f"2. status of the unchanged {state['files']:,}-file working folder")
    workdir = str(state["repo"] / NAME)

    def ours() -> dict[str, Any]:
        fresh = DatasetService(state["store"], state["repo"], str(state["remote"]))
        return fresh.status(NAME)

    bare_walk(workdir)  # the same warm file-system cache for everyone
    bare_s, files = median_s(lambda: bare_walk(workdir), sizes.repeats)
    ours_s, status = median_s(ours, sizes.repeats)
    if not status["clean"]:
        raise SystemExit(f"the working folder should be clean: {status}")
    print(f"  bare scandir+stat walk ({files:,} files)  {bare_s * 1e3:9.1f} ms")
    print(f"  jupyter-dl status                        {ours_s * 1e3:9.1f} ms")

    def dvc_in_process() -> Any:
        with Repo(str(state["repo"])) as repo:
            return repo.status(targets=[str(state["repo"] / f"{NAME}.dvc")])

    dvc_s, dvc_result = median_s(dvc_in_process, max(1, sizes.repeats // 2))
    if dvc_result:
        raise SystemExit(f"dvc status should be clean: {dvc_result}")
    print(f"  dvc status, fresh Repo in this process   {dvc_s * 1e3:9.1f} ms")
    results = [
        Result(
            "status vs bare stat walk",
            f"{ours_s * 1e3:.0f} ms",
            f"{bare_s * 1e3:.0f} ms",
            f"{ours_s / bare_s:.2f}x",
            "<= 1.5x",
            ours_s / bare_s <= 1.5,
        ),
        Result(
            "status vs dvc status (in-process)",
            f"{ours_s * 1e3:.0f} ms",
            f"{dvc_s * 1e3:.0f} ms",
            f"{dvc_s / ours_s:.1f}x faster",
        ),
    ]
    if not skip_cli:
        command = [sys.executable, "-m", "dvc", "status", f"{NAME}.dvc"]

        def cli() -> str:
            done = subprocess.run(
                command, cwd=state["repo"], capture_output=True, text=True, check=True
            )
            return done.stdout

        cli_s, out = median_s(cli, max(1, sizes.repeats // 2))
        print(f"  dvc status, cold (new process)           {cli_s * 1e3:9.1f} ms  ({out.strip()})")
        results.append(
            Result(
                "status vs dvc status cold",
                f"{ours_s * 1e3:.0f} ms",
                f"{cli_s * 1e3:.0f} ms",
                f"{cli_s / ours_s:.1f}x faster",
                ">= 10x",
                cli_s / ours_s >= 10,
            )
        )
    return results


# ---------------------------------------------------------------- 3. diff


def bench_diff(state: dict[str, Any], sizes: Sizes) -> list[Result]:
    from jupyter_dl.datasets.service import DatasetService

    heading(f"3. diff of two {state['files']:,}-file versions")

    def first_page() -> dict[str, Any]:
        fresh = DatasetService(state["store"], state["repo"], str(state["remote"]))
        return fresh.diff(NAME, "v1", "v2", limit=200)

    lap, page = median_s(first_page, sizes.repeats)
    summary = page["summary"]
    expected = {"added": sizes.changes, "removed": sizes.changes, "modified": sizes.changes}
    if summary != expected:
        raise SystemExit(f"the diff found {summary}, not {expected}")
    print(f"  first page of 200 (no cached diff)       {lap * 1e3:9.1f} ms  {summary}")

    def all_pages() -> int:
        fresh = DatasetService(state["store"], state["repo"], str(state["remote"]))
        seen, cursor = 0, None
        while True:
            got = fresh.diff(NAME, "v1", "v2", limit=1000, cursor=cursor)
            seen += len(got["items"])
            cursor = got["next_cursor"]
            if cursor is None:
                return seen

    whole, seen = median_s(all_pages, sizes.repeats)
    print(f"  all {seen:,} changes, pages of 1,000       {whole * 1e3:9.1f} ms")
    return [
        Result("diff, first page", f"{lap * 1e3:.0f} ms", goal="<= 1 s", met=lap <= 1.0),
        Result("diff, every page", f"{whole * 1e3:.0f} ms", goal="<= 1 s", met=whole <= 1.0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--skip-http", action="store_true", help="no Jupyter server timings")
    parser.add_argument("--skip-dvc-cli", action="store_true", help="no dvc command line run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {mode} sizes")
    with tempfile.TemporaryDirectory(prefix="dl-bench-datasets-") as name:
        tmp = Path(name)
        state = seed(tmp, sizes)
        server = None
        if not args.skip_http:
            os.environ["JUPYTER_DL_DATASETS_DIR"] = str(state["repo"])
            os.environ["JUPYTER_DL_DATASETS_REMOTE"] = str(state["remote"])
            server = Server(state["url"], tmp)
        try:
            results = bench_browse(state, sizes, server)
        finally:
            if server is not None:
                server.stop()
        results += bench_status(state, sizes, args.skip_dvc_cli)
        results += bench_diff(state, sizes)
        state["store"].close()
    print_table(results)


if __name__ == "__main__":
    main()
