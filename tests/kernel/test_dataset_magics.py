"""``%dl_dataset list|show|use|status`` in an IPython shell."""

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.paths import DATASET_REMOTE_ENV, DATASETS_ENV


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path / "repo"))
    monkeypatch.setenv(DATASET_REMOTE_ENV, str(tmp_path / "remote"))
    api._datasets = None
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_dl")
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_dl")
    InteractiveShell.clear_instance()
    api._datasets = None


@pytest.fixture
def pets(tmp_path):
    source = tmp_path / "source"
    (source / "images").mkdir(parents=True)
    (source / "images" / "a.txt").write_text("a")
    (source / "labels.csv").write_text("file,label\na.txt,cat\n")
    v1 = dl.datasets.create("pets", source, "Cats", tag="v1", progress=False)
    (source / "b.txt").write_text("b")
    v1.commit(source, message="Add b", tag="v2", progress=False)
    return source


def html_of(shell, line):
    with capture_output() as captured:
        result = shell.run_line_magic("dl_dataset", line)
    assert result is None
    return "".join(o.data.get("text/html", "") for o in captured.outputs)


def test_load_and_unload_register_the_magic(shell):
    assert "dl_dataset" in shell.magics_manager.magics["line"]
    assert "dl_info" in shell.magics_manager.magics["line"]
    shell.run_line_magic("unload_ext", "jupyter_dl")
    assert "dl_dataset" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "jupyter_dl")


def test_list_shows_the_catalog(shell, pets):
    html = html_of(shell, "list")
    assert "pets" in html
    assert "v2" in html
    assert "Cats" in html
    assert "No datasets" in html_of(shell, "list zebra")


def test_show_lists_the_versions(shell, pets):
    html = html_of(shell, "show pets")
    assert html.index("v2") < html.index("v1")
    assert "Add b" in html


def test_use_assigns_the_dataset_to_a_variable(shell, pets):
    html = html_of(shell, "use pets@v1")
    assert "pets = dl.dataset(&#x27;pets&#x27;, version=&#x27;v1&#x27;)" in html
    assert shell.user_ns["pets"].version == "v1"
    html_of(shell, "use pets --as train_data")
    assert shell.user_ns["train_data"].version == "v2"
    with pytest.raises(ValueError, match="valid variable"):
        shell.run_line_magic("dl_dataset", "use pets --as 1x")


def test_status_says_whether_the_folder_changed(shell, pets, tmp_path):
    assert "nothing changed" in html_of(shell, "status pets")
    (tmp_path / "repo" / "pets" / "b.txt").write_text("bb")
    html = html_of(shell, "status pets")
    assert "1 modified" in html
    assert "b.txt" in html


def test_missing_name_is_an_error(shell):
    with pytest.raises(ValueError, match="needs a dataset name"):
        shell.run_line_magic("dl_dataset", "show")


def test_progress_and_magics_in_a_real_kernel(tmp_path, monkeypatch):
    from jupyter_client.manager import start_new_kernel

    from .test_magics import _execute

    monkeypatch.setenv(DATASETS_ENV, str(tmp_path / "repo"))
    monkeypatch.setenv(DATASET_REMOTE_ENV, str(tmp_path / "remote"))
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.txt").write_text("a")
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        code = (
            "%load_ext jupyter_dl\nimport jupyter_dl as dl\n"
            f"ds = dl.datasets.create('pets', {str(tmp_path / 'source')!r}, tag='v1')"
        )
        outputs = _execute(kc, code)
        widgets = [
            o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert widgets, outputs  # the progress bar
        outputs = _execute(kc, "%dl_dataset use pets --as train\nprint(train.version)")
        assert "v1" in "".join(o.get("text", "") for o in outputs if o["msg_type"] == "stream")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
