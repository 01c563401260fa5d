"""hub_config/z2jh/values.yaml: valid for the jupyterhub chart, in step with the declared
profiles, and rendering to pods the Kubernetes API accepts (offline, no helm, no cluster)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kubespawner import KubeSpawner
from traitlets.config import Config

from jupyter_dl_hub.profiles import (
    GPU_RESOURCE,
    ProfileError,
    ServerProfiles,
    main,
)

from .kubespawner_offline import notebook_container, pod_manifest, validate

ROOT = Path(__file__).resolve().parents[2]
VALUES_FILE = ROOT / "hub_config" / "z2jh" / "values.yaml"
SCHEMA_FILE = Path(__file__).with_name("z2jh_values_schema.yaml")


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES_FILE.read_text())
    return loaded


def chart_config(values: dict[str, Any]) -> Config:
    """What the chart's hub configuration sets from the values this file uses.

    The chart's jupyterhub_config.py maps singleuser.image to KubeSpawner.image,
    singleuser.profileList to KubeSpawner.profile_list, singleuser.extraEnv to
    KubeSpawner.environment and hub.services / hub.loadRoles to JupyterHub's
    lists, then runs each hub.extraConfig entry with ``c`` in scope.
    """
    singleuser = copy.deepcopy(values["singleuser"])
    c = Config()
    c.KubeSpawner.image = f"{singleuser['image']['name']}:{singleuser['image']['tag']}"
    c.KubeSpawner.profile_list = singleuser["profileList"]
    c.KubeSpawner.environment = singleuser["extraEnv"]
    c.Spawner.default_url = singleuser["defaultUrl"]
    c.JupyterHub.services = [
        {"name": name, **service, "api_token": "from-the-hub-secret"}
        for name, service in values["hub"]["services"].items()
    ]
    c.JupyterHub.load_roles = [
        {"name": name, **role} for name, role in values["hub"]["loadRoles"].items()
    ]
    for name, source in sorted(values["hub"]["extraConfig"].items()):
        exec(compile(source, f"hub.extraConfig.{name}", "exec"), {"c": c})
    return c


def test_values_match_the_charts_schema(values: dict[str, Any]) -> None:
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(values)
    ]
    assert errors == []


def test_schema_refuses_a_misplaced_key(values: dict[str, Any]) -> None:
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    misplaced = copy.deepcopy(values)
    misplaced["singleuser"]["profile_list"] = misplaced["singleuser"].pop("profileList")
    with pytest.raises(jsonschema.ValidationError, match="profile_list"):
        jsonschema.validate(misplaced, schema)


def test_profile_list_is_the_declared_profiles(values: dict[str, Any]) -> None:
    assert values["singleuser"]["profileList"] == ServerProfiles().kubespawner_profile_list()


def test_profiles_command_prints_the_values_to_paste(
    values: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--z2jh"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == {"singleuser": {"profileList": values["singleuser"]["profileList"]}}


def test_profiles_command_reads_a_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "profiles_config.py"
    config_file.write_text(
        "c.ServerProfiles.profiles = [{'display_name': 'Big GPU', 'gpus': 2,"
        " 'gpu_type': 'nvidia-h100-80gb'}]\n"
        "c.ServerProfiles.gpu_type_label = 'cloud.google.com/gke-accelerator'\n"
    )
    assert main(["--z2jh", "--config", str(config_file)]) == 0
    (entry,) = yaml.safe_load(capsys.readouterr().out)["singleuser"]["profileList"]
    assert entry["slug"] == "big-gpu"
    assert entry["default"] is True
    assert entry["kubespawner_override"]["node_selector"] == {
        "cloud.google.com/gke-accelerator": "nvidia-h100-80gb"
    }


def test_profiles_command_names_a_bad_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "profiles_config.py"
    config_file.write_text("c.ServerProfiles.profiles = [{'display_name': 'GPU', 'gpus': 'two'}]\n")
    assert main(["--z2jh", "--config", str(config_file)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Profile 'GPU': gpus must be a whole number" in captured.err


def test_services_and_roles_reach_jupyterhub(values: dict[str, Any]) -> None:
    c = chart_config(values)
    (service,) = c.JupyterHub.services
    assert service["name"] == "jupyter-dl"
    assert service["url"].startswith("http://")
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert "access:services!service=jupyter-dl" in roles["user"]["scopes"]
    assert roles["jupyter-dl"]["services"] == ["jupyter-dl"]


def test_extra_config_stops_the_hub_on_a_misspelt_override(values: dict[str, Any]) -> None:
    broken = copy.deepcopy(values)
    broken["singleuser"]["profileList"][1]["kubespawner_override"]["mem_limt"] = "64G"
    with pytest.raises(ProfileError, match=r"Profile '1 GPU'.*'mem_limt'"):
        chart_config(broken)


@pytest.mark.parametrize("slug", ["cpu", "1-gpu", "4-gpus"])
def test_values_render_a_valid_pod_for_every_profile(
    values: dict[str, Any], offline_kubeconfig: Path, slug: str
) -> None:
    pod = pod_manifest(chart_config(values), {"profile": slug})
    validate(pod)
    container = notebook_container(pod)
    image = values["singleuser"]["image"]
    assert container["image"] == f"{image['name']}:{image['tag']}"
    # The store's URL comes from a Secret, never from the values themselves.
    env = {var["name"]: var for var in container["env"]}
    assert env["JUPYTER_DL_DB_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "jupyter-dl-db",
        "key": "url",
    }
    gpus = container["resources"].get("limits", {}).get(GPU_RESOURCE)
    assert gpus == {"cpu": None, "1-gpu": "1", "4-gpus": "4"}[slug]


def test_chart_traits_used_by_the_profiles_exist() -> None:
    """Every key the profiles render to is a KubeSpawner setting of the installed version."""
    traits = set(KubeSpawner.class_trait_names())
    for entry in ServerProfiles().kubespawner_profile_list("image:tag"):
        assert set(entry["kubespawner_override"]) <= traits
