"""How fast is the model server, and how much of a model's batched speed does it keep?

One server process (``jupyter_dl.registry.serving.serve``, as ``jupyter dl serve``
starts it) runs in a subprocess; a loopback load client in this process talks
HTTP/1.1 over keep-alive connections with pre-encoded Open Inference Protocol
requests. Measured:

1. A no-op model (returns its input): latency of sequential requests, one
   connection. Goal: p50 at most 1 ms.
2. The same model under concurrent load: requests per second. Goal: at least 2,000.
3. A small CNN (CIFAR-sized images, torch on CPU): images per second served with
   micro-batching (one image per request, many connections) against the same model
   called in-process on batches of ``max_batch_size`` images. The two alternate
   for a few rounds and their medians are compared, so a busy moment on the
   machine hits both. Goal: at least 0.9x, with images sent as raw bytes (the
   protocol's binary data extension, as Triton's and KServe's clients send
   tensors). Shown beside it, once each: images as JSON numbers, with
   ``max_wait_ms``, with OpenMP's default waits (threads that spin, which
   ``prepare_serving_process`` turns off), and without batching.

With ``--kserve-python PATH`` (the python of a virtual environment where ``kserve``
is installed) the same no-op model is also served by KServe's ``ModelServer`` and
measured with the same client, for the comparison in docs/serving.md.

The client shares the machine with the server: on a 2-core machine every
microsecond the client spends is taken from the server, so the numbers are a floor.

    python benchmarks/serving.py [--quick] [--connections N] [--seconds S] [--width W]
                                 [--kserve-python PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report import Result, heading, print_table

GOAL_P50_MS = 1.0
GOAL_RPS = 2000.0
GOAL_RATIO = 0.9

IMAGE = (3, 32, 32)
CLASSES = 10


@dataclass
class Sizes:
    sequential: int  # timed sequential no-op requests
    warmup: int  # untimed requests before each measurement
    seconds: float  # length of each concurrent load
    connections: int  # concurrent keep-alive connections of the load client
    max_batch_size: int  # of the served CNN, and the in-process batch
    width: int  # channels of the CNN's first convolution
    rounds: int  # alternations of in-process and served CNN runs (medians are compared)


FULL = Sizes(5_000, 500, 10.0, 32, 32, 64, 3)
QUICK = Sizes(200, 20, 0.5, 8, 8, 8, 1)


# --- the models, built the same way here and in the server process -----------------


def make_cnn(width: int) -> Any:
    """A small CIFAR-sized CNN: three conv blocks and a linear classifier, eval mode."""
    import torch
    from torch import nn

    torch.manual_seed(0)

    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))

    net = nn.Sequential(
        block(IMAGE[0], width),
        block(width, 2 * width),
        block(2 * width, 4 * width),
        nn.Flatten(),
        nn.Linear(4 * width * (IMAGE[1] // 8) * (IMAGE[2] // 8), CLASSES),
    )
    return net.eval()


def noop_model() -> Any:
    from jupyter_dl.registry.serving import ServedModel
    from jupyter_dl.registry.signature import Signature, TensorSpec

    signature = Signature((TensorSpec("x", "FP32", (-1, 4)),), (TensorSpec("y", "FP32", (-1, 4)),))
    return ServedModel("noop", "1", signature, lambda inputs: {"y": inputs["x"]})


def cnn_model(width: int) -> Any:
    import torch

    from jupyter_dl.registry.serving import ServedModel
    from jupyter_dl.registry.signature import Signature, TensorSpec

    net = make_cnn(width)

    def predict(inputs: dict[str, Any]) -> dict[str, Any]:
        with torch.inference_mode():
            return {"logits": net(torch.from_numpy(inputs["image"])).numpy()}

    signature = Signature(
        (TensorSpec("image", "FP32", (-1, *IMAGE)),), (TensorSpec("logits", "FP32", (-1, CLASSES)),)
    )
    return ServedModel("cnn", "1", signature, predict)


def run_server(
    kind: str, width: int, max_batch_size: int, max_wait_ms: float, omp_default: bool
) -> None:
    """The server process: ``serving.py --serve noop|cnn ...``, set up as the CLI does
    (unless ``omp_default``: OpenMP threads that spin as they do by default)."""
    from jupyter_dl.registry.serving import prepare_serving_process, serve

    if not omp_default:
        prepare_serving_process()
    model = noop_model() if kind == "noop" else cnn_model(width)
    serve(model, "127.0.0.1", 0, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)


KSERVE_NOOP = textwrap.dedent(
    """
    import logging
    import sys

    from kserve import Model, ModelServer
    from kserve.protocol.infer_type import InferOutput, InferResponse


    class Noop(Model):
        def __init__(self):
            super().__init__("noop")
            self.ready = True

        async def predict(self, payload, headers=None, response_headers=None):
            x = payload.inputs[0].as_numpy()
            y = InferOutput(name="y", shape=list(x.shape), datatype="FP32")
            y.set_data_from_numpy(x, binary_data=False)
            return InferResponse(
                model_name=self.name, infer_outputs=[y], response_id=payload.id or "0"
            )


    server = ModelServer(http_port=int(sys.argv[1]), enable_grpc=False, workers=1,
                         enable_latency_logging=False)
    # A log line per request would cost as much as the request; ours logs none either.
    for name in ("uvicorn.access", "kserve.trace"):
        logging.getLogger(name).disabled = True
    server.start([Noop()])
    """
)


# --- starting and stopping servers ---------------------------------------------------


class Server:
    """A server subprocess and where it listens."""

    def __init__(self, command: list[str], port: int | None = None) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        if port is None:  # ours announces itself once listening
            line = self.process.stdout.readline() if self.process.stdout else ""
            match = re.match(r"serving \S+ v\S+ at http://([\d.]+):(\d+)", line)
            if not match:
                self.stop()
                raise SystemExit(f"the server did not start: {line}{self._stderr()}")
            self.host, self.port = match.group(1), int(match.group(2))
        else:
            self.host, self.port = "127.0.0.1", port
            self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {self._stderr()}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
                conn.request("GET", "/v2/health/ready")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not become ready in time")

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read() if self.process.stderr else ""

    def metrics(self) -> str:
        import http.client

        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def our_server(
    kind: str,
    sizes: Sizes,
    max_batch_size: int,
    max_wait_ms: float = 0.0,
    omp_default: bool = False,
) -> Server:
    command = [sys.executable, __file__, "--serve", kind, "--width", str(sizes.width)]
    command += ["--max-batch-size", str(max_batch_size), "--max-wait-ms", str(max_wait_ms)]
    return Server(command + (["--omp-default"] if omp_default else []))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the load client ---------------------------------------------------------------


def infer_request(
    host: str, model: str, inputs: list[dict[str, Any]], binary: bytes | None = None
) -> bytes:
    """A complete HTTP/1.1 infer request, encoded once and sent many times.

    With ``binary``, the inputs' bytes follow the JSON (the binary data extension).
    """
    header = json.dumps({"inputs": inputs}).encode()
    extra = "" if binary is None else f"Inference-Header-Content-Length: {len(header)}\r\n"
    body = header + (binary or b"")
    head = (
        f"POST /v2/models/{model}/infer HTTP/1.1\r\nHost: {host}\r\n{extra}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive connection that sends a request and reads its response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> bytes:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"the server answered {head.decode(errors='replace')!r}")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        if length is None:
            raise SystemExit("the response has no Content-Length")
        return await self.reader.readexactly(int(length.group(1)))

    def close(self) -> None:
        self.writer.close()


async def sequential(server: Server, request: bytes, count: int, warmup: int) -> list[float]:
    """Latencies (s) of ``count`` requests sent one after another on one connection."""
    conn = await Connection.open(server.host, server.port)
    for _ in range(warmup):
        await conn.send(request)
    laps = []
    for _ in range(count):
        started = time.perf_counter()
        await conn.send(request)
        laps.append(time.perf_counter() - started)
    conn.close()
    return laps


async def load(
    server: Server, request: bytes, connections: int, seconds: float, warmup: int
) -> tuple[float, list[float]]:
    """Requests per second with ``connections`` clients sending back to back; latencies."""
    conns = [await Connection.open(server.host, server.port) for _ in range(connections)]

    async def warm(conn: Connection) -> None:
        for _ in range(max(1, warmup // connections)):
            await conn.send(request)

    await asyncio.gather(*(warm(c) for c in conns))

    laps: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def client(conn: Connection) -> int:
        done = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            await conn.send(request)
            laps.append(time.perf_counter() - started)
            done += 1
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    return sum(counts) / elapsed, laps


def pct(laps: list[float], q: float) -> float:
    ordered = sorted(laps)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def mean_batch(metrics: str) -> float:
    """Mean rows per predict call, from the server's ``dl_serving_batch_size`` histogram."""
    total = re.search(r"^dl_serving_batch_size_sum\{[^}]*\} (\S+)$", metrics, re.M)
    count = re.search(r"^dl_serving_batch_size_count\{[^}]*\} (\S+)$", metrics, re.M)
    if not total or not count or float(count.group(1)) == 0:
        return float("nan")
    return float(total.group(1)) / float(count.group(1))


# --- the measurements ---------------------------------------------------------------


NOOP_INPUT = [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1.0, 2.0, 3.0, 4.0]}]


def bench_noop(name: str, server: Server, sizes: Sizes) -> dict[str, float]:
    request = infer_request(server.host, "noop", NOOP_INPUT)
    laps = asyncio.run(sequential(server, request, sizes.sequential, sizes.warmup))
    p50, p99 = pct(laps, 0.5), pct(laps, 0.99)
    print(f"  {name:<8} sequential, 1 connection   p50 {p50:6.3f} ms   p99 {p99:6.3f} ms")
    rps, loaded = asyncio.run(load(server, request, sizes.connections, sizes.seconds, sizes.warmup))
    print(
        f"  {name:<8} {sizes.connections} connections, {sizes.seconds:g} s   {rps:8,.0f} req/s   "
        f"p50 {pct(loaded, 0.5):6.2f} ms   p99 {pct(loaded, 0.99):6.2f} ms"
    )
    return {"p50": p50, "p99": p99, "rps": rps}


def in_process(sizes: Sizes, omp_default: bool) -> float:
    """Images per second through the CNN called directly on batches of max_batch_size,
    in a fresh process (OpenMP reads its wait policy once, at start)."""
    command = [sys.executable, __file__, "--in-process", "--width", str(sizes.width)]
    command += ["--max-batch-size", str(sizes.max_batch_size), "--seconds", str(sizes.seconds)]
    done = subprocess.run(
        command + (["--omp-default"] if omp_default else []),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def run_in_process(width: int, batch: int, seconds: float, omp_default: bool) -> None:
    """The in-process baseline's process: prints images per second."""
    if not omp_default:
        from jupyter_dl.registry.serving import prepare_serving_process

        prepare_serving_process()
    import torch

    net = make_cnn(width)
    x = torch.randn(batch, *IMAGE)
    with torch.inference_mode():
        for _ in range(3):
            net(x)
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            net(x)
            done += batch
        print(done / (time.perf_counter() - started))


def serve_cnn(
    sizes: Sizes,
    label: str,
    request: Callable[[Server], bytes],
    max_batch_size: int,
    max_wait_ms: float = 0.0,
    omp_default: bool = False,
) -> float:
    """Images per second of the CNN served under load; prints the line."""
    with our_server("cnn", sizes, max_batch_size, max_wait_ms, omp_default) as server:
        rps, laps = asyncio.run(
            load(server, request(server), sizes.connections, sizes.seconds, sizes.warmup)
        )
        rows = mean_batch(server.metrics())
    print(
        f"  served, {label:<30}  {rps:8,.0f} images/s   "
        f"mean batch {rows:5.1f}   p50 {pct(laps, 0.5):6.1f} ms"
    )
    return rps


def bench_cnn(sizes: Sizes) -> list[Result]:
    import numpy as np

    heading(f"3. small CNN on CPU, {IMAGE} images, width {sizes.width}")
    batch = sizes.max_batch_size
    image = np.random.default_rng(0).standard_normal((1, *IMAGE)).astype("<f4")
    data = image.ravel().tolist()
    as_json = [{"name": "image", "shape": [1, *IMAGE], "datatype": "FP32", "data": data}]
    binary = {"binary_data_size": image.nbytes}
    as_bytes = [{"name": "image", "shape": [1, *IMAGE], "datatype": "FP32", "parameters": binary}]

    def json_request(server: Server) -> bytes:
        return infer_request(server.host, "cnn", as_json)

    def binary_request(server: Server) -> bytes:
        return infer_request(server.host, "cnn", as_bytes, image.tobytes())

    # The judged pair alternates, so a busy moment on the machine hits both sides.
    in_process_runs, binary_runs = [], []
    for i in range(sizes.rounds):
        rate = in_process(sizes, omp_default=False)
        in_process_runs.append(rate)
        print(f"  in-process, batches of {batch}, round {i + 1:<12} {rate:8,.0f} images/s")
        binary_runs.append(serve_cnn(sizes, "batching, binary inputs", binary_request, batch))
    baseline = statistics.median(in_process_runs)
    served = {"batching, binary inputs": statistics.median(binary_runs)}
    spinning = in_process(sizes, omp_default=True)
    print(f"  in-process, OpenMP default waits             {spinning:8,.0f} images/s")
    served["batching, JSON inputs"] = serve_cnn(sizes, "batching, JSON inputs", json_request, batch)
    served["JSON, max wait 2 ms"] = serve_cnn(
        sizes, "JSON, max wait 2 ms", json_request, batch, max_wait_ms=2.0
    )
    served["JSON, OpenMP default waits"] = serve_cnn(
        sizes, "JSON, OpenMP default waits", json_request, batch, omp_default=True
    )
    served["JSON, no batching"] = serve_cnn(sizes, "JSON, no batching", json_request, 1)

    results = [
        Result(
            "CNN in-process, OpenMP default",
            f"{spinning:,.0f} img/s",
            f"{baseline:,.0f} img/s",
            f"{spinning / baseline:.2f}x",
        )
    ]
    for label, rps in served.items():
        judged = label == "batching, binary inputs"
        results.append(
            Result(
                f"CNN served, {label}",
                f"{rps:,.0f} img/s",
                f"{baseline:,.0f} img/s",
                f"{rps / baseline:.2f}x",
                f">= {GOAL_RATIO}x" if judged else "-",
                rps / baseline >= GOAL_RATIO if judged else None,
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short loads and a tiny CNN")
    parser.add_argument("--connections", type=int, default=None, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=None, help="length of each load")
    parser.add_argument("--kserve-python", help="python of a venv with kserve, to compare")
    parser.add_argument("--serve", choices=("noop", "cnn"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--width", type=int, default=None, help="channels of the CNN's first convolution"
    )
    parser.add_argument("--max-batch-size", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--max-wait-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--omp-default", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.in_process:
        run_in_process(options.width, options.max_batch_size, options.seconds, options.omp_default)
        return
    if options.serve:
        run_server(
            options.serve,
            options.width or FULL.width,
            options.max_batch_size,
            options.max_wait_ms,
            options.omp_default,
        )
        return

    sizes = QUICK if options.quick else FULL
    sizes.connections = options.connections or sizes.connections
    sizes.seconds = options.seconds or sizes.seconds
    sizes.width = options.width or sizes.width
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{'quick' if options.quick else 'full'} sizes; one server process, "
        f"the load client in this process"
    )
    if (os.cpu_count() or 1) <= 4:
        print(f"  note: {os.cpu_count()} cores: the load client competes with the server for CPU")

    results: list[Result] = []
    heading("1-2. no-op model: latency (sequential) and throughput (concurrent)")
    with our_server("noop", sizes, 32) as server:
        ours = bench_noop("ours", server, sizes)
    results += [
        Result(
            "no-op p50 latency",
            f"{ours['p50']:.3f} ms",
            goal=f"<= {GOAL_P50_MS} ms",
            met=ours["p50"] <= GOAL_P50_MS,
        ),
        Result(
            "no-op throughput",
            f"{ours['rps']:,.0f} req/s",
            goal=f">= {GOAL_RPS:,.0f} req/s",
            met=ours["rps"] >= GOAL_RPS,
        ),
    ]
    if options.kserve_python:
        with tempfile.TemporaryDirectory(prefix="dl-bench-serving-") as tmp:
            script = Path(tmp) / "kserve_noop.py"
            script.write_text(KSERVE_NOOP)
            port = free_port()
            with Server([options.kserve_python, str(script), str(port)], port) as server:
                theirs = bench_noop("kserve", server, sizes)
        results += [
            Result(
                "no-op p50 vs kserve",
                f"{ours['p50']:.3f} ms",
                f"{theirs['p50']:.3f} ms",
                f"{theirs['p50'] / ours['p50']:.2f}x faster",
            ),
            Result(
                "no-op req/s vs kserve",
                f"{ours['rps']:,.0f}",
                f"{theirs['rps']:,.0f}",
                f"{ours['rps'] / theirs['rps']:.2f}x",
            ),
        ]
    else:
        print("  kserve: skipped (no --kserve-python)")

    results += bench_cnn(sizes)
    print_table(results)


if __name__ == "__main__":
    main()
