"""What do quotas cost a spawn, and how fast does the embedded hub start a server?

1. Quota work per spawn, with 10,000 users in 100 groups in JupyterHub's database
   and a quota database holding limits for the 100 groups and 2,000 users and
   200,000 past server sessions (20 per user over 30 days). For random users:
   the decision alone (limits, usage, decide), and everything the spawner does
   before a server starts (``EmbeddedSpawner.apply_profile``: profile choice, the
   quota decision, GPUs of a simulated 8-GPU machine, the accounting record),
   with the user's groups read from JupyterHub's database each time. Baseline:
   the same method's work without quotas (profile choice and GPU assignment).
   Goal: at most 5 ms per spawn (p50).
2. Spawn-to-ready: the time from ``POST /hub/api/users/<name>/server`` to the
   server being ready, for the embedded hub (``jupyter dl hub``, CPU profile)
   and for plain JupyterHub started from a minimal config with its
   ``SimpleLocalProcessSpawner`` (the default ``LocalProcessSpawner`` needs a
   system account per user), both running ``jupyterhub-singleuser`` with this
   Python, interleaved round by round. Goal: embedded p50 at most 1.1x plain.

    python benchmarks/hub.py [--quick] [--rounds N] [--skip-spawn]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from report import Result, heading, print_table

GOAL_CHECK_MS = 5.0
GOAL_SPAWN_RATIO = 1.1
DAY = 86400.0


@dataclass
class Sizes:
    users: int
    groups: int
    user_limits: int
    sessions_per_user: int
    checks: int
    rounds: int


FULL = Sizes(
    users=10_000, groups=100, user_limits=2_000, sessions_per_user=20, checks=2_000, rounds=7
)
QUICK = Sizes(users=1_000, groups=20, user_limits=200, sessions_per_user=5, checks=200, rounds=2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# 1. Quota work per spawn ---------------------------------------------------------------


def seed_hub_db(url: str, sizes: Sizes) -> Any:
    """JupyterHub's database with ``sizes.users`` users, each in two of the groups."""
    from jupyterhub import orm

    db = orm.new_session_factory(url)()
    groups = [orm.Group(name=f"group-{g:03}") for g in range(sizes.groups)]
    db.add_all(groups)
    for u in range(sizes.users):
        user = orm.User(name=f"user-{u:05}")
        user.groups = [groups[u % sizes.groups], groups[(u * 7 + 3) % sizes.groups]]
        db.add(user)
    db.commit()
    return db


def seed_quota_db(url: str, sizes: Sizes, now: float) -> None:
    """Limits for every group and some users, and 30 days of closed sessions."""
    from sqlalchemy import insert

    from jupyter_dl_hub.quotas.models import LimitRow, ServerSession
    from jupyter_dl_hub.quotas.store import QuotaStore

    rng = random.Random(1)
    store = QuotaStore(url).open()
    limits = [
        {
            "kind": "group",
            "name": f"group-{g:03}",
            "max_gpus": float(1 + g % 4),
            "gpu_hours": float(50 + 10 * (g % 10)),
            "period_days": 7.0,
            "max_servers": 3.0,
            "allowed_profiles": None,
            "updated_at": now,
            "updated_by": "bench",
        }
        for g in range(sizes.groups)
    ]
    step = max(1, sizes.users // sizes.user_limits)
    limits += [
        {
            "kind": "user",
            "name": f"user-{u:05}",
            "max_gpus": 8.0,
            "gpu_hours": None,
            "period_days": None,
            "max_servers": None,
            "allowed_profiles": json.dumps(["cpu", "1-gpu", "4-gpus"]),
            "updated_at": now,
            "updated_by": "bench",
        }
        for u in range(0, sizes.users, step)
    ]
    sessions = []
    for u in range(sizes.users):
        for _ in range(sizes.sessions_per_user):
            start = now - rng.uniform(0, 30 * DAY)
            end = start + rng.uniform(60, 4 * 3600)
            sessions.append(
                {
                    "user": f"user-{u:05}",
                    "server": "",
                    "profile": "1-gpu",
                    "gpus": 1,
                    "groups": "[]",
                    "started_at": start,
                    "last_seen_at": end,
                    "ended_at": end,
                    "end_reason": "stopped",
                }
            )
    with store.session(write=True) as session:
        session.execute(insert(LimitRow), limits)
        for i in range(0, len(sessions), 20_000):
            session.execute(insert(ServerSession), sessions[i : i + 20_000])
    store.close()


def bench_quota_checks(sizes: Sizes) -> list[Result]:
    from traitlets.config import Config

    from jupyter_dl_hub.profiles import assign_gpus, choose_profile
    from jupyter_dl_hub.quotas.policy import SpawnRequest
    from jupyter_dl_hub.spawner import EmbeddedSpawner, GpuClaims

    heading(
        f"1. quota work per spawn: {sizes.users:,} users in {sizes.groups} groups,"
        f" {sizes.users * sizes.sessions_per_user:,} past sessions"
    )
    with tempfile.TemporaryDirectory(prefix="dl-bench-hub-") as tmp:
        started = time.perf_counter()
        # Quiet: both databases' migrations report their progress through Alembic.
        logging.disable(logging.INFO)
        db = seed_hub_db(f"sqlite:///{Path(tmp) / 'jupyterhub.sqlite'}", sizes)
        quota_url = f"sqlite:///{Path(tmp) / 'quotas.sqlite'}"
        seed_quota_db(quota_url, sizes, time.time())
        print(f"  seeding (not timed): {time.perf_counter() - started:.1f} s")

        from jupyterhub import orm

        c = Config()
        c.Quotas.db_url = quota_url
        c.EmbeddedSpawner.simulated_gpus = 8
        EmbeddedSpawner.claims = GpuClaims()
        hub = SimpleNamespace(
            public_host="", url="http://127.0.0.1:8081/hub/", base_url="/hub/",
            api_url="http://127.0.0.1:8081/hub/api",
        )  # fmt: skip
        rng = random.Random(2)
        names = [f"user-{rng.randrange(sizes.users):05}" for _ in range(sizes.checks)]

        def user(name: str) -> Any:
            # The user's groups read from JupyterHub's database every time: the hub
            # usually has them loaded already, so this is the expensive case.
            found = db.query(orm.User).filter_by(name=name).one()
            db.expire(found)
            return SimpleNamespace(
                name=name, url=f"/user/{name}/", id=found.id, groups=found.groups
            )

        check_ms, spawn_ms, baseline_ms, refused = [], [], [], 0
        for name in names[:20]:  # warm up: imports, the engine, SQLite's caches
            spawner = EmbeddedSpawner(config=c, user=user(name), hub=hub)
            spawner.quota_ledger.check(name, spawner.group_names, "", SpawnRequest("1-gpu", 1))
        for name in names:
            spawner = EmbeddedSpawner(config=c, user=user(name), hub=hub)
            ledger = spawner.quota_ledger
            t0 = time.perf_counter()
            ledger.check(name, spawner.group_names, "", SpawnRequest("1-gpu", 1))
            check_ms.append((time.perf_counter() - t0) * 1000)

            spawner = EmbeddedSpawner(config=c, user=user(name), hub=hub)
            t0 = time.perf_counter()
            try:
                spawner.apply_profile({"profile": "1-gpu"})
            except Exception as error:  # a refusal costs the same work
                if getattr(error, "status_code", None) != 403:
                    raise
                refused += 1
            spawn_ms.append((time.perf_counter() - t0) * 1000)
            spawner.clear_state()

            t0 = time.perf_counter()
            profile = choose_profile(spawner.server_profiles.load(), {"profile": "1-gpu"})
            assign_gpus(profile.gpus, spawner.host_gpus(), set(), profile.gpu_type)
            baseline_ms.append((time.perf_counter() - t0) * 1000)

    def line(label: str, values: list[float]) -> None:
        print(
            f"  {label:<44} p50 {statistics.median(values):6.3f} ms"
            f"   p95 {percentile(values, 0.95):6.3f} ms   mean {statistics.fmean(values):6.3f} ms"
        )

    print(f"  {len(names):,} spawns of random users, {refused} refused by their quota")
    line("decision (limits + usage + decide)", check_ms)
    line("apply_profile with quotas and accounting", spawn_ms)
    line("apply_profile's work without quotas", baseline_ms)
    p50 = statistics.median(spawn_ms)
    base = statistics.median(baseline_ms)
    return [
        Result(
            "quota decision per spawn, p50",
            f"{statistics.median(check_ms):.2f} ms",
            goal=f"<= {GOAL_CHECK_MS:g} ms",
            met=statistics.median(check_ms) <= GOAL_CHECK_MS,
        ),
        Result(
            "spawner's quota work per spawn, p50",
            f"{p50:.2f} ms",
            f"{base:.2f} ms",
            f"+{p50 - base:.2f} ms",
            f"<= {GOAL_CHECK_MS:g} ms",
            p50 <= GOAL_CHECK_MS,
        ),
    ]


# 2. Spawn-to-ready ----------------------------------------------------------------------


PLAIN_CONFIG = """
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {port} + 2
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = {proxy_command!r}
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.pid_file = "{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.pid_file = "{state}/proxy.pid"
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.SimpleLocalProcessSpawner.home_dir_template = "{state}/users/{{username}}"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
# The platform store the embedded hub's servers use too (it passes the variable on).
c.Spawner.environment = {{"JUPYTER_DL_DB_URL": {db_url!r}}}
c.Spawner.args = {args!r}
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["bench"]}}]
"""


def free_port_run(length: int = 4) -> int:
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if all(_free(port + i) for i in range(length)):
            return port
    raise RuntimeError("no free run of loopback ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Hub:
    name: str
    url: str
    token: str
    process: subprocess.Popen[bytes]
    profile: dict[str, Any] | None = None

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}hub/api/{path}", data=data, method=method,
            headers={"Authorization": f"token {self.token}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


@contextmanager
def running(
    name: str, command: list[str], env: dict[str, str], port: int, token: str, log: Path
) -> Iterator[Hub]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    hub = Hub(name, f"http://127.0.0.1:{port}/", token, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{log.read_text()[-3000:]}")
            try:
                if hub.api("GET", "")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield hub
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def spawn_to_ready(hub: Hub, user: str) -> float:
    """Seconds from asking for ``user``'s server to the hub reporting it ready; then stop it."""
    status, body = hub.api("POST", f"users/{user}")
    assert status in (201, 409), (hub.name, status, body)
    started = time.perf_counter()
    status, body = hub.api("POST", f"users/{user}/server", hub.profile)
    assert status in (201, 202), body
    while True:
        server = (hub.api("GET", f"users/{user}")[1]["servers"] or {}).get("")
        if server and server["ready"]:
            elapsed = time.perf_counter() - started
            break
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"{hub.name}: {user}'s server never became ready")
        time.sleep(0.02)
    hub.api("DELETE", f"users/{user}/server")
    while (hub.api("GET", f"users/{user}")[1]["servers"] or {}).get(""):
        time.sleep(0.1)
    return elapsed


def bench_spawn(sizes: Sizes) -> list[Result]:
    from jupyter_dl_hub.embedded import find_proxy_command

    heading(f"2. spawn-to-ready, {sizes.rounds} rounds interleaved (after one warm-up each)")
    with tempfile.TemporaryDirectory(prefix="dl-bench-spawn-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_DL_")}
        env.update(
            CUDA_VISIBLE_DEVICES="",
            JUPYTER_DL_DB_URL=f"sqlite:///{root / 'platform.sqlite'}",
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        )
        plain_port, embedded_port = free_port_run(), 0
        plain_token, embedded_token = secrets.token_hex(32), secrets.token_hex(32)
        (root / "plain").mkdir()
        config = root / "plain" / "jupyterhub_config.py"
        config.write_text(
            textwrap.dedent(
                PLAIN_CONFIG.format(
                    port=plain_port,
                    proxy_port=plain_port + 1,
                    proxy_command=find_proxy_command(),
                    state=root / "plain",
                    python=sys.executable,
                    args=["--allow-root"] if os.geteuid() == 0 else [],
                    token=plain_token,
                    db_url=env["JUPYTER_DL_DB_URL"],
                )
            )
        )
        plain_command = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
        with running(
            "plain", plain_command, env, plain_port, plain_token, root / "plain.log"
        ) as plain:
            embedded_port = free_port_run()
            embedded_env = {
                **env,
                "JUPYTER_DL_DEMO_PASSWORD": secrets.token_urlsafe(32),
                "JUPYTER_DL_HUB_ADMIN_TOKEN": embedded_token,
            }
            command = [
                sys.executable, "-m", "jupyter_dl_hub",
                "--port", str(embedded_port), "--state-dir", str(root / "embedded"),
            ]  # fmt: skip
            with running(
                "embedded",
                command,
                embedded_env,
                embedded_port,
                embedded_token,
                root / "embedded.log",
            ) as embedded:
                embedded.profile = {"profile": "cpu"}
                spawn_to_ready(plain, "warmup")
                spawn_to_ready(embedded, "warmup")
                times: dict[str, list[float]] = {"plain": [], "embedded": []}
                for i in range(sizes.rounds):
                    order: list[Hub] = [plain, embedded] if i % 2 == 0 else [embedded, plain]
                    for hub in order:
                        seconds = spawn_to_ready(hub, f"user{i}")
                        times[hub.name].append(seconds)
                        print(
                            f"  round {i + 1}: {hub.name:<9} {seconds * 1000:7.0f} ms", flush=True
                        )

    plain_p50 = statistics.median(times["plain"])
    embedded_p50 = statistics.median(times["embedded"])
    ratio = embedded_p50 / plain_p50
    print(f"  plain JupyterHub p50   {plain_p50 * 1000:7.0f} ms")
    print(f"  embedded hub p50       {embedded_p50 * 1000:7.0f} ms")
    return [
        Result(
            "spawn-to-ready p50",
            f"{embedded_p50 * 1000:.0f} ms",
            f"{plain_p50 * 1000:.0f} ms",
            f"{ratio:.2f}x",
            f"<= {GOAL_SPAWN_RATIO}x",
            ratio <= GOAL_SPAWN_RATIO,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small database, two spawn rounds")
    parser.add_argument("--rounds", type=int, default=None, help="spawn-to-ready rounds per hub")
    parser.add_argument("--skip-spawn", action="store_true", help="only the quota work")
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    sizes.rounds = options.rounds or sizes.rounds
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{'quick' if options.quick else 'full'} sizes"
    )
    results = bench_quota_checks(sizes)
    step: Callable[[Sizes], list[Result]] = bench_spawn
    if options.skip_spawn:
        print("\n  spawn-to-ready: skipped (--skip-spawn)")
    else:
        results += step(sizes)
    print_table(results)


if __name__ == "__main__":
    main()
