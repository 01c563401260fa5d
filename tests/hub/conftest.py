"""One real embedded hub per test module, on loopback, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .running_hub import RunningHub, hub_running


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    with hub_running(tmp_path_factory.mktemp("hub")) as running:
        yield running
