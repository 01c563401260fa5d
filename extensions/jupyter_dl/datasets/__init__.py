"""Datasets: named, versioned folders (git + DVC underneath), browsable and previewable.

``dl.datasets.create(...)`` and ``dl.datasets.list()`` live here; ``dl.dataset(name)``
returns a :class:`~jupyter_dl.datasets.dataset.Dataset`. Importing this package is
cheap: the service, DVC and the image and array libraries load on first use.
"""
