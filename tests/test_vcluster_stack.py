"""Layer 2: one isolated vcluster per team, with a kubeconfig that works from the deploy machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from constructs_lib.catalog import Catalog
from tests.conftest import REFERENCE, Synthesized, resources, values_of

Parse = Callable[[str], Catalog]
Synth = Callable[[Catalog], Synthesized]

VALUES_SCHEMA = json.loads((REFERENCE / "vcluster" / "values.schema.json").read_text())
EXISTING_HOST = (
    "platform: {{host: {{type: existing, kubeconfig_path: ~/.kube/prod, domain: vc.example.com, "
    "exposure: {exposure}}}}}\nteams: [{{name: a1}}]"
)


def releases(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in resources(stack, "helm_release").values()}


def assert_valid_values(stack: dict[str, Any]) -> None:
    for name, release in releases(stack).items():
        errors = list(
            jsonschema.Draft202012Validator(VALUES_SCHEMA).iter_errors(values_of(release))
        )
        assert not errors, f"{name}: {[e.message for e in errors]}"


# --- the chart and its values -----------------------------------------------------------


def test_every_values_document_fits_the_chart_schema(synthesized: Synthesized) -> None:
    assert_valid_values(synthesized["vcluster"])


@pytest.mark.parametrize("exposure", ["ingress", "load_balancer"])
def test_existing_host_values_fit_the_chart_schema(
    catalog_from: Parse, synth: Synth, exposure: str
) -> None:
    assert_valid_values(synth(catalog_from(EXISTING_HOST.format(exposure=exposure)))["vcluster"])


def test_ha_values_with_embedded_etcd_fit_the_chart_schema(
    catalog_from: Parse, synth: Synth
) -> None:
    stacks = synth(
        catalog_from("teams: [{name: a1, vcluster: {replicas: 3, backing_store: embedded-etcd}}]")
    )
    assert_valid_values(stacks["vcluster"])
    values = values_of(releases(stacks["vcluster"])["a1"])
    assert values["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] == 3
    assert values["controlPlane"]["backingStore"] == {"etcd": {"embedded": {"enabled": True}}}


def test_the_schema_check_rejects_the_removed_k3s_distro() -> None:
    bad = {"controlPlane": {"distro": {"k3s": {"enabled": True}}}}
    assert list(jsonschema.Draft202012Validator(VALUES_SCHEMA).iter_errors(bad))


def test_one_pinned_vcluster_release_per_team_with_the_k8s_distro(synthesized: Synthesized) -> None:
    found = releases(synthesized["vcluster"])
    assert sorted(found) == ["team-a", "team-b"]
    for team, release in found.items():
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
        for ns in resources(synthesized["vcluster"], "kubernetes_namespace_v1").values()
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
    values = values_of(releases(synthesized["vcluster"])["team-b"])
    expected = {"team": "team-b", "project": "kube-platform", "cost-center": "cc-1002"}
    for labels in (
        values["controlPlane"]["statefulSet"]["labels"],
        values["controlPlane"]["statefulSet"]["pods"]["labels"],
        values["controlPlane"]["service"]["labels"],
        values["policies"]["resourceQuota"]["labels"],
        values["policies"]["networkPolicy"]["labels"],
    ):
        assert labels.items() >= expected.items()


def test_control_plane_runs_as_non_root_with_resources(synthesized: Synthesized) -> None:
    stateful_set = values_of(releases(synthesized["vcluster"])["team-a"])["controlPlane"][
        "statefulSet"
    ]
    container = stateful_set["security"]["containerSecurityContext"]
    assert container["runAsNonRoot"] is True and container["runAsUser"] != 0
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert stateful_set["security"]["podSecurityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"
    }
    assert stateful_set["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}


# --- isolation --------------------------------------------------------------------------


def test_quota_limit_range_and_network_policy_are_on(synthesized: Synthesized) -> None:
    policies = values_of(releases(synthesized["vcluster"])["team-a"])["policies"]
    assert policies["resourceQuota"]["enabled"] is True
    assert policies["limitRange"]["enabled"] is True
    assert policies["networkPolicy"]["enabled"] is True


def test_quota_allows_the_vclusters_own_node_port_service(synthesized: Synthesized) -> None:
    quota = values_of(releases(synthesized["vcluster"])["team-a"])["policies"]["resourceQuota"][
        "quota"
    ]
    assert quota["services.nodeports"] == 2  # https and the vcluster kubelet port


def test_quota_values_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from("teams: [{name: a1, quota: {cpu_requests: 2, pods: 12}}]"))
    quota = values_of(releases(stacks["vcluster"])["a1"])["policies"]["resourceQuota"]["quota"]
    assert quota["requests.cpu"] == "2"
    assert quota["count/pods"] == "12"


def test_limit_range_defaults_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from(
            "teams: [{name: a1, container_defaults: {cpu_request: 50m, memory_request: 64Mi, "
            "cpu_limit: 200m, memory_limit: 256Mi}}]"
        )
    )
    limits = values_of(releases(stacks["vcluster"])["a1"])["policies"]["limitRange"]
    assert limits["default"] == {"cpu": "200m", "memory": "256Mi"}
    assert limits["defaultRequest"] == {"cpu": "50m", "memory": "64Mi"}
    inside = next(iter(resources(stacks["a1"], "kubernetes_limit_range_v1").values()))
    assert inside["spec"]["limit"][0]["default"] == {"cpu": "200m", "memory": "256Mi"}


def test_team_network_policies_are_synced_to_the_host(synthesized: Synthesized) -> None:
    sync = values_of(releases(synthesized["vcluster"])["team-a"])["sync"]["toHost"]
    assert sync["networkPolicies"] == {"enabled": True}


def test_api_server_port_stays_reachable_through_the_network_policy(
    synthesized: Synthesized,
) -> None:
    policy = values_of(releases(synthesized["vcluster"])["team-a"])["policies"]["networkPolicy"]
    assert policy["controlPlane"]["ingress"] == [{"ports": [{"port": 8443, "protocol": "TCP"}]}]


# --- reachability -----------------------------------------------------------------------


def test_kind_host_publishes_each_vcluster_on_its_pool_port(
    default_catalog: Catalog, synthesized: Synthesized
) -> None:
    for team in default_catalog.teams:
        values = values_of(releases(synthesized["vcluster"])[team.name])
        port = default_catalog.node_port_of(team)
        assert values["controlPlane"]["service"]["spec"] == {"type": "NodePort"}
        assert values["controlPlane"]["service"]["httpsNodePort"] == port
        assert values["exportKubeConfig"]["server"] == f"https://127.0.0.1:{port}"


def test_ingress_exposure_uses_a_team_host_with_tls_passthrough(
    catalog_from: Parse, synth: Synth
) -> None:
    stacks = synth(catalog_from(EXISTING_HOST.format(exposure="ingress")))
    values = values_of(releases(stacks["vcluster"])["a1"])
    assert values["controlPlane"]["ingress"] == {
        "enabled": True,
        "host": "a1.vc.example.com",
        "spec": {"ingressClassName": "nginx"},
    }
    assert values["controlPlane"]["proxy"]["extraSANs"] == ["a1.vc.example.com"]
    assert values["exportKubeConfig"]["server"] == "https://a1.vc.example.com"
    assert values["policies"]["resourceQuota"]["quota"]["services.nodeports"] == 0


def test_load_balancer_exposure_names_the_team_host(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from(EXISTING_HOST.format(exposure="load_balancer")))
    values = values_of(releases(stacks["vcluster"])["a1"])
    assert values["controlPlane"]["service"]["spec"] == {"type": "LoadBalancer"}
    assert values["controlPlane"]["proxy"]["extraSANs"] == ["a1.vc.example.com"]
    assert values["exportKubeConfig"]["server"] == "https://a1.vc.example.com"


# --- kubeconfig hand-over ---------------------------------------------------------------


def test_kubeconfig_is_read_from_the_vcluster_secret_after_the_release(
    synthesized: Synthesized,
) -> None:
    secrets = synthesized["vcluster"]["data"]["kubernetes_secret_v1"]
    by_name = {s["metadata"]["name"]: s for s in secrets.values()}
    assert sorted(by_name) == ["vc-team-a", "vc-team-b"]
    secret = by_name["vc-team-a"]
    assert secret["depends_on"] == ["helm_release.team-a_Release_40E8423B"]
    (postcondition,) = secret["lifecycle"]["postcondition"]
    assert postcondition["condition"] == '${length(try(self.data["config"], "")) > 0}'
    assert "run the deploy again" in postcondition["error_message"]


def test_kubeconfig_files_are_sensitive_private_unique_and_relative(
    synthesized: Synthesized,
) -> None:
    files = resources(synthesized["vcluster"], "local_sensitive_file")
    paths = sorted(f["filename"] for f in files.values())
    assert paths == [
        "../../../.kubeconfigs/vcluster-team-a.yaml",
        "../../../.kubeconfigs/vcluster-team-b.yaml",
    ]
    assert {f["file_permission"] for f in files.values()} == {"0600"}
    assert all('.data["config"]}' in f["content"] for f in files.values())


def test_outputs_the_map_of_team_kubeconfig_paths(synthesized: Synthesized) -> None:
    output = synthesized["vcluster"]["output"]["team_kubeconfig_paths"]["value"]
    assert sorted(output) == ["team-a", "team-b"]
    assert output["team-a"] == "${local_sensitive_file.team-a_Kubeconfig_4C2164B1.filename}"


def test_host_providers_read_the_kind_kubeconfig_by_cross_stack_reference(
    synthesized: Synthesized,
) -> None:
    stack = synthesized["vcluster"]
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


def _by_address(stack: dict[str, Any]) -> dict[str, str]:
    return {
        f"{kind}.{name}": json.dumps(body, sort_keys=True)
        for section in ("resource", "data")
        for kind, items in stack.get(section, {}).items()
        for name, body in items.items()
    }


@pytest.mark.parametrize("first", [False, True], ids=["appended", "inserted-first"])
def test_adding_team_c_changes_no_existing_resource_anywhere(
    default_catalog: Catalog,
    synthesized: Synthesized,
    catalog_from: Parse,
    synth: Synth,
    first: bool,
) -> None:
    after = synth(with_team_c(default_catalog, catalog_from, first=first))
    assert after["kind-cluster"] == synthesized["kind-cluster"]
    assert after["team-a"] == synthesized["team-a"]
    assert after["team-b"] == synthesized["team-b"]
    before_vc, after_vc = _by_address(synthesized["vcluster"]), _by_address(after["vcluster"])
    assert {a: after_vc[a] for a in before_vc} == before_vc
    added = set(after_vc) - set(before_vc)
    assert added and all("team-c" in address for address in added)
