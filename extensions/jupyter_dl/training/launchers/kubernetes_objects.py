"""The Kubernetes objects of a training job, built by pure functions.

As in kubespawner's ``objects.py``, nothing here talks to a cluster: each
function takes what the job needs and returns the objects to submit, built
with the official client's models (checked field names) or, for the Kubeflow
``PyTorchJob`` custom resource, a plain dict. ``manifests`` turns a job into
the list of dicts that is validated, shown to people and submitted.

Every pod runs the job's ranks the same way whichever object holds it:
``python -m jupyter_dl.training.node`` (torchrun, see ``node.py``) with
``nnodes`` pods of ``nproc_per_node`` ranks, a c10d rendezvous on node 0, and
up to ``max_restarts`` restarts of all ranks when one fails. Each rank then
runs ``python -m jupyter_dl.training.entry <job dir>``, as a local job's do, so
the job's folder must be visible in every pod at the same path: a
PersistentVolumeClaim (ReadWriteMany) holding the jobs folder, mounted where
this server sees it.

Kubernetes itself restarts only pods that were killed from outside (exit code
128 and above, such as an out-of-memory kill; a preemption is not counted),
at most ``max_restarts`` times; a pod whose ranks failed (exit codes 1-127:
torchrun gave up, or the image cannot run the job) fails the job at once, so a
failing job is not run ``max_restarts`` times over.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubernetes.client import V1Job, V1PodTemplateSpec, V1Service

#: Labels on every object and pod of a job, to find (and delete) them again.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "jupyter-dl"
JOB_ID_LABEL = "jupyter-dl/job-id"
OWNER_LABEL = "jupyter-dl/owner"
#: Annotations keeping the user's own words, which labels cannot hold.
JOB_NAME_ANNOTATION = "jupyter-dl/job-name"
OWNER_ANNOTATION = "jupyter-dl/owner"

#: The container that runs the ranks; the training operator requires this name.
CONTAINER = "pytorch"
#: The training operator's port name and default port for the master's rendezvous.
PYTORCHJOB_PORT_NAME = "pytorchjob-port"
PYTORCHJOB_PORT = 23456
#: The rendezvous port of node 0 in an indexed Job.
RENDEZVOUS_PORT = 29500
PYTORCHJOB_API = ("kubeflow.org", "v1", "pytorchjobs")
NODE_MODULE = "jupyter_dl.training.node"
ENTRY_MODULE = "jupyter_dl.training.entry"
#: Filled in by the kubelet from the pod's status: how ranks of other pods reach this one.
POD_IP_ENV = "JUPYTER_DL_POD_IP"
#: How often torch elastic looks at the ranks of a pod.
MONITOR_INTERVAL = 1.0
#: Exit codes that mean the ranks failed or the pod cannot run the job: never retried.
PERMANENT_EXIT_CODES = list(range(1, 128))

#: A DNS-1035 label: what a PyTorchJob, a Service and a pod's hostname may be called.
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
#: Label values: at most 63 characters of these, starting and ending alphanumeric.
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
#: The part of a job's name kept in its objects' names; the job id follows it.
MAX_NAME_PART = 30


@dataclass(frozen=True)
class TrainingPods:
    """What the pods of one job are: the image, the shape of the job and where it runs.

    ``nnodes`` pods each run ``nproc_per_node`` ranks with ``gpus_per_node`` GPUs;
    ``claim`` is the PersistentVolumeClaim mounted at ``mount_path``, which holds
    ``job_dir``; ``env`` is what every rank gets besides torch elastic's variables.
    """

    job_id: str
    name: str
    namespace: str
    image: str
    job_dir: str
    claim: str
    mount_path: str
    workdir: str
    nnodes: int = 1
    nproc_per_node: int = 1
    gpus_per_node: int = 0
    max_restarts: int = 0
    env: Mapping[str, str] = field(default_factory=dict)
    cpu: str | None = None
    memory: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()
    service_account: str | None = None
    run_as: tuple[int, int] | None = None
    owner: str | None = None
    job_name: str | None = None


def object_name(job_name: str, job_id: str) -> str:
    """The name of a job's objects: its name made DNS-safe, then its id.

    Short enough that the training operator's pod names (``<name>-worker-<i>``)
    and an indexed Job's hostnames (``<name>-<i>``) stay valid DNS labels."""
    part = re.sub(r"[^a-z0-9]+", "-", job_name.lower()).strip("-")
    if not part or not part[0].isalpha():
        part = f"job-{part}".rstrip("-")
    part = part[:MAX_NAME_PART].rstrip("-")
    return f"{part}-{job_id}"


def label_value(text: str | None) -> str | None:
    """``text`` as a valid label value (None when nothing of it is left)."""
    if not text:
        return None
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    value = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)
    return value or None


def job_labels(pods: TrainingPods) -> dict[str, str]:
    found = {MANAGED_BY_LABEL: MANAGED_BY, JOB_ID_LABEL: pods.job_id}
    owner = label_value(pods.owner)
    if owner:
        found[OWNER_LABEL] = owner
    return found


def job_annotations(pods: TrainingPods) -> dict[str, str]:
    found = {}
    if pods.job_name:
        found[JOB_NAME_ANNOTATION] = pods.job_name
    if pods.owner:
        found[OWNER_ANNOTATION] = pods.owner
    return found


def node_command(pods: TrainingPods, endpoint: str) -> list[str]:
    """The command of every pod: torchrun over ``nnodes`` pods, rendezvous at ``endpoint``."""
    return [
        "python",
        "-m",
        NODE_MODULE,
        f"--nnodes={pods.nnodes}",
        f"--nproc-per-node={pods.nproc_per_node}",
        f"--max-restarts={pods.max_restarts}",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint={endpoint}",
        f"--rdzv-id={pods.job_id}",
        f"--local-addr=$({POD_IP_ENV})",
        f"--monitor-interval={MONITOR_INTERVAL}",
        "--module",
        ENTRY_MODULE,
        pods.job_dir,
    ]


def make_pod_template(
    pods: TrainingPods,
    command: list[str],
    ports: Sequence[tuple[str, int]] = (),
    restart_policy: str | None = None,
    subdomain: str | None = None,
) -> V1PodTemplateSpec:
    """The pod every node of the job runs: the user's image running ``command`` with
    the jobs volume, the node's resources, scheduling constraints and the job's env."""
    from kubernetes import client

    requests = {k: v for k, v in (("cpu", pods.cpu), ("memory", pods.memory)) if v}
    limits = {"nvidia.com/gpu": str(pods.gpus_per_node)} if pods.gpus_per_node else {}
    env = [client.V1EnvVar(name=k, value=v) for k, v in sorted(pods.env.items())]
    env.append(
        client.V1EnvVar(
            name=POD_IP_ENV,
            value_from=client.V1EnvVarSource(
                field_ref=client.V1ObjectFieldSelector(field_path="status.podIP")
            ),
        )
    )
    container = client.V1Container(
        name=CONTAINER,
        image=pods.image,
        command=command,
        working_dir=pods.workdir,
        env=env,
        ports=[client.V1ContainerPort(name=n, container_port=p) for n, p in ports] or None,
        resources=client.V1ResourceRequirements(requests=requests or None, limits=limits or None),
        volume_mounts=[
            client.V1VolumeMount(name="jobs", mount_path=pods.mount_path),
            # Data loader workers share tensors through /dev/shm, which a container
            # otherwise gets only 64 MiB of.
            client.V1VolumeMount(name="dshm", mount_path="/dev/shm"),
        ],
    )
    security = None
    if pods.run_as is not None:
        # Ranks write the job's folder, which this server's user must read and delete.
        security = client.V1PodSecurityContext(
            run_as_user=pods.run_as[0], run_as_group=pods.run_as[1]
        )
    spec = client.V1PodSpec(
        containers=[container],
        restart_policy=restart_policy,
        subdomain=subdomain,
        node_selector=dict(pods.node_selector) or None,
        tolerations=[_toleration(t) for t in pods.tolerations] or None,
        service_account_name=pods.service_account,
        # Ranks have no business with the Kubernetes API unless given an account for it.
        automount_service_account_token=bool(pods.service_account),
        security_context=security,
        volumes=[
            client.V1Volume(
                name="jobs",
                persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(
                    claim_name=pods.claim
                ),
            ),
            client.V1Volume(name="dshm", empty_dir=client.V1EmptyDirVolumeSource(medium="Memory")),
        ],
    )
    return client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(
            labels=job_labels(pods), annotations=job_annotations(pods) or None
        ),
        spec=spec,
    )


def _toleration(toleration: Mapping[str, Any]) -> Any:
    from kubernetes import client

    return client.V1Toleration(
        key=toleration.get("key"),
        operator=toleration.get("operator"),
        value=toleration.get("value"),
        effect=toleration.get("effect"),
        toleration_seconds=toleration.get("tolerationSeconds"),
    )


def make_pytorchjob(pods: TrainingPods) -> dict[str, Any]:
    """A Kubeflow training operator (v1) ``PyTorchJob``: one Master and ``nnodes - 1``
    Workers, each running ``nproc_per_node`` ranks (``nprocPerNode``).

    The operator names the master ``<name>-master-0`` and gives every pod
    ``MASTER_ADDR``/``MASTER_PORT`` pointing at it: that is the rendezvous.
    ``restartPolicy: ExitCode`` restarts only pods killed from outside, within
    ``runPolicy.backoffLimit``; ``cleanPodPolicy: Running`` stops pods still running
    when the job has ended.
    """
    command = node_command(pods, "$(MASTER_ADDR):$(MASTER_PORT)")
    template = _serialize(
        make_pod_template(pods, command, ports=[(PYTORCHJOB_PORT_NAME, PYTORCHJOB_PORT)])
    )
    replicas = {"Master": {"replicas": 1, "restartPolicy": "ExitCode", "template": template}}
    if pods.nnodes > 1:
        replicas["Worker"] = {
            "replicas": pods.nnodes - 1,
            "restartPolicy": "ExitCode",
            "template": copy.deepcopy(template),
        }
    group, version, _ = PYTORCHJOB_API
    return {
        "apiVersion": f"{group}/{version}",
        "kind": "PyTorchJob",
        "metadata": _metadata(pods),
        "spec": {
            "nprocPerNode": str(pods.nproc_per_node),
            "runPolicy": {"backoffLimit": pods.max_restarts, "cleanPodPolicy": "Running"},
            "pytorchReplicaSpecs": replicas,
        },
    }


def make_indexed_job(pods: TrainingPods) -> V1Job:
    """A ``batch/v1`` indexed ``Job`` of ``nnodes`` pods, for clusters without the
    training operator.

    Pod ``i`` is ``<name>-<i>.<name>`` in the headless Service of the same name
    (:func:`make_rendezvous_service`); node 0 hosts the rendezvous. A pod failure
    policy fails the Job when ranks fail and ignores preemptions; other pod
    failures (killed from outside) count against ``backoffLimit``.
    """
    from kubernetes import client

    endpoint = f"{pods.name}-0.{pods.name}:{RENDEZVOUS_PORT}"
    template = make_pod_template(
        pods,
        node_command(pods, endpoint),
        ports=[("rendezvous", RENDEZVOUS_PORT)],
        restart_policy="Never",
        subdomain=pods.name,
    )
    policy = client.V1PodFailurePolicy(
        rules=[
            client.V1PodFailurePolicyRule(
                action="FailJob",
                on_exit_codes=client.V1PodFailurePolicyOnExitCodesRequirement(
                    container_name=CONTAINER, operator="In", values=PERMANENT_EXIT_CODES
                ),
            ),
            client.V1PodFailurePolicyRule(
                action="Ignore",
                on_pod_conditions=[
                    client.V1PodFailurePolicyOnPodConditionsPattern(
                        type="DisruptionTarget", status="True"
                    )
                ],
            ),
        ]
    )
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(**_metadata(pods)),
        spec=client.V1JobSpec(
            completion_mode="Indexed",
            completions=pods.nnodes,
            parallelism=pods.nnodes,
            backoff_limit=pods.max_restarts,
            pod_failure_policy=policy,
            template=template,
        ),
    )


def make_rendezvous_service(pods: TrainingPods) -> V1Service:
    """The headless Service that gives every pod of an indexed Job a DNS name, node 0's
    (``<name>-0.<name>``) being the rendezvous; published before the pods are ready,
    since the ranks meet before anything could call them ready."""
    from kubernetes import client

    return client.V1Service(
        api_version="v1",
        kind="Service",
        metadata=client.V1ObjectMeta(**_metadata(pods)),
        spec=client.V1ServiceSpec(
            cluster_ip="None",
            publish_not_ready_addresses=True,
            selector={JOB_ID_LABEL: pods.job_id},
            ports=[client.V1ServicePort(name="rendezvous", port=RENDEZVOUS_PORT)],
        ),
    )


def manifests(pods: TrainingPods, kind: str) -> list[dict[str, Any]]:
    """The objects to submit for a job, in order, as plain dicts (what YAML shows):
    a ``PyTorchJob`` (``kind="pytorchjob"``), or a Service and an indexed Job."""
    if kind == "pytorchjob":
        return [make_pytorchjob(pods)]
    return [_serialize(make_rendezvous_service(pods)), _serialize(make_indexed_job(pods))]


def _metadata(pods: TrainingPods) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": pods.name,
        "namespace": pods.namespace,
        "labels": job_labels(pods),
    }
    if job_annotations(pods):
        meta["annotations"] = job_annotations(pods)
    return meta


def _serialize(obj: Any) -> dict[str, Any]:
    """A client model as the JSON the API takes (camelCase keys, no unset fields)."""
    from kubernetes.client import ApiClient

    data: dict[str, Any] = ApiClient().sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
    return data
