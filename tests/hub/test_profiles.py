"""Server profiles: declaring them, rendering them for KubeSpawner, choosing one, and
giving servers GPUs of this machine. Pure functions and spawner objects; no hub runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tornado import web
from traitlets.config import Config

from jupyter_dl.gpus import Gpu
from jupyter_dl_hub.embedded import EmbeddedHub, EmbeddedHubError
from jupyter_dl_hub.profiles import (
    DEFAULT_PROFILES,
    GPU_RESOURCE,
    NotEnoughGpus,
    Profile,
    ProfileChoiceError,
    ProfileError,
    ServerProfiles,
    assign_gpus,
    check_kubespawner_profile_list,
    choose_profile,
    gpu_matches,
    kubespawner_override,
    kubespawner_profile_list,
    parse_profiles,
)
from jupyter_dl_hub.spawner import EmbeddedSpawner, GpuClaims, profile_from_form


def gpu(index: int, name: str = "NVIDIA A100-SXM4-80GB") -> Gpu:
    return Gpu(
        index=index, uuid=f"GPU-{index:04d}", name=name, memory_total=80 << 30, memory_used=0
    )


FOUR_GPUS = [gpu(i) for i in range(4)]
PROFILES = parse_profiles(DEFAULT_PROFILES)


# Declaring profiles ---------------------------------------------------------------------


def test_default_profiles_are_cpu_one_gpu_and_four_gpus() -> None:
    assert [(p.slug, p.display_name, p.gpus) for p in PROFILES] == [
        ("cpu", "CPU", 0),
        ("1-gpu", "1 GPU", 1),
        ("4-gpus", "4 GPUs", 4),
    ]
    assert [p.default for p in PROFILES] == [True, False, False]


def test_slug_comes_from_the_name_and_first_profile_is_the_default() -> None:
    profiles = parse_profiles([{"display_name": "Small CPU"}, {"display_name": "Big: 8 GPUs!"}])
    assert [p.slug for p in profiles] == ["small-cpu", "big-8-gpus"]
    assert profiles[0].default


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"display_name": "GPU", "gpus": "two"}, "Profile 'GPU': gpus must be a whole number"),
        ({"display_name": "GPU", "gpus": -1}, "Profile 'GPU': gpus must be a whole number"),
        ({"display_name": "GPU", "gpus": True}, "Profile 'GPU': gpus must be a whole number"),
        ({"display_name": "GPU", "gpu": 1}, "Profile 'GPU': unknown field 'gpu'"),
        ({"display_name": "Big", "mem_limit": "8GB"}, "Profile 'Big': mem_limit must be"),
        ({"display_name": "Big", "cpu_limit": 0}, "Profile 'Big': cpu_limit must be"),
        ({"display_name": "Odd", "slug": "Has Spaces"}, "Profile 'Odd': slug must be"),
        ({"slug": "nameless"}, "Profile #0: display_name is required"),
        ({"display_name": "A", "gpu_type": "nvidia-a100"}, "gpu_type is set but gpus is 0"),
        (
            {"display_name": "A", "cpu_guarantee": 4, "cpu_limit": 2},
            "cpu_guarantee 4 is more than cpu_limit 2",
        ),
        (
            {"display_name": "A", "mem_guarantee": "2G", "mem_limit": "512M"},
            "mem_guarantee 2G is more than mem_limit 512M",
        ),
        (
            {"display_name": "A", "tolerations": [{"key": "x", "effect": "Sometimes"}]},
            "Profile 'A': tolerations[0]: effect must be",
        ),
        (
            {"display_name": "A", "node_selector": {"pool": 3}},
            "Profile 'A': node_selector must be a dict",
        ),
        ({"display_name": "A", "default": "yes"}, "Profile 'A': default must be true or false"),
    ],
)
def test_bad_profile_is_refused_naming_profile_and_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError) as refused:
        parse_profiles([raw])
    assert message in str(refused.value)


def test_duplicate_slugs_and_two_defaults_are_refused() -> None:
    with pytest.raises(ProfileError, match="same slug 'gpu'"):
        parse_profiles([{"display_name": "GPU"}, {"display_name": "gpu"}])
    with pytest.raises(ProfileError, match="'A', 'B' are all marked default"):
        parse_profiles(
            [{"display_name": "A", "default": True}, {"display_name": "B", "default": True}]
        )
    with pytest.raises(ProfileError, match="non-empty list"):
        parse_profiles([])


def test_embedded_hub_refuses_to_start_with_a_bad_profile(tmp_path: Path) -> None:
    c = Config()
    c.ServerProfiles.profiles = [{"display_name": "GPU", "gpus": "2"}]
    hub = EmbeddedHub(
        config=c,
        state_dir=str(tmp_path / "state"),
        demo_password="p" * 40,
        proxy_command=["configurable-http-proxy"],
    )
    with pytest.raises(EmbeddedHubError, match=r"c.ServerProfiles.profiles: Profile 'GPU': gpus"):
        hub.apply(c)


# Rendering for KubeSpawner ------------------------------------------------------------------


def test_kubespawner_entries_carry_the_profile() -> None:
    cpu, one_gpu, _ = kubespawner_profile_list(PROFILES, "registry/image:1")
    assert cpu == {
        "display_name": "CPU",
        "slug": "cpu",
        "description": DEFAULT_PROFILES[0]["description"],
        "default": True,
        "kubespawner_override": {
            "image": "registry/image:1",
            "cpu_guarantee": 0.5,
            "cpu_limit": 2,
            "mem_guarantee": "2G",
            "mem_limit": "8G",
        },
    }
    override = one_gpu["kubespawner_override"]
    assert "default" not in one_gpu
    assert override["extra_resource_limits"] == {GPU_RESOURCE: "1"}
    assert override["tolerations"] == [
        {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert "node_selector" not in override


def test_gpu_type_and_own_settings_render_to_node_selector_tolerations_image() -> None:
    (profile,) = parse_profiles(
        [
            {
                "display_name": "A100",
                "gpus": 2,
                "gpu_type": "nvidia-tesla-a100",
                "node_selector": {"pool": "gpu"},
                "tolerations": [{"key": "team", "operator": "Equal", "value": "ml"}],
                "image": "own/image:2",
            }
        ]
    )
    override = kubespawner_override(
        profile,
        "registry/image:1",
        gpu_resource="amd.com/gpu",
        gpu_type_label="cloud.google.com/gke-accelerator",
        gpu_tolerations=[{"key": "amd.com/gpu", "operator": "Exists"}],
    )
    assert override == {
        "image": "own/image:2",
        "extra_resource_limits": {"amd.com/gpu": "2"},
        "node_selector": {"pool": "gpu", "cloud.google.com/gke-accelerator": "nvidia-tesla-a100"},
        "tolerations": [
            {"key": "team", "operator": "Equal", "value": "ml"},
            {"key": "amd.com/gpu", "operator": "Exists"},
        ],
    }


def test_without_an_image_the_spawners_own_image_applies() -> None:
    entries = ServerProfiles().kubespawner_profile_list()
    assert all("image" not in entry["kubespawner_override"] for entry in entries)


def test_profile_list_check_catches_what_kubespawner_would_ignore() -> None:
    from kubespawner import KubeSpawner

    traits = KubeSpawner.class_trait_names()
    entries = kubespawner_profile_list(PROFILES, "registry/image:1")
    check_kubespawner_profile_list(entries, traits)
    entries[2]["kubespawner_override"]["extra_resource_limit"] = {GPU_RESOURCE: "4"}
    with pytest.raises(ProfileError, match=r"Profile '4 GPUs'.*'extra_resource_limit'"):
        check_kubespawner_profile_list(entries, traits)
    with pytest.raises(ProfileError, match="'cpu' is used twice"):
        check_kubespawner_profile_list([entries[0], entries[0]], traits)


# Choosing a profile -------------------------------------------------------------------------


def test_no_choice_is_the_default_profile() -> None:
    assert choose_profile(PROFILES, {}).slug == "cpu"
    assert choose_profile(PROFILES, {"profile": ""}).slug == "cpu"
    assert choose_profile(PROFILES, {"profile": "4-gpus"}).gpus == 4


def test_forged_profile_or_resource_is_refused() -> None:
    with pytest.raises(ProfileChoiceError, match=r"There is no profile '64-gpus'\. Choose one of"):
        choose_profile(PROFILES, {"profile": "64-gpus"})
    with pytest.raises(ProfileChoiceError, match="Unknown server option 'gpus'"):
        choose_profile(PROFILES, {"profile": "cpu", "gpus": 8})
    with pytest.raises(ProfileChoiceError, match="There is no profile"):
        choose_profile(PROFILES, {"profile": ["cpu"]})


def test_form_data_becomes_the_profile_choice() -> None:
    assert profile_from_form({"profile": ["1-gpu"]}) == {"profile": "1-gpu"}
    assert profile_from_form({}) == {}


# Assigning GPUs -----------------------------------------------------------------------------


def test_assign_gpus_takes_the_lowest_free_gpus() -> None:
    assert assign_gpus(2, FOUR_GPUS, in_use=set()) == ["GPU-0000", "GPU-0001"]
    assert assign_gpus(2, FOUR_GPUS, in_use={"GPU-0000", "GPU-0002"}) == ["GPU-0001", "GPU-0003"]
    assert assign_gpus(0, [], in_use=set()) == []


def test_assign_gpus_refuses_more_than_are_free_saying_how_many_are() -> None:
    with pytest.raises(NotEnoughGpus) as refused:
        assign_gpus(4, FOUR_GPUS, in_use={"GPU-0001"})
    assert (refused.value.requested, refused.value.free, refused.value.total) == (4, 3, 4)
    assert "only 3 of this machine's 4 GPUs are free" in str(refused.value)
    with pytest.raises(NotEnoughGpus, match="all 4 of this machine's GPUs are in use"):
        assign_gpus(1, FOUR_GPUS, in_use={g.uuid for g in FOUR_GPUS})
    with pytest.raises(NotEnoughGpus, match="this machine has no GPU"):
        assign_gpus(1, [], in_use=set())


def test_gpu_type_picks_matching_gpus_only() -> None:
    host = [gpu(0, "Tesla T4"), gpu(1, "NVIDIA A100-SXM4-80GB"), gpu(2, "NVIDIA A100 80GB PCIe")]
    assert gpu_matches(host[1], "nvidia-a100")
    assert not gpu_matches(host[0], "nvidia-a100")
    assert assign_gpus(2, host, set(), gpu_type="nvidia-a100") == [host[1].uuid, host[2].uuid]
    with pytest.raises(NotEnoughGpus, match="this machine has no nvidia-h100 GPU"):
        assign_gpus(1, host, set(), gpu_type="nvidia-h100")


def test_claims_never_hand_out_a_gpu_twice() -> None:
    claims = GpuClaims()
    first = assign_gpus(1, FOUR_GPUS, claims.held_by_others("alice/"))
    claims.hold("alice/", first)
    second = assign_gpus(3, FOUR_GPUS, claims.held_by_others("bob/"))
    claims.hold("bob/", second)
    assert not set(first) & set(second)
    with pytest.raises(NotEnoughGpus, match="all 4"):
        assign_gpus(1, FOUR_GPUS, claims.held_by_others("carol/"))
    # A user's own claim is not in their way when their server starts again.
    assert assign_gpus(1, FOUR_GPUS, claims.held_by_others("alice/")) == first
    claims.release("bob/")
    assert len(assign_gpus(3, FOUR_GPUS, claims.held_by_others("carol/"))) == 3


# The embedded spawner ------------------------------------------------------------------------

HUB = SimpleNamespace(
    public_host="",
    url="http://127.0.0.1:8081/hub/",
    base_url="/hub/",
    api_url="http://127.0.0.1:8081/hub/api",
)


class FourGpuSpawner(EmbeddedSpawner):
    """An embedded spawner on a machine with four A100s."""

    def host_gpus(self) -> list[Gpu]:
        return FOUR_GPUS


@pytest.fixture(autouse=True)
def fresh_claims(monkeypatch: pytest.MonkeyPatch) -> GpuClaims:
    """Each test starts as a freshly started hub: nobody holds a GPU."""
    claims = GpuClaims()
    monkeypatch.setattr(EmbeddedSpawner, "claims", claims)
    return claims


def spawner(name: str, tmp_path: Path, cls: type[EmbeddedSpawner] = FourGpuSpawner) -> Any:
    user = SimpleNamespace(name=name, url=f"/user/{name}/", id=hash(name), groups=[])
    return cls(user=user, hub=HUB, home_dir_template=str(tmp_path / "{username}"))


def refusal(error: pytest.ExceptionInfo[web.HTTPError]) -> str:
    assert error.value.status_code == 400
    return str(error.value.log_message)


def test_servers_get_distinct_gpus_through_cuda_visible_devices(tmp_path: Path) -> None:
    alice, bob = spawner("alice", tmp_path), spawner("bob", tmp_path)
    alice.apply_profile({"profile": "1-gpu"})
    bob.apply_profile({"profile": "1-gpu"})
    assert alice.get_env()["CUDA_VISIBLE_DEVICES"] == "GPU-0000"
    assert bob.get_env()["CUDA_VISIBLE_DEVICES"] == "GPU-0001"
    # The profile's limits are passed on, for resource displays in the lab.
    assert float(alice.get_env()["CPU_LIMIT"]) == 8


def test_cpu_profile_sees_no_gpu(tmp_path: Path) -> None:
    alice = spawner("alice", tmp_path)
    alice.apply_profile({})
    assert alice.profile_slug == "cpu"
    assert alice.get_env()["CUDA_VISIBLE_DEVICES"] == ""


def test_spawn_asking_for_more_gpus_than_are_free_is_refused(tmp_path: Path) -> None:
    spawner("alice", tmp_path).apply_profile({"profile": "1-gpu"})
    bob = spawner("bob", tmp_path)
    with pytest.raises(web.HTTPError) as refused:
        bob.apply_profile({"profile": "4-gpus"})
    assert refusal(refused) == (
        "Cannot start a '4 GPUs' server. It needs 4 GPUs, but only 3 of this machine's"
        " 4 GPUs are free. Stop a server that holds GPUs, or choose a profile with fewer GPUs."
    )
    assert bob.gpu_uuids == []


def test_forged_choice_is_refused_with_a_400(tmp_path: Path) -> None:
    alice = spawner("alice", tmp_path)
    with pytest.raises(web.HTTPError) as refused:
        alice.apply_profile({"profile": "everything"})
    assert "There is no profile 'everything'" in refusal(refused)


def test_gpu_profile_on_a_machine_without_gpus_says_so(tmp_path: Path) -> None:
    class NoGpuSpawner(EmbeddedSpawner):
        def host_gpus(self) -> list[Gpu]:
            return []

    with pytest.raises(web.HTTPError) as refused:
        spawner("alice", tmp_path, NoGpuSpawner).apply_profile({"profile": "1-gpu"})
    assert refusal(refused) == (
        "Cannot start a '1 GPU' server. It needs 1 GPU, but this machine has no GPU."
        " Choose a profile with fewer GPUs."
    )


def test_gpus_held_by_running_servers_survive_a_hub_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = spawner("alice", tmp_path)
    alice.apply_profile({"profile": "4-gpus"})
    alice.pid = 4242  # started
    saved = alice.get_state()
    assert saved["gpus"] == [g.uuid for g in FOUR_GPUS]

    # The hub restarts: no claims in memory, spawners come back from saved state.
    monkeypatch.setattr(EmbeddedSpawner, "claims", GpuClaims())
    spawner("alice", tmp_path).load_state(saved)
    with pytest.raises(web.HTTPError) as refused:
        spawner("bob", tmp_path).apply_profile({"profile": "1-gpu"})
    assert "all 4 of this machine's GPUs are in use" in refusal(refused)


def test_stopping_a_server_frees_its_gpus(tmp_path: Path) -> None:
    alice = spawner("alice", tmp_path)
    alice.apply_profile({"profile": "4-gpus"})
    alice.clear_state()
    assert "gpus" not in alice.get_state()
    spawner("bob", tmp_path).apply_profile({"profile": "4-gpus"})


def test_state_of_a_stopped_server_holds_no_gpus(tmp_path: Path) -> None:
    # No pid: the server is not running, so its last GPUs are not taken.
    spawner("alice", tmp_path).load_state({"profile": "4-gpus", "gpus": ["GPU-0000"]})
    spawner("bob", tmp_path).apply_profile({"profile": "4-gpus"})


def test_spawn_form_offers_every_profile_and_disables_what_cannot_start(tmp_path: Path) -> None:
    spawner("alice", tmp_path).apply_profile({"profile": "1-gpu"})
    bob = spawner("bob", tmp_path)
    form = bob.options_form(bob)
    assert "This machine has 4 GPUs for servers; 3 free." in form
    assert 'value="cpu" checked>' in form
    assert 'value="1-gpu">' in form
    assert 'value="4-gpus" disabled>' in form
    assert "(needs 4 GPUs; 3 free)" in form
    for profile in PROFILES:
        assert f"<strong>{profile.display_name}</strong>" in form


def test_spawn_form_escapes_what_admins_wrote(tmp_path: Path) -> None:
    c = Config()
    c.ServerProfiles.profiles = [
        {"display_name": "<b>CPU</b>"},
        {"display_name": "GPU", "gpus": 1, "description": "<script>alert(1)</script>"},
    ]
    user = SimpleNamespace(name="alice", url="/user/alice/", id=1, groups=[])
    alice = FourGpuSpawner(config=c, user=user, hub=HUB)
    form = alice.options_form(alice)
    assert "<script>" not in form
    assert "&lt;b&gt;CPU&lt;/b&gt;" in form


def test_one_profile_means_no_form(tmp_path: Path) -> None:
    c = Config()
    c.ServerProfiles.profiles = [{"display_name": "CPU"}]
    alice = FourGpuSpawner(config=c, user=SimpleNamespace(name="alice", groups=[]), hub=HUB)
    assert alice.options_form(alice) == ""


def test_a_profile_trait_reads_as_profile_objects() -> None:
    c = Config()
    c.ServerProfiles.profiles = [{"display_name": "Only"}]
    assert ServerProfiles(config=c).load() == [
        Profile(display_name="Only", slug="only", default=True)
    ]
