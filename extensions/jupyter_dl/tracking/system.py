"""CPU, memory and GPU readings logged beside a run's metrics while it trains.

Whether a slow epoch was starved of data (idle GPU, busy CPU) or of memory is
only answerable from readings taken at the time. A daemon thread samples every
few seconds, so the training loop pays nothing; each sensor is read on its own
and a failing one is left out of the sample, never raised into training.

Host figures come from psutil, GPU figures from NVML for the GPUs this process
may use (``CUDA_VISIBLE_DEVICES`` applied as in :mod:`jupyter_dl.gpus`), named
``system/gpu{i}/...`` with ``i`` the index CUDA gives them in this process.
Sizes are in GiB, the unit GPU and host memory are sold in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

GIB = 2**30

#: What the monitor hands its caller: (sample, UNIX time of the sample).
LogSample = Callable[[dict[str, float], float], None]


class SystemMonitor:
    """Samples system readings on a daemon thread and passes each sample to ``log``.

    ``log`` runs on the monitor's thread; it should hand the sample over
    (append it to a queue) rather than do slow work itself.
    """

    def __init__(self, log: LogSample, interval: float = 10.0) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self._log = log
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin sampling; the first sample is taken at once. Starting twice does nothing."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="jupyter-dl-system", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling and wait for the thread; safe to call more than once."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        sensors = _Sensors()
        try:
            while not self._stopping.is_set():
                sample = sensors.read()
                if sample and not self._stopping.is_set():
                    self._deliver(sample, time.time())
                self._stopping.wait(self.interval)
        finally:
            sensors.close()

    def _deliver(self, sample: dict[str, float], timestamp: float) -> None:
        try:
            self._log(sample, timestamp)
        except Exception:
            log.debug("Dropping a system metrics sample", exc_info=True)


class _Sensors:
    """The readings of one sample; opened on the monitor's thread, closed there too."""

    def __init__(self) -> None:
        self._psutil = _psutil()
        self._process = _current_process(self._psutil)
        self._cpu_window: float | None = 0.1  # psutil measures CPU between two calls
        self._nvml, self._gpus = _open_gpus()

    def read(self) -> dict[str, float]:
        sample: dict[str, float] = {}
        if self._psutil is not None:
            _take(sample, "system/cpu_percent", self._cpu_percent)
            for key, reading in HOST_READINGS.items():
                _take(sample, f"system/{key}", reading, self._psutil, self._process)
        for i, handle in self._gpus:
            for key, reading in GPU_READINGS.items():
                _take(sample, f"system/gpu{i}/{key}", reading, self._nvml, handle)
        return sample

    def close(self) -> None:
        if self._nvml is None:
            return
        try:
            self._nvml.nvmlShutdown()
        except self._nvml.NVMLError:
            log.debug("NVML did not shut down cleanly", exc_info=True)

    def _cpu_percent(self) -> float:
        # The first call waits briefly so the first sample has a window to measure.
        window, self._cpu_window = self._cpu_window, None
        return float(self._psutil.cpu_percent(interval=window))


#: Host readings from (psutil, this process), by their key after ``system/``.
HOST_READINGS: dict[str, Callable[[Any, Any], float]] = {
    "memory_percent": lambda psutil, _: psutil.virtual_memory().percent,
    "memory_used_gb": lambda psutil, _: psutil.virtual_memory().used / GIB,
    "process_memory_gb": lambda _, process: process.memory_info().rss / GIB,
}

#: Per-GPU readings, by the key they are logged under after ``system/gpu{i}/``.
GPU_READINGS: dict[str, Callable[[Any, Any], float]] = {
    "utilization": lambda nvml, h: nvml.nvmlDeviceGetUtilizationRates(h).gpu,
    "memory_percent": lambda nvml, h: _percent_used(nvml.nvmlDeviceGetMemoryInfo(h)),
    "memory_used_gb": lambda nvml, h: nvml.nvmlDeviceGetMemoryInfo(h).used / GIB,
    "temperature": lambda nvml, h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU),
    "power_w": lambda nvml, h: nvml.nvmlDeviceGetPowerUsage(h) / 1000,  # reported in mW
}


def _percent_used(memory: Any) -> float:
    return 100 * float(memory.used) / float(memory.total)


def _take(sample: dict[str, float], key: str, reading: Callable[..., Any], *args: Any) -> None:
    """Add one reading to ``sample``; a sensor that fails (unsupported, driver gone) is left out."""
    try:
        sample[key] = float(reading(*args))
    except Exception:
        return


def _psutil() -> Any:
    try:
        import psutil
    except ImportError:
        log.warning("psutil is not installed; CPU and memory are not recorded")
        return None
    return psutil


def _current_process(psutil: Any) -> Any:
    try:
        return psutil.Process() if psutil is not None else None
    except Exception:
        return None


def _open_gpus() -> tuple[Any, list[tuple[int, Any]]]:
    """NVML (initialised) and (CUDA index, handle) of each visible GPU; (None, []) without."""
    from jupyter_dl.gpus import _nvml, probe

    visible = probe().gpus
    if not visible:
        return None, []
    nvml = _nvml()
    if nvml is None:
        return None, []
    handles = []
    for gpu in visible:
        try:
            handles.append((gpu.index, nvml.nvmlDeviceGetHandleByUUID(gpu.uuid)))
        except nvml.NVMLError:
            log.debug("GPU %s is not readable through NVML", gpu.uuid)
    return nvml, handles
