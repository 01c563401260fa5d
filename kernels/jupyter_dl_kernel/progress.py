"""A progress bar for long platform operations in a notebook cell.

Making a dataset version copies, hashes, commits, pushes and indexes; each
stage reports ``(stage, done, total)`` and the bar shows the stage and its
share done. Only ipywidgets is needed (already used by the run widget).
"""

from __future__ import annotations

from typing import Any


class ProgressBar:
    """``ProgressBar("pets").update`` is a progress callback that draws in the cell."""

    def __init__(self, title: str) -> None:
        import ipywidgets as widgets  # type: ignore[import-untyped]
        from IPython.display import display

        self.title = title
        self.bar = widgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self.label = widgets.Label(value=f"{title}: starting")
        self.box: Any = widgets.HBox([self.bar, self.label])
        display(self.box)  # type: ignore[no-untyped-call]

    def update(self, stage: str, done: int, total: int) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = min(done, self.bar.max)
        self.label.value = f"{self.title}: {stage} {done:,}/{total:,}"
        if stage == "indexing" and done == total:
            self.bar.bar_style = "success"
            self.label.value = f"{self.title}: done ({total:,} files)"
