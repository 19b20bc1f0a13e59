"""Layer 2: one isolated vcluster per team, with a kubeconfig that works from the deploy machine."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from catalog.model import Catalog
from tests.conftest import (
    Parse,
    Synth,
    Synthesized,
    address_at,
    only,
    reference_json,
    resources,
    values_of,
)

EXISTING_HOST = (
    "platform: {{host: {{type: existing, kubeconfig_path: ~/.kube/prod, domain: vc.example.com, "
    "exposure: {exposure}}}}}\nteams: [{{name: a1}}]"
)


def vcluster_stacks(stacks: Synthesized) -> dict[str, dict[str, Any]]:
    """Team name -> its layer-2 stack `vcluster-<team>`."""
    return {
        name.removeprefix("vcluster-"): stack
        for name, stack in stacks.items()
        if name.startswith("vcluster-")
    }


def release_of(stacks: Synthesized, team: str) -> dict[str, Any]:
    """The one vcluster release in the team's layer-2 stack."""
    release: dict[str, Any] = only(resources(stacks[f"vcluster-{team}"], "helm_release"))
    return release


def assert_valid_values(stacks: Synthesized) -> None:
    schema = reference_json("vcluster", "values.schema.json")
    for team in vcluster_stacks(stacks):
        values = values_of(release_of(stacks, team))
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(values))
        assert not errors, f"{team}: {[e.message for e in errors]}"


# --- the chart and its values -----------------------------------------------------------


@pytest.mark.reference
def test_every_synthesized_values_document_fits_the_chart_schema(synthesized: Synthesized) -> None:
    # Every variant is checked on the values function (test_chart_values); this is the output.
    assert_valid_values(synthesized)


def test_a_teams_vcluster_settings_reach_its_release(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from("teams: [{name: a1, vcluster: {replicas: 3, backing_store: deployed-etcd}}]")
    )
    values = values_of(release_of(stacks, "a1"))
    assert values["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] == 3
    etcd = values["controlPlane"]["backingStore"]["etcd"]["deploy"]
    assert etcd["enabled"] is True
    assert etcd["statefulSet"]["highAvailability"]["replicas"] == 3


def test_one_pinned_vcluster_release_per_team_with_the_k8s_distro(synthesized: Synthesized) -> None:
    found = {team: release_of(synthesized, team) for team in vcluster_stacks(synthesized)}
    assert sorted(found) == ["team-a", "team-b"]
    for team, release in found.items():
        assert release["name"] == team
        assert release["chart"] == "vcluster"
        assert release["version"] == "0.36.1"
        assert release["repository"] == "https://charts.loft.sh"
        assert release["namespace"].endswith(".metadata[0].name}")
        distro = values_of(release)["controlPlane"]["distro"]
        assert list(distro) == ["k8s"], team
        assert distro["k8s"]["enabled"] is True


def test_each_team_gets_its_own_labeled_host_namespace(synthesized: Synthesized) -> None:
    namespaces = {
        ns["metadata"]["name"]: ns["metadata"]["labels"]
        for stack in vcluster_stacks(synthesized).values()
        for ns in resources(stack, "kubernetes_namespace_v1").values()
    }
    assert sorted(namespaces) == ["vcluster-team-a", "vcluster-team-b"]
    labels = namespaces["vcluster-team-a"]
    assert labels["team"] == "team-a"
    assert labels["project"] == "kube-platform"
    assert labels["cost-center"] == "cc-1001"
    assert labels["app.kubernetes.io/managed-by"] == "kube-platform"
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_chart_objects_carry_the_team_labels(synthesized: Synthesized) -> None:
    values = values_of(release_of(synthesized, "team-b"))
    expected = {"team": "team-b", "project": "kube-platform", "cost-center": "cc-1002"}
    for labels in (
        values["controlPlane"]["statefulSet"]["labels"],
        values["controlPlane"]["statefulSet"]["pods"]["labels"],
        values["controlPlane"]["service"]["labels"],
        values["policies"]["resourceQuota"]["labels"],
        *(
            p["metadata"]["labels"]
            for p in resources(
                synthesized["vcluster-team-b"], "kubernetes_network_policy_v1"
            ).values()
        ),
    ):
        assert labels.items() >= expected.items()


def test_control_plane_runs_as_non_root_with_resources(synthesized: Synthesized) -> None:
    stateful_set = values_of(release_of(synthesized, "team-a"))["controlPlane"]["statefulSet"]
    container = stateful_set["security"]["containerSecurityContext"]
    assert container["runAsNonRoot"] is True and container["runAsUser"] != 0
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert stateful_set["security"]["podSecurityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"
    }
    assert stateful_set["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}


# --- isolation --------------------------------------------------------------------------


def test_quota_and_limit_range_are_on_and_the_charts_network_policy_off(
    synthesized: Synthesized,
) -> None:
    policies = values_of(release_of(synthesized, "team-a"))["policies"]
    assert policies["resourceQuota"]["enabled"] is True
    assert policies["limitRange"]["enabled"] is True
    assert policies["networkPolicy"] == {"enabled": False}  # ours instead: test_isolation.py


def test_quota_allows_the_vclusters_own_node_port_service(synthesized: Synthesized) -> None:
    quota = values_of(release_of(synthesized, "team-a"))["policies"]["resourceQuota"]["quota"]
    assert quota["services.nodeports"] == "2"  # https and the vcluster kubelet port


def test_quota_values_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from("teams: [{name: a1, quota: {cpu_requests: 2, pods: 12}}]"))
    quota = values_of(release_of(stacks, "a1"))["policies"]["resourceQuota"]["quota"]
    assert quota["requests.cpu"] == "2"
    assert quota["count/pods"] == "12"


def test_limit_range_defaults_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from(
            "teams: [{name: a1, container_defaults: {cpu_request: 50m, memory_request: 64Mi, "
            "cpu_limit: 200m, memory_limit: 256Mi}}]"
        )
    )
    limits = values_of(release_of(stacks, "a1"))["policies"]["limitRange"]
    # ephemeral storage: the chart's defaults, written out (test_tenant_admission.py)
    assert limits["default"] == {"cpu": "200m", "memory": "256Mi", "ephemeral-storage": "8Gi"}
    assert limits["defaultRequest"] == {"cpu": "50m", "memory": "64Mi", "ephemeral-storage": "3Gi"}
    inside = next(iter(resources(stacks["a1"], "kubernetes_limit_range_v1").values()))
    assert inside["spec"]["limit"][0]["default"] == {"cpu": "200m", "memory": "256Mi"}


def test_team_network_policies_are_synced_to_the_host(synthesized: Synthesized) -> None:
    sync = values_of(release_of(synthesized, "team-a"))["sync"]["toHost"]
    assert sync["networkPolicies"] == {"enabled": True}


def test_api_server_port_stays_reachable_through_the_network_policy(
    synthesized: Synthesized,
) -> None:
    host = resources(synthesized["vcluster-team-a"], "kubernetes_network_policy_v1").values()
    control_plane = next(p for p in host if p["metadata"]["name"] == "control-plane")
    assert control_plane["spec"]["pod_selector"] == {
        "match_labels": {"app": "vcluster", "release": "team-a"}
    }
    assert control_plane["spec"]["ingress"][0] == {"ports": [{"port": "8443", "protocol": "TCP"}]}


def test_the_host_namespace_of_a_vcluster_is_closed_by_default(synthesized: Synthesized) -> None:
    host = resources(synthesized["vcluster-team-b"], "kubernetes_network_policy_v1").values()
    by_name = {p["metadata"]["name"]: p["spec"] for p in host}
    assert sorted(by_name) == ["control-plane", "coredns", "default-deny", "workloads-to-vcluster"]
    assert by_name["default-deny"] == {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}


def test_a_team_with_a_database_lets_its_api_server_call_the_operators_webhook(
    synthesized: Synthesized,
) -> None:
    host = resources(synthesized["vcluster-team-a"], "kubernetes_network_policy_v1").values()
    webhook = next(p for p in host if p["metadata"]["name"] == "webhook-cnpg-system-9443")
    assert webhook["spec"]["ingress"] == [
        {
            "from": [{"pod_selector": {"match_labels": {"app": "vcluster", "release": "team-a"}}}],
            "ports": [{"port": "9443", "protocol": "TCP"}],
        }
    ]


# --- reachability -----------------------------------------------------------------------


def test_kind_host_publishes_each_vcluster_on_its_pool_port(
    default_catalog: Catalog, synthesized: Synthesized
) -> None:
    for team in default_catalog.teams:
        values = values_of(release_of(synthesized, team.name))
        port = default_catalog.node_port_of(team)
        assert values["controlPlane"]["service"]["spec"] == {"type": "NodePort"}
        assert values["controlPlane"]["service"]["httpsNodePort"] == port
        assert values["exportKubeConfig"]["server"] == f"https://127.0.0.1:{port}"


def test_ingress_exposure_uses_a_team_host_with_tls_passthrough(
    catalog_from: Parse, synth: Synth
) -> None:
    stacks = synth(catalog_from(EXISTING_HOST.format(exposure="ingress")))
    values = values_of(release_of(stacks, "a1"))
    assert values["controlPlane"]["ingress"] == {
        "enabled": True,
        "host": "a1.vc.example.com",
        "spec": {"ingressClassName": "nginx"},
    }
    assert values["controlPlane"]["proxy"]["extraSANs"] == ["a1.vc.example.com"]
    assert values["exportKubeConfig"]["server"] == "https://a1.vc.example.com"
    assert values["policies"]["resourceQuota"]["quota"]["services.nodeports"] == "0"


def test_load_balancer_exposure_names_the_team_host(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from(EXISTING_HOST.format(exposure="load_balancer")))
    values = values_of(release_of(stacks, "a1"))
    assert values["controlPlane"]["service"]["spec"] == {"type": "LoadBalancer"}
    assert values["controlPlane"]["proxy"]["extraSANs"] == ["a1.vc.example.com"]
    assert values["exportKubeConfig"]["server"] == "https://a1.vc.example.com"


# --- kubeconfig hand-over ---------------------------------------------------------------


def test_kubeconfig_is_read_from_the_vcluster_secret_after_the_release(
    synthesized: Synthesized,
) -> None:
    by_name = {
        s["metadata"]["name"]: s
        for stack in vcluster_stacks(synthesized).values()
        for s in stack["data"]["kubernetes_secret_v1"].values()
    }
    assert sorted(by_name) == ["vc-team-a", "vc-team-b"]
    secret = by_name["vc-team-a"]
    release = address_at(synthesized["vcluster-team-a"], "vcluster-team-a/team-a/Release")
    assert secret["depends_on"] == [release]
    (postcondition,) = secret["lifecycle"]["postcondition"]
    assert postcondition["condition"] == '${length(try(self.data["config"], "")) > 0}'
    assert "run the deploy again" in postcondition["error_message"]


def test_kubeconfig_files_are_sensitive_private_unique_and_relative(
    synthesized: Synthesized,
) -> None:
    files = [
        only(resources(stack, "local_sensitive_file"))
        for stack in vcluster_stacks(synthesized).values()
    ]
    paths = sorted(f["filename"] for f in files)
    assert paths == [
        "../../../.kubeconfigs/vcluster-team-a.yaml",
        "../../../.kubeconfigs/vcluster-team-b.yaml",
    ]
    assert {f["file_permission"] for f in files} == {"0600"}
    assert all('.data["config"]}' in f["content"] for f in files)


def test_each_vcluster_stack_outputs_its_teams_kubeconfig_path(synthesized: Synthesized) -> None:
    stack = synthesized["vcluster-team-a"]
    kubeconfig = address_at(stack, "vcluster-team-a/team-a/Kubeconfig")
    assert stack["output"]["kubeconfig_path"] == {"value": f"${{{kubeconfig}.filename}}"}


def test_a_vcluster_stack_holds_its_own_team_only(synthesized: Synthesized) -> None:
    for team, stack in vcluster_stacks(synthesized).items():
        addresses = [name for items in stack["resource"].values() for name in items]
        assert addresses and all(a.startswith(f"{team}_") for a in addresses), team


def test_each_vcluster_keeps_its_state_in_its_own_place(synthesized: Synthesized) -> None:
    assert synthesized["vcluster-team-a"]["terraform"]["backend"] == {
        "local": {"path": "../../../.terraform-state/platform/vcluster/team-a/terraform.tfstate"}
    }


def test_host_providers_read_the_kind_kubeconfig_by_cross_stack_reference(
    synthesized: Synthesized,
) -> None:
    stack = synthesized["vcluster-team-a"]
    reference = (
        "${data.terraform_remote_state.cross-stack-reference-input-kind-cluster.outputs."
        "cross-stack-output-kind_clusterHost_cluster_1B07893Bkubeconfig_path}"
    )
    assert stack["provider"]["kubernetes"] == [
        {"config_path": reference, "config_context": "kind-platform"}
    ]
    assert stack["provider"]["helm"] == [
        {"kubernetes": {"config_path": reference, "config_context": "kind-platform"}}
    ]


# --- adding a team ----------------------------------------------------------------------


def with_team_c(catalog: Catalog, catalog_from: Parse, *, first: bool) -> Catalog:
    team_c = catalog_from("teams: [{name: team-c}]").teams[0]
    teams = (team_c, *catalog.teams) if first else (*catalog.teams, team_c)
    return Catalog.model_validate(catalog.model_copy(update={"teams": teams}).model_dump())


@pytest.mark.parametrize("first", [False, True], ids=["appended", "inserted-first"])
def test_adding_team_c_adds_its_two_stacks_and_changes_no_other(
    default_catalog: Catalog,
    synthesized: Synthesized,
    catalog_from: Parse,
    synth: Synth,
    first: bool,
) -> None:
    after = synth(with_team_c(default_catalog, catalog_from, first=first))
    assert {name: after[name] for name in synthesized} == synthesized
    assert set(after) - set(synthesized) == {"vcluster-team-c", "team-c"}
