"""A dataset version as a map-style ``torch.utils.data.Dataset``.

Imported only by ``Dataset.torch()``: it is the one module of the datasets
package that imports torch. Items are read from DVC's cache by content hash,
so workers of a ``DataLoader`` read the same files without a copy; the object
holds only paths and callables, so it pickles for worker processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch.utils.data

from .previews import IMAGE_EXTENSIONS, JSON_EXTENSIONS, TEXT_EXTENSIONS


def load(path: str, name: str) -> Any:
    """A file by its extension: RGB ``PIL.Image``, NumPy array, text, else bytes."""
    ext = os.path.splitext(name)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        from PIL import Image

        with Image.open(path) as img:
            return img.convert("RGB")
    if ext == ".npy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if ext in TEXT_EXTENSIONS or ext in JSON_EXTENSIONS or ext in (".csv", ".tsv"):
        with open(path, encoding="utf-8") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


class FileDataset(torch.utils.data.Dataset[Any]):
    """Files of a dataset version: ``dataset[i]`` loads file ``i`` (path order).

    ``paths`` are the files' paths in the dataset; ``classes`` and ``targets`` are
    set when items are labelled by folder.
    """

    def __init__(
        self,
        paths: Sequence[str],
        objects: Sequence[str],
        transform: Callable[[Any], Any] | None = None,
        loader: Callable[[str], Any] | None = None,
        targets: Sequence[int] | None = None,
        classes: Sequence[str] | None = None,
    ) -> None:
        self.paths = list(paths)
        self._objects = list(objects)
        self.transform = transform
        self.loader = loader
        self.targets = list(targets) if targets is not None else None
        self.classes = list(classes) if classes is not None else None

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Any:
        if not -len(self.paths) <= index < len(self.paths):
            raise IndexError(f"index {index} is out of range for {len(self.paths)} files")
        obj = self._objects[index]
        sample = self.loader(obj) if self.loader is not None else load(obj, self.paths[index])
        if self.transform is not None:
            sample = self.transform(sample)
        if self.targets is not None:
            return sample, self.targets[index]
        return sample

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes or [])}
