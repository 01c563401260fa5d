"""``dl.publish``, ``dl.load_model``, ``dl.models`` and ``dl.deploy``: the registry from
a notebook.

``publish`` packages the model in this process (export, weights, signature; see
``package.py``), verifies the package reproduces the example, and only then hands
it to the registry, so a failure registers nothing. ``load_model`` returns the
stored program ready to call, without the code that defined the model.

With ``JUPYTER_DL_API_URL`` set (a server of a team), the registry is the team's
(``client.py``): the verified package is kept with its run through the run's
transport and the platform registers it from there, replaying it once more; a
version is loaded from a checked local copy of its package.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, NotFound
from ..processes import current_user

#: What a run id looks like (the tracking service's ids).
RUN_ID = re.compile(r"[a-z0-9]{6,32}")

if TYPE_CHECKING:
    from ..tracking.run import Run
    from .client import TeamRegistry
    from .deployments import DeploymentService
    from .service import RegistryService


def publish(
    model: Any,
    name: str,
    run: Any = None,
    example_input: Any = None,
    description: str = "",
    aliases: Sequence[str] = ("staging",),
    service: RegistryService | None = None,
    kept: str = "model",
) -> dict[str, Any]:
    """Publish ``model`` (a ``torch.nn.Module``) as the next version of ``name``.

    - ``model`` may also be a run (a run id, a ``Run`` or a ``Job``) that kept a model
      with ``dl.log_model``: the model it kept as ``kept`` is published, checked and
      replayed again first, as the Experiments panel's Publish button does. A sweep's
      best trial or a finished job is published this way, without its model in memory.
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

    if _is_run(model):
        if run is not None or example_input is not None:
            raise ValueError(
                "publishing a run's kept model takes neither run= nor example_input=:"
                " the run is the model's run, and its package holds its example"
            )
        return _publish_kept(_run_id(model), name, kept, description, aliases, service)
    if example_input is None:
        raise ValueError(
            "dl.publish needs example_input=: a batch the model takes, used to export it"
            " and to check the stored model gives the same output"
        )
    team = _team() if service is None else None
    if team is not None:
        return _publish_to_team(team, model, name, run, example_input, description, aliases)
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
        return service.register(name, package, run_id, description, aliases, current_user())
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

    source = service or _team() or _service()
    try:
        ref_name, ref_version, ref_alias = parse_ref(name)
        found = source.find(
            ref_name,
            version=version if version is not None else ref_version,
            alias=alias if alias is not None else ref_alias,
        )
        root = source.package_dir(found)
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None
    if weights:
        return load_weights(root, found["weights_format"], device)
    return load_program(root, found["program_format"], device)


class Deployment:
    """A served model version: ``.url``, ``.predict(...)``, ``.metrics()``, ``.stop()``."""

    def __init__(self, service: DeploymentService, record: dict[str, Any]) -> None:
        self.service = service
        self.id: str = record["id"]
        self._record = record

    def __repr__(self) -> str:
        r = self._record
        return f"<jupyter_dl.Deployment {r['model']} v{r['version']} ({self.id}): {r['status']}>"

    def refresh(self) -> dict[str, Any]:
        self._record = self.service.get(self.id)
        return self._record

    @property
    def status(self) -> str:
        return str(self.refresh()["status"])

    @property
    def url(self) -> str | None:
        url = self._record["url"] or self.refresh()["url"]
        return str(url) if url else None

    def predict(self, *inputs: Any, **named: Any) -> Any:
        """Send arrays or tensors (by position, or by input name) to the server and
        return its outputs as numpy arrays (one, or a tuple)."""
        import urllib.error
        import urllib.request

        import numpy as np

        from .signature import Signature, numpy_dtype

        version = self.service.models.find(self._record["model"], version=self._record["version"])
        signature = Signature.from_json(version["signature"])
        specs = {spec.name: spec for spec in signature.inputs}
        arrays = dict(zip(specs, inputs, strict=False)) | named
        unknown = set(arrays) - set(specs)
        if unknown or len(inputs) > len(specs):
            raise ValueError(f"the model takes {signature.describe()}")
        body: dict[str, list[dict[str, Any]]] = {"inputs": []}
        for name, value in arrays.items():
            array = np.asarray(_numpy(value), dtype=numpy_dtype(specs[name].datatype))
            body["inputs"].append(
                {
                    "name": name,
                    "datatype": specs[name].datatype,
                    "shape": list(array.shape),
                    "data": array.flatten().tolist(),
                }
            )
        _, url = self.service.live_url(self.id)
        request = urllib.request.Request(
            f"{url}/v2/models/{self._record['model']}/infer",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise ValueError(json.loads(e.read()).get("error", str(e))) from None
        outputs = tuple(
            np.asarray(o["data"], dtype=_numpy_dtype(o["datatype"])).reshape(o["shape"])
            for o in answer["outputs"]
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def metrics(self) -> dict[str, Any]:
        """Request counts, latency and batch-size histograms of the server now."""
        import urllib.request

        from .deployments import metrics_summary

        _, url = self.service.live_url(self.id)
        with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
            return metrics_summary(response.read().decode())

    def logs(self) -> str:
        return self.service.log_tail(self.id)

    def stop(self) -> str:
        """Stop serving (requests in flight are answered first); the final status."""
        self._record = self.service.stop(self.id)
        return str(self._record["status"])


def deploy(
    ref: str,
    port: int = 0,
    max_batch_size: int = 32,
    max_wait_ms: float = 0.0,
    device: str | None = None,
    wait: bool = True,
) -> Deployment:
    """Serve a model version (``"name@production"``, ``"name:3"``, ``"name"``) over the
    Open Inference Protocol in a background process; returns once it listens."""
    from ..api import deployment_service
    from ..errors import LaunchFailed

    service = deployment_service()
    try:
        record = service.start(
            ref,
            current_user(),
            port=port,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            device=device,
        )
        if wait:
            record = service.wait_ready(record["id"])
    except (BadRequest, NotFound, LaunchFailed) as e:
        raise ValueError(e.message) from None
    return Deployment(service, record)


def deployments(live: bool = True) -> list[dict[str, Any]]:
    """Deployments (only the live ones unless ``live=False``), newest first."""
    from ..api import deployment_service

    return deployment_service().list(status="live" if live else None, limit=500).items


def models(query: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Registered models (name, versions, aliases), by name."""
    team = _team()
    try:
        if team is not None:
            return team.list_models(query, limit)
        return _service().list_models(query, limit=limit).items
    except BadRequest as e:
        raise ValueError(e.message) from None


def _numpy_dtype(datatype: str) -> Any:
    from .signature import numpy_dtype

    return numpy_dtype(datatype)


def _numpy(value: Any) -> Any:
    """A numpy view of a tensor (moved to the CPU) or anything array-like."""
    detach = getattr(value, "detach", None)
    return detach().cpu().numpy() if callable(detach) else value


def _service() -> RegistryService:
    from ..api import registry_service

    return registry_service()


def _team() -> TeamRegistry | None:
    from ..api import team_registry

    return team_registry()


def _publish_to_team(
    team: TeamRegistry,
    model: Any,
    name: str,
    run: Any,
    example_input: Any,
    description: str,
    aliases: Sequence[str],
) -> dict[str, Any]:
    """Publish to the team's registry: the package is built and verified here, kept
    with the run (a new run named after the model when there is none), and the
    platform registers it from the run, as it does a run's kept model."""
    from ..tracking.run import MODELS_FOLDER
    from .service import _alias_list, check_alias, check_model_name

    try:
        check_model_name(name)
        for alias in _alias_list(aliases):
            check_alias(alias)
        with _run_keeping(run, name) as holder:
            folder = _free_folder(team, holder.id, name)
            holder.log_model(model, example_input, folder)
            return team.register_from_run(
                name, holder.id, f"{MODELS_FOLDER}/{folder}", description, aliases
            )
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None


@contextmanager
def _run_keeping(run: Any, name: str) -> Iterator[Run]:
    """The run a published model is kept with: ``run`` (a ``Run``, a run id, a
    ``Job``), else the current run, else a new run named after the model, in the
    project ``dl.init`` would choose, which ends with the publish."""
    from .. import api
    from ..tracking.capture import capture_environment
    from ..tracking.client import transport_from_env
    from ..tracking.run import Run

    if isinstance(run, Run):
        yield run
        return
    if run is None and api._run is not None:
        yield api._run
        return
    transport = transport_from_env()
    if run is not None:
        record = transport.get_run(str(_run_id(run)))
        with Run(transport, record, ends_run=False) as joined:
            yield joined
        return
    environment = capture_environment()
    record = transport.create_run(
        {
            "project": api._default_project(environment),
            "name": name,
            "config": {},
            "tags": [],
            "notes": None,
            "system": environment,
            "owner": environment.get("user"),
        }
    )
    with Run(transport, record) as started:
        yield started


def _free_folder(team: TeamRegistry, run_id: str, name: str) -> str:
    """A folder of the run's kept models for this package: the model's name, numbered
    when the run already kept one by that name (each package stays whole)."""
    from ..tracking.run import MODELS_FOLDER

    kept = set(team.run_models(run_id))
    folder, n = name, 1
    while f"{MODELS_FOLDER}/{folder}" in kept:
        n += 1
        folder = f"{name}-{n}"
    return folder


def _publish_kept(
    run_id: str | None,
    name: str,
    kept: str,
    description: str,
    aliases: Sequence[str],
    service: RegistryService | None,
) -> dict[str, Any]:
    """The model a run kept with ``log_model``, registered as the next version of ``name``."""
    from ..tracking.run import MODELS_FOLDER

    if not isinstance(kept, str) or not kept or "/" in kept:
        raise ValueError(f"kept must name a model the run kept, such as 'model', not {kept!r}")
    team = _team() if service is None else None
    try:
        if team is not None:
            return team.register_from_run(
                name, str(run_id), f"{MODELS_FOLDER}/{kept}", description, aliases
            )
        return (service or _service()).register_from_run(
            name, str(run_id), f"{MODELS_FOLDER}/{kept}", description, aliases, current_user()
        )
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None


def _is_run(value: Any) -> bool:
    """Whether ``publish`` was handed a run (an id, a ``Run``, a ``Job``) instead of a model.

    Only a string shaped like a run id counts: any other is a mistaken model, and is
    told that it is not one."""
    if isinstance(value, str):
        return RUN_ID.fullmatch(value) is not None
    from ..tracking.run import Run
    from ..training.job import Job

    return isinstance(value, (Run, Job))


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
