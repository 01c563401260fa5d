"""DatasetService on generated data: versions, browsing, previews, diff, status, lineage,
and what it refuses."""

import base64
import io
import os
import subprocess
import sys

import pytest
from PIL import Image

import jupyter_dl as dl
from jupyter_dl.datasets import previews
from jupyter_dl.datasets.service import DatasetService
from jupyter_dl.errors import BadRequest, Conflict, NotFound, PreviewFailed, StorageError

from .conftest import CLASSES, IMAGES_PER_CLASS, png, second_version

QUIET = {"capture_code": False, "system_metrics": None}


def git(repo, *args):
    return subprocess.run(
        ["git", "-c", f"safe.directory={repo}", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def all_pages(fetch):
    items, cursor = [], None
    while True:
        page = fetch(cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# ----------------------------------------------------------------- versions


def test_create_and_commit_make_tagged_pushed_versions(service, sample, datasets_env):
    created = service.create_dataset(
        "pets", sample, description="Cats and dogs", tags=["images"], tag="v1", author="ada"
    )
    assert created["versions"] == 1
    assert (created["owner"], created["description"], created["tags"]) == (
        "ada",
        "Cats and dogs",
        ["images"],
    )
    v1 = created["latest"]
    files = sum(1 for p in sample.rglob("*") if p.is_file())
    assert (v1["ref"], v1["tag"], v1["author"], v1["files"]) == ("v1", "v1", "ada", files)
    assert v1["size"] == sum(p.stat().st_size for p in sample.rglob("*") if p.is_file())
    assert v1["hash"].endswith(".dir")

    second_version(sample)
    v2 = service.commit("pets", sample, message="More dogs", tag="v2", author="bob")
    assert (v2["ref"], v2["message"], v2["author"], v2["files"]) == (
        "v2",
        "More dogs",
        "bob",
        files,
    )
    assert [v["ref"] for v in service.list_versions("pets").items] == ["v2", "v1"]
    assert service.get_version("pets")["commit"] == v2["commit"]
    assert service.get_version("pets", v1["commit"][:7])["ref"] == "v1"

    repo = datasets_env.repo
    assert git(repo, "log", "-1", "--format=%an %s").strip() == "bob More dogs"
    assert set(git(repo, "tag").split()) == {"pets/v1", "pets/v2"}
    assert git(repo, "rev-parse", "pets/v2").strip() == v2["commit"]
    pushed = datasets_env.remote / "files" / "md5" / v2["hash"][:2] / v2["hash"][2:]
    assert pushed.is_file()


def test_commit_from_changes_or_the_working_folder(service, sample, datasets_env):
    service.create_dataset("pets", sample)
    extra = sample / "README.md"
    v2 = service.commit(
        "pets", {"notes/new.txt": b"new", "meta.json": None, "docs/readme.md": extra}, tag="v2"
    )
    first = service.list_versions("pets").items[1]["ref"]
    diff = service.diff("pets", first, "v2")
    assert diff["summary"] == {"added": 2, "removed": 1, "modified": 0}
    (datasets_env.repo / "pets" / "notes" / "new.txt").write_text("edited in place")
    v3 = service.commit("pets", None, message="edited")
    assert v3["commit"] != v2["commit"]
    assert service.diff("pets", "v2", v3["ref"])["items"][0]["path"] == "notes/new.txt"


def test_nothing_changed_taken_tags_and_names_are_conflicts(service, sample):
    service.create_dataset("pets", sample, tag="v1")
    with pytest.raises(Conflict, match="nothing changed"):
        service.commit("pets", sample)
    (sample / "more.txt").write_text("more")
    with pytest.raises(Conflict, match="tagged 'v1'"):
        service.commit("pets", sample, tag="v1")
    with pytest.raises(Conflict, match="exists"):
        service.create_dataset("pets", sample)
    assert len(service.list_versions("pets").items) == 1


@pytest.mark.parametrize("name", ["", "../up", "a/b", ".hidden", "x" * 65, "name.dvc", "sp ace"])
def test_bad_dataset_names_are_refused(service, sample, name):
    with pytest.raises(BadRequest, match="dataset name"):
        service.create_dataset(name, sample)


@pytest.mark.parametrize("tag", ["latest", "v 1", "-x", "a..b", "x.lock"])
def test_bad_tags_are_refused(service, sample, tag):
    with pytest.raises(BadRequest, match="tag"):
        service.create_dataset("pets", sample, tag=tag)


def test_failed_push_leaves_no_version(service, sample, datasets_env, tmp_path):
    v1 = service.create_dataset("pets", sample, tag="v1")["latest"]
    head = git(datasets_env.repo, "rev-parse", "HEAD")
    blocker = tmp_path / "a-file"
    blocker.write_text("a remote cannot live under a file")
    broken = DatasetService(service.store, datasets_env.repo, str(blocker / "remote"))

    (sample / "new.txt").write_text("new")
    with pytest.raises(StorageError, match="no version was made"):
        broken.commit("pets", sample, message="never", tag="v2")
    assert [v["ref"] for v in service.list_versions("pets").items] == ["v1"]
    assert git(datasets_env.repo, "rev-parse", "HEAD") == head
    assert "pets/v2" not in git(datasets_env.repo, "tag").split()
    assert service.get_version("pets")["commit"] == v1["commit"]

    with pytest.raises(StorageError):
        broken.create_dataset("other", sample, tag="v1")
    with pytest.raises(NotFound):
        service.get_dataset("other")
    assert not (datasets_env.repo / "other").exists()
    assert not (datasets_env.repo / "other.dvc").exists()
    assert git(datasets_env.repo, "rev-parse", "HEAD") == head
    # The working folder keeps the new files: committing again (remote fixed) works.
    assert service.commit("pets", None, tag="v2")["ref"] == "v2"


# ------------------------------------------------------------------- browse


def test_tree_lists_folders_first_then_files(seeded):
    top = seeded.service.tree("pets", "v1")
    names = [(e["type"], e["name"]) for e in top["items"]]
    assert names[:4] == [
        ("directory", "arrays"),
        ("directory", "broken"),
        ("directory", "images"),
        ("directory", "tables"),
    ]
    assert [n for t, n in names if t == "file"] == ["README.md", "blob.bin", "meta.json"]
    assert top["total"] == 7
    images = next(e for e in top["items"] if e["name"] == "images")
    assert images["files"] == len(CLASSES) * IMAGES_PER_CLASS
    cats = seeded.service.tree("pets", "v1", "images/cat/")
    assert cats["path"] == "images/cat"
    assert [e["path"] for e in cats["items"]][:2] == [
        "images/cat/cat00.png",
        "images/cat/cat01.png",
    ]
    assert all(len(e["md5"]) == 32 for e in cats["items"])


@pytest.mark.parametrize("sort", ["name", "size"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_tree_pages_cover_a_folder_in_sort_order(service, tmp_path, sort, order):
    source = tmp_path / "many"
    (source / "sub").mkdir(parents=True)
    (source / "zz-dir").mkdir()
    for i in range(23):
        (source / f"f{i:02}.txt").write_bytes(b"x" * ((i * 7) % 11))
    (source / "sub" / "a.txt").write_text("a")
    (source / "zz-dir" / "b.txt").write_text("bb")
    service.create_dataset("many", source)

    def fetch(cursor):
        return service.tree("many", "latest", "", sort, order, 4, cursor)

    seen = all_pages(fetch)
    dirs = [e for e in seen if e["type"] == "directory"]
    files = [e for e in seen if e["type"] == "file"]
    assert seen == dirs + files
    assert len(files) == 23
    assert len(seen) == fetch(None)["total"] == 25

    def key(e):
        return (e["size"], e["name"]) if sort == "size" else e["name"]

    for group in (dirs, files):
        assert group == sorted(group, key=key, reverse=order == "desc")


def test_tree_refuses_bad_folders_and_cursors(seeded):
    svc = seeded.service
    with pytest.raises(NotFound, match="no folder 'nope'"):
        svc.tree("pets", "v1", "nope")
    with pytest.raises(BadRequest, match="is a file"):
        svc.tree("pets", "v1", "README.md")
    with pytest.raises(BadRequest, match="cursor"):
        svc.tree("pets", "v1", cursor="garbage")
    page = svc.tree("pets", "v1", "images/cat", limit=2)
    with pytest.raises(BadRequest, match="another sort"):
        svc.tree("pets", "v1", "images/cat", sort="size", limit=2, cursor=page["next_cursor"])
    with pytest.raises(BadRequest, match="sort by"):
        svc.tree("pets", "v1", sort="date")
    with pytest.raises(BadRequest, match="limit"):
        svc.tree("pets", "v1", limit=0)


def test_files_lists_by_prefix_in_pages(seeded):
    def fetch(cursor):
        return seeded.service.files("pets", "v1", "images/", 5, cursor).to_json()

    paths = [f["path"] for f in all_pages(fetch)]
    assert len(paths) == len(CLASSES) * IMAGES_PER_CLASS
    assert paths == sorted(paths)
    partial = seeded.service.files("pets", "v1", "images/ca").items
    assert {f["path"].split("/")[1] for f in partial} == {"cat"}


def test_unknown_dataset_and_version_are_404s_naming_them(seeded):
    with pytest.raises(NotFound, match="no dataset named 'nope'"):
        seeded.service.get_dataset("nope")
    with pytest.raises(NotFound, match="no version 'v9'"):
        seeded.service.tree("pets", "v9")
    with pytest.raises(NotFound, match="no version 'abcdef12'"):
        seeded.service.get_version("pets", "abcdef12")
    with pytest.raises(NotFound, match=r"no file 'missing\.txt'"):
        seeded.service.file_info("pets", "v1", "missing.txt")


# ------------------------------------------------------------------ security


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.txt", "'..'"),
        ("images/../../etc/passwd", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/win.ini", "absolute"),
        ("images\\cat\\cat00.png", "'/'"),
        ("images//cat00.png", "empty"),
        ("./README.md", "'.'"),
        ("README.md\n", "control"),
    ],
)
def test_paths_leaving_the_dataset_are_refused_before_reading(seeded, monkeypatch, path, reason):
    opened = []
    monkeypatch.setattr(seeded.service, "_object", lambda *a: opened.append(a) or [])
    for call in (
        lambda: seeded.service.file_info("pets", "v1", path),
        lambda: seeded.service.open_file("pets", "v1", path),
        lambda: seeded.service.preview("pets", "v1", path),
        lambda: seeded.service.tree("pets", "v1", path),
    ):
        with pytest.raises(BadRequest, match=reason):
            call()
    assert opened == []


def test_symlink_leaving_the_source_folder_is_refused(service, sample, tmp_path, datasets_env):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the dataset")
    (sample / "images" / "link.txt").symlink_to(secret)
    with pytest.raises(BadRequest, match="outside"):
        service.create_dataset("pets", sample)
    with pytest.raises(NotFound):
        service.get_dataset("pets")
    assert not (datasets_env.repo / "pets").exists()


def test_symlinked_folder_leaving_the_source_is_refused(service, sample, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (sample / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BadRequest, match="outside"):
        service.create_dataset("pets", sample)


def test_symlink_inside_the_folder_is_copied_as_a_file(service, sample):
    (sample / "alias.md").symlink_to(sample / "README.md")
    service.create_dataset("pets", sample)
    file, info = service.open_file("pets", "latest", "alias.md")
    assert file.read_bytes() == (sample / "README.md").read_bytes()
    assert info["type"] == "file"


def test_symlink_left_in_the_working_folder_is_refused_at_commit(service, sample, datasets_env):
    service.create_dataset("pets", sample)
    (datasets_env.repo / "pets" / "escape").symlink_to("/etc/hostname")
    with pytest.raises(BadRequest, match="outside"):
        service.commit("pets")
    assert len(service.list_versions("pets").items) == 1


# ------------------------------------------------------------------ previews


def test_image_preview_is_a_bounded_thumbnail(seeded):
    shown = seeded.service.preview("pets", "v1", "images/dog/dog05.png", previews.Options(size=32))
    assert (shown["kind"], shown["format"], shown["width"], shown["height"]) == (
        "image",
        "png",
        72,
        44,
    )
    thumb = shown["thumbnail"]
    assert max(thumb["width"], thumb["height"]) == 32
    with Image.open(io.BytesIO(base64.b64decode(thumb["data"]))) as img:
        assert img.size == (thumb["width"], thumb["height"])
    data, kind = seeded.service.thumbnail("pets", "v1", "images/cat/cat01.png", 16)
    assert kind == "image/jpeg"
    with Image.open(io.BytesIO(data)) as img:
        assert max(img.size) <= 16


def test_csv_preview_has_schema_rows_and_dialect(seeded):
    shown = seeded.service.preview("pets", "v1", "tables/scores.csv")
    assert shown["columns"] == [
        {"name": "id", "type": "integer"},
        {"name": "score", "type": "number"},
        {"name": "label", "type": "string"},
        {"name": "ok", "type": "boolean"},
    ]
    assert shown["rows"] == [["1", "0.5", "cat", "true"], ["2", "1.5", "dog", "false"]]
    assert (shown["total_rows"], shown["truncated"]) == (2, False)
    semi = seeded.service.preview("pets", "v1", "tables/semicolon.csv", previews.Options(rows=2))
    assert semi["dialect"]["delimiter"] == ";"
    assert semi["rows"] == [["1", "x"], ["2", "y"]]
    assert semi["truncated"] is True
    tsv = seeded.service.preview("pets", "v1", "tables/scores.tsv")
    assert [c["name"] for c in tsv["columns"]] == ["id", "name"]


def test_parquet_preview_reads_schema_and_first_rows(seeded):
    shown = seeded.service.preview("pets", "v1", "tables/small.parquet", previews.Options(rows=2))
    assert shown["format"] == "parquet"
    assert [c["name"] for c in shown["columns"]] == ["id", "name"]
    assert shown["rows"] == [[1, "a"], [2, "b"]]
    assert (shown["total_rows"], shown["truncated"]) == (3, True)


def test_text_json_and_binary_previews(seeded):
    readme = seeded.service.preview("pets", "v1", "README.md")
    assert readme["kind"] == "text"
    assert len(readme["text"].encode()) == 1024
    assert readme["truncated"] is True
    meta = seeded.service.preview("pets", "v1", "meta.json")
    assert (meta["format"], meta["truncated"]) == ("json", False)
    assert '"classes"' in meta["text"]
    blob = seeded.service.preview("pets", "v1", "blob.bin")
    assert blob["kind"] == "binary"
    assert blob["head"] == bytes(range(64)).hex()


def test_npy_preview_reads_header_and_a_corner(seeded):
    grid = seeded.service.preview("pets", "v1", "arrays/grid.npy")
    assert (grid["shape"], grid["dtype"], grid["slice_shape"]) == ([30, 20], "float32", [10, 10])
    assert grid["slice"][1][:3] == [20.0, 21.0, 22.0]
    cube = seeded.service.preview("pets", "v1", "arrays/cube.npy")
    assert (cube["shape"], cube["slice_shape"]) == ([3, 4, 5], [3, 4, 1])


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("broken/truncated.png", "cannot read broken/truncated.png as an image"),
        ("broken/not-an-image.jpg", "as an image"),
        ("broken/binary.csv", "NUL bytes"),
        ("broken/ragged.csv", "row 3 has 2 fields"),
        ("broken/latin1.csv", "not UTF-8"),
        ("broken/objects.npy", "Python objects"),
        ("broken/garbage.npy", "as a NumPy array"),
        ("broken/bad.parquet", "as Parquet"),
    ],
)
def test_corrupt_files_give_a_clear_preview_error(seeded, path, reason):
    with pytest.raises(PreviewFailed, match=reason):
        seeded.service.preview("pets", "v1", path)


def test_preview_options_are_bounded(seeded):
    for options in (
        previews.Options(size=5000),
        previews.Options(rows=0),
        previews.Options(bytes=10**6),
    ):
        with pytest.raises(BadRequest):
            seeded.service.preview("pets", "v1", "README.md", options)


def test_oversized_images_are_not_decoded(seeded, monkeypatch):
    monkeypatch.setattr(previews, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(PreviewFailed, match="megapixels"):
        seeded.service.preview("pets", "v1", "images/cat/cat00.png")


# ---------------------------------------------------------------- diff, status


def test_diff_of_two_versions_pages_added_removed_modified(seeded):
    whole = seeded.service.diff("pets", "v1", "v2")
    assert whole["summary"] == {"added": 1, "removed": 1, "modified": 2}
    assert [(c["path"], c["change"]) for c in whole["items"]] == [
        ("README.md", "modified"),
        ("images/cat/cat00.png", "modified"),
        ("images/dog/dog05.png", "removed"),
        ("images/dog/dog06.png", "added"),
    ]
    removed = whole["items"][2]
    assert removed["to"] is None
    assert removed["from"]["size"] > 0

    def fetch(cursor):
        return seeded.service.diff("pets", "v1", "v2", limit=1, cursor=cursor)

    assert all_pages(fetch) == whole["items"]
    only = seeded.service.diff("pets", "v1", "v2", change="added")
    assert [c["path"] for c in only["items"]] == ["images/dog/dog06.png"]
    assert only["summary"] == whole["summary"]
    same = seeded.service.diff("pets", "v2", "latest")
    assert same["items"] == []
    assert same["summary"] == {"added": 0, "removed": 0, "modified": 0}
    with pytest.raises(BadRequest, match="change must be"):
        seeded.service.diff("pets", "v1", "v2", change="renamed")


def test_status_of_the_working_folder(service, sample, datasets_env):
    service.create_dataset("pets", sample, tag="v1")
    workdir = datasets_env.repo / "pets"
    assert service.status("pets")["clean"] is True

    os.utime(workdir / "README.md")  # touched, content unchanged
    touched = service.status("pets")
    assert touched["clean"] is True
    (workdir / "README.md").write_text("changed")
    (workdir / "meta.json").unlink()
    (workdir / "added.txt").write_text("new")
    dirty = service.status("pets")
    assert (dirty["clean"], dirty["added"], dirty["removed"], dirty["modified"]) == (
        False,
        1,
        1,
        1,
    )
    assert {(c["path"], c["change"]) for c in dirty["changes"]} == {
        ("added.txt", "added"),
        ("meta.json", "removed"),
        ("README.md", "modified"),
    }


def test_status_fast_path_hashes_nothing(service, sample, datasets_env, monkeypatch):
    from jupyter_dl.datasets import status

    service.create_dataset("pets", sample)
    hashed = []
    monkeypatch.setattr(status, "_md5", lambda p: hashed.append(p))
    assert service.status("pets")["clean"] is True
    assert hashed == []


def test_status_without_a_cache_hashes_once_then_is_fast(service, sample, datasets_env):
    from jupyter_dl.datasets import status

    service.create_dataset("pets", sample)
    service.repo.status_cache("pets").unlink()
    cache = service.repo.status_cache("pets")
    version = service.get_version("pets")["hash"]
    first = status.check(datasets_env.repo / "pets", cache, version, lambda: _table(service))
    assert first.clean
    assert first.hashed > 0
    again = status.check(datasets_env.repo / "pets", cache, version, lambda: _table(service))
    assert again.clean
    assert again.hashed == 0


def _table(service):
    _, files = service.manifest("pets")
    return {path: (md5, size) for path, md5, size in files}


# ---------------------------------------------------------- content, checkout


def test_checkout_is_read_only_shared_and_complete(seeded):
    folder = seeded.service.checkout("pets", "v1")
    assert seeded.service.checkout("pets", "v1") == folder
    readme = folder / "README.md"
    assert readme.read_text().startswith("# Pets\n")
    assert not os.access(readme, os.W_OK) or os.geteuid() == 0
    assert readme.stat().st_mode & 0o222 == 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    assert count == seeded.v1["files"]


def test_missing_cache_objects_are_fetched_from_the_remote(service, sample):
    service.create_dataset("pets", sample)
    file, _ = service.open_file("pets", "latest", "meta.json")
    original = file.read_bytes()
    file.chmod(0o644)
    file.unlink()
    again, _ = service.open_file("pets", "latest", "meta.json")
    assert again.read_bytes() == original


def test_versions_made_with_the_dvc_command_line_are_synced(service, sample, datasets_env):
    service.create_dataset("pets", sample, tag="v1")
    repo = datasets_env.repo
    (repo / "pets" / "cli.txt").write_text("added with dvc")
    who = {"GIT_AUTHOR_NAME": "cli", "GIT_AUTHOR_EMAIL": "c@x"}
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", **who}
    env.update(GIT_COMMITTER_NAME="cli", GIT_COMMITTER_EMAIL="c@x")
    dvc = [os.path.join(os.path.dirname(sys.executable), "dvc")]
    subprocess.run([*dvc, "add", "pets"], cwd=repo, env=env, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "by hand", "pets.dvc"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "tag", "pets/cli"], cwd=repo, env=env, check=True)

    found = service.sync()
    assert [(v["ref"], v["author"], v["message"]) for v in found] == [("cli", "cli", "by hand")]
    assert service.sync() == []
    assert service.tree("pets", "cli")["total"] > 0  # indexed on first browse
    assert service.file_info("pets", "cli", "cli.txt")["size"] == len("added with dvc")


# ------------------------------------------------------------------- lineage


def test_using_a_dataset_in_a_run_records_lineage(service, sample):
    service.create_dataset("pets", sample, tag="v1")
    (sample / "extra.txt").write_text("x")
    service.commit("pets", sample, tag="v2")
    run = dl.init("lineage", **QUIET)
    ds = dl.dataset("pets", "v1")
    ds.read_bytes("meta.json")
    list(dl.dataset("pets").files())
    dl.finish()

    used = service.datasets_of_run(run.id).items
    assert [(u["dataset"], u["version"]) for u in used] == [("pets", "v1"), ("pets", "v2")]
    assert used[0]["hash"] == ds.hash
    runs = service.runs_using("pets", "v1").items
    assert [(r["id"], r["project"], r["status"]) for r in runs] == [(run.id, "lineage", "finished")]
    assert service.runs_using("pets", "v2").items[0]["id"] == run.id


def test_no_lineage_outside_a_run_and_unknown_runs_are_404(service, sample):
    service.create_dataset("pets", sample)
    list(dl.dataset("pets").files())
    assert service.runs_using("pets").items == []
    with pytest.raises(NotFound, match="no run with id"):
        service.record_usage("nosuchrun1", "pets")
    with pytest.raises(NotFound, match="no run with id"):
        service.datasets_of_run("nosuchrun1")


# ------------------------------------------------------------------- catalog


def test_catalog_search_edit_and_paging(service, sample):
    service.create_dataset("pets", sample, description="Cats and dogs", tags=["images"])
    service.create_dataset("tabular", sample / "tables", tags=["csv"])
    assert [d["name"] for d in service.list_datasets().items] == ["pets", "tabular"]
    assert [d["name"] for d in service.list_datasets("DOGS").items] == ["pets"]
    assert [d["name"] for d in service.list_datasets("csv").items] == ["tabular"]
    first = service.list_datasets(limit=1)
    assert first.total == 2
    assert [d["name"] for d in service.list_datasets(limit=1, cursor=first.next_cursor).items] == [
        "tabular"
    ]
    edited = service.update_dataset("pets", {"description": "Pets", "tags": ["a", "b"]})
    assert (edited["description"], edited["tags"]) == ("Pets", ["a", "b"])
    with pytest.raises(BadRequest, match="cannot change"):
        service.update_dataset("pets", {"name": "x"})
    with pytest.raises(BadRequest, match="tags"):
        service.update_dataset("pets", {"tags": "not-a-list"})


def test_a_version_changing_one_image_stores_one_new_object(service, sample, datasets_env):
    service.create_dataset("pets", sample)
    cache = datasets_env.repo / ".dvc" / "cache" / "files" / "md5"
    before = sum(1 for p in cache.rglob("*") if p.is_file())
    (sample / "images" / "cat" / "cat01.png").write_bytes(png(9, 9, (9, 9, 9)))
    service.commit("pets", sample)
    after = sum(1 for p in cache.rglob("*") if p.is_file())
    assert after - before == 2  # the new image and the new directory manifest


def test_commits_work_on_an_unconfigured_git(service, sample, datasets_env, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("JUPYTERHUB_USER", "grace")
    created = service.create_dataset("pets", sample)
    assert created["latest"]["author"] == "grace"
    assert created["owner"] == "grace"
    assert git(datasets_env.repo, "log", "-1", "--format=%an <%ae>").startswith("grace <grace@")
