"""Publishing, versions, aliases and lineage, through ``dl.publish`` and the service."""

import pytest
import torch

import jupyter_dl as dl
from jupyter_dl.errors import BadRequest, Conflict, NotFound
from jupyter_dl.registry import package
from jupyter_dl.registry.service import parse_ref

from .conftest import mlp


def publish(model, name="mlp", example=None, **kwargs):
    example = example if example is not None else torch.randn(3, 4)
    return dl.publish(model, name, example_input=example, **kwargs)


def test_publish_stores_a_package_that_loads_without_the_models_code(registry, example):
    model = mlp()
    version = publish(model, example=example, description="first")
    assert (version["model"], version["version"], version["aliases"]) == ("mlp", 1, ["staging"])
    assert version["program_format"] == "torch.export"
    assert version["weights_format"] == "safetensors"
    assert version["signature"] == {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [{"name": "output0", "datatype": "FP32", "shape": [-1, 2]}],
    }
    names = {f["name"] for f in version["files"]}
    assert names == {"program.pt2", "weights.safetensors", "example.safetensors", "signature.json"}
    assert version["size"] == sum(f["size"] for f in version["files"])
    loaded = dl.load_model("mlp")
    batch = torch.randn(5, 4)  # another batch size than the example's
    assert torch.allclose(loaded(batch), model.eval()(batch), atol=1e-6)
    weights = dl.load_model("mlp@staging", weights=True)
    fresh = mlp(seed=7)
    fresh.load_state_dict(weights)
    assert torch.allclose(fresh(batch), model(batch), atol=1e-6)
    assert not (registry.models_dir / ".staging").exists() or not any(
        (registry.models_dir / ".staging").iterdir()
    )


def test_versions_count_up_and_aliases_move_with_their_history(registry):
    publish(mlp(0))
    publish(mlp(1), aliases=["staging", "production"])
    third = publish(mlp(2), aliases=())
    assert (third["version"], third["aliases"]) == (3, [])
    model = registry.get_model("mlp")
    assert (model["versions"], model["latest_version"]) == (3, 3)
    assert {a["alias"]: a["version"] for a in model["aliases"]} == {"production": 2, "staging": 2}
    registry.set_alias("mlp", "production", 3, user="ana")
    assert registry.resolve("mlp@production")["version"] == 3
    assert registry.resolve("mlp:1")["version"] == 1
    assert registry.resolve("mlp")["version"] == 3
    history = registry.alias_history("mlp").items
    moves = [(e["alias"], e["version"], e["previous"]) for e in history]
    assert moves == [
        ("production", 3, 2),  # newest first
        ("production", 2, None),
        ("staging", 2, 1),
        ("staging", 1, None),
    ]
    assert history[0]["by"] == "ana"
    assert [v["version"] for v in registry.list_versions("mlp").items] == [3, 2, 1]
    registry.delete_alias("mlp", "staging", user="ana")
    with pytest.raises(NotFound, match="no alias 'staging'"):
        registry.resolve("mlp@staging")
    assert registry.alias_history("mlp").items[0]["version"] is None


def test_a_version_in_use_cannot_be_deleted(registry):
    publish(mlp(0))
    publish(mlp(1), aliases=["production"])
    with pytest.raises(Conflict, match="version 1 of 'mlp' is 'staging'"):
        registry.delete_version("mlp", 1)
    registry.set_alias("mlp", "staging", 2)
    path = registry.package_dir(registry.find("mlp", version=1))
    registry.delete_version("mlp", 1)
    assert not path.exists()
    with pytest.raises(NotFound):
        registry.find("mlp", version=1)
    assert publish(mlp(2), aliases=())["version"] == 3  # numbers are never reused
    with pytest.raises(Conflict, match="still has 2 version"):
        registry.delete_model("mlp")


def test_lineage_and_metrics_come_from_the_run(registry):
    with dl.init(project="mnist", name="baseline", config={"lr": 0.1}) as run:
        dl.log({"accuracy": 0.91, "loss": 0.3}, step=1)
        run.writer.flush()
        version = publish(mlp())
    assert version["run_id"] == run.id
    assert version["metrics"] == {"accuracy": 0.91, "loss": 0.3}
    assert version["lineage"]["run"] == {"id": run.id, "name": "baseline", "project": "mnist"}
    assert version["lineage"]["datasets"] == []
    assert publish(mlp(), run=run.id)["run_id"] == run.id


class Tupled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)

    def forward(self, x, scale):
        y = self.linear(x) * scale
        return y, y.argmax(dim=1)


def test_several_inputs_and_outputs_are_named_in_the_signature(registry):
    version = dl.publish(
        Tupled(), "tupled", example_input=(torch.randn(2, 4), torch.ones(2, 1)), aliases=()
    )
    assert [(t["name"], t["datatype"]) for t in version["signature"]["inputs"]] == [
        ("x", "FP32"),
        ("scale", "FP32"),
    ]
    assert [(t["name"], t["datatype"]) for t in version["signature"]["outputs"]] == [
        ("output0", "FP32"),
        ("output1", "INT64"),
    ]
    loaded = dl.load_model("tupled")
    y, label = loaded(torch.randn(6, 4), torch.full((6, 1), 2.0))
    assert (y.shape, label.dtype) == ((6, 3), torch.int64)


class Noisy(torch.nn.Module):
    """Gives another answer each call: its stored copy cannot reproduce the example."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.linear(x) + torch.rand(x.shape[0], 2)


@pytest.mark.parametrize(
    ("model", "example", "message"),
    [
        ("not a model", torch.randn(2, 4), "must be a torch.nn.Module, not str"),
        (mlp(), None, "needs example_input="),
        (mlp(), "text", "example_input must be a tensor"),
        (mlp(), torch.tensor(1.0), "needs a batch dimension"),
        (Noisy(), torch.randn(2, 4), "does not reproduce output 0"),
    ],
)
def test_bad_publishes_register_nothing(registry, model, example, message):
    with pytest.raises(ValueError, match=message):
        dl.publish(model, "bad", example_input=example)
    with pytest.raises(NotFound):
        registry.get_model("bad")
    staging = registry.models_dir / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


def test_bad_names_and_references_are_refused(registry):
    with pytest.raises(ValueError, match="a model name is"):
        publish(mlp(), name="../etc")
    with pytest.raises(ValueError, match="an alias is a lower-case name"):
        publish(mlp(), aliases=["Prod!"])
    with pytest.raises(ValueError, match="no model named 'nothing'"):
        dl.load_model("nothing")
    publish(mlp())
    with pytest.raises(ValueError, match="has no version 9"):
        dl.load_model("mlp:9")
    with pytest.raises(BadRequest, match="must be a number"):
        parse_ref("mlp:one")
    assert parse_ref("mlp@latest") == ("mlp", None, "latest")
    assert parse_ref("a.b-c@7") == ("a.b-c", 7, None)
    with pytest.raises(BadRequest, match="other than 'latest'"):
        registry.set_alias("mlp", "latest", 1)


def test_a_model_that_cannot_be_exported_falls_back_to_torchscript(tmp_path):
    class DataDependent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 2)

        def forward(self, x):
            y = self.linear(x)
            if y.sum() > 1e9:  # a Python branch on a value: export refuses it
                return -y
            return y

    with pytest.warns(UserWarning, match="published as a TorchScript trace"):
        built = package.build(DataDependent(), torch.randn(2, 4), tmp_path / "pkg")
    assert built.program_format == "torchscript"
    assert (tmp_path / "pkg" / "program.ts").is_file()
