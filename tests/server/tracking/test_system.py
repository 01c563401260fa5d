"""System readings logged beside a run while it trains."""

import threading

import pytest

from jupyter_dl import gpus
from jupyter_dl.gpus import Gpu, GpuReport
from jupyter_dl.tracking import system
from jupyter_dl.tracking.system import SystemMonitor

HOST_KEYS = {
    "system/cpu_percent",
    "system/memory_percent",
    "system/memory_used_gb",
    "system/process_memory_gb",
}


class Samples:
    """Collects what a monitor logs and lets a test wait for the n-th sample."""

    def __init__(self):
        self.samples = []
        self._arrived = threading.Condition()

    def __call__(self, sample, timestamp):
        with self._arrived:
            self.samples.append((sample, timestamp))
            self._arrived.notify_all()

    def wait_for(self, count, timeout=10):
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.samples) >= count, timeout)
        return self.samples[count - 1][0]


@pytest.fixture
def no_gpus(monkeypatch):
    monkeypatch.setattr(gpus, "probe", lambda: GpuReport(driver=None, gpus=[]))


def test_first_sample_is_taken_at_start(no_gpus):
    samples = Samples()
    monitor = SystemMonitor(samples, interval=3600)
    monitor.start()
    try:
        sample = samples.wait_for(1)
    finally:
        monitor.stop()
    assert set(sample) == HOST_KEYS
    assert 0 <= sample["system/memory_percent"] <= 100
    assert sample["system/process_memory_gb"] > 0
    assert isinstance(samples.samples[0][1], float)


def test_samples_repeat_until_stopped(no_gpus):
    samples = Samples()
    monitor = SystemMonitor(samples, interval=0.01)
    monitor.start()
    samples.wait_for(3)
    monitor.stop()
    assert not monitor.running
    count = len(samples.samples)
    monitor.stop()  # stopping again is harmless
    assert len(samples.samples) == count


def test_stop_before_start_is_harmless():
    SystemMonitor(lambda sample, timestamp: None).stop()


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="interval"):
        SystemMonitor(lambda sample, timestamp: None, interval=0)


def test_failing_sensor_is_left_out(no_gpus, monkeypatch):
    def broken(psutil, process):
        raise OSError("no /proc here")

    monkeypatch.setitem(system.HOST_READINGS, "memory_percent", broken)
    samples = Samples()
    monitor = SystemMonitor(samples, interval=3600)
    monitor.start()
    sample = samples.wait_for(1)
    monitor.stop()
    assert set(sample) == HOST_KEYS - {"system/memory_percent"}


def test_an_error_in_the_logger_does_not_stop_sampling(no_gpus):
    samples = Samples()
    calls = []

    def flaky(sample, timestamp):
        calls.append(sample)
        if len(calls) == 1:
            raise RuntimeError("writer busy")
        samples(sample, timestamp)

    monitor = SystemMonitor(flaky, interval=0.01)
    monitor.start()
    samples.wait_for(1)
    monitor.stop()
    assert len(calls) >= 2


class FakeNvml:
    """Two physical GPUs; the second reports no power reading, as many do."""

    NVML_TEMPERATURE_GPU = 0

    class NVMLError(Exception):
        pass

    def __init__(self):
        self.shut_down = False

    def nvmlShutdown(self):
        self.shut_down = True

    def nvmlDeviceGetHandleByUUID(self, uuid):
        return uuid

    def nvmlDeviceGetUtilizationRates(self, handle):
        return type("Rates", (), {"gpu": 97 if handle == "GPU-b" else 3})

    def nvmlDeviceGetMemoryInfo(self, handle):
        return type("Memory", (), {"used": 20 * 2**30, "total": 80 * 2**30})

    def nvmlDeviceGetTemperature(self, handle, sensor):
        return 71

    def nvmlDeviceGetPowerUsage(self, handle):
        if handle == "GPU-a":
            raise self.NVMLError("Not Supported")
        return 312_500


def test_gpu_readings_follow_cuda_visible_order(monkeypatch):
    nvml = FakeNvml()
    visible = [  # CUDA_VISIBLE_DEVICES=1,0: the second physical GPU is cuda:0
        Gpu(index=0, uuid="GPU-b", name="NVIDIA A100", memory_total=80 * 2**30, memory_used=0),
        Gpu(index=1, uuid="GPU-a", name="NVIDIA A100", memory_total=80 * 2**30, memory_used=0),
    ]
    monkeypatch.setattr(gpus, "probe", lambda: GpuReport(driver="550", gpus=visible))
    monkeypatch.setattr(gpus, "_nvml", lambda: nvml)
    samples = Samples()
    monitor = SystemMonitor(samples, interval=3600)
    monitor.start()
    sample = samples.wait_for(1)
    monitor.stop()
    assert sample["system/gpu0/utilization"] == 97
    assert sample["system/gpu1/utilization"] == 3
    assert sample["system/gpu0/memory_percent"] == 25
    assert sample["system/gpu0/memory_used_gb"] == 20
    assert sample["system/gpu0/temperature"] == 71
    assert sample["system/gpu0/power_w"] == 312.5
    assert "system/gpu1/power_w" not in sample
    assert nvml.shut_down


@pytest.mark.gpu
def test_real_gpus_are_read():
    samples = Samples()
    monitor = SystemMonitor(samples, interval=3600)
    monitor.start()
    sample = samples.wait_for(1)
    monitor.stop()
    assert 0 <= sample["system/gpu0/utilization"] <= 100
    assert sample["system/gpu0/memory_used_gb"] >= 0
