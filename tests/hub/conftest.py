"""One real embedded hub per test module, on loopback, stopped at the end."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from .running_hub import RunningHub, start_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    running = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield running
    finally:
        try:
            running.stop()
        except subprocess.TimeoutExpired:
            running.kill()
