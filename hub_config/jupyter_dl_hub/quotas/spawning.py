"""Quotas at spawn time, one piece for every spawner of the hub.

The embedded hub's :class:`~jupyter_dl_hub.spawner.EmbeddedSpawner` (local
processes) and Kubernetes' :class:`~jupyter_dl_hub.kubespawner.QuotaKubeSpawner`
(pods) both mix in :class:`QuotaSpawner`, so a spawn is checked, refused and
accounted the same way whichever runs the servers:

- before anything is started, the spawner finds the profile the user chose (its
  own business: a profile of ``c.ServerProfiles`` for local processes, an entry
  of KubeSpawner's ``profile_list`` for pods) and calls :meth:`QuotaSpawner.admit`,
  which asks the quotas (``c.Quotas``) and refuses with a 403 that says which
  limit, or a 503 when the quota database cannot say;
- with nothing awaited in between, :meth:`QuotaSpawner.start_accounting` opens
  the server's accounting session, so two spawns of one user cannot both pass a
  check that only one of them fits;
- the session id is kept in the spawner's state, which JupyterHub saves in its
  database, so a hub restarted while servers run keeps accounting them;
- each poll that finds the server running records it as seen, and when the hub
  is done with the server (``clear_state``) the session is closed: now if the hub
  stopped it, else at the last time it was seen running.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from jupyterhub.spawner import Spawner
from tornado import web
from traitlets import Integer, Unicode

from .ledger import QuotaLedger
from .policy import Decision, EffectiveLimits, SpawnRequest
from .settings import SERVICE_URL_ENV, Quotas
from .store import QuotaStoreError, open_store

#: Seconds between two records of a running server's last sighting: the hub polls
#: every 30 s by default, and one write a poll is plenty.
SEEN_EVERY = 10.0


def quota_refusal(decision: Decision) -> web.HTTPError:
    """The 403 of a spawn the quotas refuse; its message is shown on the spawn page
    (``jupyterhub_message``) and returned by the REST API."""
    error = web.HTTPError(403, decision.reason, reason="Over quota")
    setattr(error, "jupyterhub_message", decision.reason)  # noqa: B010 (read by the hub)
    return error


class QuotaSpawner(Spawner):  # type: ignore[misc]
    """A spawner whose servers are checked against the quotas and accounted.

    Mixed in before the spawner that runs the servers
    (``class EmbeddedSpawner(QuotaSpawner, SimpleLocalProcessSpawner)``); it only
    adds to the methods it overrides and calls theirs.
    """

    profile_slug = Unicode(
        "", help="The profile this server was started with (set at each start, not config)."
    )

    quota_session = Integer(
        0, help="Id of this server's accounting session (set at each start, not config)."
    )

    quota_service_url = Unicode(
        "",
        help=f"""URL at which servers and their kernels reach the quota service, passed to
        them as ${SERVICE_URL_ENV} (for %dl_quota and the status bar). EmbeddedHub and
        the Zero-to-JupyterHub values set it.""",
    ).tag(config=True)

    _quota_seen_at = 0.0
    _stopped_by_hub = False

    def quota_profiles(self) -> Sequence[tuple[str, str]]:
        """(slug, display name) of each profile this spawner offers, so that limits
        naming profiles are checked against them. Spawners with profiles override it;
        none known means allowed profiles are taken as given."""
        return ()

    @property
    def quota_ledger(self) -> QuotaLedger:
        settings = Quotas(parent=self).settings(self.quota_profiles())
        return QuotaLedger(open_store(settings.db_url), settings)

    @property
    def group_names(self) -> list[str]:
        return sorted(group.name for group in self.user.groups)

    def quota_limits(self) -> EffectiveLimits | None:
        """The limits of this server's user; None when the quota database cannot say."""
        try:
            return self.quota_ledger.effective(self.user.name, self.group_names)
        except QuotaStoreError as error:
            self.log.error("%s", error)
            return None

    def admit(self, request: SpawnRequest) -> QuotaLedger:
        """The ledger to account this server in, if the quotas allow ``request`` now;
        else the 403 that says which limit (503 when the database cannot say)."""
        try:
            ledger = self.quota_ledger
            decision = ledger.check(self.user.name, self.group_names, self.name, request)
        except QuotaStoreError as error:
            self.log.error("%s", error)
            raise web.HTTPError(
                503, "The quota database cannot be reached; try again shortly."
            ) from None
        if not decision.allowed:
            raise quota_refusal(decision)
        return ledger

    def start_accounting(self, ledger: QuotaLedger, profile: str, gpus: int) -> None:
        """Account this server from now, as ``profile`` holding ``gpus`` GPUs.

        Called right after :meth:`admit`, with nothing awaited in between.
        """
        self.profile_slug = profile
        self.quota_session = ledger.open_session(
            self.user.name, self.name, profile, gpus, self.group_names
        )
        self._quota_seen_at = time.monotonic()
        self._stopped_by_hub = False

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state()
        if self.profile_slug:
            state["profile"] = self.profile_slug
        if self.quota_session:
            state["quota_session"] = self.quota_session
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.profile_slug = state.get("profile", "")
        self.quota_session = int(state.get("quota_session", 0))

    def clear_state(self) -> None:
        super().clear_state()
        self._close_quota_session()
        self.profile_slug = ""

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        if self.quota_service_url:
            env[SERVICE_URL_ENV] = self.quota_service_url
        return env

    def start(self) -> Any:
        # JupyterHub wants every Spawner subclass to name its start; starting is the
        # running spawner's business, after the check it made (admit).
        return super().start()

    async def poll(self) -> int | None:
        status: int | None = await super().poll()
        if status is None and self.quota_session:
            self._record_seen()
        return status

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        self._stopped_by_hub = True

    def _record_seen(self) -> None:
        if time.monotonic() - self._quota_seen_at < SEEN_EVERY:
            return
        self._quota_seen_at = time.monotonic()
        try:
            self.quota_ledger.seen(self.quota_session)
        except Exception:
            # Accounting must never take a running server down; the next poll retries.
            self.log.exception("Could not record that %s is running", self._log_name)

    def _close_quota_session(self) -> None:
        """Close the accounting of a server the hub is done with: now if the hub stopped
        it, else (it was found gone) at the last time it was seen running."""
        if not self.quota_session:
            return
        stopped = self._stopped_by_hub
        try:
            self.quota_ledger.close_session(
                self.quota_session, "stopped" if stopped else "gone", stopped_now=stopped
            )
        except Exception:
            # Left open, the session is closed at its last sighting by the quota
            # service's reconciliation.
            self.log.exception("Could not close the accounting of %s", self._log_name)
        self.quota_session = 0
        self._stopped_by_hub = False
