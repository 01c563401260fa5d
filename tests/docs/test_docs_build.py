"""The documentation builds without a warning and documents what the code offers.

The site is built once per run, as ``make docs`` builds it (``-W``: a broken
link, a missing screenshot, a route no page shows, a docstring autodoc cannot
read all fail). The other tests read the built pages: every name of
``import jupyter_dl as dl``, every route of the OpenAPI documents and every
notebook magic must have its entry, so adding one without docs fails here.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
METHODS = ("get", "put", "post", "patch", "delete")

# Names of `dl` documented under the class or module that defines them.
DOCUMENTED_AS = {
    "datasets": "jupyter_dl.datasets.create",
    "distributed": "jupyter_dl.training.distributed.Distributed",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, out],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert build.returncode == 0, f"sphinx-build failed:\n{build.stdout}\n{build.stderr}"
    return out


def page_ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def route_anchor(base: str, method: str, path: str) -> str:
    """The anchor sphinxcontrib-httpdomain gives ``GET /dl/api/runs/{run_id}``."""
    return f"{method}-" + re.sub(r"[{}]", "", f"{base}{path}").replace("/", "-")


def test_docs_build_without_warnings(site: Path) -> None:
    for page in ("index", "user-guide", "python-api", "rest-api", "migrating", "admin/kubernetes"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "_images" / "sidebar.png").is_file()


def test_every_name_of_dl_is_in_the_python_reference(site: Path) -> None:
    import jupyter_dl

    ids = page_ids(site / "python-api.html")
    names = [name for name in jupyter_dl.__all__ if name != "__version__"]
    missing = [name for name in names if DOCUMENTED_AS.get(name, f"jupyter_dl.{name}") not in ids]
    assert not missing, f"dl names without an entry in docs/python-api.md: {missing}"


@pytest.mark.parametrize(
    "document",
    ["extensions/jupyter_dl/openapi.yaml", "hub_config/jupyter_dl_hub/quotas/openapi.yaml"],
)
def test_every_route_is_in_the_rest_reference(site: Path, document: str) -> None:
    spec = yaml.safe_load((ROOT / document).read_text(encoding="utf-8"))
    base = spec["servers"][0]["url"].rstrip("/")
    ids = page_ids(site / "rest-api.html")
    routes = [(m, path) for path, item in spec["paths"].items() for m in METHODS if m in item]
    missing = [f"{m.upper()} {p}" for m, p in routes if route_anchor(base, m, p) not in ids]
    assert routes
    assert not missing, f"routes of {document} missing from docs/rest-api.md: {missing}"


def test_every_magic_is_in_the_python_reference(site: Path) -> None:
    from jupyter_dl_kernel import _magics

    text = (site / "python-api.html").read_text(encoding="utf-8")
    names = [name for magics in _magics() for kind in magics.magics.values() for name in kind]
    assert names
    missing = [name for name in names if f"%{name}" not in text]
    assert not missing, f"magics missing from docs/python-api.md: {missing}"


def load_screenshots() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_screenshots", DOCS / "screenshots.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshots_refresh_copies_the_shown_ones_and_the_tour(tmp_path: Path) -> None:
    from PIL import Image

    screenshots = load_screenshots()
    shots, images = tmp_path / "ui", tmp_path / "images"
    (shots / "tour").mkdir(parents=True)
    for name in ("sidebar.png", "debug.png", "tour/01-login.png"):
        Image.new("RGB", (64, 40), (30, 120, 200)).save(shots / name)

    copied, missing = screenshots.refresh(shots, images, {"sidebar.png", "models-versions.png"})

    assert sorted(copied) == ["sidebar.png", "tour/01-login.png"]
    assert missing == ["models-versions.png"]
    assert not (images / "debug.png").exists()  # not shown by any page
    with Image.open(images / "sidebar.png") as image:
        assert image.size == (64, 40)
        assert image.mode == "P"  # reduced to a palette


def test_every_screenshot_the_pages_show_is_committed() -> None:
    shown = load_screenshots().referenced_images(DOCS)
    assert "sidebar.png" in shown
    assert all((DOCS / "images" / name).is_file() for name in shown)
