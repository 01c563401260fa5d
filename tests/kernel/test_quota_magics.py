"""``%dl_quota`` in an IPython shell, against a stand-in quota service on loopback.

The real service behind a real hub is exercised in tests/hub/test_hub_quotas.py;
here the magic's own behaviour: what it shows, what it returns, what it says
when there is no hub or the service refuses.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

TOKEN = "server-token"

STATUS = {
    "user": "ana",
    "groups": ["ml-team"],
    "limits": {
        "max_gpus": 2,
        "gpu_hours": 10,
        "period_days": 7,
        "max_servers": "unlimited",
        "allowed_profiles": ["cpu", "1-gpu"],
        "sources": {
            "max_gpus": "group ml-team",
            "gpu_hours": "group ml-team",
            "max_servers": "default",
            "allowed_profiles": "user ana",
        },
    },
    "usage": {"servers": 1, "gpus": 1, "gpu_hours": 9.5},
    "budget": {
        "state": "warning",
        "used_hours": 9.5,
        "limit_hours": 10,
        "period_days": 7,
        "fraction": 0.95,
        "source": "group ml-team",
    },
    "when_exhausted": "stop",
    "notices": [
        {"kind": "warning", "message": "You have used 9.5 of your 10 GPU-hours.", "created_at": 0}
    ],
}


class StandIn(BaseHTTPRequestHandler):
    """Answers ``GET .../api/me`` for the right token, 403 in the service's form otherwise."""

    def do_GET(self) -> None:
        if self.path.endswith("/api/me") and self.headers["Authorization"] == f"token {TOKEN}":
            status, body = 200, STATUS
        else:
            status, body = 403, {"error": {"code": "forbidden", "message": "not for this token"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "JUPYTER_DL_QUOTAS_URL", f"http://127.0.0.1:{server.server_port}/services/q/"
    )
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    yield server
    server.shutdown()


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_dl")
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_dl")
    InteractiveShell.clear_instance()


def test_shows_the_users_quota_and_its_warning(service, shell):
    with capture_output() as shown:
        assert shell.run_line_magic("dl_quota", "") is None
    html = shown.outputs[0].data["text/html"]
    assert "GPU-hours: 9.50</b> of 10 in the last 7 days" in html
    assert "(warning)" in html
    assert "group ml-team" in html
    assert "You have used 9.5 of your 10 GPU-hours." in html
    text = shown.outputs[0].data["text/plain"]
    assert text.startswith("GPU-hours: 9.50 of 10 in the last 7 days (warning)")


def test_json_returns_the_quota(service, shell):
    assert shell.run_line_magic("dl_quota", "--json") == STATUS


def test_a_refusal_is_reported_in_the_services_words(service, shell, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "another")
    with pytest.raises(UsageError, match="not for this token"):
        shell.run_line_magic("dl_quota", "")


def test_outside_a_hub_it_says_why(shell, monkeypatch):
    monkeypatch.delenv("JUPYTER_DL_QUOTAS_URL", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(UsageError, match="needs a server started by the jupyter-dl hub"):
        shell.run_line_magic("dl_quota", "")
