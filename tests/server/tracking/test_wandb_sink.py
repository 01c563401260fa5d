"""Mirroring a run into Weights & Biases for teams that read their runs there."""

import sys
import threading
from types import SimpleNamespace

import pytest

from jupyter_dl.tracking.wandb_sink import WandbSink, artifact_name, artifact_type


class FakeWandb:
    """Records what the sink asks of wandb, the way a W&B run would receive it."""

    def __init__(self):
        self.init_kwargs = None
        self.run = SimpleNamespace(
            logged=[], summary={}, artifacts=[], exit_code=None, url="https://wandb.ai/t/p/runs/r1"
        )
        self.run.log = lambda data, step: self.run.logged.append((step, data))
        self.run.log_artifact = self.run.artifacts.append
        self.run.finish = lambda exit_code: setattr(self.run, "exit_code", exit_code)

    def init(self, **kwargs):
        self.init_kwargs = kwargs
        return self.run

    class Artifact:
        def __init__(self, name, type):
            self.name, self.type, self.files, self.dirs = name, type, [], []

        def add_file(self, path, name):
            self.files.append((path, name))

        def add_dir(self, path):
            self.dirs.append(path)


@pytest.fixture
def fake_wandb(monkeypatch):
    fake = FakeWandb()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    return fake


def sink(**overrides):
    kwargs = {
        "project": "mnist",
        "name": "baseline",
        "config": {"lr": 0.1},
        "tags": ["cnn"],
        "notes": "first try",
        "run_id": "r1",
    }
    return WandbSink(**{**kwargs, **overrides})


def test_w_and_b_run_has_the_platform_run_id_and_its_own_slot(fake_wandb):
    mirror = sink(entity="team")
    assert fake_wandb.init_kwargs == {
        "project": "mnist",
        "name": "baseline",
        "config": {"lr": 0.1},
        "tags": ["cnn"],
        "notes": "first try",
        "id": "r1",
        "reinit": "create_new",  # a user's own wandb run stays untouched
        "entity": "team",
    }
    assert mirror.url == "https://wandb.ai/t/p/runs/r1"


def test_metrics_are_logged_at_their_step_and_late_steps_skipped(fake_wandb):
    mirror = sink()
    mirror.log({"loss": 0.9}, step=0)
    mirror.log({"loss": 0.5, "acc": 0.8}, step=10)
    mirror.log({"val/loss": 0.6}, step=10)
    mirror.log({"loss": 0.7}, step=5)
    assert fake_wandb.run.logged == [
        (0, {"loss": 0.9}),
        (10, {"loss": 0.5, "acc": 0.8}),
        (10, {"val/loss": 0.6}),
    ]


def test_summary_and_finish(fake_wandb):
    mirror = sink()
    mirror.summary({"best_acc": 0.93})
    mirror.finish(exit_code=1)
    assert fake_wandb.run.summary == {"best_acc": 0.93}
    assert fake_wandb.run.exit_code == 1


def test_artifacts_get_names_w_and_b_accepts(fake_wandb, tmp_path):
    notebook = tmp_path / "train.ipynb"
    notebook.write_text("{}")
    mirror = sink()
    mirror.log_artifact(notebook, "code/train.ipynb")
    mirror.log_artifact(tmp_path, "checkpoints")
    first, second = fake_wandb.run.artifacts
    assert (first.name, first.type, first.files) == (
        "code-train.ipynb",
        "code",
        [(str(notebook), "train.ipynb")],
    )
    assert (second.name, second.type, second.dirs) == ("checkpoints", "file", [str(tmp_path)])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("environment/requirements.txt", "environment-requirements.txt"), ("a b:c", "a-b-c")],
)
def test_artifact_names(name, expected):
    assert artifact_name(name) == expected


def test_artifact_type_is_the_first_folder():
    assert artifact_type("environment/requirements.txt") == "environment"
    assert artifact_type("model.pt") == "file"


def test_missing_wandb_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(RuntimeError, match="pip install wandb"):
        sink()


@pytest.fixture
def offline_wandb(monkeypatch, tmp_path):
    pytest.importorskip("wandb")
    for variable in ("WANDB_DIR", "WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(variable, str(tmp_path))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def on_writer_thread(work):
    """Run ``work`` the way the run's background writer would, re-raising its error."""
    errors = []

    def target():
        try:
            work()
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_offline_run_is_written_for_a_later_sync(offline_wandb):
    (offline_wandb / "train.ipynb").write_text("{}")

    def mirror_a_run():
        mirror = sink(run_id="offline1")
        for step in range(3):
            mirror.log({"loss": 1 / (step + 1)}, step=step)
        mirror.summary({"best_loss": 1 / 3})
        mirror.log_artifact(offline_wandb / "train.ipynb", "code/train.ipynb")
        mirror.finish()

    on_writer_thread(mirror_a_run)
    (run_dir,) = (offline_wandb / "wandb").glob("offline-run-*-offline1")
    records = (run_dir / "run-offline1.wandb").read_bytes()
    for recorded in (b"mnist", b"baseline", b"loss", b"best_loss", b"code-train.ipynb"):
        assert recorded in records


def test_disabled_mode_mirrors_nothing_and_does_not_fail(offline_wandb, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    (offline_wandb / "model.pt").write_bytes(b"weights")

    def mirror_a_run():
        mirror = sink(run_id="disabled1")
        mirror.log({"loss": 1.0}, step=0)
        mirror.summary({"loss": 1.0})
        mirror.log_artifact(offline_wandb / "model.pt", "model.pt")
        mirror.finish()

    on_writer_thread(mirror_a_run)
    assert not list((offline_wandb / "wandb").glob("*run-*"))


def test_init_with_wandb_mirrors_the_run_offline(offline_wandb, service):
    import jupyter_dl as dl

    run = dl.init(
        project="mirror", config={"lr": 0.1}, wandb=True, system_metrics=None, capture_code=False
    )
    for step in range(5):
        dl.log({"loss": 1 / (step + 1)})
    run.summary["best"] = 0.2
    dl.finish()

    # wandb keeps the directory of its first run in this process: look beside this test's.
    files = list(offline_wandb.parent.glob(f"*/wandb/offline-run-*-{run.id}/run-{run.id}.wandb"))
    assert files, "no offline W&B run was written"
    records = b"".join(f.read_bytes() for f in files)
    for recorded in (b"mirror", b"loss", b"best"):
        assert recorded in records
    assert service.get_run(run.id)["status"] == "finished"
