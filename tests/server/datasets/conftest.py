"""Fixtures of the dataset tests: generated sample data, services, a seeded repository.

Read-only tests share one repository made once per session (``pets`` with two
versions); tests that change things get their own store and repository.
"""

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from jupyter_dl import api
from jupyter_dl.datasets.service import DatasetService
from jupyter_dl.paths import DATASET_REMOTE_ENV, DATASETS_ENV
from jupyter_dl.store import Store

CLASSES = ("cat", "dog")
IMAGES_PER_CLASS = 6


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def write_sample(folder: Path) -> Path:
    """A small dataset with one file of every kind the previews know, and broken ones."""
    for c, cls in enumerate(CLASSES):
        (folder / "images" / cls).mkdir(parents=True, exist_ok=True)
        for i in range(IMAGES_PER_CLASS):
            data = png(32 + 8 * i, 24 + 4 * i, (40 * i, 100 * c, 50))
            (folder / "images" / cls / f"{cls}{i:02}.png").write_bytes(data)
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "scores.csv").write_text("id,score,label,ok\n1,0.5,cat,true\n2,1.5,dog,false\n")
    (tables / "semicolon.csv").write_text("a;b\n1;x\n2;y\n3;z\n")
    (tables / "scores.tsv").write_text("id\tname\n1\tone\n2\ttwo\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}), tables / "small.parquet")
    arrays = folder / "arrays"
    arrays.mkdir(exist_ok=True)
    np.save(arrays / "grid.npy", np.arange(600, dtype=np.float32).reshape(30, 20))
    np.save(arrays / "cube.npy", np.zeros((3, 4, 5), dtype=np.int16))
    (folder / "README.md").write_text("# Pets\n\n" + "All about pets. " * 200)
    (folder / "meta.json").write_text(json.dumps({"classes": list(CLASSES), "version": 1}))
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 4)
    broken = folder / "broken"
    broken.mkdir(exist_ok=True)
    (broken / "truncated.png").write_bytes(png(64, 64, (1, 2, 3))[:60])
    (broken / "not-an-image.jpg").write_bytes(b"this is text, not a JPEG")
    (broken / "binary.csv").write_bytes(b"a,b\n1,\x00\x01\x02\n")
    (broken / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    (broken / "latin1.csv").write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    np.save(broken / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    (broken / "garbage.npy").write_bytes(b"\x93NUMPY garbage")
    (broken / "bad.parquet").write_bytes(b"PAR1 not really")
    return folder


def second_version(folder: Path) -> None:
    """v2 of the sample: one image changed, one removed, one added, the README edited."""
    (folder / "images" / "cat" / "cat00.png").write_bytes(png(40, 40, (255, 0, 0)))
    (folder / "images" / "dog" / "dog05.png").unlink()
    (folder / "images" / "dog" / "dog06.png").write_bytes(png(20, 20, (0, 0, 255)))
    (folder / "README.md").write_text("# Pets, v2\n")


@pytest.fixture(autouse=True)
def datasets_env(tmp_path, monkeypatch):
    """Each test's ``dl.dataset`` uses its own repository and remote.

    The server extension exports these variables for its kernels; setting them here
    first means whatever it leaves behind is undone when the test ends.
    """
    repo, remote = tmp_path / "datasets" / "repo", tmp_path / "datasets" / "remote"
    monkeypatch.setenv(DATASETS_ENV, str(repo))
    monkeypatch.setenv(DATASET_REMOTE_ENV, str(remote))
    return SimpleNamespace(repo=repo, remote=remote)


@pytest.fixture(autouse=True)
def no_active_run():
    yield
    if api._run is not None:
        api._run.finish()
    api._run = None
    api._datasets = None


@pytest.fixture
def service(store_url, datasets_env):
    """A service over this test's store and repository."""
    store = Store(store_url).open()
    yield DatasetService(store, datasets_env.repo, str(datasets_env.remote))
    store.close()


@pytest.fixture
def sample(tmp_path):
    return write_sample(tmp_path / "sample")


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """``pets`` v1 (the sample) and v2 (``second_version``), made once for read-only tests."""
    root = tmp_path_factory.mktemp("seeded")
    url = f"sqlite:///{root / 'store.sqlite'}"
    store = Store(url).open()
    service = DatasetService(store, root / "repo", str(root / "remote"))
    source = write_sample(root / "source")
    created = service.create_dataset(
        "pets", source, description="Cats and dogs", tags=["images"], tag="v1"
    )
    second_version(source)
    v2 = service.commit("pets", source, message="More dogs", tag="v2")
    yield SimpleNamespace(
        url=url,
        repo=root / "repo",
        remote=root / "remote",
        source=source,
        service=service,
        v1=created["latest"],
        v2=v2,
    )
    store.close()
