"""The server process of one deployment: ``python -m jupyter_dl.registry.deploy <id>``.

It loads the deployment's model version from the registry, serves it with
``serving.serve`` and keeps the deployment's row true: ``running`` with its URL
once the server listens, ``stopped`` after SIGTERM or Ctrl-C (requests in flight
are answered first), ``failed`` with the reason when the model does not load or
the port is taken. ``jupyter dl serve`` runs the same :func:`run` in the
foreground.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .deployments import DeploymentService

#: How often the ready file is looked for while the server starts.
READY_POLL = 0.05


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_dl.registry.deploy <deployment id>", file=sys.stderr)
        return 2
    from ..api import deployment_service

    return run(deployment_service(), args[0])


def run(service: DeploymentService, deployment_id: str) -> int:
    """Serve a recorded deployment in this process until stopped; the exit status."""
    deployment = service.claim(deployment_id, os.getpid())
    settings = deployment["settings"]
    ready_file = service.ready_file(deployment_id)
    ready_file.unlink(missing_ok=True)
    try:
        model = served_model(service, deployment)
    except Exception:
        reason = "the model did not load:\n" + traceback.format_exc()
        print(reason, file=sys.stderr, flush=True)
        service.finish(deployment_id, "failed", reason)
        return 1
    watcher = threading.Thread(
        target=_announce, args=(service, deployment_id), name="ready", daemon=True
    )
    watcher.start()
    try:
        serve_with(model, settings, ready_file)
    except OSError as e:
        reason = f"cannot listen on {settings['host']}:{settings['port']}: {e.strerror or e}"
        print(reason, file=sys.stderr, flush=True)
        service.finish(deployment_id, "failed", reason)
        return 1
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            service.finish(deployment_id, "stopped")
            return 0
        reason = "the server failed:\n" + traceback.format_exc()
        print(reason, file=sys.stderr, flush=True)
        service.finish(deployment_id, "failed", reason)
        return 1
    finally:
        ready_file.unlink(missing_ok=True)
    service.finish(deployment_id, "stopped")
    return 0


def serve_with(model: Any, settings: dict[str, Any], ready_file: Any = None) -> None:
    """Serve ``model`` with a deployment's settings (host, port, batching) until stopped."""
    from .serving import serve

    serve(
        model,
        settings["host"],
        settings["port"],
        max_batch_size=settings["max_batch_size"],
        max_wait_ms=settings["max_wait_ms"],
        ready_file=ready_file,
    )


def served_model(service: DeploymentService, deployment: dict[str, Any]) -> Any:
    """The deployment's model version, loaded and wrapped for the server."""
    from .package import predictor
    from .serving import ServedModel
    from .signature import Signature

    registry = service.registry
    version = registry.find(deployment["model"], version=deployment["version"])
    signature = Signature.from_json(version["signature"])
    predict = predictor(
        registry.package_dir(version),
        version["program_format"],
        signature,
        deployment["settings"].get("device"),
    )
    return ServedModel(deployment["model"], str(version["version"]), signature, predict)


def _announce(service: DeploymentService, deployment_id: str) -> None:
    """Record the deployment running once the server wrote its ready file."""
    from .deployments import read_ready

    path = service.ready_file(deployment_id)
    while True:
        ready = read_ready(path)
        if ready is not None:
            url = str(ready["url"])
            port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
            service.mark_running(deployment_id, url, port, os.getpid())
            return
        time.sleep(READY_POLL)


if __name__ == "__main__":
    sys.exit(main())
