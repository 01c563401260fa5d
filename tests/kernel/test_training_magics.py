"""The job magics in an IPython shell: ``%%dl_train``, ``%dl_train``, ``%dl_jobs``,
``%dl_logs`` and ``%dl_cancel``."""

import time

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.paths import ARTIFACTS_ENV, JOBS_ENV


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv(JOBS_ENV, str(tmp_path / "jobs"))
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path / "artifacts"))
    monkeypatch.chdir(tmp_path)
    api._training = None
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_dl")
    yield ip
    for job in dl.jobs(status="active"):
        dl.job(job["id"]).cancel()
    ip.run_line_magic("unload_ext", "jupyter_dl")
    InteractiveShell.clear_instance()
    api._training = None


def run(shell, code):
    result = shell.run_cell(code)
    result.raise_error()
    return result.result


CELL = """\
import os
print("scaling", flush=True)
value = scale(m.floor(2.7))
if value < 0:
    print(lock)  # never runs: the lock cannot travel, and is not needed
value + int(os.environ["RANK"]) * 100
"""


def test_a_cell_runs_as_a_job_with_the_notebook_values_it_reads(shell):
    run(
        shell,
        "import math as m\nimport threading\nfactor = 3\nlock = threading.Lock()\n"
        "def scale(x):\n    return x * factor\nunused = [1] * 10\n",
    )
    started = time.monotonic()
    with capture_output() as captured:
        job = shell.run_cell_magic("dl_train", "--nproc 2 --name cell-job --steps 3", CELL)
    assert time.monotonic() - started < 10  # the kernel is free while the job runs
    assert "lock is not sent to the job: lock cannot be pickled" in captured.stderr
    assert any("VBox" in o.data.get("text/plain", "") for o in captured.outputs)
    assert isinstance(job, dl.Job)
    assert job.name == "cell-job"
    assert job.result(timeout=90) == 6
    assert set(job.service.get_job(job.id)["command"]) == {"%%dl_train cell (6 lines)"}

    view = job.widget(total_steps=3)  # the live view, drawn again for a job that ended
    deadline = time.monotonic() + 30
    while view.updating:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "succeeded" in view.header.value
    assert "2 processes" in view.header.value
    assert "[rank 1] scaling" in view.output.value
    assert view.progress.bar_style == "success"


def test_a_failing_cell_shows_its_line(shell):
    cell = "x = 1\nraise KeyError('no such column')\n"
    job = shell.run_cell_magic("dl_train", "--nproc 1 --quiet", cell)
    with pytest.raises(dl.JobFailed) as e:
        job.result(timeout=90)
    assert "raise KeyError('no such column')" in str(e.value)
    assert '<dl_train cell>", line 2' in str(e.value)


def test_ipython_syntax_in_the_cell_is_refused_before_anything_starts(shell):
    with pytest.raises(UsageError, match="plain Python"):
        shell.run_cell_magic("dl_train", "--nproc 1", "!nvidia-smi\nx = 1\n")
    with pytest.raises(UsageError, match="runs the cell"):
        shell.run_cell_magic("dl_train", "train.py", "x = 1\n")
    with pytest.raises(ValueError, match="nproc must be"):
        shell.run_cell_magic("dl_train", "--nproc 0", "x = 1\n")
    assert dl.jobs() == []


def test_a_script_with_arguments_and_the_job_magics(shell, tmp_path):
    (tmp_path / "train.py").write_text("import sys\nprint('script args', sys.argv[1:])\n")
    job = shell.run_line_magic("dl_train", "train.py --nproc 1 --quiet -- --epochs 2")
    assert job.wait(timeout=90) == "succeeded"
    with capture_output() as captured:
        shell.run_line_magic("dl_logs", job.id)
    assert captured.stdout == "script args ['--epochs', '2']\n"
    with capture_output() as captured:
        shell.run_line_magic("dl_jobs", "")
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert job.id in html
    assert "succeeded" in html

    sleeper = shell.run_cell_magic(
        "dl_train", "--nproc 1 --quiet", "import time\nprint('up', flush=True)\ntime.sleep(600)\n"
    )
    deadline = time.monotonic() + 60
    while "up" not in sleeper.logs():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with capture_output() as captured:
        shell.run_line_magic("dl_cancel", sleeper.id)
    assert captured.stdout.strip() == f"job cell ({sleeper.id}): cancelled"
