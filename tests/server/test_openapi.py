"""The OpenAPI document and the handler table describe the same routes."""

import re

from jupyter_dl.app import JupyterDL
from jupyter_dl.web import API_PREFIX

from .openapi import spec


def _routes() -> set[str]:
    app = JupyterDL()
    app.initialize_handlers()
    routes = set()
    for pattern, *_ in app.handlers:
        path = pattern.removeprefix(f"/{API_PREFIX}")
        if path != "/.*":  # the JSON 404 for unknown paths
            routes.add(re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path).replace("\\.", "."))
    return routes


def test_every_route_is_documented():
    assert _routes() == set(spec()["paths"])


def test_spec_version_matches_package():
    import jupyter_dl

    assert spec()["info"]["version"].split(".")[:2] == jupyter_dl.__version__.split(".")[:2]
