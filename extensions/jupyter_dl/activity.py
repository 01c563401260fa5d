"""Work that keeps a server in use while nobody touches it: jobs, sweeps, deployments.

JupyterHub's idle culler stops a server whose last activity is older than its
timeout, and jupyter-server (through ``jupyterhub.singleuser``) reports as last
activity the latest HTTP request, kernel message or terminal use. A training job,
a sweep or a model server runs detached from all of those, so a server whose only
work is a week of training would look idle and be stopped mid-training: on
Kubernetes its pod goes, with the job's supervisor; on the embedded hub its GPUs
go back to the pool while the job still uses them.

So while such work runs on this host the extension keeps one more activity time
current: ``web_app.settings["jupyter_dl_last_activity"]``. jupyter-server counts
every setting whose name ends in ``_last_activity`` in ``last_activity()``, the
value ``jupyterhub.singleuser`` sends to the hub and that jupyter-server's own
``shutdown_no_activity_timeout`` reads. The server's usual reporting carries it:
no request to the hub of our own, no token to handle. When the work ends the time
stays where it was, so idleness counts from the moment the last job ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import MutableMapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry.deployments import DeploymentService
    from .training.service import TrainingService
    from .training.sweeps import SweepService

#: The ``web_app.settings`` key jupyter-server's ``last_activity()`` takes into account.
ACTIVITY_SETTING = "jupyter_dl_last_activity"
#: Seconds between checks when neither the admin nor the hub asks for another pace.
DEFAULT_INTERVAL = 60.0
#: How often ``jupyterhub.singleuser`` reports activity to the hub (seconds), when set.
HUB_INTERVAL_ENV = "JUPYTERHUB_ACTIVITY_INTERVAL"
HUB_ENV = ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL")


def under_jupyterhub() -> bool:
    """Whether this server was started by a JupyterHub, which then judges its idleness."""
    return all(os.environ.get(name) for name in HUB_ENV)


def default_interval() -> float:
    """:data:`DEFAULT_INTERVAL`, or the hub's activity interval when that is shorter:
    checking less often than the server reports would let a report miss a job."""
    try:
        hub = float(os.environ.get(HUB_INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL
    return min(DEFAULT_INTERVAL, hub) if hub > 0 else DEFAULT_INTERVAL


class BackgroundWork:
    """The platform's work on this host that no request or kernel message shows.

    Reads the services' records, which is where a job, sweep or deployment says it
    runs; the services end lost ones first, so a crashed supervisor does not keep a
    server alive forever.
    """

    def __init__(
        self, training: TrainingService, sweeps: SweepService, deployments: DeploymentService
    ) -> None:
        self.training = training
        self.sweeps = sweeps
        self.deployments = deployments

    def first_running(self) -> str | None:
        """A description of one piece of work running here (``job 3f2a9c (train)``),
        or None when there is none. Stops at the first kind that has some, so a
        server busy with a job never looks at sweeps or deployments."""
        for job in self.training.active_here():
            return f"job {job['id']} ({job['name']})"
        for sweep in self.sweeps.running_here():
            return f"sweep {sweep['id']} ({sweep['name']})"
        for deployment in self.deployments.live_here():
            return f"deployment {deployment['id']} ({deployment['ref']})"
        return None


class ActivityKeeper:
    """Sets :data:`ACTIVITY_SETTING` to now whenever a check finds work running.

    One check at a time, on a worker thread (it queries the store); a failed check
    is logged and changes nothing, and never reaches the server.
    """

    def __init__(
        self,
        work: BackgroundWork,
        settings: MutableMapping[str, Any],
        interval: float,
        log: logging.Logger | logging.LoggerAdapter[Any],
    ) -> None:
        self.work = work
        self.settings = settings
        self.interval = interval
        self.log = log
        self._task: asyncio.Task[None] | None = None
        self._last_error: str | None = None

    async def check(self) -> str | None:
        """Look for running work once; what was found (also recorded as activity now)."""
        store = self.work.training.store
        if not store.ready:
            # Still opening (or broken, which the server has logged): nothing to read yet.
            return None
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, self.work.first_running)
        except Exception as error:
            message = f"{type(error).__name__}: {error}"
            if message != self._last_error:
                self.log.warning("jupyter-dl: could not look for running jobs: %s", message)
            self._last_error = message
            return None
        self._last_error = None
        if found is not None:
            self.settings[ACTIVITY_SETTING] = datetime.now(timezone.utc)
            self.log.debug("jupyter-dl: %s runs; the server counts as active", found)
        return found

    def start(self) -> None:
        """Check every ``interval`` seconds, from now until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)
