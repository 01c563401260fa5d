"""``import jupyter_dl as dl`` with datasets: create, read, torch, fsspec, versions."""

import io
import os

import numpy as np
import pytest
from PIL import Image

import jupyter_dl as dl
from jupyter_dl.errors import NotFound

from .conftest import CLASSES, IMAGES_PER_CLASS, second_version


@pytest.fixture
def pets(sample):
    return dl.datasets.create("pets", sample, "Cats and dogs", tags=["images"], tag="v1")


def test_create_shows_progress_and_returns_the_first_version(sample, capsys):
    ds = dl.datasets.create("pets", sample, "Cats and dogs", tag="v1")
    assert (ds.name, ds.version) == ("pets", "v1")
    assert repr(ds).startswith("<jupyter_dl.Dataset pets@v1 (")
    assert "<table>" in ds._repr_html_()
    err = capsys.readouterr().err
    for stage in ("copying", "hashing", "committing", "pushing", "indexing"):
        assert f"pets: {stage}" in err
    assert [d["name"] for d in dl.datasets.list()] == ["pets"]
    assert dl.datasets.list("zebra") == []


def test_files_open_and_read(pets, sample):
    paths = [f.path for f in pets.files("images/", page_size=5)]
    assert len(paths) == len(CLASSES) * IMAGES_PER_CLASS
    assert paths == sorted(paths)
    with pets.open("meta.json", "r") as f:
        assert '"classes"' in f.read()
    assert pets.read_bytes("blob.bin") == (sample / "blob.bin").read_bytes()
    with pytest.raises(ValueError, match="read-only"):
        pets.open("meta.json", "wb")
    with pytest.raises(NotFound):
        pets.open("missing.txt")


def test_path_is_a_read_only_copy_of_the_version(pets, sample):
    folder = pets.path
    assert (folder / "images" / "cat" / "cat00.png").read_bytes() == (
        sample / "images" / "cat" / "cat00.png"
    ).read_bytes()
    assert (folder / "README.md").stat().st_mode & 0o222 == 0
    assert pets.path == folder


def test_fs_is_a_read_only_fsspec_file_system(pets, sample):
    fs = pets.fs
    assert fs.ls("images", detail=False) == ["images/cat", "images/dog"]
    assert fs.isdir("images/cat")
    assert fs.isfile("meta.json")
    assert fs.cat("meta.json") == (sample / "meta.json").read_bytes()
    assert fs.info("tables/scores.csv")["size"] == (sample / "tables" / "scores.csv").stat().st_size
    assert len(fs.find("images")) == len(CLASSES) * IMAGES_PER_CLASS
    with fs.open("tables/scores.csv", "r") as f:
        assert f.readline().strip() == "id,score,label,ok"
    with pytest.raises(FileNotFoundError):
        fs.info("missing.txt")
    with pytest.raises(PermissionError):
        fs.open("meta.json", "wb")


def test_torch_dataset_loads_items_with_a_transform(pets):
    import torch
    from torch.utils.data import DataLoader

    def to_tensor(img):
        return torch.from_numpy(np.asarray(img.resize((8, 8)), dtype=np.float32)).permute(2, 0, 1)

    data = pets.torch(to_tensor, prefix="images/", labels="folder")
    assert isinstance(data, torch.utils.data.Dataset)
    assert len(data) == len(CLASSES) * IMAGES_PER_CLASS
    assert data.classes == list(CLASSES)
    image, label = data[0]
    assert image.shape == (3, 8, 8)
    assert label == 0
    assert data[-1][1] == 1
    with pytest.raises(IndexError):
        data[len(data)]
    images, labels = next(iter(DataLoader(data, batch_size=4, shuffle=False)))
    assert images.shape == (4, 3, 8, 8)
    assert labels.tolist() == [0, 0, 0, 0]


def test_torch_dataset_loads_by_extension(pets):
    arrays = pets.torch(prefix="arrays/", extensions=["npy"])
    assert arrays.paths == ["arrays/cube.npy", "arrays/grid.npy"]
    assert arrays[1].shape == (30, 20)
    raw = pets.torch(prefix="blob", loader=lambda path: os.path.getsize(path))
    assert raw[0] == 1024
    pictures = pets.torch(prefix="images/cat/")
    assert isinstance(pictures[0], Image.Image)
    with pytest.raises(ValueError, match="class folder"):
        pets.torch(prefix="", labels="folder")


def test_commit_versions_and_diff(pets, sample):
    second_version(sample)
    v2 = pets.commit(sample, message="More dogs", tag="v2", progress=False)
    assert (v2.version, pets.version) == ("v2", "v1")
    assert [v["ref"] for v in v2.versions()] == ["v2", "v1"]
    changes = v2.diff("v1")
    assert (changes["from"], changes["to"]) == ("v1", "v2")
    assert changes["added"] == ["images/dog/dog06.png"]
    assert changes["removed"] == ["images/dog/dog05.png"]
    assert changes["modified"] == ["README.md", "images/cat/cat00.png"]
    assert v2.diff(pets) == changes
    assert dl.dataset("pets").commit_id == v2.commit_id
    assert dl.dataset("pets", version="v1").read_bytes("README.md").startswith(b"# Pets\n")
    assert v2.status()["clean"] is True


def test_commit_single_file_changes(pets):
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buffer, "PNG")
    v2 = pets.commit({"images/cat/new.png": buffer.getvalue(), "meta.json": None}, progress=False)
    changes = v2.diff(pets)
    assert (changes["added"], changes["removed"]) == (["images/cat/new.png"], ["meta.json"])


def test_unknown_dataset_names_it(pets):
    with pytest.raises(NotFound, match="no dataset named 'cats'"):
        dl.dataset("cats")
    with pytest.raises(NotFound, match="no version 'v3'"):
        dl.dataset("pets", "v3")
