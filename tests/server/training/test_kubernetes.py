"""The kubernetes backend: its manifests, checked offline, and what it does without a cluster.

Manifests are built through the training service exactly as a launch plans them,
then validated with ``kubernetes-validate`` (core objects, strict, against the
Kubernetes release the backend targets) and with the PyTorchJob schema the
backend ships. Tests marked ``k8s`` submit real jobs: they run when
``JUPYTER_DL_K8S=1`` and this server can reach a cluster, with the deployment's
options in ``$JUPYTER_DL_KUBERNETES_OPTIONS`` (image, volume, ...) and the jobs
folder on that volume in ``$JUPYTER_DL_K8S_JOBS_DIR``.
"""

import json
import os
import re
from importlib import resources
from types import SimpleNamespace

import cloudpickle
import jsonschema
import kubernetes_validate.utils as kv
import pytest
import yaml

from jupyter_dl.errors import BadRequest
from jupyter_dl.kube import options as kube_options
from jupyter_dl.paths import JOBS_ENV
from jupyter_dl.training import node
from jupyter_dl.training.files import JobFiles
from jupyter_dl.training.launchers import backends, kubernetes
from jupyter_dl.training.launchers.kubernetes import (
    DEFAULTS_ENV,
    MANIFESTS_FILE,
    Waiting,
    describe_pod,
    plan_manifests,
    preview,
    watch,
)
from jupyter_dl.training.launchers.kubernetes_schema import KUBERNETES_VERSION, problems

from .conftest import function_job, wait, wait_for
from .fake_cluster import FakeCluster

IMAGE = "registry.example.org/team/dl:2.13"
JOB_ID = "0123456789ab"
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def double(x):
    import os

    print(f"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']} doubles {x}", flush=True)
    return 2 * x


@pytest.fixture(autouse=True)
def no_cluster(request, monkeypatch, tmp_path):
    """No deployment defaults, no image from a spawner, and no cluster to talk to
    (except for the tests that need one)."""
    if request.node.get_closest_marker("k8s"):
        return
    for name in (DEFAULTS_ENV, "JUPYTER_IMAGE", "JUPYTER_IMAGE_SPEC", "POD_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setattr(kube_options, "NAMESPACE_FILE", tmp_path / "no-namespace-file")


def options(**more):
    return {"image": IMAGE, "volume": "team-jobs", **more}


def render(service, nproc=2, gpus=0, max_restarts=0, name="train", **opts):
    """The objects a kubernetes job would submit, planned as a launch plans it."""
    request = function_job(
        double,
        1,
        nproc=nproc,
        gpus=gpus,
        name=name,
        max_restarts=max_restarts,
        backend="kubernetes",
        options=options(**opts),
    )
    plan = service.plan(request)
    return plan, plan_manifests(plan, service.jobs_dir, JOB_ID)


def pod_templates(objects):
    """(what, pod template) of every pod the objects make."""
    for obj in objects:
        if obj["kind"] == "PyTorchJob":
            for kind, replica in obj["spec"]["pytorchReplicaSpecs"].items():
                yield kind, replica["template"]
        elif obj["kind"] == "Job":
            yield "Job", obj["spec"]["template"]


def assert_valid(objects):
    """Every object passes the checks the cluster would make, done offline."""
    schema_text = (resources.files("jupyter_dl.kube") / "schemas" / "pytorchjob.json").read_text()
    for obj in objects:
        if obj["kind"] == "PyTorchJob":
            jsonschema.Draft202012Validator(json.loads(schema_text)).validate(obj)
            assert problems(obj) == []
        else:
            kv.validate(obj, KUBERNETES_VERSION, strict=True)
    for what, template in pod_templates(objects):
        wrapped = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": what.lower()}}
        kv.validate({**wrapped, "template": template}, KUBERNETES_VERSION, strict=True)


def test_the_backend_is_offered():
    names = {b["name"]: b["description"] for b in backends()}
    assert "PyTorchJob" in names["kubernetes"]
    assert kv.major_minor(KUBERNETES_VERSION) in {kv.major_minor(v) for v in kv.all_versions()}


# ------------------------------------------------------------- manifests


@pytest.mark.parametrize("kind", ["pytorchjob", "job"])
@pytest.mark.parametrize(
    ("nproc", "gpus", "nnodes"),
    [(1, 0, 1), (2, 0, 1), (2, 0, 2), (4, 0, 2), (1, 1, 1), (2, 2, 2), (4, 4, 1), (4, 4, 2)],
)
def test_manifests_run_the_job_on_nnodes_pods(service, job_dirs, kind, nproc, gpus, nnodes):
    plan, objects = render(service, nproc, gpus, max_restarts=2, kind=kind, nnodes=nnodes)
    assert (plan.nproc, plan.gpus, plan.devices) == (nproc, gpus, [])
    assert_valid(objects)
    name = f"train-{JOB_ID}"
    job_dir = str(job_dirs / JOB_ID)
    per_pod = nproc // nnodes

    if kind == "pytorchjob":
        (job,) = objects
        assert (job["apiVersion"], job["kind"]) == ("kubeflow.org/v1", "PyTorchJob")
        spec = job["spec"]
        replicas = spec["pytorchReplicaSpecs"]
        assert replicas["Master"]["replicas"] == 1
        assert replicas.get("Worker", {}).get("replicas", 0) == nnodes - 1
        assert {r["restartPolicy"] for r in replicas.values()} == {"ExitCode"}
        assert spec["nprocPerNode"] == str(per_pod)
        assert spec["runPolicy"] == {"backoffLimit": 2, "cleanPodPolicy": "Running"}
        endpoint = "$(MASTER_ADDR):$(MASTER_PORT)"
    else:
        service_obj, job = objects
        assert service_obj["kind"] == "Service"
        assert service_obj["metadata"]["name"] == name
        assert service_obj["spec"]["clusterIP"] == "None"
        assert service_obj["spec"]["publishNotReadyAddresses"] is True
        assert service_obj["spec"]["selector"] == {"jupyter-dl/job-id": JOB_ID}
        spec = job["spec"]
        assert spec["completionMode"] == "Indexed"
        assert spec["completions"] == spec["parallelism"] == nnodes
        assert spec["backoffLimit"] == 2
        rules = spec["podFailurePolicy"]["rules"]
        assert rules[0]["action"] == "FailJob"
        assert rules[0]["onExitCodes"]["values"] == list(range(1, 128))
        assert rules[1] == {
            "action": "Ignore",
            "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
        }
        assert spec["template"]["spec"]["subdomain"] == name
        assert spec["template"]["spec"]["restartPolicy"] == "Never"
        endpoint = f"{name}-0.{name}:29500"

    assert job["metadata"]["name"] == name
    for _, template in pod_templates(objects):
        labels = template["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "jupyter-dl"
        assert labels["jupyter-dl/job-id"] == JOB_ID
        pod = template["spec"]
        (container,) = pod["containers"]
        assert container["name"] == "pytorch"
        assert container["image"] == IMAGE
        command = container["command"]
        assert command[:3] == ["python", "-m", "jupyter_dl.training.node"]
        assert f"--nnodes={nnodes}" in command
        assert f"--nproc-per-node={per_pod}" in command
        assert "--max-restarts=2" in command
        assert f"--rdzv-endpoint={endpoint}" in command
        assert f"--rdzv-id={JOB_ID}" in command
        assert command[-3:] == ["--module", "jupyter_dl.training.entry", job_dir]
        limits = (container.get("resources") or {}).get("limits")
        assert limits == ({"nvidia.com/gpu": str(gpus // nnodes)} if gpus else None)
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["JUPYTER_DL_JOB_ID"] == env["JUPYTER_DL_RUN_ID"] == JOB_ID
        assert env["JUPYTER_DL_JOB_DIR"] == job_dir
        assert env["JUPYTER_DL_CHECKPOINT_DIR"] == f"{job_dir}/checkpoints"
        assert env["JUPYTER_DL_TRACKING_DIR"] == f"{job_dir}/tracking"
        assert "JUPYTER_DL_DB_URL" not in env  # the pods log through the job's folder
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts == {"jobs": str(job_dirs), "dshm": "/dev/shm"}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["jobs"]["persistentVolumeClaim"] == {"claimName": "team-jobs"}
        assert pod["automountServiceAccountToken"] is False


def test_pods_get_the_profile_s_placement_and_resources(service):
    tolerations = [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "team", "operator": "Equal", "value": "vision", "tolerationSeconds": 60},
    ]
    _, objects = render(
        service,
        4,
        4,
        nnodes=2,
        node_selector={"nvidia.com/gpu.product": "H100"},
        tolerations=tolerations,
        cpu=8,
        memory="64Gi",
        service_account="trainer",
        env={"NCCL_DEBUG": "INFO"},
    )
    assert_valid(objects)
    for _, template in pod_templates(objects):
        pod = template["spec"]
        assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "H100"}
        assert pod["tolerations"] == tolerations
        assert pod["serviceAccountName"] == "trainer"
        assert pod["automountServiceAccountToken"] is True
        resources = pod["containers"][0]["resources"]
        assert resources == {
            "requests": {"cpu": "8", "memory": "64Gi"},
            "limits": {"nvidia.com/gpu": "2"},
        }
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["NCCL_DEBUG"] == "INFO"


@pytest.mark.parametrize(
    "name",
    ["My Job!", "123", "Überträining", "x" * 200, "--dashes--", "resnet50.v2_final", "日本語"],
)
def test_job_names_become_dns_names(service, name):
    for kind in ("pytorchjob", "job"):
        _, objects = render(service, 4, nnodes=4, name=name, kind=kind)
        assert_valid(objects)
        for obj in objects:
            object_name_ = obj["metadata"]["name"]
            assert DNS_1035.match(object_name_), object_name_
            assert object_name_.endswith(f"-{JOB_ID}")
            # The pods the operator or the Job controller names after it stay DNS labels.
            assert len(f"{object_name_}-worker-99999") <= 63
            assert obj["metadata"]["annotations"]["jupyter-dl/job-name"] == name.strip()


def test_owner_is_a_label_and_an_annotation(service):
    request = function_job(
        double, 1, backend="kubernetes", options=options(), owner="ada@lovelace.example"
    )
    (job,) = plan_manifests(service.plan(request), service.jobs_dir, JOB_ID)
    assert job["metadata"]["labels"]["jupyter-dl/owner"] == "ada-lovelace.example"
    assert job["metadata"]["annotations"]["jupyter-dl/owner"] == "ada@lovelace.example"


def test_ranks_start_in_the_job_s_folder_when_on_the_volume(service, job_dirs, tmp_path):
    (tmp_path / "project").mkdir()
    for workdir, mount, expected in [
        (tmp_path / "project", str(tmp_path), str(tmp_path / "project")),
        (tmp_path / "project", None, str(job_dirs / JOB_ID)),  # not on the volume
    ]:
        request = function_job(
            double,
            1,
            backend="kubernetes",
            workdir=workdir,
            pythonpath=[str(tmp_path / "project"), "/elsewhere"],
            options=options(mount_path=mount),
        )
        (job,) = plan_manifests(service.plan(request), service.jobs_dir, JOB_ID)
        container = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]
        container = container["containers"][0]
        assert container["workingDir"] == expected
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env.get("PYTHONPATH") == (str(tmp_path / "project") if mount else None)


def test_defaults_come_from_the_spawner_and_the_deployment(service, monkeypatch):
    monkeypatch.setenv("JUPYTER_IMAGE_SPEC", "quay.io/jupyter/pytorch-notebook:cuda12")
    monkeypatch.setenv("POD_NAMESPACE", "team-a")
    monkeypatch.setenv(DEFAULTS_ENV, json.dumps({"volume": "shared", "kind": "job"}))
    plan = service.plan(function_job(double, 1, backend="kubernetes", options={}))
    assert plan.options["image"] == "quay.io/jupyter/pytorch-notebook:cuda12"
    assert plan.options["namespace"] == "team-a"
    assert (plan.options["volume"], plan.options["kind"]) == ("shared", "job")
    # What the user passes wins over the deployment's defaults.
    plan = service.plan(
        function_job(double, 1, backend="kubernetes", options={"kind": "pytorchjob"})
    )
    assert plan.options["kind"] == "pytorchjob"


def test_preview_shows_the_yaml_and_starts_nothing(service, job_dirs):
    text = preview(nproc=4, gpus=4, name="resnet", options=options(nnodes=2, kind="job"))
    objects = list(yaml.safe_load_all(text))
    assert [o["kind"] for o in objects] == ["Service", "Job"]
    assert objects[1]["metadata"]["name"] == "resnet-000000000000"
    assert_valid(objects)
    assert "values: [1, 2, 3," in text  # long lists of exit codes stay on one line
    assert service.list_jobs().items == []
    assert not job_dirs.exists() or not list(job_dirs.iterdir())
    with pytest.raises(ValueError, match="nproc=3 cannot be split evenly over nnodes=2"):
        preview(nproc=3, options=options(nnodes=2))


# ------------------------------------------------------ checks up front


@pytest.mark.parametrize(
    ("fields", "opts", "message"),
    [
        ({}, {"replicas": 2}, "the kubernetes backend has no option 'replicas'; it takes: image"),
        ({}, {"kind": "mpijob"}, "kind must be one of 'pytorchjob', 'job'"),
        ({}, {"volume": None}, "needs volume: the name of a PersistentVolumeClaim"),
        ({}, {"volume": "Team_Jobs"}, "volume must be a Kubernetes name"),
        ({}, {"namespace": "a.b"}, "namespace must be a Kubernetes name"),
        ({}, {"nnodes": 0}, "nnodes must be a number of pods >= 1"),
        ({}, {"cpu": "lots"}, "cpu must be a Kubernetes quantity above 0"),
        ({}, {"memory": "8GB"}, "memory must be a Kubernetes quantity above 0"),
        ({}, {"memory": "-1Gi"}, "memory must be a Kubernetes quantity above 0"),
        ({}, {"node_selector": {"gpu": 1}}, "node_selector must map names to strings"),
        ({}, {"tolerations": {"key": "x"}}, "tolerations must be a list of tolerations"),
        ({}, {"tolerations": [{"key": "x", "operator": "In"}]}, "operator is Equal or Exists"),
        ({}, {"tolerations": [{"key": "x", "seconds": 1}]}, "a toleration has no field 'seconds'"),
        ({}, {"cleanup": "later"}, "cleanup must be one of 'always', 'on_success', 'never'"),
        ({}, {"mount_path": "relative/path"}, "mount_path must be an absolute path"),
        ({}, {"mount_path": "/somewhere/else"}, "is not under mount_path /somewhere/else"),
        ({"nproc": 3}, {"nnodes": 2}, "nproc=3 cannot be split evenly over nnodes=2 pods"),
        ({"nproc": 4, "gpus": 2}, {}, "each rank gets a GPU of its own; use gpus=4"),
        ({"nproc": 2, "gpus": 4}, {}, "gpus=4 with nproc=2"),
        ({"nproc": 1}, {"nnodes": 2}, "nproc=1 cannot be split evenly over nnodes=2"),
    ],
)
def test_bad_options_start_nothing(service, job_dirs, fields, opts, message):
    request = function_job(
        double, 1, **{"nproc": 2, **fields}, backend="kubernetes", options=options(**opts)
    )
    with pytest.raises(BadRequest, match=re.escape(message)):
        service.launch(request)
    assert service.list_jobs().items == []
    assert not job_dirs.exists() or not list(job_dirs.iterdir())


def test_an_image_is_required(service, job_dirs):
    request = function_job(double, 1, backend="kubernetes", options={"volume": "jobs"})
    with pytest.raises(
        BadRequest, match=r"needs an image with jupyter-dl installed.*JUPYTER_IMAGE"
    ):
        service.launch(request)
    assert service.list_jobs().items == []


def test_broken_deployment_defaults_are_named(service, monkeypatch):
    monkeypatch.setenv(DEFAULTS_ENV, "{not json")
    with pytest.raises(BadRequest, match=f"\\${DEFAULTS_ENV} is not JSON"):
        service.plan(function_job(double, 1, backend="kubernetes", options=options()))
    monkeypatch.setenv(DEFAULTS_ENV, json.dumps({"colour": "blue"}))
    with pytest.raises(BadRequest, match="must be a JSON object of kubernetes options"):
        service.plan(function_job(double, 1, backend="kubernetes", options=options()))


def test_a_script_must_be_on_the_volume(service, tmp_path):
    from jupyter_dl.training.service import JobRequest

    script = tmp_path / "elsewhere" / "train.py"
    script.parent.mkdir()
    script.write_text("print('hi')\n")
    request = JobRequest(kind="script", script=script, backend="kubernetes", options=options())
    with pytest.raises(BadRequest, match=r"train\.py is not on the volume the pods mount"):
        service.plan(request)
    plan = service.plan(
        JobRequest(
            kind="script",
            script=script,
            backend="kubernetes",
            workdir=script.parent,
            options=options(mount_path=str(tmp_path)),
        )
    )
    (job,) = plan_manifests(plan, service.jobs_dir, JOB_ID)
    container = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
    assert container["workingDir"] == str(script.parent)


def test_objects_the_cluster_would_refuse_are_named(service):
    _, (job,) = render(service, 4, nnodes=2)
    job["spec"]["runPolicy"]["backofLimit"] = 1  # misspelt: the API server would drop it
    job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 2
    job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] = "x"
    job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["ports"] = 1
    found = "\n".join(problems(job))
    assert "spec.runPolicy: Additional properties are not allowed ('backofLimit'" in found
    assert "spec.pytorchReplicaSpecs.Master.replicas: 1 was expected" in found
    assert "Worker.template.spec.containers: needs a container named 'pytorch'" in found
    assert "Worker.template.spec.containers[0].ports: 1 is not of type 'array'" in found

    _, (_, indexed) = render(service, 2, kind="job")
    indexed["spec"]["template"]["spec"]["containers"][0]["imagee"] = IMAGE
    (problem,) = problems(indexed)
    assert "spec.template.spec.containers[0]: Additional properties" in problem


# ------------------------------------------------------------- the pods


def test_node_zero_hosts_the_rendezvous():
    args = ["--nnodes=2", "--rdzv-backend=c10d", "--module", "jupyter_dl.training.entry", "/j"]
    assert node.torchrun_args(args, {"JOB_COMPLETION_INDEX": "0"})[0] == "--rdzv-conf=is_host=1"
    assert node.torchrun_args(args, {"JOB_COMPLETION_INDEX": "3"})[0] == "--rdzv-conf=is_host=0"
    assert node.torchrun_args(args, {"PET_NODE_RANK": "0"})[0] == "--rdzv-conf=is_host=1"
    assert node.torchrun_args(args, {"PET_NODE_RANK": "1"})[0] == "--rdzv-conf=is_host=0"
    merged = node.torchrun_args(["--rdzv-conf=timeout=60", *args], {"PET_NODE_RANK": "1"})
    assert merged[0] == "--rdzv-conf=timeout=60,is_host=0"


def test_a_pod_without_the_volume_says_so(tmp_path, capsys):
    missing = tmp_path / "jobs" / JOB_ID
    assert node.main(["--nnodes=1", "--module", "jupyter_dl.training.entry", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"the job's folder {missing} is not visible in this pod" in err
    assert "'volume' option" in err


# ------------------------------------------------ watching, without a cluster


def _pod(name, waiting=None, message=None, terminated=None, reason=None, scheduled=True):
    state = SimpleNamespace(
        waiting=SimpleNamespace(reason=waiting, message=message) if waiting else None,
        running=None,
        terminated=SimpleNamespace(exit_code=terminated, reason=reason)
        if terminated is not None
        else None,
    )
    conditions = (
        []
        if scheduled
        else [
            SimpleNamespace(
                type="PodScheduled",
                status="False",
                reason="Unschedulable",
                message="0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
            )
        ]
    )
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, uid=f"uid-{name}"),
        status=SimpleNamespace(
            container_statuses=[SimpleNamespace(name="pytorch", state=state)]
            if waiting or terminated is not None
            else [],
            conditions=conditions,
        ),
    )


def test_why_pods_wait_is_shown_in_rank_zero_s_log(tmp_path):
    files = JobFiles(tmp_path)
    waiting = Waiting(files)
    assert waiting.update([_pod("train-0", scheduled=False)]) is None
    assert waiting.update([_pod("train-0", scheduled=False)]) is None  # said once
    log = files.log(0).read_text()
    assert log.count("[jupyter-dl] pod train-0 is waiting: Unschedulable: 0/3 nodes") == 1


def test_a_pod_that_cannot_start_fails_the_job(tmp_path, monkeypatch):
    waiting = Waiting(JobFiles(tmp_path))
    pulling = _pod("train-0", "ImagePullBackOff", 'Back-off pulling image "nope:1"')
    assert waiting.update([pulling]) is None
    monkeypatch.setattr(kubernetes, "STUCK_AFTER", 0.0)
    stuck = waiting.update([pulling])
    assert stuck == 'pod train-0 cannot start: ImagePullBackOff: Back-off pulling image "nope:1"'


class _FakeCluster:
    kind, name = "job", f"train-{JOB_ID}"

    def __init__(self, states, pods):
        self.states, self._pods = list(states), pods

    def state(self):
        return self.states.pop(0)

    def pods(self):
        return self._pods


class _NoLogs:
    def follow(self, pods):
        pass

    def wait(self, pods, timeout=10.0):
        pass


def test_a_failed_job_says_which_rank_and_pod_failed(tmp_path, monkeypatch):
    monkeypatch.setattr(kubernetes, "POLL_INTERVAL", 0.0)
    files = JobFiles(tmp_path)
    spec = {"id": JOB_ID, "nproc": 2}
    files.write_json(files.pid(1), {"pid": 7, "pgid": 7, "host": "train-1", "attempt": 0})
    files.write_json(files.exit(1), {"attempt": 0, "code": 1})
    files.write_json(
        files.error(1, 0),
        {"rank": 1, "attempt": 0, "time": 1.0, "traceback": "ValueError: bad batch\n"},
    )
    files.pod_log(f"train-{JOB_ID}-1-x7z").parent.mkdir()
    files.pod_log(f"train-{JOB_ID}-1-x7z").write_text("torchrun: worker 1 failed\n")
    pods = [_pod(f"train-{JOB_ID}-1-x7z", terminated=1, reason="Error"), _pod("ok", terminated=0)]
    cluster = _FakeCluster([("running", ""), ("failed", "Pod train-1 has condition FailJob")], pods)
    outcome = watch(cluster, _NoLogs(), files, spec)
    assert outcome.status == "failed"
    assert outcome.exit_codes == [None, 1]
    assert outcome.error.startswith("rank 1 failed (exit code 1):\nValueError: bad batch")
    assert f"the job train-{JOB_ID} failed: Pod train-1 has condition FailJob" in outcome.error
    assert f"pod train-{JOB_ID}-1-x7z ended with exit code 1:\ntorchrun" in outcome.error


def test_an_out_of_memory_pod_is_named(tmp_path):
    pod = _pod("train-worker-0", terminated=137, reason="OOMKilled")
    assert describe_pod(pod, JobFiles(tmp_path)) == (
        "pod train-worker-0 ended with exit code 137 (OOMKilled)"
    )
    assert describe_pod(_pod("fine", terminated=0), JobFiles(tmp_path)) == ""


def test_without_a_cluster_the_job_fails_saying_so(service):
    job = service.launch(
        function_job(double, 21, nproc=2, backend="kubernetes", options=options(nnodes=2))
    )
    done = wait(service, job["id"], timeout=120)
    assert done["status"] == "failed"
    assert done["error"].startswith(
        "no Kubernetes cluster is configured: this server runs outside a cluster and has no"
        " kubeconfig"
    )
    assert "$KUBECONFIG" in done["error"]
    manifests = service.files(job["id"]).root / MANIFESTS_FILE
    assert str(manifests) in done["error"]
    (submitted,) = yaml.safe_load_all(manifests.read_text())
    assert submitted["metadata"]["name"] == f"double-{job['id']}"
    assert service.tracking.get_run(job["run_id"])["status"] == "failed"


# --------------------------------- a whole job, on a cluster played locally


@pytest.fixture
def fake_cluster(tmp_path, monkeypatch):
    (tmp_path / "cluster").mkdir()
    cluster = FakeCluster(tmp_path / "cluster")
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    yield cluster
    cluster.close()


def log_and_double(x):
    import os

    import jupyter_dl as dl

    pod = os.environ.get("JOB_COMPLETION_INDEX", os.environ.get("PET_NODE_RANK"))
    print(f"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']} on pod {pod}", flush=True)
    dl.log({"x": x})
    return 2 * x


def rank_three_fails():
    import os
    import time

    if os.environ["RANK"] == "3":
        raise ValueError("rank three cannot go on")
    time.sleep(60)


def sleep_long():
    import time

    time.sleep(600)


# The "pods" are processes of this machine, which sees everything: mount_path "/" lets
# them start in this folder, so they import this module as the job's function needs.
ON_THE_FAKE = {"nnodes": 2, "mount_path": "/"}


@pytest.mark.parametrize("kind", ["pytorchjob", "job"])
def test_a_job_runs_its_ranks_on_the_cluster_s_pods(service, fake_cluster, kind):
    request = function_job(
        log_and_double, 21, nproc=4, backend="kubernetes", options=options(kind=kind, **ON_THE_FAKE)
    )
    job = service.launch(request)
    done = wait(service, job["id"], timeout=240)
    assert done["status"] == "succeeded", done["error"]
    assert done["exit_codes"] == [0, 0, 0, 0]
    files = service.files(job["id"])
    assert cloudpickle.loads(files.result.read_bytes()) == 42
    lines = [service.read_log(job["id"], rank)["text"] for rank in range(4)]
    pods_of = {re.search(r"on pod (\d)", text)[1] for text in lines}
    assert pods_of == {"0", "1"}  # two ranks on each pod
    assert all(f"rank {rank} of 4" in text for rank, text in enumerate(lines))
    # What rank 0 logged went through the job's folder into its run.
    assert service.tracking.series(job["run_id"], "x")["values"] == [21.0]
    assert len(list((files.root / "pods").glob("*.log"))) == 2
    assert sorted(fake_cluster.deleted) == sorted(fake_cluster.created)


def test_a_failed_job_names_the_rank_and_keeps_its_objects(service, fake_cluster):
    opts = options(kind="job", cleanup="on_success", **ON_THE_FAKE)
    job = service.launch(
        function_job(rank_three_fails, nproc=4, backend="kubernetes", options=opts)
    )
    done = wait(service, job["id"], timeout=240)
    assert done["status"] == "failed"
    assert done["error"].startswith("rank 3 failed (exit code 1):")
    assert "ValueError: rank three cannot go on" in done["error"]
    assert f"the job {'rank-three-fails'}-{job['id']} failed: Container pytorch" in done["error"]
    assert done["exit_codes"][3] == 1
    assert fake_cluster.deleted == []  # kept for kubectl


def test_cancel_deletes_the_objects_and_stops_the_ranks(service, fake_cluster):
    opts = options(kind="pytorchjob", **ON_THE_FAKE)
    job = service.launch(function_job(sleep_long, nproc=2, backend="kubernetes", options=opts))
    files = service.files(job["id"])
    wait_for(lambda: all(files.ranks(2, "pid")), timeout=120, what="both ranks to start")
    pods = fake_cluster.all_pods()
    assert service.cancel(job["id"])["status"] == "cancelled"
    assert ("pytorchjob", f"sleep-long-{job['id']}") in fake_cluster.deleted
    wait_for(lambda: all(pod.code is not None for pod in pods), timeout=30, what="pods to end")
    assert wait(service, job["id"])["status"] == "cancelled"


def test_without_the_training_operator_a_pytorchjob_fails_saying_so(service, fake_cluster):
    fake_cluster.operator = False
    job = service.launch(function_job(double, 1, nproc=1, backend="kubernetes", options=options()))
    done = wait(service, job["id"], timeout=120)
    assert done["status"] == "failed"
    assert done["error"].startswith("the cluster has no PyTorchJob resource")
    assert "install the Kubeflow training operator, or use options={'kind': 'job'}" in done["error"]
    assert fake_cluster.created == []


# ------------------------------------------------- on a real cluster (k8s)


@pytest.fixture
def cluster_jobs(monkeypatch):
    """Jobs in the folder the cluster's volume holds."""
    shared = os.environ.get("JUPYTER_DL_K8S_JOBS_DIR")
    if not shared:
        pytest.skip("set JUPYTER_DL_K8S_JOBS_DIR to the jobs folder on the cluster's volume")
    monkeypatch.setenv(JOBS_ENV, shared)


@pytest.mark.k8s
@pytest.mark.parametrize("kind", ["pytorchjob", "job"])
def test_a_job_runs_on_the_cluster(cluster_jobs, kind):
    import jupyter_dl as dl

    def double_on_the_cluster(x):  # defined here, so it travels by value
        import os

        print(f"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']} doubles {x}", flush=True)
        dl.log({"x": x})
        return 2 * x

    options = {"kind": kind, "nnodes": 2}
    job = dl.train(
        double_on_the_cluster, nproc=2, args=(21,), backend="kubernetes", options=options
    )
    assert job.wait(timeout=900) == "succeeded", job.error
    assert job.result() == 42
    assert "rank 1 of 2 doubles 21" in job.logs()
    assert job.service.tracking.get_run(job.run)["summary"]["x"] == 21
    cluster = kubernetes.Cluster(kubernetes.connect(), job.service.files(job.id).read_spec())
    cluster.wait_for_pods_to_go(60)
    assert cluster.pods() == []


@pytest.mark.k8s
def test_a_cancelled_job_leaves_nothing_on_the_cluster(cluster_jobs):
    import jupyter_dl as dl

    def sleep():
        import time

        time.sleep(600)

    job = dl.train(sleep, nproc=1, backend="kubernetes")
    cluster = kubernetes.Cluster(kubernetes.connect(), job.service.files(job.id).read_spec())
    assert job.cancel() == "cancelled"
    cluster.wait_for_pods_to_go(120)
    assert cluster.pods() == []
