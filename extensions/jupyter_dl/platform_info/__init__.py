"""Platform facts: what a user checks first when something looks wrong."""

from .service import PlatformInfo, PlatformInfoService

__all__ = ["PlatformInfo", "PlatformInfoService"]
