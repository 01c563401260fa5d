"""Datasets in a team: a notebook whose server points at the team's platform
(``$JUPYTER_DL_API_URL``) creates, commits and reads the team's datasets over HTTP.

The Jupyter server of the test plays the platform service: it is given an access
resolver, as the service is, so each request acts as the user the test names.
Notebook calls run on a worker thread (they block on the server, whose event loop
is the test's).
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

import jupyter_dl as dl
from jupyter_dl.datasets import handlers
from jupyter_dl.datasets.remote import CACHE_ENV, RemoteDatasets
from jupyter_dl.errors import Conflict, Forbidden, NotFound, StorageError
from jupyter_dl.platform_client import API_TOKEN_ENV, API_URL_ENV

from ..conftest import PEOPLE
from ..openapi import validate
from .conftest import CLASSES, IMAGES_PER_CLASS, second_version


class Team:
    """The platform (the test's server) and who the notebook acts as."""

    def __init__(self, acting, url, token):
        self.acting = acting
        self.settings = acting.settings
        self.url = url
        self.token = token

    @property
    def who(self):
        return self.acting.who

    @who.setter
    def who(self, name):
        self.acting.who = name

    @property
    def catalog(self):
        """The platform's own dataset service: what landed there."""
        return self.settings["dl_datasets"]

    def refs(self, name):
        return [v["ref"] for v in self.catalog.list_versions(name, 50).items]

    def post(self, path, body, content_type="application/x-tar"):
        """(status, JSON) of a raw POST to the platform, as the current user."""
        request = urllib.request.Request(f"{self.url}dl/api/{path}", data=body, method="POST")
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture
def team(server, acting, tmp_path, monkeypatch):
    url, token = server
    monkeypatch.setenv(API_URL_ENV, url)
    monkeypatch.setenv(API_TOKEN_ENV, token)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return Team(acting, url, token)


def in_notebook(fn, *args):
    return asyncio.to_thread(fn, *args)


def tar_of(members):
    """A tar archive of ``(TarInfo, bytes | None)`` members."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def member(name, data=None, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, data


def uploads_left(team):
    folder = team.catalog.repo.private_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def test_create_and_commit_over_http_land_in_the_teams_catalog(team, sample, capsys):
    ds = await in_notebook(
        lambda: dl.datasets.create("pets", sample, "Cats and dogs", tags=["images"], tag="v1")
    )
    assert (ds.name, ds.version, ds.info["author"]) == ("pets", "v1", "ada")
    stored = team.catalog.get_dataset("pets")
    assert (stored["owner"], stored["description"], stored["tags"]) == (
        "ada",
        "Cats and dogs",
        ["images"],
    )
    assert stored["latest"]["commit"] == ds.commit_id
    err = capsys.readouterr().err
    assert "pets: uploading" in err
    assert "pets: indexing" in err
    assert [d["name"] for d in await in_notebook(dl.datasets.list)] == ["pets"]

    # Carol, in Ada's group, may read once it is shared, and write once allowed to.
    team.settings["dl_permissions"].share(PEOPLE["ada"], "dataset", "pets", {"group": "vision"})
    second_version(sample)
    team.who = "carol"
    with pytest.raises(Forbidden, match="may only read"):
        await in_notebook(lambda: ds.commit(sample, message="More dogs", tag="v2"))
    team.settings["dl_permissions"].share(
        PEOPLE["ada"], "dataset", "pets", {"group_access": "write"}
    )
    v2 = await in_notebook(lambda: ds.commit(sample, message="More dogs", tag="v2"))
    assert (v2.version, v2.info["author"], v2.info["message"]) == ("v2", "carol", "More dogs")
    assert team.refs("pets") == ["v2", "v1"]
    assert team.catalog.get_dataset("pets")["owner"] == "ada"
    assert team.catalog.diff("pets", "v1", "v2")["summary"] == {
        "added": 1,
        "removed": 1,
        "modified": 2,
    }
    # Single-file changes are applied to a copy of the latest version, then sent.
    v3 = await in_notebook(lambda: v2.commit({"notes.txt": b"new", "blob.bin": None}, tag="v3"))
    paths = [f.path for f in await in_notebook(lambda: list(v3.files()))]
    assert "notes.txt" in paths
    assert "blob.bin" not in paths
    assert len(paths) == v2.info["files"]
    assert await in_notebook(v3.read_bytes, "notes.txt") == b"new"

    # Bob sees nothing of it; nothing he tries changes it.
    team.who = "bob"
    with pytest.raises(NotFound):
        await in_notebook(dl.dataset, "pets")
    capsys.readouterr()
    with pytest.raises(NotFound):
        await in_notebook(lambda: ds.commit(sample, tag="v4"))
    assert "uploading" not in capsys.readouterr().err  # refused before the files were sent
    team.who = "ada"
    with pytest.raises(Conflict, match="exists"):
        await in_notebook(lambda: dl.datasets.create("pets", sample))
    with pytest.raises(Conflict, match="already has a version tagged 'v1'"):
        await in_notebook(lambda: ds.commit(sample, tag="v1"))
    assert team.refs("pets") == ["v3", "v2", "v1"]
    assert uploads_left(team) == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (member("../x", b"escape"), "must not contain '..'"),
        (member("/tmp/x", b"absolute"), "not absolute"),
        (member("images/link", kind=tarfile.SYMTYPE, link="/etc/passwd"), "is a link"),
        (member("images/hard", kind=tarfile.LNKTYPE, link="a.txt"), "is a link"),
        (member("dev", kind=tarfile.CHRTYPE), "not a regular file"),
    ],
    ids=["dotdot", "absolute", "symlink", "hardlink", "device"],
)
async def test_a_malicious_archive_is_refused_and_changes_nothing(team, tmp_path, bad, reason):
    good = member("a.txt", b"hello")
    code, body = await in_notebook(team.post, "datasets/evil/upload", tar_of([good, bad]))
    assert (code, body["error"]["code"]) == (400, "bad_request")
    assert reason in body["error"]["message"]
    with pytest.raises(NotFound):
        team.catalog.get_dataset("evil")
    # Nor does it change an existing dataset, or write anything outside it.
    code, made = await in_notebook(team.post, "datasets/safe/upload?tag=v1", tar_of([good]))
    assert code == 201
    validate(made, "DatasetUpload")
    code, _ = await in_notebook(team.post, "datasets/safe/upload?tag=v2", tar_of([bad, good]))
    assert code == 400
    assert team.refs("safe") == ["v1"]
    repo = team.catalog.repo.root
    assert sorted(p.name for p in (repo / "safe").iterdir()) == ["a.txt"]
    assert not (repo.parent / "x").exists()
    assert not (repo / "evil").exists()
    assert uploads_left(team) == []


async def test_uploads_over_the_limit_are_refused(team, monkeypatch):
    monkeypatch.setattr(handlers, "UPLOAD_LIMIT", 4096)
    code, body = await in_notebook(
        team.post, "datasets/big/upload", tar_of([member("a.bin", b"x" * 8000)])
    )
    assert (code, body["error"]["code"]) == (413, "payload_too_large")
    # A small gzip that unpacks to more than the limit is refused too.
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        info, data = member("zeros.bin", b"\0" * 100_000)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert len(packed.getvalue()) < 4096
    code, body = await in_notebook(
        team.post, "datasets/big/upload", packed.getvalue(), "application/gzip"
    )
    assert code == 413
    assert "more than 4,096 bytes" in body["error"]["message"]
    code, body = await in_notebook(team.post, "datasets/big/upload", b"not a tar at all")
    assert code == 400
    assert "not a readable tar archive" in body["error"]["message"]
    with pytest.raises(NotFound):
        team.catalog.get_dataset("big")
    assert uploads_left(team) == []


async def test_a_teams_version_reads_back_identical_from_the_local_cache(
    team, sample, tmp_path, monkeypatch
):
    import torch

    team.catalog.create_dataset("pets", sample, owner="ada", tag="v1")

    def read_all():
        ds = dl.dataset("pets", version="v1")
        files = list(ds.files())
        contents = {f.path: ds.read_bytes(f.path) for f in files}
        with ds.open("tables/scores.csv", "r") as f:
            header = f.readline().strip()
        data = ds.torch(lambda img: np.asarray(img).shape, prefix="images/", labels="folder")
        first = data[0]
        return ds, files, contents, header, data, first, ds.path, ds.fs.cat("meta.json")

    ds, files, contents, header, data, first, folder, meta = await in_notebook(read_all)
    expected = {
        p.relative_to(sample).as_posix(): p.read_bytes() for p in sample.rglob("*") if p.is_file()
    }
    assert isinstance(ds._service, RemoteDatasets)
    assert contents == expected
    assert {f.path: f.size for f in files} == {p: len(b) for p, b in expected.items()}
    assert header == "id,score,label,ok"
    assert isinstance(data, torch.utils.data.Dataset)
    assert (len(data), data.classes) == (len(CLASSES) * IMAGES_PER_CLASS, list(CLASSES))
    assert first == ((24, 32, 3), 0)
    assert meta == expected["meta.json"]
    assert folder == tmp_path / "cache" / "versions" / "pets" / ds.commit_id
    on_disk = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    assert on_disk == expected

    # The copy is complete: reading the version again downloads nothing.
    def no_download(*args):
        raise AssertionError(f"downloaded {args} again")

    monkeypatch.setattr(RemoteDatasets, "_download", no_download)

    def read_again():
        again = dl.dataset("pets", "v1")
        return again.path, {p: again.read_bytes(p) for p in expected}, len(again.torch())

    path, again, count = await in_notebook(read_again)
    assert (path, again, count) == (folder, expected, len(expected))


async def test_a_corrupt_download_is_not_kept(team, tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("the real content")
    team.catalog.create_dataset("notes", source, owner="ada")
    from jupyter_dl.platform_client import PlatformClient

    real = PlatformClient.stream

    def tampered(self, method, path, write, data=None):
        if "/raw/" not in path:
            return real(self, method, path, write, data)
        write(b"something else")

    monkeypatch.setattr(PlatformClient, "stream", tampered)
    ds = await in_notebook(dl.dataset, "notes")
    with pytest.raises(StorageError, match=r"not the .* the platform lists"):
        await in_notebook(ds.read_bytes, "a.txt")
    objects = tmp_path / "cache" / "objects"
    assert [p for p in objects.rglob("*") if p.is_file()] == []
    monkeypatch.setattr(PlatformClient, "stream", real)
    assert await in_notebook(ds.read_bytes, "a.txt") == b"the real content"
    shutil.rmtree(tmp_path / "cache")
    assert await in_notebook(ds.read_bytes, "a.txt") == b"the real content"
