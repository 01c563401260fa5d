"""Errors that services raise and handlers turn into JSON.

Services never know about HTTP, but a user hitting a bad path through the REST
API deserves the right status. Each error therefore carries a stable machine
``code`` and the HTTP ``status`` it maps to; the base handler's ``write_error``
is the one place that renders it as ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base class of every error a user of the platform may see."""

    code = "platform_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, dict[str, str]]:
        """The body sent to API clients."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(PlatformError):
    """The request itself is malformed; nothing was changed."""

    code = "bad_request"
    status = 400


class NotFound(PlatformError):
    """The named resource does not exist (or is not visible to the caller)."""

    code = "not_found"
    status = 404


class Forbidden(PlatformError):
    """The caller may see the resource but not do this to it (e.g. change what a group
    only reads)."""

    # Not "forbidden": that is also what a server says to a bad token or a missing
    # XSRF value, which a client must tell apart from a refusal of the platform's.
    code = "permission_denied"
    status = 403


class Conflict(PlatformError):
    """The request contradicts the resource's state (e.g. logging to a finished run)."""

    code = "conflict"
    status = 409


class PayloadTooLarge(PlatformError):
    """The body is larger than the route accepts; send it in smaller parts."""

    code = "payload_too_large"
    status = 413


class PreviewFailed(PlatformError):
    """A file cannot be previewed (corrupt, too large, too slow); download it instead."""

    code = "preview_failed"
    status = 422


class StorageError(PlatformError):
    """The dataset repository or its DVC remote failed (git, DVC, disk, network).

    Raised only after everything the operation changed has been rolled back.
    """

    code = "storage_error"
    status = 503


class StoreUnavailable(PlatformError):
    """The platform store cannot be opened, so no data route can answer."""

    code = "store_unavailable"
    status = 503


class LaunchFailed(PlatformError):
    """A training backend could not start a job (recorded as failed, with the reason)."""

    code = "launch_failed"
    status = 503
