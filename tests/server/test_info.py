"""``GET /dl/api/info`` as the sidebar and API clients use it."""

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

import jupyter_dl
from jupyter_dl.store import head_revision

from .openapi import validate


async def _ready_info(jp_fetch):
    """The facts once the store has been migrated (it opens in the background)."""
    for _ in range(200):
        response = await jp_fetch("dl", "api", "info")
        facts = json.loads(response.body)
        if facts["store"]["ready"]:
            return response, facts
        await asyncio.sleep(0.05)
    raise AssertionError(f"store never became ready: {facts['store']}")


async def test_info_reports_version_store_and_gpus(jp_fetch, store_url):
    response, facts = await _ready_info(jp_fetch)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    validate(facts, "Info")
    assert facts["version"] == jupyter_dl.__version__
    assert facts["store"]["backend"] == "sqlite"
    assert facts["store"]["location"] == store_url.removeprefix("sqlite:///")
    assert facts["store"]["revision"] == head_revision()
    assert isinstance(facts["gpus"], list)


async def test_info_matches_the_kernel_api(jp_fetch):
    _, served = await _ready_info(jp_fetch)
    local = jupyter_dl.info()
    assert local["store"]["id"] == served["store"]["id"]
    assert {k: v for k, v in local.items() if k not in ("store", "gpus")} == {
        k: v for k, v in served.items() if k not in ("store", "gpus")
    }


async def test_info_requires_authentication(jp_fetch):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("dl", "api", "info", headers={"Authorization": ""})
    assert e.value.code == 403
    validate(json.loads(e.value.response.body), "Error")


async def test_unknown_route_is_a_json_404(jp_fetch):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("dl", "api", "no-such-thing")
    assert e.value.code == 404
    body = json.loads(e.value.response.body)
    validate(body, "Error")
    assert body["error"]["code"] == "not_found"
    assert "/dl/api/no-such-thing" in body["error"]["message"]


async def test_unsupported_method_is_a_json_405(jp_fetch):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("dl", "api", "info", method="DELETE")
    assert e.value.code == 405
    body = json.loads(e.value.response.body)
    validate(body, "Error")
    assert body["error"]["code"] == "method_not_allowed"
    assert "Traceback" not in e.value.response.body.decode()
