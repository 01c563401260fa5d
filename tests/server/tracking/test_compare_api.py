"""``dl.compare``: runs side by side from a notebook, as the Experiments panel compares them."""

import pytest

import jupyter_dl as dl

QUIET = {"capture_code": False, "system_metrics": None}


def test_compare_shows_settings_summaries_and_curves_of_each_run(service):
    runs = []
    for lr in (0.1, 0.01):
        run = dl.init("shapes", name=f"lr={lr}", config={"lr": lr}, **QUIET)
        for step in range(3):
            dl.log({"loss": lr * (3 - step)}, step=step)
        dl.finish()
        runs.append(run)

    got = dl.compare([runs[0], runs[1].id])
    assert [(r["name"], r["config"], r["status"]) for r in got["runs"]] == [
        ("lr=0.1", {"lr": 0.1}, "finished"),
        ("lr=0.01", {"lr": 0.01}, "finished"),
    ]
    assert got["runs"][1]["summary"] == {"loss": 0.01}
    assert got["series"]["loss"][runs[1].id] == {"steps": [0, 1, 2], "values": [0.03, 0.02, 0.01]}
    assert set(dl.compare([runs[0]], keys=["loss"])["series"]) == {"loss"}


def test_compare_names_a_run_it_cannot_find(service):
    with pytest.raises(ValueError, match="no run"):
        dl.compare(["f" * 32])
    with pytest.raises(TypeError, match="list of runs"):
        dl.compare("f" * 32)
