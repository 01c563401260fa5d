"""``GET /dl/api/info``: the platform facts behind the Deep Learning sidebar."""

from __future__ import annotations

from tornado import web
from tornado.ioloop import IOLoop

from ..web import PlatformHandler, api_path
from .service import PlatformInfoService


class InfoHandler(PlatformHandler):
    @property
    def info_service(self) -> PlatformInfoService:
        service: PlatformInfoService = self.settings["dl_info_service"]
        return service

    @web.authenticated
    async def get(self) -> None:
        # NVML and the store are blocking calls: keep them off the event loop.
        facts = await IOLoop.current().run_in_executor(None, self.info_service.info)
        self.finish(facts)


default_handlers = [(api_path("info"), InfoHandler)]
