"""Sphinx configuration of the jupyter-dl documentation (``make docs``).

Pages are Markdown (MyST), the Python reference comes from the docstrings of
``import jupyter_dl as dl`` and of the kernel magics, and the REST reference
from the OpenAPI documents the tests check the handlers against. The build
needs no network, no GPU and no running server; ``make docs`` builds it with
warnings as errors.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
# The packages are installed in the build's environment; the source tree comes
# first so the reference always shows the code beside these pages.
for package_root in ("extensions", "kernels", "hub_config"):
    sys.path.insert(0, str(ROOT / package_root))

import jupyter_dl  # noqa: E402

project = "jupyter-dl"
author = "the jupyter-dl developers"
copyright = "the jupyter-dl developers"
release = jupyter_dl.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "openapi_reference",
    "magics_reference",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md"]
# Pages the index lists only once they exist: the example notebooks' page is
# written with the notebooks. (Admin pages are included by the `admin/*` pattern.)
OPTIONAL_PAGES = ("examples",)

# MyST: `(label)=` targets, `{role}` syntax, tables and heading anchors so that
# the pages' links to `page.md#a-heading` resolve as they do on GitHub.
myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 4
# Command lines in prose (`%dl_train --nproc 2`, help texts) keep their `--`.
smartquotes = False

# The Python API: documented in source order, signatures with their types.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {"undoc-members": False}

html_theme = "furo"
html_title = f"jupyter-dl {release}"
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["jupyter-dl.css"]


def drop_missing_optional_pages(app: Sphinx, docname: str, source: list[str]) -> None:
    """Remove the index's toctree entries of optional pages that are not written yet."""
    if docname != root_doc:
        return
    for page in OPTIONAL_PAGES:
        if not (DOCS / f"{page}.md").exists():
            source[0] = re.sub(rf"^{re.escape(page)}\n", "", source[0], flags=re.MULTILINE)


def setup(app: Sphinx) -> None:
    app.connect("source-read", drop_missing_optional_pages)
