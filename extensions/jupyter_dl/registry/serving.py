"""An HTTP inference server for one model version, speaking the Open Inference Protocol v2.

``jupyter dl serve NAME@alias`` and the **Deploy** button end here: the registry
loads a model version into a :class:`ServedModel` (name, version, signature and a
``predict`` function over a batch of numpy arrays) and calls :func:`serve`. The
protocol is the one KServe and Triton speak (``/v2/models/{name}/infer``...), so
clients written for them work unchanged, and the same model moves to a cluster's
``InferenceService`` without touching its callers.

Inputs come as JSON numbers or, with the protocol's binary data extension (the
``Inference-Header-Content-Length`` header, as Triton's and KServe's clients send
it), as raw bytes after the JSON; responses are JSON.

Concurrent requests are micro-batched: their rows queue while the model is busy
and are stacked along the first axis into one ``predict`` call of at most
``max_batch_size`` rows on a worker thread, then split back. ``max_wait_ms`` lets a
batch wait that long for more rows when the model is idle; the default 0 never
delays a request (a lone request is predicted at once, and batches form from
what queues up while the model works), which is what Triton does by default too.

Once listening, :func:`serve` prints one line a deployment manager can wait for:
``serving NAME vVERSION at http://HOST:PORT`` (and writes ``ready_file`` if given).
SIGTERM or SIGINT stops accepting connections, reports not ready, lets the
requests in flight finish (up to ``drain_timeout_s``), then returns.

The server is tornado (already here through jupyter_server) and bodies are parsed
with orjson: a 3x32x32 image as JSON parses 8x faster than with the standard
library, which is what decides how many images per second a CPU can serve.
docs/serving.md has the measurements behind both choices.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..errors import BadRequest, NotFound, PlatformError
from .signature import Signature, decode_inputs, encode_outputs, requested_outputs

if TYPE_CHECKING:
    import numpy as np
    from prometheus_client import CollectorRegistry

Arrays = dict[str, "np.ndarray"]
Predict = Callable[[Arrays], Mapping[str, Any]]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True)
class ServedModel:
    """What the server serves: one version of one model.

    ``predict`` takes a batch, a dict of input arrays that share their first
    dimension, and returns the output arrays with that same first dimension. It is
    called on one worker thread, never concurrently with itself.
    """

    name: str
    version: str
    signature: Signature
    predict: Predict
    platform: str = "pytorch"


class PredictionFailed(PlatformError):
    """The model raised, or returned outputs that do not fit its signature."""

    code = "prediction_failed"
    status = 500


class ServingMetrics:
    """The Prometheus metrics of one server, in a registry of their own (see docs/serving.md)."""

    def __init__(self, model: ServedModel, max_batch_size: int) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            PlatformCollector,
            ProcessCollector,
        )

        self.registry: CollectorRegistry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        labels = ("model", "version")
        values = (model.name, model.version)
        self._requests = Counter(
            "dl_serving_requests",
            "Infer requests answered, by HTTP status code.",
            (*labels, "code"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "dl_serving_request_duration_seconds",
            "Time from receiving an infer request to sending its response.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        ).labels(*values)
        batch_buckets = sorted(
            {2**i for i in range(max_batch_size.bit_length())} | {max_batch_size}
        )
        self._batch_size = Histogram(
            "dl_serving_batch_size",
            "Rows in each call of the model's predict (micro-batches).",
            labels,
            buckets=[float(b) for b in batch_buckets],
            registry=self.registry,
        ).labels(*values)
        self._errors = Counter(
            "dl_serving_errors",
            "Infer requests that failed, by kind: bad_request, not_found, prediction_failed.",
            (*labels, "kind"),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "dl_serving_in_flight_requests",
            "Infer requests received and not yet answered.",
            labels,
            registry=self.registry,
        ).labels(*values)
        self._values = values
        self._by_code: dict[int, Any] = {}

    def request_done(self, code: int, seconds: float) -> None:
        counter = self._by_code.get(code)
        if counter is None:
            counter = self._by_code[code] = self._requests.labels(*self._values, str(code))
        counter.inc()
        self._latency.observe(seconds)

    def error(self, kind: str) -> None:
        self._errors.labels(*self._values, kind).inc()

    def batch(self, rows: int) -> None:
        self._batch_size.observe(rows)

    def exposition(self) -> tuple[bytes, str]:
        """The text format Prometheus scrapes, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _Pending:
    __slots__ = ("arrays", "future", "rows", "shapes")

    def __init__(self, arrays: Arrays, future: asyncio.Future[Arrays]) -> None:
        self.arrays = arrays
        self.rows = int(next(iter(arrays.values())).shape[0])
        # Only requests whose rows have the same shapes stack (a -1 beyond the batch
        # dimension lets them differ, e.g. sequences of any length).
        self.shapes = tuple((name, array.shape[1:]) for name, array in sorted(arrays.items()))
        self.future = future


class Batcher:
    """Stacks the rows of concurrent requests into one ``predict`` call on a worker thread.

    One dispatch task takes queued requests in arrival order up to ``max_batch_size``
    rows (a larger request goes alone), concatenates them along axis 0, predicts on
    the single worker thread and hands each request its slice of the outputs. While
    a batch is predicted, the next one gathers in the queue. When the model is
    idle, a batch waits up to ``max_wait_ms`` after its first request for more
    rows; 0 sends it at once.
    """

    def __init__(
        self, predict: Predict, max_batch_size: int, max_wait_ms: float, metrics: ServingMetrics
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, not {max_batch_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be 0 or more, not {max_wait_ms}")
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000
        self._predict = predict
        self._metrics = metrics
        self._queue: collections.deque[_Pending] = collections.deque()
        self._queued_rows = 0
        self._arrived: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dl-predict")

    async def predict(self, arrays: Arrays) -> Arrays:
        """The model's outputs for one request's inputs (rows along axis 0)."""
        loop = asyncio.get_running_loop()
        if self._task is None:
            self._arrived = asyncio.Event()
            self._task = loop.create_task(self._dispatch())
        assert self._arrived is not None
        pending = _Pending(arrays, loop.create_future())
        self._queue.append(pending)
        self._queued_rows += pending.rows
        self._arrived.set()
        return await pending.future

    def close(self) -> None:
        """Stop dispatching; the worker thread ends after the batch it may be predicting."""
        if self._task is not None:
            self._task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _dispatch(self) -> None:
        assert self._arrived is not None
        arrived = self._arrived
        while True:
            if not self._queue:
                arrived.clear()
                await arrived.wait()
                continue
            if self.max_wait_s and self._queued_rows < self.max_batch_size:
                await self._gather(arrived)
            batch = self._take()
            await self._run(batch)

    async def _gather(self, arrived: asyncio.Event) -> None:
        """Wait for more rows until the batch is full or ``max_wait_ms`` has passed."""
        deadline = time.monotonic() + self.max_wait_s
        while self._queued_rows < self.max_batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Pending]:
        """The next batch: the oldest request and the next ones that stack with it."""
        queue = self._queue
        first = queue.popleft()
        batch, rows, passed = [first], first.rows, []
        while queue and rows + queue[0].rows <= self.max_batch_size:
            pending = queue.popleft()
            if pending.shapes == first.shapes:
                batch.append(pending)
                rows += pending.rows
            else:
                passed.append(pending)
        queue.extendleft(reversed(passed))
        self._queued_rows -= rows
        return batch

    async def _run(self, batch: list[_Pending]) -> None:
        import numpy as np

        loop = asyncio.get_running_loop()
        rows = sum(p.rows for p in batch)
        try:
            if len(batch) == 1:
                inputs = batch[0].arrays
            else:
                inputs = {
                    name: np.concatenate([p.arrays[name] for p in batch])
                    for name in batch[0].arrays
                }
            outputs = await loop.run_in_executor(self._executor, self._predict_rows, inputs, rows)
        except Exception as e:
            if len(batch) == 1:
                _settle(batch[0].future, error=e)
                return
            # One request's rows may be what breaks the model: predict each alone so
            # only the requests that fail get the error.
            for pending in batch:
                await self._run([pending])
            return
        start = 0
        for pending in batch:
            end = start + pending.rows
            _settle(pending.future, {name: array[start:end] for name, array in outputs.items()})
            start = end

    def _predict_rows(self, inputs: Arrays, rows: int) -> Arrays:
        import numpy as np

        self._metrics.batch(rows)
        outputs = self._predict(inputs)
        if not isinstance(outputs, Mapping):
            raise TypeError(
                f"predict returned {type(outputs).__name__}, not a dict of output arrays"
            )
        arrays = {name: np.asarray(value) for name, value in outputs.items()}
        for name, array in arrays.items():
            if array.ndim == 0 or array.shape[0] != rows:
                raise ValueError(
                    f"predict returned {name!r} with shape {list(array.shape)} "
                    f"for a batch of {rows} rows; its first dimension must be the batch"
                )
        return arrays


def _settle(
    future: asyncio.Future[Arrays], result: Arrays | None = None, error: Exception | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


class Inference:
    """The protocol's operations for one served model; knows nothing of HTTP."""

    def __init__(
        self, model: ServedModel, *, max_batch_size: int = 32, max_wait_ms: float = 0.0
    ) -> None:
        self.model = model
        self.metrics = ServingMetrics(model, max_batch_size)
        self.batcher = Batcher(model.predict, max_batch_size, max_wait_ms, self.metrics)
        self.ready = True
        self.in_flight = 0

    def request_started(self) -> None:
        self.in_flight += 1
        self.metrics.in_flight.inc()

    def request_done(self, code: int, seconds: float) -> None:
        self.in_flight -= 1
        self.metrics.in_flight.dec()
        self.metrics.request_done(code, seconds)

    def server_metadata(self) -> dict[str, Any]:
        from .. import __version__

        return {"name": "jupyter-dl", "version": __version__, "extensions": ["binary_tensor_data"]}

    def check(self, name: str, version: str | None = None) -> None:
        """:class:`NotFound` unless ``name`` (and ``version``, when given) is what is served."""
        model = self.model
        if name != model.name:
            raise NotFound(f"model {name!r} is not served here; this server serves {model.name!r}")
        if version is not None and version != model.version:
            raise NotFound(
                f"model {name!r} has no version {version!r} here; "
                f"the served version is {model.version!r}"
            )

    def model_metadata(self, name: str, version: str | None = None) -> dict[str, Any]:
        self.check(name, version)
        model = self.model
        signature = model.signature.to_json()
        return {
            "name": model.name,
            "versions": [model.version],
            "platform": model.platform,
            "inputs": signature["inputs"],
            "outputs": signature["outputs"],
        }

    def model_ready(self, name: str, version: str | None = None) -> dict[str, Any]:
        self.check(name, version)
        return {"name": self.model.name, "ready": self.ready}

    async def infer(
        self, name: str, version: str | None, body: bytes, json_length: int | None = None
    ) -> dict[str, Any]:
        """The OIP response to an infer request's body.

        ``json_length`` comes from a request using the binary data extension: the
        body's first ``json_length`` bytes are the JSON, the rest the inputs' bytes.
        """
        self.check(name, version)
        model = self.model
        signature = model.signature
        binary = None
        if json_length is not None:
            if not 0 <= json_length <= len(body):
                raise BadRequest(
                    f"Inference-Header-Content-Length is {json_length} "
                    f"but the body has {len(body)} bytes"
                )
            binary = memoryview(body)[json_length:]
            body = body[:json_length]
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise BadRequest(
                f"the body is not JSON ({e}); the model expects {signature.describe()}"
            ) from None
        arrays = decode_inputs(signature, request, binary)
        outputs = requested_outputs(signature, request)
        request_id = request.get("id")
        if request_id is not None and not isinstance(request_id, str):
            raise BadRequest(f'"id" must be a string, not {request_id!r}')
        try:
            result = await self.batcher.predict(arrays)
            return encode_outputs(signature, result, model.name, model.version, request_id, outputs)
        except Exception as e:
            raise PredictionFailed(f"model {model.name!r} failed: {type(e).__name__}: {e}") from e


class _Handler(tornado.web.RequestHandler):
    """Errors as the protocol has them: ``{"error": "message"}`` with the right status."""

    @property
    def inference(self) -> Inference:
        return self.settings["dl_inference"]  # type: ignore[no-any-return]

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")

    def reply(self, body: dict[str, Any]) -> None:
        self.finish(orjson.dumps(body))

    def fail(self, error: PlatformError) -> None:
        self.set_status(error.status)
        self.finish(orjson.dumps({"error": error.message}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, PlatformError):
            self.set_status(error.status)
            message = error.message
        else:
            message = self._reason
        self.finish(orjson.dumps({"error": message}))


class ServerMetadataHandler(_Handler):
    def get(self) -> None:
        self.reply(self.inference.server_metadata())


class LiveHandler(_Handler):
    def get(self) -> None:
        self.reply({"live": True})


class ReadyHandler(_Handler):
    def get(self) -> None:
        ready = self.inference.ready
        self.set_status(200 if ready else 503)
        self.reply({"ready": ready})


class ModelMetadataHandler(_Handler):
    def get(self, name: str, version: str | None = None) -> None:
        self.reply(self.inference.model_metadata(name, version))


class ModelReadyHandler(_Handler):
    def get(self, name: str, version: str | None = None) -> None:
        body = self.inference.model_ready(name, version)
        self.set_status(200 if body["ready"] else 503)
        self.reply(body)


class InferHandler(_Handler):
    def prepare(self) -> None:
        self.inference.request_started()

    async def post(self, name: str, version: str | None = None) -> None:
        try:
            json_length = self._json_length()
            response = await self.inference.infer(name, version, self.request.body, json_length)
        except PlatformError as error:
            self.inference.metrics.error(error.code)
            self.fail(error)
            return
        self.reply(response)

    def _json_length(self) -> int | None:
        """The binary data extension's header: how much of the body is JSON."""
        value = self.request.headers.get("Inference-Header-Content-Length")
        if value is None:
            return None
        if not value.strip().isdigit():
            raise BadRequest(f"Inference-Header-Content-Length must be a byte count, not {value!r}")
        return int(value)

    def on_finish(self) -> None:
        self.inference.request_done(self.get_status(), self.request.request_time())


class MetricsHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        body, content_type = self.settings["dl_inference"].metrics.exposition()
        self.set_header("Content-Type", content_type)
        self.finish(body)


class NotFoundHandler(_Handler):
    def prepare(self) -> None:
        self.fail(NotFound(f"no route {self.request.path}; see /v2 for the protocol's routes"))


def make_app(
    model: ServedModel, *, max_batch_size: int = 32, max_wait_ms: float = 0.0
) -> tornado.web.Application:
    """The tornado application serving ``model`` over OIP v2 (``settings["dl_inference"]``)."""
    model_path = r"/v2/models/([^/]+)"
    version_path = model_path + r"/versions/([^/]+)"
    return tornado.web.Application(
        [
            (r"/v2/?", ServerMetadataHandler),
            (r"/v2/health/live", LiveHandler),
            (r"/v2/health/ready", ReadyHandler),
            (model_path, ModelMetadataHandler),
            (version_path, ModelMetadataHandler),
            (model_path + "/ready", ModelReadyHandler),
            (version_path + "/ready", ModelReadyHandler),
            (model_path + "/infer", InferHandler),
            (version_path + "/infer", InferHandler),
            (r"/metrics", MetricsHandler),
        ],
        default_handler_class=NotFoundHandler,
        dl_inference=Inference(model, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms),
        log_function=_log_failures,
    )


def _log_failures(handler: tornado.web.RequestHandler) -> None:
    """Log server errors only: an access line per request would cost more than a no-op model."""
    if handler.get_status() >= 500:
        from tornado.log import access_log

        access_log.error(
            "%d %s %.1fms",
            handler.get_status(),
            handler._request_summary(),
            1000 * handler.request.request_time(),
        )


class InferenceServer:
    """A listening server for one model: :meth:`run` until :meth:`stop` (from any thread)."""

    def __init__(
        self,
        model: ServedModel,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 0.0,
        drain_timeout_s: float = 30.0,
    ) -> None:
        self.app = make_app(model, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)
        self.inference: Inference = self.app.settings["dl_inference"]
        self.host = host
        self.port = port
        self.drain_timeout_s = drain_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def run(self, on_ready: Callable[[InferenceServer], None] | None = None) -> None:
        """Listen, call ``on_ready`` once bound (``self.port`` is then the real port), serve
        until :meth:`stop`, then drain: not ready, no new connections, in-flight requests
        finish (up to ``drain_timeout_s``)."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        server = HTTPServer(self.app)
        server.add_sockets(sockets)
        try:
            if on_ready is not None:
                on_ready(self)
            await self._stop.wait()
            self.inference.ready = False
            server.stop()
            await self._drain()
            await server.close_all_connections()
        finally:
            self.inference.batcher.close()

    def stop(self) -> None:
        """Begin a graceful stop; safe to call from another thread or a signal handler."""
        if self._loop is None or self._stop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._stop.set)

    async def _drain(self) -> None:
        deadline = time.monotonic() + self.drain_timeout_s
        while self.inference.in_flight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)


# OpenMP threads that spin after each parallel region (libgomp's default) take the CPU
# the event loop needs to read the next requests; sleeping at once costs the model
# little. Measured in benchmarks/serving.py and docs/serving.md.
SERVING_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}


def prepare_serving_process() -> None:
    """Tune this process's thread pools for serving; call it before torch is imported.

    OpenMP reads its settings once, when torch loads it, so the process that will
    serve (``jupyter dl serve``, a deployment) calls this before loading the model.
    Settings already in the environment are kept.
    """
    for name, value in SERVING_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def serve(
    model: ServedModel,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    max_batch_size: int = 32,
    max_wait_ms: float = 0.0,
    drain_timeout_s: float = 30.0,
    ready_file: str | Path | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``model`` until SIGTERM or SIGINT, then finish in-flight requests and return.

    Once listening, calls ``on_ready(url)`` (e.g. to record a deployment running
    before anyone is told), writes ``{"url", "pid", "model", "version"}`` to
    ``ready_file`` as JSON if given (atomically, so a reader never sees half of it),
    then prints ``serving NAME vVERSION at http://HOST:PORT`` on stdout. ``port=0``
    picks a free port.
    """
    server = InferenceServer(
        model,
        host,
        port,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        drain_timeout_s=drain_timeout_s,
    )

    def announce(server: InferenceServer) -> None:
        if threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, server.stop)
        if on_ready is not None:
            on_ready(server.url)
        if ready_file is not None:
            _write_ready_file(Path(ready_file), server)
        print(f"serving {model.name} v{model.version} at {server.url}", flush=True)

    asyncio.run(server.run(on_ready=announce))
    print(f"stopped serving {model.name} v{model.version}", file=sys.stderr, flush=True)


def _write_ready_file(path: Path, server: InferenceServer) -> None:
    model = server.inference.model
    body = {"url": server.url, "pid": os.getpid(), "model": model.name, "version": model.version}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(body))
    os.replace(partial, path)
