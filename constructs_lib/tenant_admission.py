"""What a tenant may have its vcluster create on the host: an admission policy per vcluster.

A team is cluster-admin inside its vcluster, and the vcluster's syncer writes what the team
creates into the host namespace with the syncer's own host identity (vcluster 0.36.1, read from
its source): NetworkPolicies with `ipBlock` peers and rules without peers copied verbatim
(`pkg/controllers/resources/networkpolicies/translate.go`), Services with their type, node ports
and `externalIPs` (`pkg/server/filters/service.go`, `pkg/controllers/resources/services`).
Policies add up, so a team policy with egress to `0.0.0.0/0` would open the internet, the
nodes and the cloud metadata endpoint past the catalog; a LoadBalancer or `externalIPs`
Service would expose the team, or capture others' traffic (CVE-2020-8554), past review.

This ValidatingAdmissionPolicy (built into Kubernetes since 1.30: no engine to install) refuses
exactly that for requests made by any service account of the tenant's host namespace — the
syncer's among them; the platform's own objects, applied with the platform's credentials, are
not its concern. What it leaves a team: policies among the pods of its own vcluster (the
syncer confines every pod peer to them), and ClusterIP Services. Egress beyond the vcluster and
exposure come from the catalog only. It ships inside the vcluster's own Helm release
(`experimental.deploy.host.manifests`, rendered verbatim by the chart), so it exists exactly as
long as the vcluster does, on every kind of host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from constructs_lib.vcluster_network import NAMESPACE_NAME_LABEL

#: Every peer of every rule names pods: a rule without peers is everyone; an ipBlock is
#: addresses outside the pods; the syncer never writes a namespaceSelector itself.
_NAMED_PODS_ONLY: Final = (
    "has({rule}.{peers}) && size({rule}.{peers}) > 0 && "
    "{rule}.{peers}.all(p, !has(p.ipBlock) && !has(p.namespaceSelector))"
)


def _every_rule(direction: str, peers: str) -> str:
    named = _NAMED_PODS_ONLY.format(rule="r", peers=peers)
    return (
        "request.resource.resource != 'networkpolicies' || "
        f"!has(object.spec.{direction}) || object.spec.{direction}.all(r, {named})"
    )


#: (CEL expression, message) — each must hold for a request the policy matches.
VALIDATIONS: Final = (
    (
        _every_rule("ingress", "from"),
        "a team's NetworkPolicy may admit traffic only from pods of its own vcluster (a rule "
        "without peers, an ipBlock or a namespaceSelector is refused): exposure comes from the "
        "platform catalog",
    ),
    (
        _every_rule("egress", "to"),
        "a team's NetworkPolicy may send traffic only to pods of its own vcluster (a rule "
        "without peers, an ipBlock or a namespaceSelector is refused): egress beyond the "
        "vcluster comes from the catalog's `egress:`",
    ),
    (
        "request.resource.resource != 'services' || !has(object.spec.type) || "
        "object.spec.type in ['ClusterIP', 'ExternalName']",
        "a team's Service stays inside the cluster (ClusterIP): NodePort and LoadBalancer "
        "exposure come from the platform catalog",
    ),
    (
        "request.resource.resource != 'services' || !has(object.spec.externalIPs) || "
        "size(object.spec.externalIPs) == 0",
        "a team's Service may not claim externalIPs: they capture traffic to those addresses "
        "on every node (CVE-2020-8554)",
    ),
)

_RESOURCES: Final = (("networking.k8s.io", "networkpolicies"), ("", "services"))


def tenant_requests_condition(host_namespace: str) -> str:
    """CEL: the request comes from a service account of the tenant's host namespace."""
    return f"request.userInfo.username.startsWith('system:serviceaccount:{host_namespace}:')"


def tenant_guard_name(host_namespace: str) -> str:
    return f"{host_namespace}-tenant-guard"


def tenant_guard_manifests(
    host_namespace: str, labels: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ValidatingAdmissionPolicy and its binding to the tenant's host namespace."""
    name = tenant_guard_name(host_namespace)
    metadata = {"name": name, "labels": dict(labels)}
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata,
        "spec": {
            # An expression that cannot be evaluated refuses the request: fail closed.
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [group],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": [resource],
                    }
                    for group, resource in _RESOURCES
                ]
            },
            "matchConditions": [
                {"name": "from-the-tenant", "expression": tenant_requests_condition(host_namespace)}
            ],
            "validations": [
                {"expression": expression, "message": message}
                for expression, message in VALIDATIONS
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": metadata,
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: host_namespace}}
            },
        },
    }
    return policy, binding
