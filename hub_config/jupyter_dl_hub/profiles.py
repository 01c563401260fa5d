"""Server profiles: what a user may ask for when starting a server, declared once.

A profile (CPU, 1 GPU, 4 GPUs, ...) is declared in the hub's configuration as
``c.ServerProfiles.profiles`` and rendered for each place servers run:

- On Kubernetes, :func:`kubespawner_profile_list` turns the profiles into
  KubeSpawner's ``profile_list`` (CPU and memory guarantees and limits, the GPU
  extended resource, node selector, tolerations, image). The Zero-to-JupyterHub
  values (``hub_config/z2jh/values.yaml``) carry the same list, printed by
  ``python -m jupyter_dl_hub.profiles --z2jh``.
- On the embedded hub, ``EmbeddedSpawner`` offers the profiles on its spawn form,
  refuses a choice that names no profile or more GPUs than are free, and gives
  the server GPUs of this machine that no other server holds
  (:func:`assign_gpus`), through ``CUDA_VISIBLE_DEVICES``.

Everything here is pure: profiles in, dictionaries or decisions out, no hub and
no cluster, so each decision is tested on its own.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from traitlets import Dict, List, Unicode
from traitlets.config import Config, Configurable

from jupyter_dl.gpus import Gpu

#: The extended resource NVIDIA's device plugin offers on Kubernetes nodes.
GPU_RESOURCE = "nvidia.com/gpu"

#: The node label NVIDIA's GPU feature discovery (part of the GPU operator) sets
#: to the GPU's product name, e.g. ``NVIDIA-A100-SXM4-80GB``.
GPU_TYPE_LABEL = "nvidia.com/gpu.product"

#: GPU node pools are usually tainted so that only pods asking for GPUs land
#: there (GKE and AKS add this taint themselves); GPU profiles tolerate it.
GPU_TOLERATIONS: list[dict[str, Any]] = [
    {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"},
]

DEFAULT_PROFILES: list[dict[str, Any]] = [
    {
        "display_name": "CPU",
        "slug": "cpu",
        "description": "Up to 2 CPU cores and 8 GB of memory, no GPU.",
        "cpu_guarantee": 0.5,
        "cpu_limit": 2,
        "mem_guarantee": "2G",
        "mem_limit": "8G",
        "default": True,
    },
    {
        "display_name": "1 GPU",
        "slug": "1-gpu",
        "description": "One GPU, up to 8 CPU cores and 32 GB of memory.",
        "cpu_guarantee": 4,
        "cpu_limit": 8,
        "mem_guarantee": "16G",
        "mem_limit": "32G",
        "gpus": 1,
    },
    {
        "display_name": "4 GPUs",
        "slug": "4-gpus",
        "description": "Four GPUs of one machine, up to 32 CPU cores and 128 GB of memory.",
        "cpu_guarantee": 16,
        "cpu_limit": 32,
        "mem_guarantee": "64G",
        "mem_limit": "128G",
        "gpus": 4,
    },
]

SLUG_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MEMORY_PATTERN = re.compile(r"^(\d+(\.\d+)?)([KMGT])$")
MEMORY_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
TOLERATION_FIELDS = {"key", "operator", "value", "effect", "tolerationSeconds"}
TOLERATION_OPERATORS = {"Exists", "Equal"}
TOLERATION_EFFECTS = {"", "NoSchedule", "PreferNoSchedule", "NoExecute"}


class ProfileError(ValueError):
    """A declared profile the hub cannot use; the message names the profile and field."""


class ProfileChoiceError(ValueError):
    """A user's choice the hub refuses to start a server for; the message is for the user."""


class NotEnoughGpus(ProfileChoiceError):
    """More GPUs asked for than this machine has free; says how many are."""

    def __init__(self, requested: int, free: int, total: int, gpu_type: str | None) -> None:
        self.requested = requested
        self.free = free
        self.total = total
        kind = f" {gpu_type}" if gpu_type else ""
        asked = f"{requested}{kind} GPU{'s' if requested != 1 else ''}"
        if total == 0:
            why = f"this machine has no{kind} GPU"
        elif free == 0:
            why = f"all {total} of this machine's{kind} GPUs are in use by other servers"
        else:
            why = f"only {free} of this machine's {total}{kind} GPUs {_are(free)} free"
        if total >= requested:
            advice = "Stop a server that holds GPUs, or choose a profile with fewer GPUs."
        else:
            advice = "Choose a profile with fewer GPUs."
        super().__init__(f"It needs {asked}, but {why}. {advice}")


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


@dataclass(frozen=True)
class Profile:
    """One kind of server a user can start: its resources and where it may run.

    Guarantees are what a server is sure to get, limits the most it may use;
    ``None`` leaves the spawner's own setting. Memory is a number of bytes or a
    string with a K, M, G or T suffix (powers of 1024), as JupyterHub takes it.
    """

    display_name: str
    slug: str
    description: str = ""
    cpu_guarantee: float | None = None
    cpu_limit: float | None = None
    mem_guarantee: str | int | None = None
    mem_limit: str | int | None = None
    gpus: int = 0
    gpu_type: str | None = None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    image: str | None = None
    default: bool = False


PROFILE_FIELDS = tuple(Profile.__dataclass_fields__)


def slugify(name: str) -> str:
    """A profile's slug made from its display name: ``"4 GPUs"`` becomes ``"4-gpus"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def parse_profiles(raw: Sequence[Mapping[str, Any]]) -> list[Profile]:
    """Check declared profiles (``c.ServerProfiles.profiles``) and return them as ``Profile``.

    Raises :class:`ProfileError` naming the first bad profile and field. With no
    profile marked ``default``, the first one is the default, as in KubeSpawner.
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ProfileError("ServerProfiles.profiles must be a non-empty list of profiles.")
    profiles = [parse_profile(entry, position) for position, entry in enumerate(raw)]
    seen: dict[str, str] = {}
    for profile in profiles:
        if profile.slug in seen:
            raise ProfileError(
                f"Profiles {seen[profile.slug]!r} and {profile.display_name!r} have the same"
                f" slug {profile.slug!r}; give each profile its own slug."
            )
        seen[profile.slug] = profile.display_name
    defaults = [p.display_name for p in profiles if p.default]
    if len(defaults) > 1:
        raise ProfileError(
            f"Profiles {', '.join(map(repr, defaults))} are all marked default; mark one."
        )
    if not defaults:
        profiles[0] = replace(profiles[0], default=True)
    return profiles


def parse_profile(raw: Mapping[str, Any], position: int = 0) -> Profile:
    """One declared profile as a ``Profile``; :class:`ProfileError` says what is wrong."""
    if not isinstance(raw, Mapping):
        raise ProfileError(
            f"ServerProfiles.profiles[{position}] must be a dict of profile fields, not {raw!r}."
        )
    name = raw.get("display_name")
    where = f"Profile {name!r}" if isinstance(name, str) and name else f"Profile #{position}"
    unknown = sorted(set(raw) - set(PROFILE_FIELDS))
    if unknown:
        raise ProfileError(
            f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(PROFILE_FIELDS)}."
        )

    def bad(name: str, needs: str) -> ProfileError:
        return ProfileError(f"{where}: {name} must be {needs}, not {raw[name]!r}.")

    if not isinstance(name, str) or not name.strip():
        raise ProfileError(f"{where}: display_name is required and must be a non-empty string.")
    slug = raw.get("slug", slugify(name))
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ProfileError(
            f"{where}: slug must be lower-case letters, digits and dashes, not {slug!r}."
        )
    values: dict[str, Any] = {"display_name": name, "slug": slug}
    if "description" in raw:
        if not isinstance(raw["description"], str):
            raise bad("description", "a string")
        values["description"] = raw["description"]
    for key in ("cpu_guarantee", "cpu_limit"):
        if raw.get(key) is not None:
            if not _is_number(raw[key]) or raw[key] <= 0:
                raise bad(key, "a number of CPU cores above 0")
            values[key] = raw[key]
    for key in ("mem_guarantee", "mem_limit"):
        if raw.get(key) is not None:
            if memory_bytes(raw[key]) is None:
                raise bad(key, "a number of bytes or a size such as '8G' (K, M, G or T)")
            values[key] = raw[key]
    if "gpus" in raw:
        gpus = raw["gpus"]
        if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
            raise bad("gpus", "a whole number of GPUs, 0 or more")
        values["gpus"] = gpus
    if raw.get("gpu_type") is not None:
        if not isinstance(raw["gpu_type"], str) or not raw["gpu_type"].strip():
            raise bad("gpu_type", "a GPU type such as 'nvidia-a100'")
        if not values.get("gpus"):
            raise ProfileError(f"{where}: gpu_type is set but gpus is 0; set gpus too.")
        values["gpu_type"] = raw["gpu_type"]
    if "node_selector" in raw:
        selector = raw["node_selector"]
        if not isinstance(selector, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in selector.items()
        ):
            raise bad("node_selector", "a dict of node label names to values (strings)")
        values["node_selector"] = dict(selector)
    if "tolerations" in raw:
        values["tolerations"] = _tolerations(where, raw["tolerations"])
    if raw.get("image") is not None:
        if not isinstance(raw["image"], str) or not raw["image"].strip():
            raise bad("image", "an image name such as 'ghcr.io/org/image:tag'")
        values["image"] = raw["image"]
    if "default" in raw:
        if not isinstance(raw["default"], bool):
            raise bad("default", "true or false")
        values["default"] = raw["default"]
    _check_guarantees(where, values)
    return Profile(**values)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def memory_bytes(value: Any) -> int | None:
    """Bytes of a memory setting (``8G``, ``512M``, ``1073741824``); None if it is not one."""
    if _is_number(value) and value > 0:
        return int(value)
    if isinstance(value, str):
        match = MEMORY_PATTERN.match(value)
        if match and float(match[1]) > 0:
            return int(float(match[1]) * MEMORY_UNITS[match[3]])
    return None


def _check_guarantees(where: str, values: Mapping[str, Any]) -> None:
    cpu_guarantee, cpu_limit = values.get("cpu_guarantee"), values.get("cpu_limit")
    if cpu_guarantee is not None and cpu_limit is not None and cpu_guarantee > cpu_limit:
        raise ProfileError(
            f"{where}: cpu_guarantee {cpu_guarantee} is more than cpu_limit {cpu_limit}."
        )
    mem_guarantee, mem_limit = values.get("mem_guarantee"), values.get("mem_limit")
    if mem_guarantee is not None and mem_limit is not None:
        guaranteed, limit = memory_bytes(mem_guarantee), memory_bytes(mem_limit)
        if guaranteed is not None and limit is not None and guaranteed > limit:
            raise ProfileError(
                f"{where}: mem_guarantee {mem_guarantee} is more than mem_limit {mem_limit}."
            )


def _tolerations(where: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ProfileError(f"{where}: tolerations must be a list of Kubernetes tolerations.")
    tolerations = []
    for i, toleration in enumerate(raw):
        at = f"{where}: tolerations[{i}]"
        if not isinstance(toleration, Mapping):
            raise ProfileError(f"{at} must be a dict such as {GPU_TOLERATIONS[0]}.")
        unknown = sorted(set(toleration) - TOLERATION_FIELDS)
        if unknown:
            raise ProfileError(
                f"{at}: unknown field {unknown[0]!r}; the fields are"
                f" {', '.join(sorted(TOLERATION_FIELDS))}."
            )
        if toleration.get("operator", "Equal") not in TOLERATION_OPERATORS:
            raise ProfileError(f"{at}: operator must be Exists or Equal.")
        if toleration.get("effect", "") not in TOLERATION_EFFECTS:
            raise ProfileError(f"{at}: effect must be NoSchedule, PreferNoSchedule or NoExecute.")
        for key in ("key", "value", "effect", "operator"):
            if key in toleration and not isinstance(toleration[key], str):
                raise ProfileError(f"{at}: {key} must be a string.")
        tolerations.append(dict(toleration))
    return tolerations


# Kubernetes (KubeSpawner, Zero-to-JupyterHub) -------------------------------------------


def kubespawner_override(
    profile: Profile,
    image: str | None = None,
    *,
    gpu_resource: str = GPU_RESOURCE,
    gpu_type_label: str = GPU_TYPE_LABEL,
    gpu_tolerations: Sequence[Mapping[str, Any]] = GPU_TOLERATIONS,
) -> dict[str, Any]:
    """The KubeSpawner settings a profile stands for.

    A GPU profile asks for ``gpus`` of the extended resource as a limit (the
    scheduler treats it as the request too), tolerates the GPU nodes' taint, and
    with a ``gpu_type`` selects nodes whose ``gpu_type_label`` has that value.
    Only settings the profile sets appear, so KubeSpawner's own (from
    ``c.KubeSpawner`` or the chart's ``singleuser``) apply to the rest.
    """
    override: dict[str, Any] = {}
    chosen_image = profile.image or image
    if chosen_image:
        override["image"] = chosen_image
    for key in ("cpu_guarantee", "cpu_limit", "mem_guarantee", "mem_limit"):
        value = getattr(profile, key)
        if value is not None:
            override[key] = value
    node_selector = dict(profile.node_selector)
    tolerations = [dict(t) for t in profile.tolerations]
    if profile.gpus:
        override["extra_resource_limits"] = {gpu_resource: str(profile.gpus)}
        if profile.gpu_type:
            node_selector[gpu_type_label] = profile.gpu_type
        tolerations += [dict(t) for t in gpu_tolerations if dict(t) not in tolerations]
    if node_selector:
        override["node_selector"] = node_selector
    if tolerations:
        override["tolerations"] = tolerations
    return override


def kubespawner_profile_list(
    profiles: Sequence[Profile],
    image: str | None = None,
    *,
    gpu_resource: str = GPU_RESOURCE,
    gpu_type_label: str = GPU_TYPE_LABEL,
    gpu_tolerations: Sequence[Mapping[str, Any]] = GPU_TOLERATIONS,
) -> list[dict[str, Any]]:
    """KubeSpawner's ``profile_list`` (and the chart's ``singleuser.profileList``).

    ``image`` is the image of profiles without one of their own; None leaves
    ``KubeSpawner.image`` (the chart's ``singleuser.image``) to decide.
    """
    entries = []
    for profile in profiles:
        entry: dict[str, Any] = {"display_name": profile.display_name, "slug": profile.slug}
        if profile.description:
            entry["description"] = profile.description
        if profile.default:
            entry["default"] = True
        entry["kubespawner_override"] = kubespawner_override(
            profile,
            image,
            gpu_resource=gpu_resource,
            gpu_type_label=gpu_type_label,
            gpu_tolerations=gpu_tolerations,
        )
        entries.append(entry)
    return entries


PROFILE_LIST_ENTRY_KEYS = {"display_name", "slug", "description", "default", "kubespawner_override"}


def check_kubespawner_profile_list(profile_list: Any, spawner_traits: Collection[str]) -> None:
    """Refuse a ``profile_list`` KubeSpawner would misread, naming the profile and key.

    KubeSpawner sets any ``kubespawner_override`` key as an attribute, so a
    misspelt one (``mem_limt``) is silently ignored and the server starts with
    the wrong resources. The hub calls this at start (``hub.extraConfig`` in the
    chart's values) with KubeSpawner's trait names, to fail early instead.
    """
    if callable(profile_list) or not profile_list:
        return
    if not isinstance(profile_list, Sequence) or isinstance(profile_list, str):
        raise ProfileError("KubeSpawner.profile_list must be a list of profiles.")
    slugs: set[str] = set()
    for position, entry in enumerate(profile_list):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("display_name"), str):
            raise ProfileError(f"profile_list[{position}] needs a display_name.")
        where = f"Profile {entry['display_name']!r} of KubeSpawner.profile_list"
        unknown = sorted(set(entry) - PROFILE_LIST_ENTRY_KEYS - {"profile_options"})
        if unknown:
            raise ProfileError(f"{where}: unknown key {unknown[0]!r}.")
        slug = entry.get("slug", slugify(entry["display_name"]))
        if slug in slugs:
            raise ProfileError(f"{where}: the slug {slug!r} is used twice.")
        slugs.add(slug)
        override = entry.get("kubespawner_override", {})
        if not isinstance(override, Mapping):
            raise ProfileError(f"{where}: kubespawner_override must be a dict.")
        misspelt = sorted(set(override) - set(spawner_traits))
        if misspelt:
            raise ProfileError(
                f"{where}: kubespawner_override sets {misspelt[0]!r}, which is no KubeSpawner"
                " setting; check its spelling."
            )
    if sum(1 for entry in profile_list if entry.get("default")) > 1:
        raise ProfileError("KubeSpawner.profile_list marks more than one profile default.")


# The embedded hub: profiles chosen by users, GPUs of this machine --------------------------


def choose_profile(profiles: Sequence[Profile], user_options: Mapping[str, Any]) -> Profile:
    """The profile a user asked for in ``user_options`` (``{"profile": slug}``).

    No choice means the default profile. The profile alone decides a server's
    resources, so any other option (a forged ``gpus``, ``image``...) is refused
    rather than ignored.
    """
    others = sorted(set(user_options) - {"profile"})
    if others:
        raise ProfileChoiceError(
            f"Unknown server option {others[0]!r}: only 'profile' can be chosen, and the"
            " profile decides the server's resources."
        )
    slug = user_options.get("profile")
    if slug in (None, ""):
        return next(p for p in profiles if p.default)
    for profile in profiles:
        if profile.slug == slug:
            return profile
    choices = ", ".join(f"{p.slug!r} ({p.display_name})" for p in profiles)
    raise ProfileChoiceError(f"There is no profile {slug!r}. Choose one of {choices}.")


def gpu_matches(gpu: Gpu, gpu_type: str | None) -> bool:
    """Whether ``gpu`` is of ``gpu_type``: its name contains the type, ignoring case,
    spaces and dashes, so ``nvidia-a100`` matches ``NVIDIA A100-SXM4-80GB``."""
    if not gpu_type:
        return True
    return _squash(gpu_type) in _squash(gpu.name)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def free_gpus(
    host_gpus: Sequence[Gpu], in_use: Collection[str], gpu_type: str | None = None
) -> list[Gpu]:
    """This machine's GPUs of ``gpu_type`` that no server holds, in index order."""
    return [g for g in host_gpus if g.uuid not in in_use and gpu_matches(g, gpu_type)]


def assign_gpus(
    requested: int,
    host_gpus: Sequence[Gpu],
    in_use: Collection[str],
    gpu_type: str | None = None,
) -> list[str]:
    """UUIDs of ``requested`` GPUs of this machine that are not ``in_use``.

    The lowest-numbered free GPUs are chosen, so servers pack onto the same GPUs
    in a predictable order. Raises :class:`NotEnoughGpus`, with how many are free,
    when fewer than ``requested`` are.
    """
    if requested <= 0:
        return []
    free = free_gpus(host_gpus, in_use, gpu_type)
    if len(free) < requested:
        total = sum(1 for g in host_gpus if gpu_matches(g, gpu_type))
        raise NotEnoughGpus(requested, len(free), total, gpu_type)
    return [gpu.uuid for gpu in free[:requested]]


# The declaration ----------------------------------------------------------------------------


class ServerProfiles(Configurable):
    """The profiles users choose from when they start a server, for every kind of hub."""

    profiles = List(
        Dict(),
        default_value=DEFAULT_PROFILES,
        help="""The kinds of server users can start, the default one first or marked
        "default": True. Each is a dict with display_name (required), slug, description,
        cpu_guarantee, cpu_limit (cores), mem_guarantee, mem_limit ("8G"), gpus (a count),
        gpu_type (e.g. "nvidia-a100"), node_selector, tolerations, image and default.

        The embedded hub offers them on its spawn form and gives each server GPUs of
        its own machine; on Kubernetes they become KubeSpawner's profile_list. The hub
        refuses to start when one is malformed, naming the profile and the field.""",
    ).tag(config=True)

    gpu_resource = Unicode(
        GPU_RESOURCE,
        help="Kubernetes extended resource a GPU profile asks for (amd.com/gpu on AMD nodes).",
    ).tag(config=True)

    gpu_type_label = Unicode(
        GPU_TYPE_LABEL,
        help="""Node label that a profile's gpu_type selects on Kubernetes. The default is
        set by NVIDIA's GPU feature discovery (values like NVIDIA-A100-SXM4-80GB); on GKE
        use cloud.google.com/gke-accelerator (values like nvidia-tesla-a100).""",
    ).tag(config=True)

    gpu_tolerations = List(
        Dict(),
        default_value=GPU_TOLERATIONS,
        help="Tolerations every GPU profile gets on Kubernetes, for tainted GPU nodes.",
    ).tag(config=True)

    def load(self) -> list[Profile]:
        """The declared profiles, checked; :class:`ProfileError` names a bad one."""
        return parse_profiles(self.profiles)

    def kubespawner_profile_list(self, image: str | None = None) -> list[dict[str, Any]]:
        """The declared profiles as KubeSpawner's ``profile_list``."""
        return kubespawner_profile_list(
            self.load(),
            image,
            gpu_resource=self.gpu_resource,
            gpu_type_label=self.gpu_type_label,
            gpu_tolerations=self.gpu_tolerations,
        )


def z2jh_values(profile_list: list[dict[str, Any]]) -> str:
    """The chart values that set ``singleuser.profileList``, as YAML text."""
    import yaml  # type: ignore[import-untyped]

    header = (
        "# singleuser.profileList for the jupyterhub chart, rendered from\n"
        "# ServerProfiles.profiles by `python -m jupyter_dl_hub.profiles --z2jh`.\n"
    )
    body: str = yaml.safe_dump(
        {"singleuser": {"profileList": profile_list}}, sort_keys=False, width=100
    )
    return header + body


def _load_config(path: Path) -> Config:
    from traitlets.config.loader import PyFileConfigLoader

    loader = PyFileConfigLoader(path.name, path=str(path.parent.absolute()))
    config: Config = loader.load_config()
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jupyter_dl_hub.profiles``: show the declared profiles, or their z2jh values."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_dl_hub.profiles",
        description="Show the server profiles, or print them as Zero-to-JupyterHub values.",
    )
    parser.add_argument(
        "--z2jh",
        action="store_true",
        help="print singleuser.profileList for the jupyterhub chart's values",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="a config file setting c.ServerProfiles (default: the built-in profiles)",
    )
    options = parser.parse_args(argv)
    config = _load_config(options.config) if options.config else Config()
    declared = ServerProfiles(config=config)
    try:
        profiles = declared.load()
        if options.z2jh:
            print(z2jh_values(declared.kubespawner_profile_list()), end="")
            return 0
    except ProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for profile in profiles:
        mark = "*" if profile.default else " "
        gpus = f"{profile.gpus} x {profile.gpu_type or 'GPU'}" if profile.gpus else "no GPU"
        print(f"{mark} {profile.slug:<12} {profile.display_name:<16} {gpus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
