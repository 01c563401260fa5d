"""REST routes of the model registry: thin wrappers over ``RegistryService``.

Publishing from a notebook happens in the kernel (``dl.publish`` exports the model
there); over REST a model is published from a run that kept it with
``run.log_model``, which is what the Experiments panel's Publish button does.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..errors import BadRequest
from ..web import PlatformHandler, api_path
from .service import RegistryService

NAME = r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
VERSION = r"(?P<version>[0-9]{1,9})"
ALIAS = r"(?P<alias>[a-z][a-z0-9_-]{0,63})"
RUN_ID = r"(?P<run_id>[a-z0-9]{6,32})"
PUBLISH_FIELDS = {"run_id", "artifact", "description", "aliases"}


class RegistryHandler(PlatformHandler):
    @property
    def registry(self) -> RegistryService:
        service: RegistryService = self.settings["dl_registry"]
        return service

    @property
    def user_name(self) -> str | None:
        return (self.current_user.username if self.current_user else None) or None


class ModelsHandler(RegistryHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.registry.list_models,
            self.get_query_argument("q", None) or None,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
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
        await self.call(self.registry.delete_version, name, version)
        self.set_status(204)
        self.finish()


class ExampleHandler(RegistryHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        """The version's example as an inference request, to start a "try it" form from."""
        self.finish(await self.call(self.registry.example_request, name, version))


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


default_handlers = [
    (api_path("models"), ModelsHandler),
    (api_path("models", NAME), ModelHandler),
    (api_path("models", NAME, "versions"), VersionsHandler),
    (api_path("models", NAME, "versions", VERSION), VersionHandler),
    (api_path("models", NAME, "versions", VERSION, "example"), ExampleHandler),
    (api_path("models", NAME, "aliases", ALIAS), AliasHandler),
    (api_path("models", NAME, "history"), HistoryHandler),
    (api_path("runs", RUN_ID, "models"), RunModelsHandler),
]
