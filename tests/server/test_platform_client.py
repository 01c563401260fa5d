"""What a notebook reads when the platform API refuses a call."""

import io
import json
import urllib.error

import pytest

from jupyter_dl.errors import BadRequest, Forbidden, NotFound, PlatformError
from jupyter_dl.platform_client import platform_error


def refusal(status: int, body: object) -> urllib.error.HTTPError:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return urllib.error.HTTPError("http://hub/dl/api/x", status, "", {}, io.BytesIO(data))


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "says"),
    [
        (
            403,
            error_body("permission_denied", "the group 'vision' may only read it"),
            Forbidden,
            "only read",
        ),
        (403, error_body("forbidden", "Forbidden"), PlatformError, "JUPYTER_DL_API_TOKEN"),
        (403, error_body("forbidden", "'_xsrf' argument missing"), PlatformError, "TOKEN"),
        (403, b"<html>403 Forbidden</html>", PlatformError, "JUPYTER_DL_API_TOKEN"),
        (401, error_body("unauthorized", "Unauthorized"), PlatformError, "JUPYTER_DL_API_TOKEN"),
        (404, error_body("not_found", "no run 'abc123'"), NotFound, "no run"),
        (400, error_body("bad_request", "name must be"), BadRequest, "name must be"),
    ],
)
def test_refusals_read_as_the_local_errors(status, body, kind, says):
    error = platform_error(refusal(status, body))
    assert type(error) is kind
    assert says in error.message
