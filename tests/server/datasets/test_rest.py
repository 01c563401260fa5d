"""The datasets REST API through a real Jupyter server, on the seeded ``pets`` dataset.

Every answer is checked against ``openapi.yaml``: the Datasets panel is written
against that document, not against the code.
"""

import io
import json
from urllib.parse import quote

import pytest
from PIL import Image

from ..openapi import validate
from ..tracking.test_rest import Api
from .conftest import CLASSES, IMAGES_PER_CLASS


@pytest.fixture
def jp_server_config(seeded):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {
            "db_url": seeded.url,
            "datasets_dir": str(seeded.repo),
            "dataset_remote": str(seeded.remote),
        },
    }


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


def version_path(*parts, version="v1"):
    return "/".join(["datasets/pets/versions", version, *parts])


async def test_catalog_lists_and_searches(api):
    page = await api.ok("GET", "datasets")
    validate(page, "DatasetPage")
    assert [d["name"] for d in page["items"]] == ["pets"]
    assert page["items"][0]["latest"]["ref"] == "v2"
    assert page["items"][0]["versions"] == 2
    assert (await api.ok("GET", "datasets", params={"q": "DOG"}))["total"] == 1
    assert (await api.ok("GET", "datasets", params={"q": "zebra"}))["items"] == []
    one = await api.ok("GET", "datasets/pets")
    validate(one, "Dataset")
    assert (one["description"], one["tags"]) == ("Cats and dogs", ["images"])


async def test_versions_newest_first_and_by_any_ref(api, seeded):
    page = await api.ok("GET", "datasets/pets/versions", params={"limit": 1})
    validate(page, "DatasetVersionPage")
    assert [v["ref"] for v in page["items"]] == ["v2"]
    rest = await api.ok("GET", "datasets/pets/versions", params={"cursor": page["next_cursor"]})
    assert [v["ref"] for v in rest["items"]] == ["v1"]
    for ref in ("v1", seeded.v1["commit"], seeded.v1["commit"][:8]):
        version = await api.ok("GET", f"datasets/pets/versions/{ref}")
        validate(version, "DatasetVersion")
        assert version["commit"] == seeded.v1["commit"]
    assert (await api.ok("GET", "datasets/pets/versions/latest"))["ref"] == "v2"


async def test_tree_pages_with_sort(api):
    params = {"path": "images/cat", "sort": "size", "order": "desc", "limit": 4}
    seen, cursor = [], None
    while True:
        page = await api.ok(
            "GET", version_path("tree"), params={**params, **({"cursor": cursor} if cursor else {})}
        )
        validate(page, "DatasetTree")
        assert page["total"] == IMAGES_PER_CLASS
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    sizes = [e["size"] for e in seen]
    assert sizes == sorted(sizes, reverse=True)
    assert len(seen) == IMAGES_PER_CLASS
    top = await api.ok("GET", version_path("tree"))
    assert [e["name"] for e in top["items"] if e["type"] == "directory"] == [
        "arrays",
        "broken",
        "images",
        "tables",
    ]


async def test_files_and_file_metadata(api):
    page = await api.ok("GET", version_path("files"), params={"prefix": "images/"})
    validate(page, "DatasetFilePage")
    assert len(page["items"]) == len(CLASSES) * IMAGES_PER_CLASS
    info = await api.ok("GET", version_path("files", "tables/scores.csv"))
    validate(info, "DatasetFileInfo")
    assert (info["type"], info["mime_type"], info["preview"]) == ("file", "text/csv", "table")
    folder = await api.ok("GET", version_path("files", "images"))
    validate(folder, "DatasetFileInfo")
    assert (folder["type"], folder["files"]) == ("directory", len(CLASSES) * IMAGES_PER_CLASS)


async def test_raw_download_streams_the_bytes_with_an_etag(api, seeded):
    response = await api.fetch("GET", version_path("raw", "images/cat/cat03.png"))
    assert response.code == 200
    assert response.body == (seeded.source / "images" / "cat" / "cat03.png").read_bytes()
    assert response.headers["Content-Type"] == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    etag = response.headers["Etag"]
    again = await api.fetch(
        "GET",
        version_path("raw", "images/cat/cat03.png"),
        headers={**api.auth, "If-None-Match": etag},
    )
    assert again.code == 304
    changed = await api.fetch("GET", version_path("raw", "README.md", version="v2"))
    assert changed.body == b"# Pets, v2\n"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("images/dog/dog01.png", "image"),
        ("tables/scores.csv", "table"),
        ("tables/small.parquet", "table"),
        ("README.md", "text"),
        ("meta.json", "text"),
        ("arrays/grid.npy", "array"),
        ("blob.bin", "binary"),
    ],
)
async def test_previews_match_the_schema(api, path, kind):
    preview = await api.ok("GET", version_path("preview", path))
    validate(preview, "DatasetPreview")
    assert preview["kind"] == kind


async def test_thumbnails_are_images_with_etags(api):
    response = await api.fetch(
        "GET", version_path("thumbnail", "images/dog/dog02.png"), params={"size": 24}
    )
    assert response.code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.body)) as img:
        assert max(img.size) == 24
    again = await api.fetch(
        "GET",
        version_path("thumbnail", "images/dog/dog02.png"),
        params={"size": 24},
        headers={**api.auth, "If-None-Match": response.headers["Etag"]},
    )
    assert again.code == 304


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("broken/truncated.png", "as an image"),
        ("broken/ragged.csv", "fields"),
        ("broken/binary.csv", "NUL"),
    ],
)
async def test_corrupt_files_are_a_422_not_a_500(api, path, reason):
    code, error = await api.fail("GET", version_path("preview", path))
    assert (code, error["code"]) == (422, "preview_failed")
    assert reason in error["message"]
    code, error = await api.fail("GET", version_path("thumbnail", "broken/not-an-image.jpg"))
    assert code == 422


async def test_diff_pages_through_changes(api):
    page = await api.ok("GET", "datasets/pets/diff", params={"from": "v1", "to": "v2", "limit": 3})
    validate(page, "DatasetDiff")
    assert page["summary"] == {"added": 1, "removed": 1, "modified": 2}
    assert len(page["items"]) == 3
    rest = await api.ok(
        "GET", "datasets/pets/diff", params={"from": "v1", "cursor": page["next_cursor"]}
    )
    assert [c["change"] for c in rest["items"]] == ["added"]
    assert rest["next_cursor"] is None
    code, error = await api.fail("GET", "datasets/pets/diff")
    assert code == 400
    assert "from" in error["message"]


async def test_status_of_the_working_folder(api):
    status = await api.ok("GET", "datasets/pets/status")
    validate(status, "DatasetStatus")
    assert status["clean"] is True
    assert status["version"] == "v2"


async def test_unknown_dataset_version_and_file_are_404s_naming_them(api):
    for path, named in [
        ("datasets/nope", "nope"),
        ("datasets/nope/versions", "nope"),
        (version_path("tree", version="v7"), "v7"),
        (version_path("files", "missing.txt"), "missing.txt"),
        (version_path("raw", "missing.txt"), "missing.txt"),
        (version_path("preview", "missing.txt"), "missing.txt"),
        ("datasets/pets/diff?from=v9", "v9"),
    ]:
        code, error = await api.fail("GET", path)
        assert (code, error["code"]) == (404, "not_found"), path
        assert named in error["message"]


@pytest.mark.parametrize("route", ["files", "raw", "preview", "thumbnail"])
@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "images/../../secret", "images\\..\\x"]
)
async def test_paths_leaving_the_dataset_are_400s(api, route, path):
    code, error = await api.fail("GET", version_path(route, quote(path, safe="")))
    assert (code, error["code"]) == (400, "bad_request")


@pytest.mark.parametrize("path", ["..", "../x", "/", "/etc"])
async def test_tree_paths_leaving_the_dataset_are_400s(api, path):
    code, _ = await api.fail("GET", version_path("tree"), params={"path": path})
    assert code == 400


async def test_bad_query_arguments_are_400s(api):
    for params in ({"limit": "many"}, {"limit": 0}, {"sort": "date"}, {"cursor": "x"}):
        code, _ = await api.fail("GET", version_path("tree"), params=params)
        assert code == 400, params
    code, _ = await api.fail("GET", version_path("preview", "README.md"), params={"bytes": 10**7})
    assert code == 400


async def test_lineage_routes_of_an_unknown_run(api):
    code, error = await api.fail("GET", "runs/nosuchrun1/datasets")
    assert code == 404
    assert "nosuchrun1" in error["message"]
    page = await api.ok("GET", version_path("runs"))
    validate(page, "DatasetRunPage")
    assert page["items"] == []


async def test_every_error_is_json(api):
    response = await api.fetch("GET", version_path("raw", quote("../x", safe="")))
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(json.loads(response.body)) == {"error"}


async def test_a_slow_preview_is_abandoned_with_a_422(api, server, jp_serverapp, monkeypatch):
    import time

    from jupyter_dl.datasets import handlers

    service = jp_serverapp.web_app.settings["dl_datasets"]
    monkeypatch.setattr(handlers, "PREVIEW_TIMEOUT", 0.05)
    monkeypatch.setattr(service, "preview", lambda *args: time.sleep(0.5))
    code, error = await api.fail("GET", version_path("preview", "README.md"))
    assert (code, error["code"]) == (422, "preview_failed")
    assert "longer than" in error["message"]
