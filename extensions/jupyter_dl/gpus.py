"""Which GPUs this process may use, read from NVML without importing a framework.

The sidebar, ``dl.info()`` and (later) GPU accounting need the GPUs a user's
server can see. Asking PyTorch would cost seconds of import and a CUDA context;
NVML answers in milliseconds and also works where torch is absent.
``CUDA_VISIBLE_DEVICES`` is honoured the way CUDA applies it: by index or UUID
prefix, in the order given, and an empty or invalid entry hides the rest.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Gpu:
    """One GPU as users see it: its CUDA index in this process, name and memory."""

    index: int
    uuid: str
    name: str
    memory_total: int
    memory_used: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GpuReport:
    """The NVIDIA driver in use (None without one) and the GPUs visible to this process."""

    driver: str | None
    gpus: list[Gpu]


def probe() -> GpuReport:
    """Read the driver and the GPUs CUDA would expose here, in one NVML session."""
    nvml = _nvml()
    if nvml is None:
        return GpuReport(driver=None, gpus=[])
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        devices = _nvml_devices(nvml)
    finally:
        nvml.nvmlShutdown()
    chosen = _apply_visible_devices(devices, os.environ.get("CUDA_VISIBLE_DEVICES"))
    gpus = [
        Gpu(
            index=i,
            uuid=d.uuid,
            name=d.name,
            memory_total=d.memory_total,
            memory_used=d.memory_used,
        )
        for i, d in enumerate(chosen)
    ]
    return GpuReport(driver=driver, gpus=gpus)


def _apply_visible_devices(devices: list[Gpu], spec: str | None) -> list[Gpu]:
    if spec is None:
        return devices
    chosen: list[Gpu] = []
    for entry in (part.strip() for part in spec.split(",")):
        match = _match_device(devices, entry)
        if match is None:
            break  # CUDA stops at the first entry it cannot resolve
        if match not in chosen:
            chosen.append(match)
    return chosen


def _match_device(devices: list[Gpu], entry: str) -> Gpu | None:
    if entry.isdigit():
        index = int(entry)
        return devices[index] if index < len(devices) else None
    if entry.startswith(("GPU-", "MIG-")):
        hits = [d for d in devices if d.uuid.startswith(entry)]
        return hits[0] if len(hits) == 1 else None
    return None


def _nvml() -> Any:
    """The initialised ``pynvml`` module, or None where NVML cannot load."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    return pynvml


def _nvml_devices(nvml: Any) -> list[Gpu]:
    devices = []
    for i in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(i)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        devices.append(
            Gpu(
                index=i,
                uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
                name=_text(nvml.nvmlDeviceGetName(handle)),
                memory_total=int(memory.total),
                memory_used=int(memory.used),
            )
        )
    return devices


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
