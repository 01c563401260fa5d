"""How much does jupyter-dl add to a Jupyter server's start-up?

Starts ``jupyter server`` repeatedly with and without the jupyter_dl extension,
interleaved so both see the same machine, and times process start to the first
answered ``GET /api/status``. Prints the medians, their ratio, the added
milliseconds (goal: at most +50 ms) and the modules loading the extension adds.

    python benchmarks/server_start.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TOKEN = "bench"

MODULES_SCRIPT = """
import json, sys
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=sys.argv[2:])
print(json.dumps(sorted(sys.modules)))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_args(with_extension: bool, port: int) -> list[str]:
    enabled = "True" if with_extension else "False"
    return [
        f"--ServerApp.jpserver_extensions={{'jupyter_dl': {enabled}}}",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.open_browser=False",
        "--allow-root",
    ]


def time_to_ready(with_extension: bool, env: dict[str, str]) -> float:
    """Seconds from spawning the server process to its first answered status request."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/status?token={TOKEN}"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", *server_args(with_extension, port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the server exited before it was ready")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.002)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def added_modules(env: dict[str, str]) -> list[str]:
    """Top-level modules present after initialising a server only with the extension."""

    def modules(with_extension: bool) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", MODULES_SCRIPT, "--", *server_args(with_extension, 0)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        return set(json.loads(out.strip().splitlines()[-1]))

    return sorted(modules(True) - modules(False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "JUPYTER_DL_DB_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
            "JUPYTER_RUNTIME_DIR": str(Path(tmp) / "runtime"),
        }
        time_to_ready(True, env)  # warm caches and create the store once
        base: list[float] = []
        ext: list[float] = []
        for _ in range(args.rounds):
            base.append(time_to_ready(False, env))
            ext.append(time_to_ready(True, env))
        extra = added_modules(env)

    b, e = statistics.median(base), statistics.median(ext)
    print(f"rounds: {args.rounds} (interleaved), median start-to-ready")
    print(f"  jupyter server alone:        {b * 1000:7.1f} ms")
    print(f"  with jupyter_dl:             {e * 1000:7.1f} ms")
    print(f"  ratio with/without:          {e / b:7.3f}")
    print(f"  added:                       {(e - b) * 1000:+7.1f} ms (goal <= +50 ms)")
    ours = [m for m in extra if m.startswith("jupyter_dl")]
    others = [m for m in extra if not m.startswith("jupyter_dl")]
    print(f"modules added by loading the extension: {len(extra)}")
    print(f"  jupyter_dl: {len(ours)}")
    print(f"  other: {', '.join(sorted({m.split('.')[0] for m in others})) or 'none'}")


if __name__ == "__main__":
    main()
