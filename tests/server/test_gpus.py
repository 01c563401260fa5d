"""GPU facts: what CUDA would expose, as users read it in the sidebar."""

import pytest

from jupyter_dl import gpus
from jupyter_dl.gpus import Gpu, _apply_visible_devices

DEVICES = [
    Gpu(index=0, uuid="GPU-aaaa-1111", name="NVIDIA A100", memory_total=80 * 2**30, memory_used=0),
    Gpu(index=1, uuid="GPU-bbbb-2222", name="NVIDIA A100", memory_total=80 * 2**30, memory_used=0),
    Gpu(index=2, uuid="GPU-cccc-3333", name="NVIDIA L4", memory_total=24 * 2**30, memory_used=0),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, ["GPU-aaaa-1111", "GPU-bbbb-2222", "GPU-cccc-3333"]),
        ("2,0", ["GPU-cccc-3333", "GPU-aaaa-1111"]),
        ("GPU-bbbb", ["GPU-bbbb-2222"]),
        ("", []),
        ("-1", []),
        ("1,7,2", ["GPU-bbbb-2222"]),  # CUDA ignores everything after an invalid entry
        ("GPU-", []),  # ambiguous prefix
    ],
)
def test_cuda_visible_devices_is_honoured(spec, expected):
    assert [d.uuid for d in _apply_visible_devices(DEVICES, spec)] == expected


def test_no_driver_means_no_gpus(monkeypatch):
    monkeypatch.setattr(gpus, "_nvml", lambda: None)
    report = gpus.probe()
    assert report.gpus == []
    assert report.driver is None


def test_visible_gpus_are_renumbered_from_zero(monkeypatch):
    class FakeNvml:
        def nvmlSystemGetDriverVersion(self):
            return b"550.54.15"

        def nvmlShutdown(self):
            pass

    monkeypatch.setattr(gpus, "_nvml", FakeNvml)
    monkeypatch.setattr(gpus, "_nvml_devices", lambda nvml: DEVICES)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")
    report = gpus.probe()
    assert report.driver == "550.54.15"
    assert [(g.index, g.name) for g in report.gpus] == [(0, "NVIDIA L4")]


@pytest.mark.gpu
def test_real_gpus_have_names_and_memory():
    report = gpus.probe()
    assert report.driver
    assert all(g.name and g.memory_total > 0 for g in report.gpus)
