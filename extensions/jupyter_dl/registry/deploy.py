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
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .deployments import DeploymentService


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_dl.registry.deploy <deployment id>", file=sys.stderr)
        return 2
    from ..api import deployment_service

    return run(deployment_service(), args[0])


def run(service: DeploymentService, deployment_id: str) -> int:
    """Serve a recorded deployment in this process until stopped; the exit status."""
    from .serving import prepare_serving_process

    prepare_serving_process()  # before the model (and torch) loads
    deployment = service.claim(deployment_id, os.getpid())
    settings = deployment["settings"]
    try:
        model = served_model(service, deployment)
    except Exception:
        reason = "the model did not load:\n" + traceback.format_exc()
        print(reason, file=sys.stderr, flush=True)
        service.finish(deployment_id, "failed", reason)
        return 1

    def running(url: str) -> None:
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        service.mark_running(deployment_id, url, port, os.getpid())

    try:
        serve_with(model, settings, on_ready=running)
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
    service.finish(deployment_id, "stopped")
    return 0


def serve_with(
    model: Any, settings: dict[str, Any], on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve ``model`` with a deployment's settings (host, port, batching) until stopped;
    ``on_ready(url)`` once it listens, before it says so."""
    from .serving import serve

    serve(
        model,
        settings["host"],
        settings["port"],
        max_batch_size=settings["max_batch_size"],
        max_wait_ms=settings["max_wait_ms"],
        on_ready=on_ready,
    )


def served_model(service: DeploymentService, deployment: dict[str, Any]) -> Any:
    """The deployment's model version, loaded and wrapped for the server."""
    from .package import predictor
    from .serving import ServedModel
    from .signature import Signature

    models = service.models
    version = models.find(deployment["model"], version=deployment["version"])
    signature = Signature.from_json(version["signature"])
    predict = predictor(
        models.package_dir(version),
        version["program_format"],
        signature,
        deployment["settings"].get("device"),
    )
    return ServedModel(deployment["model"], str(version["version"]), signature, predict)


if __name__ == "__main__":
    sys.exit(main())
