"""``%dl_publish``, ``%dl_models``, ``%dl_deploy`` and ``%dl_deployments`` in an IPython shell."""

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.paths import ARTIFACTS_ENV, JOBS_ENV, MODELS_ENV


@pytest.fixture
def shell(tmp_path, monkeypatch):
    for env, folder in [(JOBS_ENV, "jobs"), (ARTIFACTS_ENV, "artifacts"), (MODELS_ENV, "models")]:
        monkeypatch.setenv(env, str(tmp_path / folder))
    api._registry = api._training = api._deployments = None
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_dl")
    ip.run_cell(
        "import torch\ntorch.manual_seed(0)\n"
        "net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))\n"
        "batch = torch.randn(2, 4)\n"
    ).raise_error()
    yield ip
    for deployment in dl.deployments():
        api.deployment_service().stop(deployment["id"], grace=5)
    ip.run_line_magic("unload_ext", "jupyter_dl")
    InteractiveShell.clear_instance()
    api._registry = api._training = api._deployments = None


def test_publish_list_and_deploy_from_cells(shell):
    with capture_output() as shown:
        version = shell.run_line_magic(
            "dl_publish", "net classifier --example batch --alias production --description first"
        )
    assert (version["model"], version["version"], version["aliases"]) == (
        "classifier",
        1,
        ["production"],
    )
    html = shown.outputs[0].data["text/html"]
    assert "classifier v1" in html
    assert "input: FP32[-1, 4]" in html
    shell.run_line_magic("dl_publish", "net classifier --example batch[:1] --no-alias")
    with capture_output() as shown:
        shell.run_line_magic("dl_models", "")
    assert "production → v1" in shown.outputs[0].data["text/html"]

    with capture_output() as shown:
        deployment = shell.run_line_magic("dl_deploy", "classifier@production")
    assert f"serving classifier@production at {deployment.url}" in shown.stdout
    probabilities = deployment.predict(shell.user_ns["batch"])
    assert probabilities.shape == (2, 3)
    with capture_output() as shown:
        shell.run_line_magic("dl_deployments", "")
    assert deployment.id in shown.outputs[0].data["text/html"]
    assert deployment.stop() == "stopped"


def test_mistakes_say_what_to_do(shell):
    with pytest.raises(UsageError, match="'missing' is not a value in this notebook"):
        shell.run_line_magic("dl_publish", "missing classifier --example batch")
    with pytest.raises(ValueError, match=r"must be a torch\.nn\.Module, not int"):
        shell.run_line_magic("dl_publish", "3 classifier --example batch")
    with pytest.raises(ValueError, match="no model named 'classifier'"):
        shell.run_line_magic("dl_deploy", "classifier")
    with capture_output() as shown:
        shell.run_line_magic("dl_models", "")
    assert shown.stdout.startswith("no models yet")
