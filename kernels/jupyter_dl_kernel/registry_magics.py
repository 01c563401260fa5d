"""``%dl_publish``, ``%dl_models``, ``%dl_deploy`` and ``%dl_deployments``.

The magics parse and display; the work is ``dl.publish``, ``dl.models`` and
``dl.deploy`` (``jupyter_dl.registry.publish``), which the Models panel's REST API
shares.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import HTML, display

from .dataset_magics import size_text, table


@magics_class
class RegistryMagics(Magics):
    """Publish, list and serve models from notebook cells."""

    @magic_arguments()
    @argument("model", help="the variable (or expression) holding the torch.nn.Module")
    @argument("name", help="the model's name in the registry")
    @argument("--example", required=True, help="the variable holding an example input batch")
    @argument(
        "--alias", action="append", default=None, help="alias of the new version (repeatable)"
    )
    @argument("--no-alias", action="store_true", help="publish without moving any alias")
    @argument("--description", default="", help="what this version is")
    @argument("--run", default=None, help="the run it came from (default: the current run)")
    @line_magic
    def dl_publish(self, line: str) -> Any:
        """Publish a model: ``%dl_publish net mnist --example batch [--alias production]``.

        The model is exported, checked to reproduce its output on the example, and
        registered as the next version (aliased ``staging`` unless ``--alias`` or
        ``--no-alias`` says otherwise).
        """
        from jupyter_dl.registry.publish import publish

        args = parse_argstring(self.dl_publish, line)
        model = self._value(args.model)
        example = self._value(args.example)
        aliases = [] if args.no_alias else (args.alias or ["staging"])
        version = publish(
            model,
            args.name,
            run=args.run,
            example_input=example,
            description=args.description,
            aliases=aliases,
        )
        display(HTML(version_html(version)))
        return version

    @magic_arguments()
    @argument("query", nargs="?", default=None, help="keep names containing this")
    @line_magic
    def dl_models(self, line: str) -> None:
        """The registered models: versions and aliases."""
        from jupyter_dl.registry.publish import models

        args = parse_argstring(self.dl_models, line)
        found = models(args.query)
        if not found:
            print("no models yet: publish one with dl.publish(model, name, example_input=...)")
            return
        rows = [
            (
                m["name"],
                m["versions"],
                ", ".join(f"{a['alias']} → v{a['version']}" for a in m["aliases"]),
                m["updated_at"],
            )
            for m in found
        ]
        display(HTML(table(["model", "versions", "aliases", "updated"], rows)))

    @magic_arguments()
    @argument("model", help="NAME, NAME@ALIAS or NAME:VERSION")
    @argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    @argument("--max-batch-size", type=int, default=32, help="most rows per model call")
    @argument("--max-wait-ms", type=float, default=0.0, help="how long a batch may wait")
    @argument("--device", default=None, help="torch device, e.g. cuda:0")
    @line_magic
    def dl_deploy(self, line: str) -> Any:
        """Serve a model version in the background: ``%dl_deploy mnist@production``.
        Returns the ``Deployment`` (``.url``, ``.predict(x)``, ``.stop()``)."""
        from jupyter_dl.registry.publish import deploy

        args = parse_argstring(self.dl_deploy, line)
        deployment = deploy(
            args.model,
            port=args.port,
            max_batch_size=args.max_batch_size,
            max_wait_ms=args.max_wait_ms,
            device=args.device,
        )
        print(f"serving {args.model} at {deployment.url} (deployment {deployment.id})")
        return deployment

    @magic_arguments()
    @argument("--all", action="store_true", help="also the stopped and failed ones")
    @line_magic
    def dl_deployments(self, line: str) -> None:
        """Deployments: model version, status and URL."""
        from jupyter_dl.registry.publish import deployments

        args = parse_argstring(self.dl_deployments, line)
        found = deployments(live=not args.all)
        if not found:
            print("no live deployments" if not args.all else "no deployments")
            return
        rows = [
            (d["id"], f"{d['model']} v{d['version']}", d["ref"], d["status"], d["url"] or "")
            for d in found
        ]
        display(HTML(table(["id", "model", "asked for", "status", "url"], rows)))

    def _value(self, expression: str) -> Any:
        namespace = self.shell.user_ns if self.shell else {}
        try:
            return eval(expression, namespace)
        except Exception as e:
            raise UsageError(f"{expression!r} is not a value in this notebook: {e}") from None


def version_html(version: dict[str, Any]) -> str:
    """A published version at a glance: number, aliases, signature, size, run."""
    signature = version["signature"]

    def specs(kind: str) -> str:
        return ", ".join(
            f"{t['name']}: {t['datatype']}[{', '.join(map(str, t['shape']))}]"
            for t in signature[kind]
        )

    rows = [
        ("model", f"{version['model']} v{version['version']}"),
        ("aliases", ", ".join(version["aliases"]) or "-"),
        ("inputs", specs("inputs")),
        ("outputs", specs("outputs")),
        ("format", f"{version['program_format']}, {version['weights_format']} weights"),
        ("size", size_text(version["size"])),
        ("run", version["run_id"] or "-"),
    ]
    return table(["", ""], rows)
