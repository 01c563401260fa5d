"""The live view of a run in the cell that trains it."""

import math
import threading
import time

import pytest

from jupyter_dl_kernel.widgets import RunWidget, render_svg, thin


def snapshot(step, status="running", total_steps=100, **metrics):
    return {
        "name": "baseline",
        "status": status,
        "step": step,
        "elapsed": 75.0,
        "total_steps": total_steps,
        "metrics": metrics
        or {
            "loss": {
                "steps": list(range(step + 1)),
                "values": [1 / (s + 1) for s in range(step + 1)],
            },
            "acc": {"steps": list(range(step + 1)), "values": [s / 100 for s in range(step + 1)]},
        },
    }


class Script:
    """A fetch that walks through snapshots, then keeps returning the last one."""

    def __init__(self, *snapshots):
        self.snapshots = list(snapshots)
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
            return self.snapshots[min(self.calls, len(self.snapshots)) - 1]


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_each_metric_is_drawn_as_a_line():
    widget = RunWidget("r1", Script(snapshot(5)))
    widget.refresh()
    html = widget.chart.value
    assert html.count("<svg") == 2
    assert html.count("<polyline") == 2
    assert "loss" in html
    assert "acc" in html


def test_header_shows_name_status_step_elapsed_and_latest_values():
    widget = RunWidget("r1", Script(snapshot(4)))
    widget.refresh()
    header = widget.header.value
    for shown in ("baseline", "running", "step 4 / 100", "1:15", "loss 0.2", "acc 0.04"):
        assert shown in header


def test_progress_follows_the_step():
    widget = RunWidget("r1", Script(snapshot(10), snapshot(30)))
    widget.refresh()
    assert widget.progress in widget.box.children
    assert (widget.progress.value, widget.progress.max) == (10, 100)
    widget.refresh()
    assert widget.progress.value == 30


def test_no_progress_bar_without_a_known_total():
    widget = RunWidget("r1", Script(snapshot(10, total_steps=None)))
    widget.refresh()
    assert widget.progress not in widget.box.children


@pytest.mark.parametrize("gap", [math.nan, math.inf, None])
def test_missing_values_break_the_line(gap):
    svg = render_svg([0, 1, 2, 3, 4, 5], [1.0, 0.8, gap, 0.5, 0.4, 0.3])
    assert svg.count("<polyline") == 2


def test_updates_stop_once_the_run_finishes():
    fetch = Script(snapshot(1), snapshot(2), snapshot(3, status="finished"))
    widget = RunWidget("r1", fetch, interval=0.01)
    widget.show()
    wait_until(lambda: not widget.updating)
    assert "finished" in widget.header.value  # the final state is drawn
    assert widget.progress.value == 3
    assert widget.progress.bar_style == "success"
    calls = fetch.calls
    time.sleep(0.1)
    assert fetch.calls == calls == 3


def test_a_finished_run_is_drawn_once():
    fetch = Script(snapshot(100, status="finished"))
    widget = RunWidget("r1", fetch, interval=0.01)
    widget.show()
    assert not widget.updating
    assert fetch.calls == 1


def test_close_stops_updates():
    fetch = Script(snapshot(1))
    widget = RunWidget("r1", fetch, interval=0.01)
    widget.show()
    wait_until(lambda: fetch.calls >= 3)
    widget.close()
    assert not widget.updating


def test_a_failing_fetch_is_shown_and_retried():
    outcomes = iter([OSError("store is locked"), snapshot(2, status="finished")])

    def fetch():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    widget = RunWidget("r1", fetch, interval=0.01)
    widget.show()
    assert "Could not read run r1: store is locked" in widget.header.value
    wait_until(lambda: not widget.updating)
    assert "finished" in widget.header.value


def test_long_series_are_thinned_but_keep_their_spikes():
    points = [(float(s), 1.0) for s in range(100_000)]
    points[61_234] = (61_234.0, 50.0)
    kept = thin(points, 500)
    assert len(kept) <= 500
    assert (61_234.0, 50.0) in kept
    assert kept[0] == points[0]
