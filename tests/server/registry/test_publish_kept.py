"""``dl.publish(run, name)``: publishing the model a run kept with ``dl.log_model``."""

import pytest
import torch

import jupyter_dl as dl

from .conftest import mlp

QUIET = {"capture_code": False, "system_metrics": None}


def test_a_runs_kept_model_is_published_with_the_runs_lineage(registry, example):
    model = mlp()
    with dl.init(project="shapes", name="trial-3", **QUIET) as run:
        dl.log({"loss": 0.25}, step=1)
        dl.log_model(model, example_input=example)
        run.writer.flush()

    version = dl.publish(run.id, "kept", description="the sweep's best")
    assert (version["model"], version["version"], version["aliases"]) == ("kept", 1, ["staging"])
    assert version["run_id"] == run.id
    assert version["metrics"] == {"loss": 0.25}
    assert version["description"] == "the sweep's best"
    batch = torch.randn(5, 4)
    assert torch.allclose(dl.load_model("kept@staging")(batch), model.eval()(batch), atol=1e-6)
    assert dl.publish(run, "kept", aliases=())["version"] == 2


def test_a_run_without_that_kept_model_publishes_nothing(registry, example):
    with dl.init(project="shapes", **QUIET) as run:
        dl.log_model(mlp(), example_input=example, name="first")
    with pytest.raises(ValueError, match="no model folder 'models/model'"):
        dl.publish(run.id, "kept")
    with pytest.raises(ValueError, match="neither run= nor example_input="):
        dl.publish(run.id, "kept", kept="first", example_input=example)
    with pytest.raises(ValueError, match="kept must name a model"):
        dl.publish(run.id, "kept", kept="../first")
    with pytest.raises(ValueError, match="no run"):
        dl.publish("0" * 32, "kept")
    assert dl.models() == []
    assert dl.publish(run.id, "kept", kept="first")["version"] == 1
