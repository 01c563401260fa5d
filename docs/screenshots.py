"""Refresh the documentation's screenshots from those the browser tests took.

The UI tests (``pytest tests/ui``) leave screenshots of every panel in
``test-output/ui/``, and the tour test a walk through the platform in
``test-output/ui/tour/``; they are not committed. The pages under ``docs/`` show
some of them from ``docs/images/``. ``make screenshots`` runs this script after
the UI tests, so the pictures in the docs follow the panels as they change:

- every ``images/<name>.png`` a page refers to is copied from ``test-output/ui/``;
- every tour screenshot is copied into ``docs/images/tour/``;
- each copy is reduced to 256 colours, which keeps a 1280x800 screenshot of a
  JupyterLab panel near 40 kB instead of 100 kB, with no visible change.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
IMAGE_REFERENCE = re.compile(r"images/([A-Za-z0-9_./-]+\.png)")


def referenced_images(docs: Path) -> set[str]:
    """Names under ``images/`` that the pages refer to (Markdown or an image directive)."""
    names: set[str] = set()
    for page in docs.rglob("*.md"):
        if "_build" in page.parts:
            continue
        names.update(IMAGE_REFERENCE.findall(page.read_text(encoding="utf-8")))
    return names


def shrink(source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` as a 256-colour PNG (UI screenshots have few colours)."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        reduced = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        reduced.save(target, optimize=True)


def refresh(shots: Path, images: Path, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Copy the named screenshots and the tour's; returns (copied, missing)."""
    copied: list[str] = []
    missing: list[str] = []
    for name in sorted(names):
        if name.startswith("tour/"):
            continue  # the tour's are copied below, all of them
        if (shots / name).is_file():
            shrink(shots / name, images / name)
            copied.append(name)
        else:
            missing.append(name)
    tour = shots / "tour"
    if tour.is_dir():
        for shot in sorted(tour.glob("*.png")):
            shrink(shot, images / "tour" / shot.name)
            copied.append(f"tour/{shot.name}")
    return copied, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="shots", type=Path, default=Path("test-output/ui"))
    parser.add_argument("--to", dest="images", type=Path, default=DOCS / "images")
    args = parser.parse_args(argv)
    if not args.shots.is_dir():
        print(f"{args.shots} does not exist: run the UI tests first (make test-ui).")
        return 1
    copied, missing = refresh(args.shots, args.images, referenced_images(DOCS))
    print(f"{len(copied)} screenshot(s) copied into {args.images}")
    for name in missing:
        print(f"not in {args.shots}: {name} (kept the committed copy)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
