"""``%dl_info`` and ``dl.info()`` in an IPython shell and in a real kernel."""

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_dl


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_dl")
    InteractiveShell.clear_instance()


def test_load_ext_registers_dl_info(shell):
    shell.run_line_magic("load_ext", "jupyter_dl")
    assert "dl_info" in shell.magics_manager.magics["line"]


def test_dl_info_displays_the_facts(shell, store_url):
    shell.run_line_magic("load_ext", "jupyter_dl")
    with capture_output() as captured:
        shell.run_line_magic("dl_info", "")
    (output,) = captured.outputs
    html = output.data["text/html"]
    assert jupyter_dl.__version__ in html
    assert store_url.removeprefix("sqlite:///") in html
    assert "No GPUs visible" in html or "GiB" in html
    assert jupyter_dl.__version__ in output.data["text/plain"]


def test_dl_info_json_equals_dl_info(shell):
    shell.run_line_magic("load_ext", "jupyter_dl")
    facts = shell.run_line_magic("dl_info", "--json")
    assert facts["store"]["id"] == jupyter_dl.info()["store"]["id"]
    assert facts["version"] == jupyter_dl.__version__


def test_unload_removes_the_magics(shell):
    shell.run_line_magic("load_ext", "jupyter_dl")
    shell.run_line_magic("unload_ext", "jupyter_dl")
    assert "dl_info" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "jupyter_dl")


def test_magics_in_a_real_kernel(store_url):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        outputs = _execute(kc, "%load_ext jupyter_dl\n%dl_info")
        html = next(o["data"]["text/html"] for o in outputs if o["msg_type"] == "display_data")
        assert jupyter_dl.__version__ in html
        outputs = _execute(
            kc, "import json, jupyter_dl as dl; print(json.dumps(dl.info()['store']))"
        )
        stream = "".join(o["text"] for o in outputs if o["msg_type"] == "stream")
        store = json.loads(stream)
        assert store["location"] == store_url.removeprefix("sqlite:///")
        assert store["id"] == jupyter_dl.info()["store"]["id"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute(kc, code):
    """Run ``code`` and return its iopub outputs, failing on an error."""
    outputs = []

    def on_output(msg):
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
            outputs.append({"msg_type": msg["msg_type"], **msg["content"]})

    reply = kc.execute_interactive(code, timeout=120, output_hook=on_output)
    errors = [o for o in outputs if o["msg_type"] == "error"]
    assert reply["content"]["status"] == "ok", errors
    return outputs
