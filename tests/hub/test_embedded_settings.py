"""The embedded hub's decisions, checked on the configuration it produces (no processes)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_dl_hub.auth import DemoAuthenticator
from jupyter_dl_hub.embedded import PASSWORD_ENV, EmbeddedHub, EmbeddedHubError
from jupyter_dl_hub.launcher import find_config_file
from jupyter_dl_hub.spawner import (
    KERNEL_STARTUP_FILE,
    KERNEL_STARTUP_SOURCE,
    EmbeddedSpawner,
    prepend_path,
    write_kernel_startup,
)

PASSWORD = "p" * 40


def embedded(tmp_path: Path, **traits: Any) -> EmbeddedHub:
    """An EmbeddedHub in a temporary state dir, needing no proxy installed."""
    traits.setdefault("proxy_command", ["configurable-http-proxy"])
    return EmbeddedHub(state_dir=str(tmp_path / "state"), **traits)


def applied(hub: EmbeddedHub) -> Config:
    c = Config()
    hub.apply(c)
    return c


@pytest.mark.parametrize("ip", ["0.0.0.0", "", "::", "192.0.2.10", "hub.example.org"])
def test_passwordless_hub_reachable_by_others_is_refused(tmp_path: Path, ip: str) -> None:
    hub = embedded(tmp_path, ip=ip, demo_password="")
    with pytest.raises(EmbeddedHubError, match="Refusing to start") as refused:
        applied(hub)
    assert PASSWORD_ENV in str(refused.value)
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "localhost"])
def test_passwordless_demo_login_is_allowed_on_loopback(tmp_path: Path, ip: str) -> None:
    c = applied(embedded(tmp_path, ip=ip, demo_password=""))
    assert c.DemoAuthenticator.passwordless_user == "demo"
    assert "admin_password" not in c.DemoAuthenticator


def test_short_demo_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedHubError, match="at least 32"):
        applied(embedded(tmp_path, demo_password="hunter22"))


def test_generated_demo_password_is_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    first = embedded(tmp_path)
    password = first.demo_password
    assert len(password) >= 32
    assert stat.S_IMODE(os.stat(first.demo_password_file).st_mode) == 0o600
    assert embedded(tmp_path).demo_password == password
    assert password in first.login_instructions()


def test_demo_password_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    hub = embedded(tmp_path)
    assert applied(hub).DemoAuthenticator.admin_password == PASSWORD
    assert not hub.demo_password_file.exists()
    assert PASSWORD not in hub.login_instructions()


def test_all_state_lives_under_the_state_dir(tmp_path: Path) -> None:
    hub = embedded(tmp_path, port=9000, demo_password=PASSWORD)
    c = applied(hub)
    state = str(tmp_path / "state")
    assert c.JupyterHub.db_url == f"sqlite:///{state}/jupyterhub.sqlite"
    for path in (
        c.JupyterHub.cookie_secret_file,
        c.JupyterHub.pid_file,
        c.ConfigurableHTTPProxy.pid_file,
        c.EmbeddedSpawner.home_dir_template,
    ):
        assert path.startswith(state + os.sep), path
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    # The same proxy token across restarts, so a restarted hub finds its proxy.
    assert applied(hub).ConfigurableHTTPProxy.auth_token == c.ConfigurableHTTPProxy.auth_token


def test_only_the_public_address_leaves_loopback(tmp_path: Path) -> None:
    c = applied(embedded(tmp_path, ip="0.0.0.0", port=9000, demo_password=PASSWORD))
    assert (c.JupyterHub.ip, c.JupyterHub.port) == ("0.0.0.0", 9000)
    assert (c.JupyterHub.hub_ip, c.JupyterHub.hub_port) == ("127.0.0.1", 9002)
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:9001"


def test_admin_token_belongs_to_an_admin_service(tmp_path: Path) -> None:
    c = applied(embedded(tmp_path, demo_password=PASSWORD, admin_api_token="t" * 64))
    services = c.JupyterHub.services.get_value([])
    roles = c.JupyterHub.load_roles.get_value([])
    assert {"name": "jupyter-dl-admin", "api_token": "t" * 64} in services
    assert {"name": "admin", "services": ["jupyter-dl-admin"]} in roles


def test_no_admin_token_declares_no_admin_service(tmp_path: Path) -> None:
    c = applied(embedded(tmp_path, demo_password=PASSWORD, admin_api_token=""))
    services = c.JupyterHub.services.get_value([])
    # The quota service and the idle culler only.
    assert [service["name"] for service in services] == [
        "jupyter-dl-quotas",
        "jupyterhub-idle-culler",
    ]


def culler(c: Config) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The culler's service and role in an applied configuration (None when absent)."""
    services = c.JupyterHub.services.get_value([])
    roles = c.JupyterHub.load_roles.get_value([])
    service = next((s for s in services if s["name"] == "jupyterhub-idle-culler"), None)
    role = next((r for r in roles if r["name"] == "jupyterhub-idle-culler"), None)
    return service, role


def test_idle_servers_are_culled_after_an_hour_by_default(tmp_path: Path) -> None:
    c = applied(embedded(tmp_path, demo_password=PASSWORD))
    service, role = culler(c)
    assert service is not None
    assert service["command"][1:] == [
        "-m",
        "jupyterhub_idle_culler",
        "--timeout=3600",
        "--cull-every=300",
    ]
    assert role == {
        "name": "jupyterhub-idle-culler",
        "description": role["description"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler"],
    }
    # Servers report their activity at JupyterHub's usual pace, well within the hour.
    assert c.EmbeddedSpawner.environment.get_value({}) == {"JUPYTERHUB_ACTIVITY_INTERVAL": "300"}


def test_a_short_cull_timeout_makes_servers_report_activity_sooner(tmp_path: Path) -> None:
    c = applied(
        embedded(tmp_path, demo_password=PASSWORD, cull_idle_timeout=600, cull_max_age=86400)
    )
    service, _ = culler(c)
    assert service is not None
    assert service["command"][3:] == ["--timeout=600", "--cull-every=300", "--max-age=86400"]
    assert c.EmbeddedSpawner.environment.get_value({}) == {"JUPYTERHUB_ACTIVITY_INTERVAL": "150"}


def test_the_admins_activity_interval_is_kept(tmp_path: Path) -> None:
    c = Config()
    c.EmbeddedSpawner.environment = {"JUPYTERHUB_ACTIVITY_INTERVAL": "30", "LANG": "C.UTF-8"}
    embedded(tmp_path, config=c, demo_password=PASSWORD, cull_idle_timeout=60).apply(c)
    assert c.EmbeddedSpawner.environment == {
        "JUPYTERHUB_ACTIVITY_INTERVAL": "30",
        "LANG": "C.UTF-8",
    }


def test_no_culler_when_culling_is_off(tmp_path: Path) -> None:
    c = applied(embedded(tmp_path, demo_password=PASSWORD, cull_idle_timeout=0))
    assert culler(c) == (None, None)
    assert "environment" not in c.EmbeddedSpawner


@pytest.mark.parametrize("name", ["cull_idle_timeout", "cull_every", "cull_max_age"])
def test_negative_cull_settings_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(EmbeddedHubError, match=f"c.EmbeddedHub.{name} is -1"):
        applied(embedded(tmp_path, demo_password=PASSWORD, **{name: -1}))


def test_passwordless_login_is_for_the_demo_user_only() -> None:
    authenticator = DemoAuthenticator(passwordless_user="demo")

    def login(username: str) -> Any:
        return asyncio.run(authenticator.authenticate(None, {"username": username, "password": ""}))

    assert login("demo") == {"name": "demo", "admin": True, "groups": []}
    assert login("mallory") is None


def test_kernel_startup_file_loads_the_extension_when_installed(tmp_path: Path) -> None:
    path = write_kernel_startup(tmp_path)
    assert path == tmp_path / KERNEL_STARTUP_FILE
    loaded: list[str] = []

    class Extensions:
        def load_extension(self, name: str) -> None:
            loaded.append(name)

    class Shell:
        extension_manager = Extensions()

    exec(path.read_text(), {"get_ipython": Shell})
    assert loaded == ["jupyter_dl_kernel"]


@pytest.mark.parametrize(("missing", "raises"), [("jupyter_dl_kernel", False), ("torch", True)])
def test_kernel_startup_file_is_quiet_only_when_the_extension_is_missing(
    missing: str, raises: bool
) -> None:
    class Extensions:
        def load_extension(self, name: str) -> None:
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    class Shell:
        extension_manager = Extensions()

    if raises:
        with pytest.raises(ModuleNotFoundError):
            exec(KERNEL_STARTUP_SOURCE, {"get_ipython": Shell})
    else:
        exec(KERNEL_STARTUP_SOURCE, {"get_ipython": Shell})


def test_spawner_runs_the_hubs_python_and_lands_in_jupyterlab(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spawner = EmbeddedSpawner()
    assert spawner.cmd[1:] == ["-m", "jupyterhub.singleuser"]
    assert spawner.default_url == "/lab"
    assert "JUPYTER_DL_DB_URL" in spawner.env_keep
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--allow-root" not in spawner.get_args()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert spawner.get_args().count("--allow-root") == 1


def test_prepend_path_puts_the_directory_first_once() -> None:
    joined = os.pathsep.join
    assert prepend_path("/venv/bin", joined(["/usr/bin", "/venv/bin", ""])) == joined(
        ["/venv/bin", "/usr/bin"]
    )


def test_config_file_is_found_in_the_checkout() -> None:
    assert find_config_file() == Path(__file__).parents[2] / "hub_config" / "jupyterhub_config.py"
