"""What ``jupyter dl serve | deployments | stop | models`` do; ``cli.py`` only parses.

``serve NAME[@ALIAS|:VERSION]`` records a deployment and serves it in the
foreground (Ctrl-C stops it, recorded as stopped), or with ``--detach`` starts it
in the background and prints where it listens. ``serve --package DIR`` serves a
package folder without any store: what a cluster's container runs, where the
registry's files arrive through a volume or KServe's storage initializer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import PlatformError


def add_commands(commands: Any) -> None:
    """Add the registry's subcommands to ``jupyter dl``'s parser."""
    serve = commands.add_parser(
        "serve", help="serve a model version over the Open Inference Protocol"
    )
    serve.add_argument("model", nargs="?", help="NAME, NAME@ALIAS or NAME:VERSION")
    serve.add_argument(
        "--port", type=int, default=8080, help="port to listen on (0: any free port)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--max-batch-size", type=int, default=32, help="most rows per model call")
    serve.add_argument(
        "--max-wait-ms", type=float, default=0.0, help="how long a batch may wait for more rows"
    )
    serve.add_argument("--device", default=None, help="torch device, e.g. cuda:0")
    serve.add_argument(
        "--detach", action="store_true", help="run in the background and print its URL"
    )
    serve.add_argument(
        "--package", type=Path, default=None, help="serve this package folder, without a store"
    )
    serve.add_argument("--name", default=None, help="with --package: the model's name")
    serve.add_argument(
        "--model-version", default="1", help="with --package: the version it is of its model"
    )
    kserve = commands.add_parser(
        "kserve", help="print (or --apply) a KServe InferenceService of a model version"
    )
    kserve.add_argument("model", help="NAME, NAME@ALIAS or NAME:VERSION")
    kserve.add_argument(
        "--image", default=None, help="the predictor's image (jupyter-dl installed)"
    )
    kserve.add_argument("--namespace", default=None, help="where it goes")
    kserve.add_argument("--storage-uri", default=None, help="where the cluster reads the models")
    kserve.add_argument("--gpus", type=int, default=0, help="GPUs per replica")
    kserve.add_argument("--cpu", default=None, help="CPU per replica, e.g. 2")
    kserve.add_argument("--memory", default=None, help="memory per replica, e.g. 4Gi")
    kserve.add_argument("--min-replicas", type=int, default=1, help="replicas kept running")
    kserve.add_argument("--max-replicas", type=int, default=None, help="most replicas")
    kserve.add_argument("--apply", action="store_true", help="submit it to the configured cluster")
    listing = commands.add_parser("deployments", help="list deployments")
    listing.add_argument("--all", action="store_true", help="also the stopped and failed ones")
    stop = commands.add_parser("stop", help="stop a deployment")
    stop.add_argument("deployment", help="the deployment's id")
    models = commands.add_parser("models", help="list registered models")
    models.add_argument("query", nargs="?", default=None, help="keep names containing this")


def run_command(args: argparse.Namespace) -> int:
    """Run a registry subcommand; errors are one line on stderr and exit status 1."""
    from ..kube.client import ClusterNotConfigured

    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "deployments":
            return _deployments(show_all=args.all)
        if args.command == "stop":
            return _stop(args.deployment)
        if args.command == "kserve":
            return _kserve(args)
        return _models(args.query)
    except PlatformError as e:
        print(f"jupyter dl {args.command}: {e.message}", file=sys.stderr)
        return 1
    except (ValueError, ClusterNotConfigured) as e:
        print(f"jupyter dl {args.command}: {e}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    from .serving import prepare_serving_process

    prepare_serving_process()  # before any model (and torch) loads
    settings = {
        "host": args.host,
        "port": args.port,
        "max_batch_size": args.max_batch_size,
        "max_wait_ms": args.max_wait_ms,
        "device": args.device,
    }
    if args.package is not None:
        return _serve_package(
            args.package, args.name or args.model, str(args.model_version), settings
        )
    if not args.model:
        raise ValueError("name a model: jupyter dl serve NAME[@ALIAS|:VERSION] (or --package DIR)")
    from ..api import deployment_service
    from ..processes import current_user
    from .deploy import run

    service = deployment_service()
    if args.detach:
        deployment = service.start(args.model, current_user(), **settings)
        running = service.wait_ready(deployment["id"])
        print(
            f"{running['id']}: serving {running['model']} v{running['version']} at {running['url']}"
        )
        return 0
    deployment = service.create(args.model, current_user(), **settings)
    return run(service, deployment["id"])


def _serve_package(root: Path, name: str | None, version: str, settings: dict[str, Any]) -> int:
    from .deploy import serve_with
    from .package import open_package, predictor
    from .serving import ServedModel

    package = open_package(root)
    model = ServedModel(
        name or root.name,
        version,
        package.signature,
        predictor(root, package.program_format, package.signature, settings["device"]),
    )
    serve_with(model, settings)
    return 0


def _kserve(args: argparse.Namespace) -> int:
    from ..api import registry_service
    from .kserve import apply, inference_service, to_yaml

    registry = registry_service()
    found = registry.resolve(args.model)
    options = {
        "image": args.image,
        "namespace": args.namespace,
        "storage_uri": args.storage_uri,
        "gpus": args.gpus,
        "cpu": args.cpu,
        "memory": args.memory,
        "min_replicas": args.min_replicas,
        "max_replicas": args.max_replicas,
    }
    manifest = inference_service(
        registry,
        found["model"],
        found["version"],
        {k: v for k, v in options.items() if v is not None},
    )
    if args.apply:
        created = apply(manifest)
        meta = created["metadata"]
        print(f"inferenceservice {meta['namespace']}/{meta['name']} submitted")
    else:
        print(to_yaml(manifest), end="")
    return 0


def _deployments(show_all: bool) -> int:
    from ..api import deployment_service

    items = deployment_service().list(status=None if show_all else "live", limit=500).items
    if not items:
        print("no deployments" if show_all else "no live deployments (--all shows the others)")
        return 0
    for d in items:
        where = d["url"] or "-"
        print(f"{d['id']}  {d['status']:<8}  {d['model']} v{d['version']} ({d['ref']})  {where}")
    return 0


def _stop(deployment_id: str) -> int:
    from ..api import deployment_service

    stopped = deployment_service().stop(deployment_id)
    print(f"{stopped['id']}: {stopped['status']}")
    return 0 if stopped["status"] == "stopped" else 1


def _models(query: str | None) -> int:
    from .publish import models

    items = models(query, limit=500)  # the team's, on a server pointed at its platform
    if not items:
        print("no models")
    for m in items:
        aliases = ", ".join(f"{a['alias']}→v{a['version']}" for a in m["aliases"])
        print(f"{m['name']}  {m['versions']} version(s)  {aliases}".rstrip())
    return 0
