"""REST routes of the model registry: thin wrappers over ``RegistryService``.

Publishing from a notebook happens in the kernel (``dl.publish`` exports the model
there); over REST a model is published from a run that kept it with
``run.log_model``, which is what the Experiments panel's Publish button does.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..errors import BadRequest, Conflict
from ..web import PlatformHandler, api_path
from .deployments import DeploymentService, metrics_summary
from .service import RegistryService, parse_ref

NAME = r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
VERSION = r"(?P<version>[0-9]{1,9})"
FILE = r"(?P<path>.+)"
ALIAS = r"(?P<alias>[a-z][a-z0-9_-]{0,63})"
RUN_ID = r"(?P<run_id>[a-z0-9]{6,32})"
DEPLOYMENT_ID = r"(?P<deployment_id>[a-z0-9]{6,32})"
DEPLOY_FIELDS = {"model", "host", "port", "max_batch_size", "max_wait_ms", "device"}
#: Seconds a proxied request to a deployment may take.
PROXY_TIMEOUT = 60.0
PUBLISH_FIELDS = {"run_id", "artifact", "description", "aliases"}


class RegistryHandler(PlatformHandler):
    guards = {"name": "model", "run_id": "run", "deployment_id": "deployment"}

    @property
    def registry(self) -> RegistryService:
        service: RegistryService = self.settings["dl_registry"]
        return service

    @property
    def deployments(self) -> DeploymentService:
        service: DeploymentService = self.settings["dl_deployments"]
        return service


class ModelsHandler(RegistryHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.registry.list_models,
            self.get_query_argument("q", None) or None,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
            self.access,
        )
        self.finish(page.to_json())


class ModelHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.registry.get_model, name))

    @web.authenticated
    async def patch(self, name: str) -> None:
        self.finish(await self.call(self.registry.update_model, name, self.get_json_body()))

    @web.authenticated
    async def delete(self, name: str) -> None:
        await self.call(self.registry.delete_model, name)
        self.set_status(204)
        self.finish()


class VersionsHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        page = await self.call(
            self.registry.list_versions,
            name,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
        )
        self.finish(page.to_json())

    @web.authenticated
    async def post(self, name: str) -> None:
        """Publish the model a run kept (``run.log_model``) as the next version."""
        body = self.get_json_body()
        if not isinstance(body, dict) or "run_id" not in body:
            raise BadRequest('send {"run_id": "...", "artifact": "models/model", "aliases": [...]}')
        unknown = set(body) - PUBLISH_FIELDS
        if unknown:
            raise BadRequest(f"unknown fields {', '.join(sorted(unknown))}")
        if isinstance(body["run_id"], str):
            await self.check("run", body["run_id"])
        version = await self.call(
            self.registry.register_from_run,
            name,
            body["run_id"],
            body.get("artifact", "models/model"),
            body.get("description", ""),
            body.get("aliases", ["staging"]),
            self.user_name,
        )
        self.set_status(201)
        self.finish(version)


class VersionHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        self.finish(await self.call(self.registry.get_version, name, version))

    @web.authenticated
    async def delete(self, name: str, version: str) -> None:
        await self.call(self.deployments.reap_lost)  # a dead server no longer holds it
        await self.call(self.registry.delete_version, name, version)
        self.set_status(204)
        self.finish()


class ExampleHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        """The version's example as an inference request, to start a "try it" form from."""
        self.finish(await self.call(self.registry.example_request, name, version))


class VersionFileHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str, version: str, path: str) -> None:
        """A file of the version's package, streamed: how a server of the team fetches a
        version to load or serve it (``dl.load_model``, ``dl.deploy``)."""
        await self.send_file(await self.call(self.registry.version_file, name, version, path))


class InferenceServiceHandler(RegistryHandler):
    @web.authenticated
    async def post(self, name: str, version: str) -> None:
        """A version's KServe ``InferenceService``, checked offline; submitted to the
        configured cluster when ``apply`` is true."""
        from ..kube.client import ClusterNotConfigured
        from .kserve import apply, inference_service, to_yaml

        body = self.get_json_body() or {}
        if not isinstance(body, dict):
            raise BadRequest('send {"image": "...", "gpus": 1, ...} (and "apply": true to submit)')
        submit = body.pop("apply", False)
        if not isinstance(submit, bool):
            raise BadRequest("apply must be true or false")
        manifest = await self.call(inference_service, self.registry, name, version, body)
        applied = None
        if submit:
            try:
                applied = await self.call(apply, manifest)
            except ClusterNotConfigured as e:
                raise Conflict(str(e)) from None
        self.finish({"manifest": manifest, "yaml": to_yaml(manifest), "applied": applied})


class AliasHandler(RegistryHandler):
    @web.authenticated
    async def put(self, name: str, alias: str) -> None:
        body: Any = self.get_json_body()
        if not isinstance(body, dict) or set(body) != {"version"}:
            raise BadRequest('send {"version": 3}')
        model = await self.call(
            self.registry.set_alias, name, alias, body["version"], self.user_name
        )
        self.finish(model)

    @web.authenticated
    async def delete(self, name: str, alias: str) -> None:
        self.finish(await self.call(self.registry.delete_alias, name, alias, self.user_name))


class HistoryHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        page = await self.call(
            self.registry.alias_history,
            name,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
        )
        self.finish(page.to_json())


class RunModelsHandler(RegistryHandler):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        """The models a run kept, for its Publish button."""
        self.finish({"models": await self.call(self.registry.run_models, run_id)})


class DeploymentsHandler(RegistryHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.deployments.list,
            self.get_query_argument("status", None) or None,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
            self.access,
        )
        self.finish(page.to_json())

    @web.authenticated
    async def post(self) -> None:
        """Deploy a model version (``{"model": "name@production", "port": 0, ...}``)."""
        body = self.get_json_body()
        if not isinstance(body, dict) or "model" not in body:
            raise BadRequest('send {"model": "NAME@ALIAS" or "NAME:VERSION", ...}')
        unknown = set(body) - DEPLOY_FIELDS
        if unknown:
            raise BadRequest(f"unknown fields {', '.join(sorted(unknown))}")
        settings = {k: v for k, v in body.items() if k != "model"}
        if isinstance(body["model"], str):
            await self.check("model", parse_ref(body["model"])[0])
        deployment = await self.call(
            lambda: self.deployments.start(body["model"], self.user_name, **settings)
        )
        self.set_status(201)
        self.finish(deployment)


class DeploymentHandler(RegistryHandler):
    @web.authenticated
    async def get(self, deployment_id: str) -> None:
        self.finish(await self.call(self.deployments.get, deployment_id))


class StopHandler(RegistryHandler):
    @web.authenticated
    async def post(self, deployment_id: str) -> None:
        self.finish(await self.call(self.deployments.stop, deployment_id))


class DeploymentLogHandler(RegistryHandler):
    @web.authenticated
    async def get(self, deployment_id: str) -> None:
        self.finish({"text": await self.call(self.deployments.log_tail, deployment_id)})


class ProxyHandler(RegistryHandler):
    """Requests to a running deployment through this server, which the browser can
    reach (the deployment listens on the server's machine)."""

    async def forward(self, deployment_id: str, path: str, body: bytes | None = None) -> Any:
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        deployment, url = await self.call(self.deployments.live_url, deployment_id)
        try:
            return deployment, await AsyncHTTPClient().fetch(
                url.rstrip("/") + path.format(model=deployment["model"]),
                method="POST" if body is not None else "GET",
                body=body,
                headers={"Content-Type": "application/json"},
                request_timeout=PROXY_TIMEOUT,
                raise_error=False,
            )
        except (OSError, HTTPClientError) as e:
            raise Conflict(f"deployment {deployment_id} at {url} did not answer: {e}") from None


class InferHandler(ProxyHandler):
    @web.authenticated
    async def post(self, deployment_id: str) -> None:
        """An inference request, answered by the deployment as it would answer it."""
        _, response = await self.forward(
            deployment_id, "/v2/models/{model}/infer", self.request.body
        )
        self.set_status(response.code)
        self.set_header("Content-Type", "application/json")
        self.finish(response.body)


class MetricsHandler(ProxyHandler):
    @web.authenticated
    async def get(self, deployment_id: str) -> None:
        """The deployment's request counts, latency and batch-size histograms now."""
        _, response = await self.forward(deployment_id, "/metrics")
        if response.code != 200:
            raise Conflict(f"deployment {deployment_id} answered {response.code} for /metrics")
        self.finish(metrics_summary(response.body.decode("utf-8", "replace")))


default_handlers = [
    (api_path("models"), ModelsHandler),
    (api_path("models", NAME), ModelHandler),
    (api_path("models", NAME, "versions"), VersionsHandler),
    (api_path("models", NAME, "versions", VERSION), VersionHandler),
    (api_path("models", NAME, "versions", VERSION, "example"), ExampleHandler),
    (api_path("models", NAME, "versions", VERSION, "files", FILE), VersionFileHandler),
    (api_path("models", NAME, "versions", VERSION, "inferenceservice"), InferenceServiceHandler),
    (api_path("models", NAME, "aliases", ALIAS), AliasHandler),
    (api_path("models", NAME, "history"), HistoryHandler),
    (api_path("runs", RUN_ID, "models"), RunModelsHandler),
    (api_path("deployments"), DeploymentsHandler),
    (api_path("deployments", DEPLOYMENT_ID), DeploymentHandler),
    (api_path("deployments", DEPLOYMENT_ID, "stop"), StopHandler),
    (api_path("deployments", DEPLOYMENT_ID, "log"), DeploymentLogHandler),
    (api_path("deployments", DEPLOYMENT_ID, "infer"), InferHandler),
    (api_path("deployments", DEPLOYMENT_ID, "metrics"), MetricsHandler),
]
