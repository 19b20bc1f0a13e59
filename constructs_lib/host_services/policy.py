"""Policy: Kyverno and the platform's baseline for tenants' host namespaces.

Kyverno over Gatekeeper: its policies are Kubernetes objects with CEL expressions (the
language the API server's own admission policies use, and the one our evaluator runs in
tests), no Rego to learn, and `ValidatingPolicy` (stable since 1.17) puts each policy's
namespace selector on its webhook, so while Kyverno is down only tenants' namespaces wait,
not the whole host (a ClusterPolicy's webhook spans every namespace).

The baseline repeats what the vcluster's own guard and Pod Security `baseline` already refuse
(hostPath, privileged, host namespaces) on purpose: a second, independent engine for the
rules that keep a tenant off the node, and the one place registries are restricted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from constructs_lib import versions
from constructs_lib.host_services.plan import Chart, ServicePlan
from constructs_lib.host_services.settings import PolicyService

NAMESPACE: Final = "kyverno"
RELEASE: Final = "kyverno"
POLICY_API: Final = "policies.kyverno.io/v1"
#: Tenants' host namespaces (each carries its team's label); the policies apply there only.
TENANT_NAMESPACES: Final = {"matchExpressions": [{"key": "team", "operator": "Exists"}]}

#: Every container of the pod under review, init and ephemeral ones included (plain CEL).
_CONTAINERS: Final = (
    "object.spec.containers"
    " + (has(object.spec.initContainers) ? object.spec.initContainers : [])"
    " + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])"
)

#: The rules of the baseline: name -> (CEL expression that must hold, message).
BASELINE: Final = {
    "tenant-disallow-host-path": (
        "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
        "hostPath volumes are not allowed in tenant namespaces",
    ),
    "tenant-disallow-privileged": (
        f"({_CONTAINERS}).all(c, !has(c.securityContext) || "
        "!has(c.securityContext.privileged) || !c.securityContext.privileged)",
        "privileged containers are not allowed in tenant namespaces",
    ),
    "tenant-disallow-host-namespaces": (
        "(!has(object.spec.hostNetwork) || !object.spec.hostNetwork) && "
        "(!has(object.spec.hostPID) || !object.spec.hostPID) && "
        "(!has(object.spec.hostIPC) || !object.spec.hostIPC)",
        "hostNetwork, hostPID and hostIPC must be unset or false in tenant namespaces",
    ),
}

#: Image prefixes of what the platform itself runs in a tenant's host namespace: the vcluster
#: (control plane, its Kubernetes binaries, the deployed etcd, CoreDNS as vcluster 0.36.1
#: `pkg/constants/coredns.go` names it, without a registry), and what a team stack deploys
#: inside it (the database operator and PostgreSQL, Valkey and its exporter, the default app).
PLATFORM_IMAGE_PREFIXES: Final = (
    f"{versions.VCLUSTER_IMAGE_REGISTRY}/loft-sh/",
    f"{versions.ETCD_IMAGE_REGISTRY}/{versions.ETCD_IMAGE_REPOSITORY}:",
    "coredns/coredns:",
    "ghcr.io/cloudnative-pg/",
    "docker.io/valkey/valkey:",
    f"{versions.VALKEY_EXPORTER_IMAGE_REGISTRY}/{versions.VALKEY_EXPORTER_IMAGE_REPOSITORY}:",
    versions.APP_IMAGE.split(":")[0] + ":",
)


def image_prefixes(registries: Iterable[str]) -> tuple[str, ...]:
    """The prefixes an image must start with: each registry (path) as a directory, and for
    Docker Hub also as people write it without the registry (`nginxinc/…`)."""
    prefixes: list[str] = list(PLATFORM_IMAGE_PREFIXES)
    for registry in registries:
        prefixes.append(f"{registry}/")
        if registry.startswith("docker.io/"):
            prefixes.append(f"{registry.removeprefix('docker.io/')}/")
    return tuple(dict.fromkeys(prefixes))


def allows_image(image: str, registries: Iterable[str]) -> bool:
    """What the registry rule decides for one image (the catalog checks teams' images)."""
    return any(image.startswith(p) for p in image_prefixes(registries))


def _validating_policy(name: str, expression: str, message: str) -> dict[str, Any]:
    return {
        "apiVersion": POLICY_API,
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": {
            "validationActions": ["Deny"],
            "matchConstraints": {
                "namespaceSelector": TENANT_NAMESPACES,
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"],
                    }
                ],
            },
            "validations": [{"expression": expression, "message": message}],
        },
    }


def baseline_policies(settings: PolicyService) -> tuple[dict[str, Any], ...]:
    policies = [_validating_policy(n, e, m) for n, (e, m) in BASELINE.items()]
    if settings.allowed_registries:
        prefixes = image_prefixes(settings.allowed_registries)
        listed = ", ".join(repr(p) for p in prefixes)
        policies.append(
            _validating_policy(
                "tenant-restrict-image-registries",
                f"({_CONTAINERS}).all(c, [{listed}].exists(p, c.image.startsWith(p)))",
                "images in tenant namespaces must come from: " + ", ".join(prefixes),
            )
        )
    return tuple(policies)


def chart_values() -> dict[str, Any]:
    """Three admission controllers, as the chart's README asks of production (a disruption
    budget comes with them): every pod of a tenant waits on this webhook. The chart's
    `helm test` pods would run `readiness-checker:latest`; they run the release's tag."""
    return {
        "admissionController": {"replicas": 3},
        "test": {"image": {"tag": versions.KYVERNO_VERSION}},
    }


def plan(settings: PolicyService) -> ServicePlan:
    if settings.provided:
        # The host's own engine and policies: nothing the tenants' stacks read from it.
        return ServicePlan(service="policy", namespace=NAMESPACE, release=RELEASE, chart=None)
    return ServicePlan(
        service="policy",
        namespace=NAMESPACE,
        release=RELEASE,
        chart=Chart(
            repository=versions.KYVERNO_CHART_REPOSITORY,
            name="kyverno",
            version=versions.KYVERNO_CHART_VERSION,
        ),
        values=chart_values(),
        objects=baseline_policies(settings),
    )
