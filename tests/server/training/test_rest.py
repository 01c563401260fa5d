"""The jobs REST API through a real Jupyter server, checked against ``openapi.yaml``."""

import asyncio
import json
import re
import time

import pytest

from ..openapi import validate
from ..tracking.test_rest import Api

FINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


@pytest.fixture
def scripts(jp_root_dir):
    folder = jp_root_dir / "scripts"
    folder.mkdir()
    (folder / "train.py").write_text(
        "import os, sys\n"
        "print('rank', os.environ['RANK'], 'args', sys.argv[1:], 'in', os.getcwd())\n"
    )
    (folder / "forever.py").write_text("import time\nprint('up', flush=True)\ntime.sleep(600)\n")
    cells = [{"cell_type": "code", "source": ["print('from the notebook', 6 * 7)"]}]
    (folder / "explore.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    return folder


async def launch(api, **body):
    validate(body, "NewJob")
    job = await api.ok("POST", "jobs", body, status=201)
    validate(job, "Job")
    return job


async def wait(api, job_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = await api.ok("GET", f"jobs/{job_id}")
        validate(job, "Job")
        if job["status"] in FINAL:
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end")


async def follow(api, job_id, rank=0, limit=7):
    """A rank's whole log, read the way the panel follows it: by offset until done."""
    text, offset = "", 0
    for _ in range(1000):
        params = {"rank": rank, "offset": offset, "limit": limit}
        chunk = await api.ok("GET", f"jobs/{job_id}/logs", params=params)
        validate(chunk, "JobLog")
        assert chunk["offset"] == offset
        text += chunk["text"]
        offset = chunk["next_offset"]
        if chunk["done"]:
            return text
        if not chunk["text"]:
            await asyncio.sleep(0.2)
    raise AssertionError("the log never ended")


async def test_launch_a_script_and_follow_its_logs(api, scripts):
    job = await launch(
        api, script="scripts/train.py", args=["--lr", "0.1"], nproc=2, name="from the panel"
    )
    assert (job["kind"], job["name"], job["nproc"]) == ("script", "from the panel", 2)
    assert job["command"] == ["scripts/train.py", "--lr", "0.1"]
    rank_1 = await follow(api, job["id"], rank=1)
    assert rank_1 == f"rank 1 args ['--lr', '0.1'] in {scripts}\n"
    done = await wait(api, job["id"])
    assert (done["status"], done["exit_codes"]) == ("succeeded", [0, 0])
    page = await api.ok("GET", "jobs", params={"status": "succeeded"})
    validate(page, "JobPage")
    assert [j["id"] for j in page["items"]] == [job["id"]]
    run = await api.ok("GET", f"runs/{done['run_id']}")
    assert (run["project"], run["status"]) == ("train", "finished")


async def test_cancel_over_rest(api, scripts):
    job = await launch(api, script="scripts/forever.py", nproc=1)
    deadline = time.monotonic() + 60
    while "up" not in (await api.ok("GET", f"jobs/{job['id']}/logs"))["text"]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    cancelled = await api.ok("POST", f"jobs/{job['id']}/cancel")
    validate(cancelled, "Job")
    assert cancelled["status"] == "cancelled"
    active = await api.ok("GET", "jobs", params={"status": "active"})
    assert active["items"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"script": "../outside.py"}, "leads outside the server's root folder"),
        ({"script": "/etc/passwd"}, "must be relative to the server's root folder"),
        ({"script": "scripts/missing.py"}, "no script at"),
        ({"script": "scripts/explore.ipynb"}, r"runs a \.py file"),
        ({"script": "scripts/train.py", "notebook": "scripts/explore.ipynb"}, "exactly one"),
        ({}, "exactly one"),
        ({"script": "scripts/train.py", "cmd": "x"}, "unknown fields cmd"),
        ({"script": "scripts/train.py", "args": "--lr 1"}, "args must be a list of strings"),
        ({"script": "scripts/train.py", "nproc": 0}, "nproc must be"),
        ({"script": "scripts/train.py", "gpus": 2}, "gpus=2 but this server sees 0 GPU"),
        ({"script": "scripts/train.py", "backend": "slurm"}, "unknown backend"),
    ],
)
async def test_bad_launches_are_refused_before_anything_starts(api, scripts, body, message):
    code, error = await api.fail("POST", "jobs", body)
    assert code == 400
    assert error["code"] == "bad_request"
    assert re.search(message, error["message"]), error["message"]
    assert (await api.ok("GET", "jobs"))["items"] == []


async def test_a_notebook_job_and_bad_queries(api, scripts):
    code, error = await api.fail("GET", "jobs/abcdef123456")
    assert (code, error["code"]) == (404, "not_found")
    assert (await api.fail("POST", "jobs/abcdef123456/cancel"))[0] == 404
    assert (await api.fail("GET", "jobs", params={"status": "done"}))[0] == 400
    job = await launch(api, notebook="scripts/explore.ipynb", nproc=1)
    assert (await wait(api, job["id"]))["status"] == "succeeded"
    assert "from the notebook 42" in await follow(api, job["id"])
    code, error = await api.fail("GET", f"jobs/{job['id']}/logs", params={"rank": 3})
    assert (code, error["message"]) == (400, f"rank must be between 0 and 0 for job {job['id']}")
    assert (await api.fail("GET", f"jobs/{job['id']}/logs", params={"offset": "x"}))[0] == 400


async def test_backends_are_listed_for_the_launch_form(api):
    body = await api.ok("GET", "jobs/backends")
    validate(body, "Backends")
    names = [b["name"] for b in body["backends"]]
    assert "local" in names
    assert all(b["description"] for b in body["backends"])
