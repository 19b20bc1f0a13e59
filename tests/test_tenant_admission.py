"""What a tenant can make its vcluster create on the host: the guard, the quota, the sync switches.

A team is cluster-admin in its vcluster; what it creates there, the syncer writes into the host
namespace with the syncer's own service account. The tenant guard (a ValidatingAdmissionPolicy
per vcluster) is evaluated here with a real CEL interpreter (tools/netpol/admission.py) against
objects as the 0.36.1 syncer writes them; the quota and the rendered host objects are read from
fixtures rendered by Helm from the v0.36.1 chart with our values.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.tenant_admission import tenant_guard_manifests
from tests.conftest import (
    REFERENCE,
    Parse,
    Synth,
    Synthesized,
    only,
    resources,
    values_of,
)
from tests.tenant_policies import ADVERSARIAL, CONFINED_BY_THE_SYNCER
from tools.netpol.admission import Admission, Request
from tools.netpol.evaluator import parse_policy, policy_manifest
from tools.netpol.host_view import VirtualNamespace, stack_policies, synced_policy

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
PLATFORM = "kubernetes-admin"  # whoever applies the platform's own objects: not a tenant


def host_objects(exposure: str) -> dict[str, dict[str, Any]]:
    """kind/name -> object, as the chart renders them for our values (a reviewed fixture)."""
    text = (FIXTURES / f"vcluster-0.36.1-host-objects-{exposure}.yaml").read_text()
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(text) if d}


def vcluster_values(stacks: Synthesized, team: str) -> dict[str, Any]:
    return values_of(only(resources(stacks[f"vcluster-{team}"], "helm_release")))


def guard(documents_of: str = "vcluster-team-a") -> Admission:
    documents = tenant_guard_manifests(documents_of, {})
    return Admission.of(documents, ["vcluster-team-a", "vcluster-team-b", "kube-system"])


# --- the quota: every key, and why --------------------------------------------------------


#: The host quota of team-a in platform.yaml, key by key (README, "Security defaults").
EXPECTED_QUOTA = {
    # capacity: the catalog's `quota:` (defaults here)
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    "requests.storage": "50Gi",
    "count/pods": "30",
    # Services that leave the cluster: exactly the API server's NodePort Service (https and
    # kubelet) on a KIND host; no load balancer.
    "services.nodeports": "2",
    "services.loadbalancers": "0",
    # chart 0.36.1 defaults, written out: ephemeral storage and API object counts
    "requests.ephemeral-storage": "60Gi",
    "limits.ephemeral-storage": "160Gi",
    "count/configmaps": "100",
    "count/endpoints": "40",
    "count/persistentvolumeclaims": "20",
    "count/secrets": "100",
    "count/services": "20",
}


def test_the_host_quota_is_written_key_by_key(synthesized: Synthesized) -> None:
    quota = vcluster_values(synthesized, "team-a")["policies"]["resourceQuota"]["quota"]
    assert quota == EXPECTED_QUOTA


def test_the_chart_merges_nothing_under_our_quota() -> None:
    rendered = host_objects("kind")["ResourceQuota/vc-team-a"]["spec"]["hard"]
    assert rendered == EXPECTED_QUOTA


@pytest.mark.reference
def test_every_default_of_the_charts_quota_is_overridden(synthesized: Synthesized) -> None:
    chart = yaml.safe_load((REFERENCE / "vcluster" / "values.yaml").read_text())
    defaults = chart["policies"]["resourceQuota"]["quota"]
    ours = vcluster_values(synthesized, "team-a")["policies"]["resourceQuota"]["quota"]
    assert set(defaults) <= set(ours)
    assert defaults["services.loadbalancers"] == 1  # what a tenant could have used
    limit_range = chart["policies"]["limitRange"]
    written = vcluster_values(synthesized, "team-a")["policies"]["limitRange"]
    assert set(limit_range["default"]) <= set(written["default"])
    assert set(limit_range["defaultRequest"]) <= set(written["defaultRequest"])


def quota_on_an_existing_host(exposure: str, catalog_from: Parse, synth: Synth) -> Any:
    """team-a's host quota on an existing host that exposes vclusters by `exposure`."""
    stacks = synth(
        catalog_from(
            "platform: {host: {type: existing, kubeconfig_path: ~/.kube/x, context: x, "
            f"exposure: {exposure}, domain: vc.example.com}}}}\nteams: [{{name: team-a}}]"
        )
    )
    return vcluster_values(stacks, "team-a")["policies"]["resourceQuota"]["quota"]


def test_a_load_balancer_host_allows_exactly_the_api_servers_load_balancer(
    catalog_from: Parse, synth: Synth
) -> None:
    quota = quota_on_an_existing_host("load_balancer", catalog_from, synth)
    assert (quota["services.loadbalancers"], quota["services.nodeports"]) == ("1", "1")
    rendered = host_objects("load-balancer")
    service = rendered["Service/team-a"]["spec"]
    assert service["type"] == "LoadBalancer"
    assert [p["name"] for p in service["ports"]] == ["https"]  # one node port: no kubelet port
    hard = rendered["ResourceQuota/vc-team-a"]["spec"]["hard"]
    assert (hard["services.loadbalancers"], hard["services.nodeports"]) == ("1", "1")


def test_an_ingress_host_allows_no_service_outside_the_cluster(
    catalog_from: Parse, synth: Synth
) -> None:
    quota = quota_on_an_existing_host("ingress", catalog_from, synth)
    assert (quota["services.loadbalancers"], quota["services.nodeports"]) == ("0", "0")


def test_a_kind_host_publishes_exactly_the_two_ports_the_quota_allows() -> None:
    service = host_objects("kind")["Service/team-a"]["spec"]
    assert service["type"] == "NodePort"
    assert [p["name"] for p in service["ports"]] == ["https", "kubelet"]


# --- what the syncer may carry ------------------------------------------------------------


def test_pod_disruption_budgets_stay_inside_the_vcluster(synthesized: Synthesized) -> None:
    sync = vcluster_values(synthesized, "team-a")["sync"]["toHost"]
    assert sync["podDisruptionBudgets"] == {"enabled": False}
    role = host_objects("kind")["Role/vc-team-a"]
    granted = {r for rule in role["rules"] for r in rule["resources"]}
    assert "poddisruptionbudgets" not in granted
    assert "networkpolicies" in granted  # still synced, through the guard


def test_the_guard_ships_with_the_vcluster_release(synthesized: Synthesized) -> None:
    values = vcluster_values(synthesized, "team-a")
    text = values["experimental"]["deploy"]["host"]["manifests"]
    written = [d for d in yaml.safe_load_all(text) if d]
    labels = values["controlPlane"]["statefulSet"]["labels"]
    assert written == list(tenant_guard_manifests("vcluster-team-a", labels))
    rendered = host_objects("kind")
    assert rendered["ValidatingAdmissionPolicy/vcluster-team-a-tenant-guard"] == written[0]
    assert rendered["ValidatingAdmissionPolicyBinding/vcluster-team-a-tenant-guard"] == written[1]


# --- the guard, evaluated ----------------------------------------------------------------


def synced(name: str, spec: dict[str, Any], team: str = "team-a") -> dict[str, Any]:
    """A team's NetworkPolicy in `<team>-apps`, as the syncer writes it on the host."""
    where = VirtualNamespace(team, f"{team}-apps")
    return policy_manifest(synced_policy(parse_policy(name, where.name, spec), where))


def syncer_of(team: str) -> str:
    """The host identity of a vcluster's syncer (chart 0.36.1: service account `vc-<release>`)."""
    return f"system:serviceaccount:vcluster-{team}:vc-{team}"


def policy_request(
    obj: dict[str, Any], *, team: str = "team-a", username: str | None = None
) -> Request:
    return Request(
        username=username or syncer_of(team),
        namespace=f"vcluster-{team}",
        group="networking.k8s.io",
        resource="networkpolicies",
        object=obj,
    )


def service_request(spec: dict[str, Any], *, username: str | None = None) -> Request:
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec}
    return Request(
        username=username or syncer_of("team-a"),
        namespace="vcluster-team-a",
        resource="services",
        object=obj,
    )


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_guard_refuses_a_tenant_policy_that_leaves_its_pods(name: str) -> None:
    spec, words = ADVERSARIAL[name]
    refusals = guard().refusals(policy_request(synced("p", spec)))
    assert len(refusals) == 1
    assert words in refusals[0]


@pytest.mark.parametrize("name", sorted(CONFINED_BY_THE_SYNCER))
def test_the_guard_admits_selectors_the_syncer_confines(name: str) -> None:
    host_object = synced("p", CONFINED_BY_THE_SYNCER[name])
    assert "namespaceSelector" not in str(host_object)  # the syncer never writes one
    assert guard().refusals(policy_request(host_object)) == []


def test_the_guard_admits_every_policy_the_platform_writes_inside_a_vcluster(
    synthesized: Synthesized,
) -> None:
    checked = 0
    for team in ("team-a", "team-b"):
        for namespace, policy in stack_policies(synthesized[team]):
            host_object = policy_manifest(synced_policy(policy, VirtualNamespace(team, namespace)))
            request = policy_request(host_object, team=team)
            assert guard(f"vcluster-{team}").refusals(request) == [], policy.name
            checked += 1
    assert checked >= 10


def test_the_guard_leaves_the_platforms_own_host_policies_alone(synthesized: Synthesized) -> None:
    egress = {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
    host_object = policy_manifest(parse_policy("workload-egress", "vcluster-team-a", egress))
    assert guard().refusals(policy_request(host_object, username=PLATFORM)) == []


def test_the_guard_of_one_vcluster_does_not_reach_into_another_namespace() -> None:
    spec, _ = ADVERSARIAL["egress to the world"]
    request = policy_request(synced("p", spec, team="team-b"), team="team-b")
    assert guard("vcluster-team-a").refusals(request) == []
    assert guard("vcluster-team-b").refusals(request) != []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}, "NodePort and"),
        ({"type": "LoadBalancer", "ports": [{"port": 80}]}, "NodePort and"),
        ({"type": "ClusterIP", "externalIPs": ["203.0.113.7"]}, "externalIPs"),
    ],
    ids=["NodePort", "LoadBalancer", "externalIPs"],
)
def test_the_guard_refuses_a_tenant_service_that_leaves_the_cluster(
    spec: dict[str, Any], words: str
) -> None:
    refusals = guard().refusals(service_request(spec))
    assert len(refusals) == 1
    assert words in refusals[0]


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "ClusterIP", "ports": [{"port": 80}], "selector": {"app": "x"}},
        {"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 80}]},
        # the vcluster's own kubelet Service per node (nodeservice/node_service.go)
        {"type": "ClusterIP", "ports": [{"name": "kubelet", "port": 10250}]},
        {"type": "ExternalName", "externalName": "db.example.com"},
    ],
    ids=["ClusterIP", "headless", "node service", "ExternalName"],
)
def test_the_guard_admits_services_that_stay_inside(spec: dict[str, Any]) -> None:
    assert guard().refusals(service_request(spec)) == []


def test_the_platforms_own_api_server_service_is_not_the_guards_concern() -> None:
    spec = {"type": "NodePort", "ports": [{"port": 443, "nodePort": 30016}]}
    assert guard().refusals(service_request(spec, username=PLATFORM)) == []


def test_a_guard_whose_expression_breaks_refuses_everything_it_matches() -> None:
    policy, binding = tenant_guard_manifests("vcluster-team-a", {})
    broken = yaml.safe_load(yaml.safe_dump(policy))
    broken["spec"]["validations"][0]["expression"] = "object.spec.nothing.at.all"
    admission = Admission.of([broken, binding], ["vcluster-team-a"])
    refusals = admission.refusals(policy_request(synced("p", {"podSelector": {}})))
    assert len(refusals) == 1
    assert "error" in refusals[0]
