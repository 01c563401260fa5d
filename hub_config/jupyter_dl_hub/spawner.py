"""User servers of the embedded hub: local processes of the hub's own Python.

Every server runs as the hub's Unix user (there is one person on a laptop), with
its home under the hub's state directory, JupyterLab as the landing page, and
the platform's IPython extension loaded in every kernel it starts.

Users choose a server profile (``c.ServerProfiles.profiles``) on the spawn form
or as ``{"profile": slug}`` in the REST API's body. A GPU profile gets GPUs of
this machine that no other server of the hub holds, as ``CUDA_VISIBLE_DEVICES``;
which server holds which GPUs is kept in each spawner's state, which JupyterHub
saves in its database, so a hub restarted while servers run does not hand their
GPUs out again.

Before a server starts, the spawner asks the quotas (``c.Quotas``,
docs/admin/quotas.md) whether its user may have it, and refuses with a 403 that
says which limit when not; an accepted server is accounted from then until it
stops, its session id kept in the spawner state like its GPUs. That part is
:class:`~.quotas.spawning.QuotaSpawner`'s, shared with Kubernetes' spawner.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from jupyterhub.spawner import SimpleLocalProcessSpawner
from tornado import web
from traitlets import Bool, Integer, List, Unicode, default

from jupyter_dl.gpus import Gpu, probe
from jupyter_dl.paths import DB_URL_ENV

from .profiles import (
    Profile,
    ProfileChoiceError,
    ServerProfiles,
    assign_gpus,
    choose_profile,
    free_gpus,
)
from .quotas.policy import SpawnRequest
from .quotas.spawning import QuotaSpawner

SIMULATED_GPUS_ENV = "JUPYTER_DL_HUB_SIMULATED_GPUS"

#: Where IPython looks for startup files of the default profile, relative to $HOME.
KERNEL_STARTUP_FILE = Path(".ipython", "profile_default", "startup", "00-jupyter-dl.py")

KERNEL_STARTUP_SOURCE = '''\
"""Loads the jupyter-dl magics in every kernel. Written by the jupyter-dl hub at each spawn."""
try:
    get_ipython().extension_manager.load_extension("jupyter_dl_kernel")
except ModuleNotFoundError as error:
    # Not installed in this kernel's environment: plain IPython, no magics.
    if error.name != "jupyter_dl_kernel":
        raise
'''


def write_kernel_startup(home: Path) -> Path:
    """Install the startup file that loads ``jupyter_dl_kernel`` under ``home``; return it.

    A startup file of its own rather than ``ipython_kernel_config.py``: the user's
    config file stays theirs to edit, and kernels of environments without the
    extension skip it quietly instead of printing a failed-extension traceback.
    """
    path = home / KERNEL_STARTUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != KERNEL_STARTUP_SOURCE:
        path.write_text(KERNEL_STARTUP_SOURCE)
    return path


def prepend_path(directory: str, search_path: str) -> str:
    """``search_path`` (a $PATH value) with ``directory`` first and not repeated."""
    rest = [entry for entry in search_path.split(os.pathsep) if entry and entry != directory]
    return os.pathsep.join([directory, *rest])


class GpuClaims:
    """Which server of this hub holds which GPUs, so that none is handed out twice.

    One per hub process. A claim is made when a spawn is accepted, before the
    server starts, and dropped when the server stops or fails to start; the
    claims of servers that were running when the hub restarted come back from
    their saved spawner state.
    """

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, ...]] = {}

    def hold(self, server: str, uuids: list[str]) -> None:
        if uuids:
            self._held[server] = tuple(uuids)
        else:
            self._held.pop(server, None)

    def release(self, server: str) -> None:
        self._held.pop(server, None)

    def held_by_others(self, server: str) -> set[str]:
        return {uuid for owner, uuids in self._held.items() if owner != server for uuid in uuids}


def profile_from_form(formdata: Mapping[str, list[str]]) -> dict[str, Any]:
    """``user_options`` from the spawn form: the chosen profile's slug, nothing else."""
    chosen = formdata.get("profile") or [""]
    return {"profile": chosen[0]} if chosen[0] else {}


def render_profile_form(spawner: EmbeddedSpawner) -> str:
    """The spawn form: one radio button per profile; profiles needing more GPUs than
    are free are shown but disabled, with how many are. One profile: no form."""
    profiles = spawner.server_profiles.load()
    if len(profiles) < 2:
        return ""
    host = spawner.host_gpus() if any(p.gpus for p in profiles) else []
    in_use = spawner.claims.held_by_others(spawner.claim_key)
    limits = spawner.quota_limits()
    chosen = spawner.user_options.get("profile") if spawner.user_options else None
    if not any(p.slug == chosen for p in profiles):
        chosen = next(p.slug for p in profiles if p.default)
    rows = [f'<p class="jupyter-dl-gpus">{html.escape(_gpu_summary(host, in_use))}</p>']
    for profile in profiles:
        free = len(free_gpus(host, in_use, profile.gpu_type)) if profile.gpus else 0
        allowed = limits is None or limits.allows_profile(profile.slug)
        usable = free >= profile.gpus and allowed
        note = _unusable_note(profile, free, allowed)
        rows.append(_profile_choice(profile, chosen == profile.slug and usable, usable, note))
    return '<div class="jupyter-dl-profiles">\n' + "\n".join(rows) + "\n</div>"


def _gpu_summary(host: list[Gpu], in_use: set[str]) -> str:
    if not host:
        return "This machine has no GPU for servers."
    free = sum(1 for gpu in host if gpu.uuid not in in_use)
    plural = "s" if len(host) != 1 else ""
    return f"This machine has {len(host)} GPU{plural} for servers; {free} free."


def _unusable_note(profile: Profile, free: int, allowed: bool) -> str:
    if not allowed:
        return " (not allowed for you)"
    if free < profile.gpus:
        plural = "s" if profile.gpus != 1 else ""
        return f" (needs {profile.gpus} GPU{plural}; {free} free)"
    return ""


def _profile_choice(profile: Profile, checked: bool, usable: bool, note: str) -> str:
    slug = html.escape(profile.slug, quote=True)
    attributes = (" checked" if checked else "") + ("" if usable else " disabled")
    description = html.escape(profile.description + note)
    return (
        '<div class="form-check">'
        f'<input class="form-check-input" type="radio" name="profile" id="profile-{slug}"'
        f' value="{slug}"{attributes}>'
        f'<label class="form-check-label" for="profile-{slug}">'
        f"<strong>{html.escape(profile.display_name)}</strong>"
        f'<br><small class="text-muted">{description}</small></label></div>'
    )


def simulated_gpus(count: int) -> list[Gpu]:
    """``count`` made-up GPUs (see ``EmbeddedSpawner.simulated_gpus``)."""
    return [
        Gpu(index=i, uuid=f"GPU-simulated-{i}", name="Simulated GPU", memory_total=0, memory_used=0)
        for i in range(count)
    ]


def apply_profile(spawner: EmbeddedSpawner, user_options: dict[str, Any]) -> None:
    """JupyterHub's ``apply_user_options`` hook: see ``EmbeddedSpawner.apply_profile``."""
    spawner.apply_profile(user_options)


class EmbeddedSpawner(QuotaSpawner, SimpleLocalProcessSpawner):  # type: ignore[misc]
    """``SimpleLocalProcessSpawner`` that starts the platform's servers and kernels."""

    autoload_kernel_extension = Bool(
        True,
        help="""Load the jupyter_dl_kernel IPython extension in every kernel, no %load_ext needed.

        Before each start, the spawner writes
        ~/.ipython/profile_default/startup/00-jupyter-dl.py into the user's home.
        Set False to leave kernels plain: the file is then removed at the next start.""",
    ).tag(config=True)

    #: The GPUs held by the servers of this hub process, shared by all its spawners.
    claims: ClassVar[GpuClaims] = GpuClaims()

    gpu_uuids = List(
        Unicode(),
        help="UUIDs of the GPUs this server holds (set at each start, not config).",
    )

    simulated_gpus = Integer(
        help=f"""Pretend this machine has this many GPUs, for trying GPU profiles and
        quotas where there are none (demos, tests). Servers then get made-up GPU ids in
        CUDA_VISIBLE_DEVICES, which CUDA ignores: they see no GPU. Defaults to
        ${SIMULATED_GPUS_ENV}, else 0 (the machine's real GPUs).""",
    ).tag(config=True)

    @default("simulated_gpus")
    def _default_simulated_gpus(self) -> int:
        return int(os.environ.get(SIMULATED_GPUS_ENV) or 0)

    @default("options_form")
    def _default_options_form(self) -> Any:
        return render_profile_form

    @default("options_from_form")
    def _default_options_from_form(self) -> Any:
        return profile_from_form

    @default("apply_user_options")
    def _default_apply_user_options(self) -> Any:
        return apply_profile

    @property
    def server_profiles(self) -> ServerProfiles:
        return ServerProfiles(parent=self)

    @property
    def claim_key(self) -> str:
        return f"{self.user.name}/{self.name}"

    def host_gpus(self) -> list[Gpu]:
        """The GPUs servers may be given: those visible to the hub (its own
        ``CUDA_VISIBLE_DEVICES`` narrows them), or the simulated ones."""
        if self.simulated_gpus:
            return simulated_gpus(self.simulated_gpus)
        return probe().gpus

    def quota_profiles(self) -> Sequence[tuple[str, str]]:
        return [(p.slug, p.display_name) for p in self.server_profiles.load()]

    def apply_profile(self, user_options: Mapping[str, Any]) -> None:
        """Take the profile the user chose and claim its GPUs, or refuse with a 400.

        Runs before the server starts, with nothing awaited between reading the
        claims and making this one, so two spawns at once cannot get the same GPU.
        """
        profiles = self.server_profiles.load()
        try:
            profile = choose_profile(profiles, user_options)
            ledger = self.admit(SpawnRequest(profile.slug, profile.gpus, profile.display_name))
            uuids = (
                assign_gpus(
                    profile.gpus,
                    self.host_gpus(),
                    self.claims.held_by_others(self.claim_key),
                    profile.gpu_type,
                )
                if profile.gpus
                else []
            )
        except ProfileChoiceError as error:
            chosen = user_options.get("profile")
            known = {p.slug: p.display_name for p in profiles}
            prefix = f"Cannot start a {known[chosen]!r} server. " if chosen in known else ""
            raise web.HTTPError(400, f"{prefix}{error}", reason="Bad server profile") from None
        self.gpu_uuids = uuids
        self.claims.hold(self.claim_key, uuids)
        # Accounted from now: nothing was awaited since the check, so two spawns of one
        # user cannot both pass it.
        self.start_accounting(ledger, profile.slug, len(uuids))
        # Not enforced for local processes; JupyterHub passes them on as
        # CPU_LIMIT, MEM_LIMIT, ... which resource monitors in the lab display.
        self.cpu_guarantee = profile.cpu_guarantee
        self.cpu_limit = profile.cpu_limit
        self.mem_guarantee = profile.mem_guarantee
        self.mem_limit = profile.mem_limit

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state()
        if self.gpu_uuids:
            state["gpus"] = list(self.gpu_uuids)
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.gpu_uuids = list(state.get("gpus", []))
        # A pid means the hub believes the server is still running (the hub was
        # restarted under it): its GPUs stay taken.
        if self.pid and self.gpu_uuids:
            self.claims.hold(self.claim_key, self.gpu_uuids)

    def clear_state(self) -> None:
        super().clear_state()
        self.claims.release(self.claim_key)
        self.gpu_uuids = []

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        # The hub's own interpreter: the servers see exactly the packages the
        # hub was installed with, whether or not a virtualenv is activated.
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    @default("env_keep")
    def _default_env_keep(self) -> list[str]:
        keep: list[str] = super()._env_keep_default()
        return [*keep, DB_URL_ENV]

    def get_args(self) -> list[str]:
        args = list(super().get_args())
        # Jupyter Server refuses to run as root without it; servers run as the
        # hub's user, so this only happens when the hub itself runs as root
        # (containers, CI).
        if os.geteuid() == 0 and "--allow-root" not in args:
            args.append("--allow-root")
        return args

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        # Terminals, `!pip` and kernels find the hub's environment first, even
        # when the hub was started by the interpreter's path, unactivated.
        env["PATH"] = prepend_path(str(Path(sys.executable).parent), env.get("PATH") or os.defpath)
        # Empty for a CPU profile: the server and its kernels see no GPU at all,
        # not every GPU of the machine.
        env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpu_uuids)
        return env

    async def start(self) -> Any:
        home = Path(self.home_dir)
        if self.autoload_kernel_extension:
            write_kernel_startup(home)
        else:
            (home / KERNEL_STARTUP_FILE).unlink(missing_ok=True)
        return await super().start()
