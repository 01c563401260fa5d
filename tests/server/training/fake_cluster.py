"""A Kubernetes API server of one namespace whose "kubelet" runs pods as local processes.

Enough of the API for the kubernetes backend (create, read and delete
PyTorchJobs, Jobs and Services; list pods; follow a pod's log) over real HTTP,
so the backend's own client code runs unchanged. Each pod's container command
runs in this Python environment with the container's environment, plus what
the cluster would add: the training operator's ``MASTER_ADDR``/``MASTER_PORT``/
``PET_NODE_RANK``, or an indexed Job's ``JOB_COMPLETION_INDEX``. The cluster's
DNS is played by rewriting node 0's name in the command to ``127.0.0.1``, and
port 29500 to a free one.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import yaml

LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class Pod:
    def __init__(self, name, labels, container, env, log):
        self.name = name
        self.uid = uuid.uuid4().hex
        self.labels = labels
        self.image = container["image"]
        self.log = log
        values = {}
        for item in container.get("env", []):
            if "valueFrom" in item:  # status.podIP
                values[item["name"]] = LOOPBACK
            else:
                values[item["name"]] = item.get("value", "")
        values.update(env)
        command = [
            re.sub(r"\$\((\w+)\)", lambda m: values.get(m[1], m[0]), a)
            for a in container["command"]
        ]
        command[0] = sys.executable if command[0] == "python" else command[0]
        base = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_DL_", "KUBE"))}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=container.get("workingDir"),
                env={**base, **values},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def code(self):
        return self.process.poll()

    def stop(self):
        if self.code is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def kill(self):
        if self.code is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def json(self, namespace):
        code = self.code
        if code is None:
            state = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
            phase = "Running"
        else:
            exit_code = code if code >= 0 else 128 - code
            reason = "Completed" if exit_code == 0 else "Error"
            state = {"terminated": {"exitCode": exit_code, "reason": reason}}
            phase = "Succeeded" if exit_code == 0 else "Failed"
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "namespace": namespace,
                "uid": self.uid,
                "labels": self.labels,
            },
            "status": {
                "phase": phase,
                "containerStatuses": [
                    {
                        "name": "pytorch",
                        "image": self.image,
                        "imageID": "",
                        "ready": code is None,
                        "restartCount": 0,
                        "state": state,
                    }
                ],
            },
        }


class FakeCluster:
    """``kubeconfig`` points the kubernetes client at it; ``created``/``deleted``
    record what the backend did."""

    namespace = "default"

    def __init__(self, folder: Path, operator: bool = True):
        self.folder = folder
        self.operator = operator  # whether the training operator's CRD is installed
        self.objects = {}  # (kind, name) -> body
        self.pods = {}  # object (kind, name) -> [Pod]
        self.terminating = []  # pods of deleted objects, until their process ends
        self.created, self.deleted = [], []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.kubeconfig = folder / "kubeconfig"
        url = f"http://{LOOPBACK}:{self.server.server_address[1]}"
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "fake", "cluster": {"server": url}}],
                    "users": [{"name": "me", "user": {"token": "fake"}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "me"}}],
                    "current-context": "fake",
                }
            )
        )

    def close(self):
        for pod in [*self.all_pods(), *self.terminating]:
            pod.kill()
        self.server.shutdown()

    def all_pods(self):
        listed = [pod for pods in self.pods.values() for pod in pods]
        return listed + [pod for pod in self.terminating if pod.code is None]

    # -------------------------------------------------------------- the kubelet

    def _start(self, kind, body):
        name = body["metadata"]["name"]
        pods = []
        if kind == "pytorchjob":
            port = free_port()
            replicas = body["spec"]["pytorchReplicaSpecs"]
            roles = [("Master", 0)] + [
                ("Worker", i) for i in range(replicas.get("Worker", {}).get("replicas", 0))
            ]
            nnodes = len(roles)
            for rank, (role, index) in enumerate(roles):
                template = replicas[role]["template"]
                env = {
                    "MASTER_ADDR": LOOPBACK,
                    "MASTER_PORT": str(port),
                    "PET_NODE_RANK": str(rank),
                    "RANK": str(rank),
                    "PET_NNODES": str(nnodes),
                    "PET_NPROC_PER_NODE": body["spec"]["nprocPerNode"],
                }
                pods.append(self._pod(f"{name}-{role.lower()}-{index}", template, env))
        else:
            port = free_port()
            template = body["spec"]["template"]
            for index in range(body["spec"]["completions"]):
                container = dict(template["spec"]["containers"][0])
                container["command"] = [
                    a.replace(f"{name}-0.{name}:29500", f"{LOOPBACK}:{port}")
                    for a in container["command"]
                ]
                spec = {**template["spec"], "containers": [container]}
                env = {"JOB_COMPLETION_INDEX": str(index)}
                pods.append(self._pod(f"{name}-{index}-x{index}z", {**template, "spec": spec}, env))
        self.pods[(kind, name)] = pods

    def _pod(self, name, template, env):
        log = self.folder / f"{name}.{uuid.uuid4().hex[:6]}.out"
        container = template["spec"]["containers"][0]
        return Pod(name, template["metadata"]["labels"], container, env, log)

    def _state(self, kind, name):
        pods = self.pods.get((kind, name), [])
        codes = [p.code for p in pods]
        failed = [p for p in pods if p.code not in (None, 0)]
        if kind == "pytorchjob":
            if failed:
                return [{"type": "Failed", "status": "True", "message": f"{failed[0].name} failed"}]
            if codes and codes[0] == 0:
                return [{"type": "Succeeded", "status": "True", "message": "succeeded"}]
            return [{"type": "Running", "status": "True"}]
        if failed:
            message = (
                f"Container pytorch for pod {failed[0].name} failed with exit code {failed[0].code}"
            )
            return [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "PodFailurePolicy",
                    "message": message,
                }
            ]
        if codes and all(c == 0 for c in codes):
            return [{"type": "Complete", "status": "True"}]
        return []

    # ------------------------------------------------------------------ the API

    def _handler(self):
        cluster = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self):
                url = urlparse(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                for kind in ("pytorchjobs", "jobs", "services", "pods"):
                    if kind in parts:
                        at = parts.index(kind)
                        rest = parts[at + 1 :]
                        return kind.rstrip("s"), (rest[0] if rest else None), rest[1:], query
                return None, None, [], query

            def do_POST(self):
                kind, _, _, _ = self._route()
                if kind == "pytorchjob" and not cluster.operator:
                    message = "the server could not find the requested resource"
                    return self._send(404, {"kind": "Status", "message": message, "code": 404})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body.setdefault("metadata", {})["uid"] = uuid.uuid4().hex
                with cluster.lock:
                    cluster.objects[(kind, body["metadata"]["name"])] = body
                    cluster.created.append((kind, body["metadata"]["name"]))
                    if kind in ("pytorchjob", "job"):
                        cluster._start(kind, body)
                self._send(201, body)

            def do_GET(self):
                kind, name, rest, query = self._route()
                if kind == "pod" and name is None:
                    key, _, value = query.get("labelSelector", "").partition("=")
                    items = [
                        p.json(cluster.namespace)
                        for p in cluster.all_pods()
                        if p.labels.get(key) == value
                    ]
                    return self._send(
                        200, {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}
                    )
                if kind == "pod" and rest == ["log"]:
                    return self._follow(name)
                body = cluster.objects.get((kind, name))
                if body is None:
                    return self._send(
                        404, {"kind": "Status", "message": f"{kind} {name} not found", "code": 404}
                    )
                conditions = cluster._state(kind, name)
                return self._send(200, {**body, "status": {"conditions": conditions}})

            def do_DELETE(self):
                kind, name, _, _ = self._route()
                with cluster.lock:
                    body = cluster.objects.pop((kind, name), None)
                    if body is None:
                        return self._send(
                            404, {"kind": "Status", "message": "not found", "code": 404}
                        )
                    cluster.deleted.append((kind, name))
                    pods = cluster.pods.pop((kind, name), [])
                    cluster.terminating.extend(pods)
                for pod in pods:
                    pod.stop()
                threading.Thread(target=_reap, args=(pods,), daemon=True).start()
                self._send(
                    200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}}
                )

            def _follow(self, name):
                pod = next((p for p in cluster.all_pods() if p.name == name), None)
                if pod is None:
                    return self._send(404, {"kind": "Status", "message": "no pod", "code": 404})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                offset = 0
                while True:
                    ended = pod.code is not None
                    with pod.log.open("rb") as f:
                        f.seek(offset)
                        data = f.read()
                    if data:
                        self.wfile.write(data)
                        self.wfile.flush()
                        offset += len(data)
                    if ended:
                        return
                    time.sleep(0.1)

        return Handler


def _reap(pods, grace=10.0):
    """What a kubelet does to deleted pods: SIGTERM, then SIGKILL after the grace period."""
    deadline = time.monotonic() + grace
    for pod in pods:
        try:
            pod.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pod.kill()
