"""``dl.train``, ``dl.job`` and ``dl.jobs``: jobs as a notebook drives them."""

import time

import pytest

import jupyter_dl as dl

from .conftest import wait_for


def greet(who, punctuation="!"):
    import os

    print(f"hello {who}{punctuation}", flush=True)
    print(f"from rank {os.environ['RANK']}", flush=True)
    return f"{who}{punctuation}"


def fail_on_rank_1():
    import os

    if os.environ["RANK"] == "1":
        raise RuntimeError("rank 1 gives up")


def sleep_long():
    import time

    print("started", flush=True)
    time.sleep(600)


def test_train_follows_logs_and_returns_rank_0s_value(capsys):
    job = dl.train(greet, nproc=2, args=("world",), kwargs={"punctuation": "?"})
    assert isinstance(job, dl.Job)
    assert job.name == "greet"
    assert job.logs(follow=True, rank=0) is None  # prints until the job ends
    assert capsys.readouterr().out == "hello world?\nfrom rank 0\n"
    assert job.wait(timeout=90) == "succeeded"
    assert job.result() == "world?"
    logs = job.logs()
    assert "[rank 0] hello world?\n" in logs
    assert "[rank 1] from rank 1\n" in logs
    assert job.logs(rank=1) == "hello world?\nfrom rank 1\n"
    assert dl.job(job.id).result() == "world?"  # reattached from its id
    assert job.run == dl.job(job.id).run
    assert dl.jobs()[0]["id"] == job.id


def test_result_of_a_failed_job_raises_with_the_ranks_traceback():
    job = dl.train(fail_on_rank_1, nproc=2)
    with pytest.raises(dl.JobFailed, match="failed: rank 1 failed") as e:
        job.result(timeout=90)
    assert "RuntimeError: rank 1 gives up" in str(e.value)
    assert job.error.startswith("rank 1 failed")


def test_cancel_and_wait_timeout():
    job = dl.train(sleep_long, nproc=1, name="sleeper")
    wait_for(lambda: "started" in job.logs(), what="the job to start")
    with pytest.raises(TimeoutError, match="still running"):
        job.wait(timeout=0.1)
    started = time.monotonic()
    assert job.cancel() == "cancelled"
    assert time.monotonic() - started < 20
    with pytest.raises(dl.JobFailed, match="cancelled"):
        job.result()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"nproc": 0}, "nproc must be"),
        ({"gpus": 8}, "gpus=8 but this server sees 0 GPU"),
        ({"backend": "k8s"}, "unknown backend 'k8s'"),
    ],
)
def test_bad_arguments_are_value_errors_before_anything_starts(options, message):
    with pytest.raises(ValueError, match=message):
        dl.train(greet, args=("x",), **options)
    assert dl.jobs() == []


def test_what_cannot_be_shipped_is_refused():
    import threading

    lock = threading.Lock()
    with pytest.raises(TypeError, match="cannot send"):
        dl.train(greet, args=(lock,))
    with pytest.raises(TypeError, match="a function or a script path"):
        dl.train(42)
    assert dl.jobs() == []
