"""Dask clusters that training work runs on: one way to get a client, for every caller.

The ``dask`` training backend runs one rank per Dask worker; sweeps run trials
on Dask workers. Both need the same thing: a :class:`distributed.Client` on a
cluster with enough workers, whether a user named a scheduler (``tcp://host:8786``)
or nothing at all, in which case a ``LocalCluster`` lives exactly as long as the
work. :func:`dask_client` is that one helper.

A ``LocalCluster`` here runs each worker in a process of its own with one
thread (a rank or a trial is a process-heavy task, and one per worker is the
unit callers schedule), no dashboard (a detached supervisor has no one to show
it to) and no fixed port (8787 would clash between jobs), no memory limit (the work
runs in subprocesses the nanny does not count), and quiet logs. Its worker
processes watch a pipe from the process that started them and exit at once when
it closes, so they never outlive that process, even one killed by SIGKILL.

Importing this module costs nothing; dask is imported when a client is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import BadRequest, LaunchFailed

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to wait for a scheduler to answer and for enough of its workers to join.
DEFAULT_TIMEOUT = 60.0
#: Dask's own loggers: only their errors are worth a job's log.
_DASK_LOGGERS = ("distributed", "dask", "tornado")


@contextmanager
def dask_client(
    address: str | None, n_workers: int, *, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Client]:
    """A Dask client on a cluster with at least ``n_workers`` workers, closed on exit.

    ``address`` is a scheduler's address (``tcp://scheduler:8786``); the client
    waits up to ``timeout`` seconds for the scheduler to answer and for
    ``n_workers`` workers to join it, and raises :class:`~jupyter_dl.errors.LaunchFailed`
    saying how many it found otherwise, rather than waiting forever. With no
    ``address``, a ``LocalCluster`` of ``n_workers`` single-threaded worker
    processes is started for the duration of the ``with`` block and torn down
    after it. The cluster someone else runs is left running; only the client
    is closed.
    """
    if type(n_workers) is not int or n_workers < 1:
        raise BadRequest(f"a Dask cluster needs at least one worker, not {n_workers!r}")
    from distributed import Client, LocalCluster

    quiet_dask_logs()  # after the import, which sets Dask's own levels
    if address is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            # The scheduler serves HTTP whatever the dashboard option says; on a port
            # of its own choosing, not 8787, it cannot clash with another job's.
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
            memory_limit=0,
            silence_logs=logging.ERROR,
        )  # type: ignore[no-untyped-call]
        with cluster, Client(cluster, timeout=timeout) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    try:
        client = Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as e:
        raise LaunchFailed(
            f"no Dask scheduler answered at {address} within {timeout:g} s: {e}"
        ) from None
    with client:
        wait_for_workers(client, n_workers, timeout, address)
        yield client


def wait_for_workers(client: Client, n_workers: int, timeout: float, address: str) -> None:
    """Return once the cluster has ``n_workers`` workers; LaunchFailed after ``timeout``."""
    try:
        client.wait_for_workers(n_workers, timeout=timeout)
    except TimeoutError:
        have = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        raise LaunchFailed(
            f"the Dask cluster at {address} has {have} worker(s) but {n_workers} are needed"
            f" (waited {timeout:g} s); start more workers, or ask for fewer processes"
        ) from None


def quiet_dask_logs() -> None:
    """Keep Dask's routine messages (workers joining, leaving, closing) out of job logs."""
    for name in _DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
