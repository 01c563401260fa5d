"""The kubernetes backend: a job's ranks in pods of the user's image, on a cluster.

A job becomes a Kubeflow ``PyTorchJob`` (``kind="pytorchjob"``, the default;
the cluster needs the Kubeflow training operator) or an indexed ``Job`` with a
headless Service (``kind="job"``; nothing beyond Kubernetes itself), built by
``kubernetes_objects.py`` and checked offline by ``kubernetes_schema.py`` (on
``kube/validate.py``) when the job is asked for, so a manifest the cluster would
refuse is a 400 before anything starts.

``start`` writes the objects to the job's ``manifests.yaml`` and spawns the
job's detached supervisor (``detached.py``), as for a local job. Its ``run``
connects to the cluster (in-cluster service account, else ``$KUBECONFIG`` or
``~/.kube/config``; a job without either fails with a message saying so),
submits the objects and watches them until they end, meanwhile:

- streaming each pod's own output (torchrun's messages, an image that cannot
  run the job) into ``pods/<pod>.log``; the ranks write their ``rank-<n>.log``
  themselves, on the shared volume;
- relaying what rank 0 logs to the job's run (``tracking/folder.py``): pods
  write it into the job's folder, so they need no route to the store;
- noting why pods wait (unschedulable, pulling the image) in rank 0's log, and
  failing the job when a pod cannot start (a missing image) for two minutes.

The objects are deleted when the job is cancelled (the supervisor's SIGTERM)
and when it ends, unless the ``cleanup`` option keeps them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import processes
from ...errors import BadRequest
from ...kube.client import ClusterNotConfigured, connect
from ...kube.options import (
    check_dns,
    default_image,
    default_namespace,
    quantity,
    string_map,
    tolerations,
)
from ...kube.render import to_yaml
from ..files import CHECKPOINTS_ENV, JOB_DIR_ENV, JOB_ID_ENV, RUN_ID_ENV, JobFiles
from ..outcome import Outcome, Stopped, describe_failure, exit_codes, failure
from .detached import start_supervisor, stop_supervisor
from .kubernetes_objects import (
    CONTAINER,
    JOB_ID_LABEL,
    PYTORCHJOB_API,
    TrainingPods,
    manifests,
    object_name,
)

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from ..service import Plan

log = logging.getLogger("jupyter_dl.training.kubernetes")
#: Seconds a deletion may wait for the cluster's API before it is tried again.
DELETE_TIMEOUT = 30

#: The options a kubernetes job takes, and what each one means (for error messages).
OPTIONS = {
    "image": "the image of the pods, with jupyter-dl installed ($JUPYTER_IMAGE by default)",
    "namespace": "where the objects go (this server's namespace, else 'default')",
    "kind": "'pytorchjob' (Kubeflow training operator) or 'job' (an indexed Job)",
    "volume": "the PersistentVolumeClaim (ReadWriteMany) that holds the jobs folder",
    "mount_path": "where the pods mount it: where this server has it (the jobs folder)",
    "nnodes": "pods; each runs nproc / nnodes ranks with gpus / nnodes GPUs (default 1)",
    "cpu": "CPU requested per pod, e.g. 4 or '3500m'",
    "memory": "memory requested per pod, e.g. '16Gi'",
    "node_selector": "node labels the pods must run on, e.g. {'gpu': 'h100'}",
    "tolerations": "taints the pods tolerate, as Kubernetes writes them",
    "service_account": "the pods' service account (none: no API token in the pods)",
    "env": "more environment variables of the ranks, e.g. {'NCCL_DEBUG': 'INFO'}",
    "cleanup": "'always' (default), 'on_success' or 'never': when to delete the objects",
}
#: Defaults for the options above, as a JSON object: a deployment (a hub profile)
#: sets it on the user's server, e.g. the image, the volume and GPU tolerations.
DEFAULTS_ENV = "JUPYTER_DL_KUBERNETES_OPTIONS"
KINDS = ("pytorchjob", "job")
CLEANUP = ("always", "on_success", "never")
#: Where the manifests of a job are written (what was submitted), in its folder.
MANIFESTS_FILE = "manifests.yaml"
#: The folder of a job that its ranks' tracking goes through (``tracking/folder.py``).
TRACKING_FOLDER = "tracking"
#: A job id of the right shape, for manifests rendered before a job exists.
PREVIEW_ID = "000000000000"
#: Seconds between looks at the job's objects and pods.
POLL_INTERVAL = 2.0
#: Container states that do not heal by waiting, and how long a pod may show one.
STUCK_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)
STUCK_AFTER = 120.0
#: Seconds a cancelled job's pods get to go before the supervisor records the outcome.
STOP_WAIT = 15.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class KubernetesLauncher:
    """Jobs as pods of a Kubernetes cluster, watched from this server."""

    name = "kubernetes"

    # ------------------------------------------------------------- checks

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise BadRequest(
                f"the kubernetes backend has no option {', '.join(map(repr, unknown))};"
                " it takes: " + "; ".join(f"{k} ({v})" for k, v in OPTIONS.items())
            )
        return check_options({**_deployment_defaults(), **options})

    def resources(self, nproc: Any, gpus: Any, options: dict[str, Any]) -> tuple[int, int]:
        """(ranks, GPUs) of a job on ``nnodes`` pods: each pod runs as many ranks and has
        as many GPUs as the others, and a GPU job has one GPU per rank. ``gpus=None`` is
        a CPU job: the cluster's GPUs are asked for, never assumed."""
        nnodes = options["nnodes"]
        gpus = gpus or 0
        count = (gpus or nnodes) if nproc == "auto" else nproc
        if count % nnodes:
            raise BadRequest(
                f"nproc={count} cannot be split evenly over nnodes={nnodes} pods; use a"
                f" multiple of {nnodes}"
            )
        if gpus and gpus != count:
            raise BadRequest(
                f"gpus={gpus} with nproc={count}: on Kubernetes each rank gets a GPU of its"
                f" own; use gpus={count}, or gpus=0 for {count} CPU ranks"
            )
        return count, gpus

    def check_plan(self, plan: Plan, jobs_dir: Path) -> None:
        """The job's files must be on the shared volume, and its objects valid."""
        options = plan.options
        mount = Path(options.get("mount_path") or jobs_dir)
        if not Path(jobs_dir).is_relative_to(mount):
            raise BadRequest(
                f"the jobs folder {jobs_dir} is not under mount_path {mount}: the pods would"
                " not see the job; set mount_path to where this server mounts the volume"
            )
        script = plan.request.script
        if script is not None and not Path(script).is_relative_to(mount):
            raise BadRequest(
                f"{script} is not on the volume the pods mount ({options['volume']} at"
                f" {mount}): move it there, or set mount_path to a folder holding both it"
                " and the jobs folder"
            )
        from .kubernetes_schema import ManifestError, check_manifests

        try:
            check_manifests(plan_manifests(plan, jobs_dir))
        except ManifestError as e:
            raise BadRequest(f"the cluster would refuse this job's objects: {e}") from None

    # -------------------------------------------------------------- start

    def start(self, files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
        spec = files.read_spec()
        pythonpath = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        pods = training_pods(spec, files.root, pythonpath, run_as())
        (files.root / MANIFESTS_FILE).write_text(to_yaml(manifests(pods, spec["options"]["kind"])))
        return start_supervisor(files, workdir, env)

    # ---------------------------------------------------- in the supervisor

    def run(self, files: JobFiles, spec: dict[str, Any]) -> Outcome:
        """Submit the job's objects and watch them until they end."""
        import yaml  # type: ignore[import-untyped]

        nproc = spec["nproc"]
        objects = list(yaml.safe_load_all((files.root / MANIFESTS_FILE).read_text()))
        try:
            api = connect()
        except ClusterNotConfigured as e:
            manifests_file = files.root / MANIFESTS_FILE
            return Outcome(
                "failed", [None] * nproc, f"{e}; the job's objects are in {manifests_file}"
            )
        from ...api import training_service
        from ...tracking.folder import Relay

        cluster = Cluster(api, spec)
        relay = Relay(files.root / TRACKING_FOLDER, training_service().tracking, spec["id"])
        logs = PodLogs(cluster, files)
        relay.start()
        outcome: Outcome | None = None
        try:
            cluster.create(objects)
            outcome = watch(cluster, logs, files, spec)
        except Stopped:
            with _signals_ignored():
                cluster.delete()
                cluster.wait_for_pods_to_go(STOP_WAIT)
            raise
        except SubmitFailed as e:
            outcome = Outcome("failed", [None] * nproc, str(e))
        finally:
            with _signals_ignored():
                logs.stop()
                relay.stop()
                cleanup = spec["options"]["cleanup"]
                succeeded = outcome is not None and outcome.status == "succeeded"
                # A supervisor that fails itself leaves no one watching the pods: delete.
                if (
                    outcome is None
                    or cleanup == "always"
                    or (cleanup == "on_success" and succeeded)
                ):
                    cluster.delete()
        return outcome

    def stop(self, job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
        """Stop the supervisor (which deletes the job's objects), then delete them from
        here too, in case it was gone or killed first."""
        supervisor = stop_supervisor(job, grace)
        left = processes.stop(supervisor, grace=grace) if supervisor else []
        spec = files.read_json(files.spec)
        if isinstance(spec, dict):
            with contextlib.suppress(ClusterNotConfigured):
                Cluster(connect(), spec).delete()
        return left


# ------------------------------------------------------------------ options


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a kubernetes job, completed with their defaults; a 400 naming the
    option at fault and what it takes."""
    image = options.get("image") or default_image()
    if not isinstance(image, str) or not image.strip():
        raise BadRequest(
            "the kubernetes backend needs an image with jupyter-dl installed: pass"
            " options={'image': '<registry>/<image>:<tag>'} (this server has no $JUPYTER_IMAGE)"
        )
    namespace = options.get("namespace") or default_namespace()
    check_dns(namespace, "namespace", label=True)
    kind = options.get("kind", "pytorchjob")
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(map(repr, KINDS))}, not {kind!r}")
    volume = options.get("volume")
    if not volume:
        raise BadRequest(
            "the kubernetes backend needs volume: the name of a PersistentVolumeClaim"
            " (ReadWriteMany) holding the jobs folder, which the pods mount to read the job"
            " and write its logs, result and checkpoints"
        )
    check_dns(volume, "volume")
    mount_path = options.get("mount_path")
    if mount_path is not None and (
        not isinstance(mount_path, str) or not Path(mount_path).is_absolute()
    ):
        raise BadRequest(f"mount_path must be an absolute path, not {mount_path!r}")
    nnodes = options.get("nnodes", 1)
    if type(nnodes) is not int or nnodes < 1:
        raise BadRequest(f"nnodes must be a number of pods >= 1, not {nnodes!r}")
    cleanup = options.get("cleanup", "always")
    if cleanup not in CLEANUP:
        raise BadRequest(f"cleanup must be one of {', '.join(map(repr, CLEANUP))}, not {cleanup!r}")
    service_account = options.get("service_account")
    if service_account is not None:
        check_dns(service_account, "service_account")
    return {
        "image": image.strip(),
        "namespace": namespace,
        "kind": kind,
        "volume": volume,
        "mount_path": mount_path,
        "nnodes": nnodes,
        "cpu": quantity(options.get("cpu"), "cpu"),
        "memory": quantity(options.get("memory"), "memory"),
        "node_selector": string_map(options.get("node_selector"), "node_selector"),
        "tolerations": tolerations(options.get("tolerations")),
        "service_account": service_account,
        "env": string_map(options.get("env"), "env"),
        "cleanup": cleanup,
    }


def _deployment_defaults() -> dict[str, Any]:
    text = os.environ.get(DEFAULTS_ENV)
    if not text:
        return {}
    try:
        defaults = json.loads(text)
    except ValueError as e:
        raise BadRequest(f"${DEFAULTS_ENV} is not JSON: {e}") from None
    if not isinstance(defaults, dict) or not set(defaults) <= set(OPTIONS):
        raise BadRequest(
            f"${DEFAULTS_ENV} must be a JSON object of kubernetes options ({', '.join(OPTIONS)})"
        )
    return defaults


# ---------------------------------------------------------------- manifests


def training_pods(
    spec: Mapping[str, Any],
    job_dir: Path,
    pythonpath: list[str],
    run_as: tuple[int, int] | None = None,
) -> TrainingPods:
    """The pods of the job ``spec`` (its ``job.json``), whose folder is ``job_dir``."""
    options = spec["options"]
    nnodes = options["nnodes"]
    mount = options.get("mount_path") or str(job_dir.parent)
    # The ranks start where the job was asked for, when the pods can see that folder.
    workdir = spec["workdir"] if Path(spec["workdir"]).is_relative_to(mount) else str(job_dir)
    return TrainingPods(
        job_id=spec["id"],
        name=object_name(spec["name"], spec["id"]),
        namespace=options["namespace"],
        image=options["image"],
        job_dir=str(job_dir),
        claim=options["volume"],
        mount_path=mount,
        workdir=workdir,
        nnodes=nnodes,
        nproc_per_node=spec["nproc"] // nnodes,
        gpus_per_node=(spec.get("gpus") or 0) // nnodes,
        max_restarts=spec["max_restarts"],
        env=pod_env(job_dir, pythonpath, mount, options.get("env") or {}),
        cpu=options.get("cpu"),
        memory=options.get("memory"),
        node_selector=options.get("node_selector") or {},
        tolerations=options.get("tolerations") or [],
        service_account=options.get("service_account"),
        run_as=run_as,
        owner=spec.get("owner"),
        job_name=spec["name"],
    )


def pod_env(
    job_dir: Path, pythonpath: list[str], mount: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """What every rank of a pod gets: the job's own variables (as a local job's ranks
    do), its tracking folder instead of the store, and the folders of ``pythonpath``
    that the pods can see. Nothing else of this server's environment goes into the
    manifests, which anyone who can read the namespace can read."""
    from ...paths import JOBS_ENV
    from ...tracking.client import TRACKING_DIR_ENV

    shared = [p for p in pythonpath if Path(p).is_relative_to(mount)]
    paths = [*shared, *filter(None, [extra.get("PYTHONPATH")])]
    env = {
        **extra,
        JOB_ID_ENV: job_dir.name,
        JOB_DIR_ENV: str(job_dir),
        RUN_ID_ENV: job_dir.name,
        CHECKPOINTS_ENV: str(JobFiles(job_dir).checkpoints),
        JOBS_ENV: str(job_dir.parent),
        TRACKING_DIR_ENV: str(job_dir / TRACKING_FOLDER),
        "PYTHONUNBUFFERED": "1",
        # As for local jobs: a rendezvous store per attempt, never an address a dead
        # rank of the previous attempt left behind.
        "TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1",
    }
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def plan_manifests(plan: Plan, jobs_dir: Path, job_id: str = PREVIEW_ID) -> list[dict[str, Any]]:
    """The objects a planned job would submit, were its id ``job_id``."""
    request = plan.request
    spec = {
        "id": job_id,
        "name": plan.name,
        "nproc": plan.nproc,
        "gpus": plan.gpus,
        "owner": request.owner,
        "max_restarts": request.max_restarts,
        "workdir": str(plan.workdir),
        "options": plan.options,
    }
    pods = training_pods(spec, Path(jobs_dir) / job_id, list(request.pythonpath), run_as())
    return manifests(pods, plan.options["kind"])


def run_as() -> tuple[int, int] | None:
    """This server's user and group, for the pods: the ranks write the job's folder, which
    this server must read and delete. None for root, whose pods run as their image says."""
    uid = os.getuid()
    return None if uid == 0 else (uid, os.getgid())


def preview(
    nproc: int | str = "auto",
    gpus: int | None = None,
    name: str = "job",
    max_restarts: int = 0,
    options: Mapping[str, Any] | None = None,
    script: str | os.PathLike[str] | None = None,
) -> str:
    """The YAML of what ``dl.train(..., backend="kubernetes", options=options)`` would
    submit, checked exactly as a launch is, without starting anything.

    ``script`` previews a script or notebook job (it must be on the shared volume);
    otherwise a function job. The job id in the names is all zeros. Raises
    ``ValueError`` for what ``dl.train`` would refuse."""
    from ...api import training_service
    from ...processes import current_user
    from ..job import _user_paths
    from ..service import JobRequest

    service = training_service()
    path = Path(script).absolute() if script is not None else None
    request = JobRequest(
        kind=("notebook" if path.suffix == ".ipynb" else "script") if path else "function",
        name=name,
        nproc=nproc,
        gpus=gpus,
        backend=KubernetesLauncher.name,
        max_restarts=max_restarts,
        # A function job's function stays in the notebook: its objects do not depend on it.
        payload=None if path else b"\0",
        script=path,
        command=[] if path else [name],
        workdir=Path.cwd(),
        owner=current_user(),
        pythonpath=_user_paths(),
        options=dict(options or {}),
    )
    try:
        plan = service.plan(request)
    except BadRequest as e:
        raise ValueError(e.message) from None
    return to_yaml(plan_manifests(plan, service.jobs_dir))


# ------------------------------------------------------------------ cluster


class SubmitFailed(RuntimeError):
    """The cluster refused one of the job's objects; says which, why and what to do."""


class Cluster:
    """One job's objects on the cluster: create them, read how they are doing, find
    their pods, delete them."""

    def __init__(self, api: ApiClient, spec: Mapping[str, Any]) -> None:
        from kubernetes import client

        options = spec["options"]
        self.namespace: str = options["namespace"]
        self.kind: str = options["kind"]
        self.name = object_name(spec["name"], spec["id"])
        self.job_id: str = spec["id"]
        self.core = client.CoreV1Api(api)
        self.batch = client.BatchV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    def create(self, objects: list[dict[str, Any]]) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        for obj in objects:
            try:
                if obj["kind"] == "PyTorchJob":
                    group, version, plural = PYTORCHJOB_API
                    self.custom.create_namespaced_custom_object(
                        group, version, self.namespace, plural, obj
                    )
                elif obj["kind"] == "Service":
                    self.core.create_namespaced_service(
                        self.namespace, _model(client.V1Service, obj)
                    )
                else:
                    self.batch.create_namespaced_job(self.namespace, _model(client.V1Job, obj))
            except ApiException as e:
                raise SubmitFailed(self._refusal(obj, e)) from None
            except Exception as e:  # no answer at all: the address, the network, TLS
                what = f"{obj['kind']} {self.namespace}/{obj['metadata']['name']}"
                raise SubmitFailed(f"could not submit {what} to the cluster: {e}") from None

    def _refusal(self, obj: dict[str, Any], error: Any) -> str:
        what = f"{obj['kind']} {self.namespace}/{obj['metadata']['name']}"
        detail = _api_message(error)
        if error.status == 404 and obj["kind"] == "PyTorchJob" and "namespaces" not in detail:
            return (
                f"the cluster has no PyTorchJob resource ({detail}): install the Kubeflow"
                " training operator, or use options={'kind': 'job'} (an indexed Job)"
            )
        if error.status in (401, 403):
            return (
                f"the cluster did not allow creating {what}: {detail}. The account this"
                " server uses needs to create, read and delete the job's objects and to read"
                f" pods and their logs in namespace {self.namespace}"
            )
        return f"the cluster refused {what} ({error.status}): {detail}"

    def state(self) -> tuple[str, str]:
        """``running``, ``succeeded`` or ``failed``, with what the cluster says about it."""
        from kubernetes.client.exceptions import ApiException

        final = ("Succeeded", "Failed") if self.kind == "pytorchjob" else ("Complete", "Failed")
        try:
            if self.kind == "pytorchjob":
                group, version, plural = PYTORCHJOB_API
                obj: dict[str, Any] = self.custom.get_namespaced_custom_object(  # type: ignore[assignment]
                    group, version, self.namespace, plural, self.name
                )
                conditions = [
                    (c.get("type"), c.get("status"), c.get("message") or c.get("reason") or "")
                    for c in (obj.get("status") or {}).get("conditions") or []
                ]
            else:
                job = self.batch.read_namespaced_job_status(self.name, self.namespace)
                conditions = [
                    (c.type, c.status, c.message or c.reason or "")
                    for c in (job.status.conditions if job.status else None) or []
                ]
        except ApiException as e:
            if e.status == 404:
                return "failed", f"the {self.kind} {self.name} was deleted from the cluster"
            raise
        for kind, status, message in conditions:
            if status == "True" and kind in final:
                return ("succeeded" if kind == final[0] else "failed"), message
        return "running", ""

    def pods(self) -> list[Any]:
        """The job's pods, as the cluster has them now."""
        found = self.core.list_namespaced_pod(
            self.namespace, label_selector=f"{JOB_ID_LABEL}={self.job_id}"
        )
        return list(found.items)

    def delete(self) -> None:
        """Delete the job's objects (their pods go with them); quietly when gone."""
        from kubernetes.client.exceptions import ApiException

        group, version, plural = PYTORCHJOB_API
        deletions: list[Callable[[], object]]
        # An API server that never answers must not hold a cancel forever: each call
        # gives up after DELETE_TIMEOUT seconds and is tried once more.
        if self.kind == "pytorchjob":
            deletions = [
                lambda: self.custom.delete_namespaced_custom_object(
                    group,
                    version,
                    self.namespace,
                    plural,
                    self.name,
                    propagation_policy="Background",
                    _request_timeout=DELETE_TIMEOUT,
                )
            ]
        else:
            deletions = [
                lambda: self.batch.delete_namespaced_job(
                    self.name,
                    self.namespace,
                    propagation_policy="Background",
                    _request_timeout=DELETE_TIMEOUT,
                ),
                lambda: self.core.delete_namespaced_service(
                    self.name, self.namespace, _request_timeout=DELETE_TIMEOUT
                ),
            ]
        for delete in deletions:
            for attempt in (1, 2):
                try:
                    delete()
                except ApiException as e:
                    if e.status != 404:
                        log.warning("could not delete %s of job %s: %s", self.name, self.job_id, e)
                except Exception as e:
                    if attempt == 1:
                        continue
                    log.warning("could not delete %s of job %s: %s", self.name, self.job_id, e)
                break

    def wait_for_pods_to_go(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self.pods():
                    return
            except Exception as e:
                log.warning("could not list the pods of job %s: %s", self.job_id, e)
                return
            time.sleep(1.0)


def _model(cls: Any, obj: dict[str, Any]) -> Any:
    """``obj`` as the client's model ``cls`` (which the typed API methods take)."""
    model = cls.from_dict(obj)
    if model is None:
        raise SubmitFailed(f"{obj['kind']} {obj['metadata']['name']} is empty")
    return model


def _api_message(error: Any) -> str:
    """The message of the API server's Status in ``error``, else its reason."""
    try:
        message = json.loads(error.body)["message"]
    except (TypeError, ValueError, KeyError):
        message = None
    return str(message or error.reason or error)


# ------------------------------------------------------------------ watching


class PodLogs:
    """Each pod's own output, streamed into ``pods/<pod>.log`` by a thread per pod
    (a pod the training operator starts again under the same name appends)."""

    def __init__(self, cluster: Cluster, files: JobFiles) -> None:
        self.cluster = cluster
        self.files = files
        self._threads: dict[str, threading.Thread] = {}

    def follow(self, pods: list[Any]) -> None:
        for pod in pods:
            uid = pod.metadata.uid
            if uid in self._threads or not _started(pod):
                continue
            thread = threading.Thread(
                target=self._stream, args=(pod.metadata.name,), name=f"log-{pod.metadata.name}"
            )
            thread.daemon = True
            thread.start()
            self._threads[uid] = thread

    def wait(self, pods: list[Any], timeout: float = 10.0) -> None:
        """Wait (up to ``timeout`` seconds in all) until the output of every pod of
        ``pods`` that has ended is written; pods still running are not waited for."""
        deadline = time.monotonic() + timeout
        for pod in pods:
            thread = self._threads.get(pod.metadata.uid)
            if thread is not None and _ended(pod):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def stop(self, timeout: float = 2.0) -> None:
        """Give the streams still open ``timeout`` seconds in all to end."""
        deadline = time.monotonic() + timeout
        for thread in self._threads.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _stream(self, pod: str) -> None:
        path = self.files.pod_log(pod)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            response: Any = self.cluster.core.read_namespaced_pod_log(
                pod,
                self.cluster.namespace,
                container=CONTAINER,
                follow=True,
                _preload_content=False,
            )
            with path.open("ab") as out:
                for chunk in response.stream(1 << 16):
                    out.write(chunk)
                    out.flush()
        except Exception as e:
            log.info("stopped following the output of pod %s: %s", pod, e)


class Waiting:
    """Why pods are not running: each new reason is noted in rank 0's log (until a pod
    runs, so it never writes beside a rank) and in the supervisor's; a pod that cannot
    start (a missing image) for ``STUCK_AFTER`` seconds fails the job."""

    def __init__(self, files: JobFiles) -> None:
        self.files = files
        self._said: dict[str, str] = {}
        self._since: dict[str, float] = {}
        self._running = False

    def update(self, pods: list[Any]) -> str | None:
        """Note what changed; why the job cannot go on, if so."""
        now = time.monotonic()
        self._running = self._running or any(_started(pod) for pod in pods)
        for pod in pods:
            name = pod.metadata.name
            reason, message = _waiting(pod)
            if reason is None:
                self._since.pop(name, None)
                continue
            text = f"{reason}: {message}" if message else reason
            if self._said.get(name) != text:
                self._said[name] = text
                self._note(f"pod {name} is waiting: {text}")
            if reason not in STUCK_REASONS:
                self._since.pop(name, None)
            elif now - self._since.setdefault(name, now) >= STUCK_AFTER:
                return f"pod {name} cannot start: {text}"
        return None

    def _note(self, text: str) -> None:
        log.info("%s", text)
        if not self._running:
            with self.files.log(0).open("a", encoding="utf-8") as f:
                f.write(f"[jupyter-dl] {text}\n")


def watch(cluster: Cluster, logs: PodLogs, files: JobFiles, spec: dict[str, Any]) -> Outcome:
    """Follow the job until the cluster says it ended (or a pod cannot start); how it ended."""
    waiting = Waiting(files)
    pods: list[Any] = []
    contact = time.monotonic()
    while True:
        try:
            state, message = cluster.state()
            pods = cluster.pods()
            contact = time.monotonic()
        except Exception as e:  # the API server restarts, the network blips: try again
            if time.monotonic() - contact > 10 * STUCK_AFTER:
                return Outcome("failed", exit_codes(files, spec), f"lost the cluster: {e}")
            log.warning("could not read job %s from the cluster: %s", spec["id"], e)
            time.sleep(POLL_INTERVAL)
            continue
        logs.follow(pods)
        if state != "running":
            logs.wait(pods)
            break
        stuck = waiting.update(pods)
        if stuck:
            return Outcome("failed", exit_codes(files, spec), stuck)
        time.sleep(POLL_INTERVAL)
    if state == "succeeded":
        return Outcome("succeeded", [0] * spec["nproc"])
    failures = rank_failures(files, spec)
    parts = [
        describe_failure(files, spec, failures),
        f"the {cluster.kind} {cluster.name} failed: {message}",
        *(describe_pod(pod, files) for pod in pods),
    ]
    return Outcome("failed", exit_codes(files, spec, failures), "\n\n".join(p for p in parts if p))


def rank_failures(files: JobFiles, spec: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The ranks whose last attempt ended with an error, from the records they left."""
    from ..outcome import attempts

    attempt = attempts(files, spec["nproc"])
    found = {}
    for rank in range(spec["nproc"]):
        record = files.read_json(files.exit(rank))
        if isinstance(record, dict) and record.get("attempt") == attempt and record.get("code"):
            with contextlib.suppress(OSError):
                found[rank] = failure(int(record["code"]), files.exit(rank).stat().st_mtime)
    return found


def describe_pod(pod: Any, files: JobFiles, lines: int = 20) -> str:
    """How a failed pod ended and the end of its output; empty for a pod that did not fail."""
    for status in (pod.status.container_statuses if pod.status else None) or []:
        ended = status.state.terminated if status.state else None
        if status.name != CONTAINER or ended is None or not ended.exit_code:
            continue
        how = f"pod {pod.metadata.name} ended with exit code {ended.exit_code}"
        if ended.reason and ended.reason != "Error":
            how += f" ({ended.reason})"
        try:
            tail = files.pod_log(pod.metadata.name).read_text(errors="replace").splitlines()
        except OSError:
            tail = []
        return "\n".join([how + (":" if tail else ""), *tail[-lines:]])
    return ""


def _started(pod: Any) -> bool:
    """Whether the pod's container runs or ran (so it has output to follow)."""
    for status in (pod.status.container_statuses if pod.status else None) or []:
        if status.state and (status.state.running or status.state.terminated):
            return True
    return False


def _ended(pod: Any) -> bool:
    """Whether the pod's container has ended (so its output is complete)."""
    statuses = (pod.status.container_statuses if pod.status else None) or []
    return bool(statuses) and all(s.state and s.state.terminated for s in statuses)


def _waiting(pod: Any) -> tuple[str | None, str | None]:
    """Why the pod is not running yet (reason, message); (None, None) when it is."""
    status = pod.status
    for container in (status.container_statuses if status else None) or []:
        waiting = container.state.waiting if container.state else None
        if waiting and waiting.reason not in (None, "ContainerCreating", "PodInitializing"):
            return waiting.reason, waiting.message
    for condition in (status.conditions if status else None) or []:
        if condition.type == "PodScheduled" and condition.status == "False":
            return condition.reason or "Unschedulable", condition.message
    return None, None


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Let nothing interrupt deleting the job's objects (the supervisor's main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
