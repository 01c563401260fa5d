"""``dl.publish``, ``dl.load_model`` and ``dl.models``: the registry from a notebook.

``publish`` packages the model in this process (export, weights, signature; see
``package.py``), verifies the package reproduces the example, and only then hands
it to the registry, so a failure registers nothing. ``load_model`` returns the
stored program ready to call, without the code that defined the model.
"""

from __future__ import annotations

import getpass
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, NotFound

if TYPE_CHECKING:
    from .service import RegistryService


def publish(
    model: Any,
    name: str,
    run: Any = None,
    example_input: Any = None,
    description: str = "",
    aliases: Sequence[str] = ("staging",),
    service: RegistryService | None = None,
) -> dict[str, Any]:
    """Publish ``model`` (a ``torch.nn.Module``) as the next version of ``name``.

    - ``example_input``: what ``model(...)`` takes (a tensor, a tuple of tensors or a
      dict of them), batch dimension first; it fixes the signature and is replayed on
      the stored model, which must give the same output or nothing is published.
    - ``run``: the run it came from (a run id, ``dl.run``, or a ``Job``); by default
      the current run, if any. Its metrics, code version and datasets become the
      version's lineage.
    - ``aliases``: names pointing at the new version afterwards (``staging`` by
      default; ``()`` for none). Moving an alias is recorded with who and when.

    Returns the new version (number, signature, metrics, lineage, files).
    """
    from .package import PackageError, build

    if example_input is None:
        raise ValueError(
            "dl.publish needs example_input=: a batch the model takes, used to export it"
            " and to check the stored model gives the same output"
        )
    service = service or _service()
    run_id = _run_id(run)
    try:
        from .service import check_model_name

        check_model_name(name)
        staging = service.staging_dir()
        try:
            package = build(model, example_input, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return service.register(name, package, run_id, description, aliases, _user())
    except PackageError as e:
        raise ValueError(str(e)) from None
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None


def load_model(
    name: str,
    version: int | None = None,
    alias: str | None = None,
    device: str | None = None,
    weights: bool = False,
    service: RegistryService | None = None,
) -> Any:
    """A published model, ready to call: ``dl.load_model("mnist", alias="production")``.

    ``name`` may carry the version (``"mnist:3"``) or alias (``"mnist@production"``);
    without either it is the newest version. ``device`` moves it (``"cuda"``).
    ``weights=True`` returns the ``state_dict`` instead, to load into your own class.
    """
    from .package import load_program, load_weights
    from .service import parse_ref

    service = service or _service()
    try:
        ref_name, ref_version, ref_alias = parse_ref(name)
        found = service.find(
            ref_name,
            version=version if version is not None else ref_version,
            alias=alias if alias is not None else ref_alias,
        )
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None
    root = service.package_dir(found)
    if weights:
        return load_weights(root, found["weights_format"], device)
    return load_program(root, found["program_format"], device)


def models(query: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Registered models (name, versions, aliases), by name."""
    try:
        return _service().list_models(query, limit=limit).items
    except BadRequest as e:
        raise ValueError(e.message) from None


def _service() -> RegistryService:
    from ..api import registry_service

    return registry_service()


def _run_id(run: Any) -> str | None:
    """A run id from what users hold: an id, a ``Run``, a ``Job``; else the active run."""
    if run is None:
        from .. import api

        return api._run.id if api._run is not None else None
    if isinstance(run, str):
        return run
    from ..tracking.run import Run
    from ..training.job import Job

    if isinstance(run, Job):
        if run.run is None:
            raise ValueError(f"job {run.id} has no run (it was deleted)")
        return run.run
    if isinstance(run, Run):
        return run.id
    raise TypeError(f"run must be a run id, a Run or a Job, not {type(run).__name__}")


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
