"""Layer 1: the KIND host cluster stack."""

from __future__ import annotations

import json
from typing import Any

from catalog.model import Catalog
from constructs_lib import versions
from tests.conftest import Parse, Synth, Synthesized, only, resources


def _cluster(stacks: Synthesized) -> dict[str, Any]:
    return dict(only(resources(stacks["kind-cluster"], "kind_cluster")))


def test_one_control_plane_and_two_workers_by_default(synthesized: Synthesized) -> None:
    nodes = _cluster(synthesized)["kind_config"][0]["node"]
    assert [n["role"] for n in nodes] == ["control-plane", "worker", "worker"]


def test_worker_count_comes_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from("platform: {host: {workers: 3}}\nteams: [{name: a1}]"))
    nodes = _cluster(stacks)["kind_config"][0]["node"]
    assert [n["role"] for n in nodes].count("worker") == 3


def test_node_image_is_pinned_by_version_and_digest(synthesized: Synthesized) -> None:
    image = _cluster(synthesized)["node_image"]
    assert image == versions.KIND_NODE_IMAGE
    assert image.startswith("kindest/node:v1.") and "@sha256:" in image


def test_waits_for_the_control_plane(synthesized: Synthesized) -> None:
    assert _cluster(synthesized)["wait_for_ready"] is True


def test_kubeconfig_is_written_to_a_relative_path(synthesized: Synthesized) -> None:
    path = _cluster(synthesized)["kubeconfig_path"]
    assert path == "../../../.kubeconfigs/host-platform.yaml"


def test_the_whole_port_pool_is_published_on_loopback_once(synthesized: Synthesized) -> None:
    control_plane = _cluster(synthesized)["kind_config"][0]["node"][0]
    mappings = control_plane["extra_port_mappings"]
    assert [m["host_port"] for m in mappings] == list(range(30000, 30020))
    assert all(m["container_port"] == m["host_port"] for m in mappings)
    assert {m["listen_address"] for m in mappings} == {"127.0.0.1"}


def test_api_server_listens_on_loopback_only(synthesized: Synthesized) -> None:
    networking = _cluster(synthesized)["kind_config"][0]["networking"][0]
    assert networking == {"api_server_address": "127.0.0.1"}


def test_outputs_kubeconfig_path_and_endpoint(synthesized: Synthesized) -> None:
    outputs = synthesized["kind-cluster"]["output"]
    assert outputs["kubeconfig_path"]["value"].endswith(".kubeconfig_path}")
    assert outputs["endpoint"]["value"].endswith(".endpoint}")


def test_pins_the_kind_provider(synthesized: Synthesized) -> None:
    required = synthesized["kind-cluster"]["terraform"]["required_providers"]
    assert required == {"kind": {"source": "tehcyx/kind", "version": "0.11.0"}}


def test_adding_a_team_leaves_the_host_untouched(
    default_catalog: Catalog, synthesized: Synthesized, catalog_from: Parse, synth: Synth
) -> None:
    grown = default_catalog.model_copy(
        update={"teams": (*default_catalog.teams, catalog_from("teams: [{name: team-c}]").teams[0])}
    )
    after = synth(Catalog.model_validate(grown.model_dump()))
    assert json.dumps(after["kind-cluster"], sort_keys=True) == json.dumps(
        synthesized["kind-cluster"], sort_keys=True
    )


def test_an_existing_host_has_no_kind_cluster_stack(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from(
            "platform: {host: {type: existing, kubeconfig_path: ~/.kube/prod, context: prod, "
            "domain: vc.example.com}}\nteams: [{name: a1}]"
        )
    )
    assert sorted(stacks) == ["a1", "vcluster-a1"]
    provider = stacks["vcluster-a1"]["provider"]["kubernetes"][0]
    assert provider == {"config_path": "~/.kube/prod", "config_context": "prod"}
