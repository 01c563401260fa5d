"""hub_config/z2jh/values.yaml: valid for the jupyterhub chart, in step with the declared
profiles, running the quota and platform services with the permissions they need, and
rendering to pods the Kubernetes API accepts (offline, no helm, no cluster)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml
from kubespawner import KubeSpawner
from traitlets.config import Config

from jupyter_dl_hub.kubespawner import KubernetesHubError, QuotaKubeSpawner
from jupyter_dl_hub.profiles import (
    GPU_RESOURCE,
    ProfileError,
    ServerProfiles,
    main,
)
from jupyter_dl_hub.quotas.settings import ADMIN_ROLE, ADMIN_SCOPE
from jupyter_dl_hub.services import PLATFORM_SCOPES, QUOTA_SERVICE_SCOPES, SERVER_TOKEN_SCOPES

from .kubespawner_offline import notebook_container, pod_manifest, validate

ROOT = Path(__file__).resolve().parents[2]
VALUES_FILE = ROOT / "hub_config" / "z2jh" / "values.yaml"
SCHEMA_FILE = Path(__file__).with_name("z2jh_values_schema.yaml")
QUOTAS = "jupyter-dl-quotas"
PLATFORM = "jupyter-dl-platform"


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES_FILE.read_text())
    return loaded


@pytest.fixture
def hub_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The hub pod's environment from hub.extraEnv, with each secretKeyRef resolved
    as Kubernetes does, here to a SQLite database of the test's own."""
    values = yaml.safe_load(VALUES_FILE.read_text())
    secrets = {("jupyter-dl-db", "url"): f"sqlite:///{tmp_path / 'team.sqlite'}"}
    env = {}
    for name, value in values["hub"]["extraEnv"].items():
        ref = value["valueFrom"]["secretKeyRef"]
        env[name] = secrets[(ref["name"], ref["key"])]
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("JUPYTER_DL_TEAM_DATA_DIR", str(tmp_path / "team"))
    return env


def chart_config(values: dict[str, Any]) -> Config:
    """What the chart's hub configuration sets from the values this file uses.

    The chart's jupyterhub_config.py maps singleuser.image to KubeSpawner.image,
    singleuser.profileList to KubeSpawner.profile_list, singleuser.extraEnv to
    KubeSpawner.environment, hub.services / hub.loadRoles to JupyterHub's lists and
    hub.config to its sections, then runs each hub.extraConfig entry with ``c`` and
    its helpers (``get_name``: the chart's names of its objects) in scope.
    """
    singleuser = copy.deepcopy(values["singleuser"])
    hub = copy.deepcopy(values["hub"])
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.image = f"{singleuser['image']['name']}:{singleuser['image']['tag']}"
    c.KubeSpawner.profile_list = singleuser["profileList"]
    c.KubeSpawner.environment = singleuser.get("extraEnv", {})
    c.Spawner.default_url = singleuser["defaultUrl"]
    c.JupyterHub.services = [
        {"name": name, **service, "api_token": "from-the-hub-secret"}
        for name, service in hub.get("services", {}).items()
    ]
    c.JupyterHub.load_roles = [
        {"name": name, **role} for name, role in hub.get("loadRoles", {}).items()
    ]
    for section, settings in hub.get("config", {}).items():
        c[section].update(settings)
    scope = {"c": c, "get_name": lambda name: name}
    for name, source in sorted(hub["extraConfig"].items()):
        exec(compile(source, f"hub.extraConfig.{name}", "exec"), scope)
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


def test_hub_runs_the_quota_and_platform_services(
    values: dict[str, Any], hub_env: dict[str, str]
) -> None:
    c = chart_config(values)
    assert c.JupyterHub.spawner_class is QuotaKubeSpawner
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert sorted(services) == [PLATFORM, QUOTAS]
    quotas, platform = services[QUOTAS], services[PLATFORM]
    # Hub-managed: started in the hub's pod, reached through the hub's Service.
    assert quotas["command"][1:] == ["-m", "jupyter_dl_hub.quotas"]
    assert platform["command"][1:3] == ["-m", "jupyter_dl_hub.platform"]
    assert quotas["url"] == "http://hub:10101"
    assert platform["url"] == "http://hub:10102"
    # Both listen on the pod's addresses, since their URLs name the Service.
    assert quotas["environment"]["JUPYTER_DL_QUOTAS_IP"] == "0.0.0.0"
    assert "--ServerApp.ip=0.0.0.0" in platform["command"]
    # Their databases come from the Secret, through the hub's environment.
    settings = json.loads(quotas["environment"]["JUPYTER_DL_QUOTAS_SETTINGS"])
    assert settings["db_url"] == hub_env["JUPYTER_DL_QUOTAS_DB_URL"]
    assert [slug for slug, _ in settings["profiles"]] == ["cpu", "1-gpu", "4-gpus"]
    assert platform["environment"]["JUPYTER_DL_DB_URL"] == hub_env["JUPYTER_DL_TEAM_DB_URL"]


def test_services_ports_are_open_to_the_proxy_and_user_pods(
    values: dict[str, Any], hub_env: dict[str, str]
) -> None:
    c = chart_config(values)
    ports = {urlparse(service["url"]).port for service in c.JupyterHub.services}
    hub = values["hub"]
    assert {(p["port"], p["targetPort"]) for p in hub["service"]["extraPorts"]} == {
        (port, port) for port in ports
    }
    (ingress,) = hub["networkPolicy"]["ingress"]
    assert {p["port"] for p in ingress["ports"]} == ports
    assert ingress["from"] == [
        {"podSelector": {"matchLabels": {"hub.jupyter.org/network-access-hub": "true"}}}
    ]
    for egress in (values["singleuser"], values["proxy"]["chp"]):
        (rule,) = egress["networkPolicy"]["egress"]
        assert rule["to"] == [{"podSelector": {"matchLabels": {"component": "hub"}}}]
        assert {p["port"] for p in rule["ports"]} == ports


def test_roles_let_users_and_server_tokens_use_both_services(
    values: dict[str, Any], hub_env: dict[str, str]
) -> None:
    site = copy.deepcopy(values)
    site["hub"]["config"] = {"Authenticator": {"admin_users": ["ada"]}}
    c = chart_config(site)
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    access = [f"access:services!service={QUOTAS}", f"access:services!service={PLATFORM}"]
    assert roles["user"]["scopes"] == ["self", *access]
    assert c.QuotaKubeSpawner.server_token_scopes == [*SERVER_TOKEN_SCOPES, *access]
    assert roles[f"{QUOTAS}-service"]["scopes"] == QUOTA_SERVICE_SCOPES
    assert roles[f"{QUOTAS}-service"]["services"] == [QUOTAS]
    assert roles[f"{PLATFORM}-service"]["scopes"] == PLATFORM_SCOPES
    assert roles[f"{PLATFORM}-service"]["services"] == [PLATFORM]
    # The hub's admins are the quota admins.
    assert roles[ADMIN_ROLE]["users"] == ["ada"]
    assert roles[ADMIN_ROLE]["scopes"] == [ADMIN_SCOPE, access[0]]
    assert ADMIN_SCOPE in c.JupyterHub.custom_scopes.get_value({})


def test_user_pods_get_the_services_urls_and_never_the_database(
    values: dict[str, Any], hub_env: dict[str, str]
) -> None:
    c = chart_config(values)
    assert c.KubeSpawner.environment == {
        "JUPYTER_DL_API_URL": f"http://hub:10102/services/{PLATFORM}/"
    }
    assert c.QuotaKubeSpawner.quota_service_url == f"http://hub:10101/services/{QUOTAS}/"
    assert "JUPYTER_DL_DB_URL" not in yaml.safe_dump(values["singleuser"])


def test_a_team_database_the_hub_cannot_open_stops_it(
    values: dict[str, Any], hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").touch()
    monkeypatch.setenv("JUPYTER_DL_TEAM_DB_URL", f"sqlite:///{tmp_path / 'a-file' / 'db.sqlite'}")
    with pytest.raises(KubernetesHubError, match=r"Set \$JUPYTER_DL_TEAM_DB_URL"):
        chart_config(values)


def test_extra_config_stops_the_hub_on_a_misspelt_override(values: dict[str, Any]) -> None:
    broken = copy.deepcopy(values)
    broken["singleuser"]["profileList"][1]["kubespawner_override"]["mem_limt"] = "64G"
    with pytest.raises(ProfileError, match=r"Profile '1 GPU'.*'mem_limt'"):
        chart_config(broken)


@pytest.mark.parametrize("slug", ["cpu", "1-gpu", "4-gpus"])
def test_values_render_a_valid_pod_for_every_profile(
    values: dict[str, Any], hub_env: dict[str, str], offline_kubeconfig: Path, slug: str
) -> None:
    pod = pod_manifest(chart_config(values), {"profile": slug})
    validate(pod)
    container = notebook_container(pod)
    image = values["singleuser"]["image"]
    assert container["image"] == f"{image['name']}:{image['tag']}"
    # The platform's URL, never the team database's.
    env = {var["name"]: var for var in container["env"]}
    assert env["JUPYTER_DL_API_URL"]["value"] == f"http://hub:10102/services/{PLATFORM}/"
    assert "JUPYTER_DL_DB_URL" not in env
    gpus = container["resources"].get("limits", {}).get(GPU_RESOURCE)
    assert gpus == {"cpu": None, "1-gpu": "1", "4-gpus": "4"}[slug]


def test_chart_traits_used_by_the_profiles_exist() -> None:
    """Every key the profiles render to is a KubeSpawner setting of the installed version."""
    traits = set(KubeSpawner.class_trait_names())
    for entry in ServerProfiles().kubespawner_profile_list("image:tag"):
        assert set(entry["kubespawner_override"]) <= traits
