"""One team's virtual cluster on the host, and its kubeconfig written for the deploy machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.data_kubernetes_secret_v1 import (
    DataKubernetesSecretV1,
    DataKubernetesSecretV1Metadata,
)
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1, NamespaceV1Metadata
from cdktf_cdktf_provider_local.sensitive_file import SensitiveFile
from constructs import Construct

from constructs_lib import versions
from constructs_lib.catalog import BackingStore
from constructs_lib.helm_values import values_document
from constructs_lib.labels import PlatformLabels
from constructs_lib.paths import team_kubeconfig_path
from constructs_lib.pod_security import pod_security_labels
from constructs_lib.resources import CONTAINER_DEFAULTS, VCLUSTER_RESOURCES, Quota, Resources
from constructs_lib.vcluster_exposure import API_SERVER_PORT, Exposure

#: The uid/gid the control plane runs as: any non-root id works, this is the one vcluster documents.
_NON_ROOT_ID: Final = 12345

_CONTAINER_SECURITY: Final = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": _NON_ROOT_ID,
    "runAsGroup": _NON_ROOT_ID,
    "capabilities": {"drop": ["ALL"]},
}


@dataclass(frozen=True, kw_only=True, slots=True)
class VClusterProps:
    team: str
    """The team the vcluster belongs to; names the release, namespace and kubeconfig."""
    labels: PlatformLabels
    exposure: Exposure
    """How the API server is reached from the deploy machine."""
    chart_version: str = versions.VCLUSTER_CHART_VERSION
    replicas: int = 1
    """Control-plane replicas; more than one needs `backing_store` embedded-etcd."""
    backing_store: BackingStore = BackingStore.EMBEDDED_SQLITE
    resources: Resources = VCLUSTER_RESOURCES
    """Requests and limits of the control-plane container."""
    quota: Quota = field(default_factory=Quota)
    """What the team's workloads may consume in total on the host."""
    container_defaults: Resources = CONTAINER_DEFAULTS
    """LimitRange: what a container gets when it states no requests or limits."""
    protect: bool = False
    """prevent_destroy on the namespace and the release (production mode)."""

    def __post_init__(self) -> None:
        if self.replicas > 1 and self.backing_store is BackingStore.EMBEDDED_SQLITE:
            raise ValueError(
                f"replicas {self.replicas} needs backing_store embedded-etcd; "
                "the embedded SQLite store runs exactly one replica"
            )

    @property
    def release_name(self) -> str:
        return self.team

    @property
    def host_namespace(self) -> str:
        return f"vcluster-{self.team}"

    @property
    def kubeconfig_secret_name(self) -> str:
        """The secret the vcluster writes its kubeconfig to (`vc-<release>`, key `config`)."""
        return f"vc-{self.release_name}"

    @property
    def kubeconfig_path(self) -> str:
        return team_kubeconfig_path(self.team)


def vcluster_values(props: VClusterProps) -> dict[str, Any]:
    """The chart values of one vcluster (validated against the chart's schema in the tests)."""
    labels = props.labels.as_dict()
    backing_store = (
        {"etcd": {"embedded": {"enabled": True}}}
        if props.backing_store is BackingStore.EMBEDDED_ETCD
        else {"database": {"embedded": {"enabled": True}}}
    )
    quota = props.quota.as_hard_limits() | {
        # The chart's default is 0, which would reject the vcluster's own NodePort Service.
        "services.nodeports": props.exposure.node_ports_used,
    }
    control_plane: dict[str, Any] = {
        "distro": {"k8s": {"enabled": True, "securityContext": _CONTAINER_SECURITY}},
        "backingStore": backing_store,
        "statefulSet": {
            "labels": labels,
            "pods": {"labels": labels},
            "highAvailability": {"replicas": props.replicas},
            # The control plane's data outlives an uninstall: deleting it is a separate step.
            "persistence": {"volumeClaim": {"retentionPolicy": "Retain"}},
            "resources": props.resources.as_kubernetes(),
            "security": {
                "podSecurityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": _NON_ROOT_ID,
                    "runAsGroup": _NON_ROOT_ID,
                    "fsGroup": _NON_ROOT_ID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containerSecurityContext": _CONTAINER_SECURITY,
            },
        },
    }
    for key, value in props.exposure.control_plane_values().items():
        control_plane[key] = control_plane.get(key, {}) | value
    control_plane.setdefault("service", {})["labels"] = labels
    return {
        "controlPlane": control_plane,
        "exportKubeConfig": {"server": props.exposure.server, "context": f"vcluster-{props.team}"},
        # Pods run on the host: the team's own NetworkPolicies and PodDisruptionBudgets only
        # take effect once the vcluster copies them there.
        "sync": {
            "toHost": {
                "networkPolicies": {"enabled": True},
                "podDisruptionBudgets": {"enabled": True},
            }
        },
        "policies": {
            "resourceQuota": {"enabled": True, "labels": labels, "quota": quota},
            "limitRange": {
                "enabled": True,
                "labels": labels,
                "default": props.container_defaults.as_kubernetes()["limits"],
                "defaultRequest": props.container_defaults.as_kubernetes()["requests"],
            },
            "networkPolicy": {
                "enabled": True,
                "labels": labels,
                # The API server must stay reachable from outside: it authenticates every
                # request itself (client certificates), the policy only narrows the port.
                "controlPlane": {
                    "ingress": [{"ports": [{"port": API_SERVER_PORT, "protocol": "TCP"}]}]
                },
            },
        },
        "telemetry": {"enabled": False},
    }


class TeamVCluster(Construct):
    """A vcluster in its own host namespace; its kubeconfig lands in a per-team file."""

    def __init__(self, scope: Construct, id: str, props: VClusterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        labels = props.labels.as_dict()
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.protect else None
        namespace = NamespaceV1(
            self,
            "Namespace",
            metadata=NamespaceV1Metadata(
                name=props.host_namespace,
                # Baseline, not restricted: the chart's CoreDNS and binary-copy init
                # containers set no seccomp profile we can reach through values, so
                # `restricted` would reject them. Warn/audit report anything short of it.
                labels=labels | pod_security_labels("baseline"),
            ),
            lifecycle=lifecycle,
        )
        host_namespace = namespace.metadata.name
        self.release = Release(
            self,
            "Release",
            name=props.release_name,
            namespace=host_namespace,
            repository=versions.VCLUSTER_CHART_REPOSITORY,
            chart="vcluster",
            version=props.chart_version,
            values=[values_document(vcluster_values(props))],
            wait=True,
            timeout=600,
            atomic=True,
            lifecycle=lifecycle,
        )
        secret = DataKubernetesSecretV1(
            self,
            "KubeconfigSecret",
            metadata=DataKubernetesSecretV1Metadata(
                name=props.kubeconfig_secret_name, namespace=host_namespace
            ),
            depends_on=[self.release],
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition='${length(try(self.data["config"], "")) > 0}',
                        error_message=(
                            f"vcluster {props.release_name} has not written its kubeconfig "
                            f"secret {props.kubeconfig_secret_name} yet (it does so from a "
                            "retry loop after start-up); run the deploy again in a minute."
                        ),
                    )
                ]
            ),
        )
        self.kubeconfig_file = SensitiveFile(
            self,
            "Kubeconfig",
            filename=props.kubeconfig_path,
            content=secret.data.lookup("config"),
            file_permission="0600",
        )

    @property
    def kubeconfig_path(self) -> str:
        """The kubeconfig file's path, as a reference: other stacks that use it depend on it."""
        return self.kubeconfig_file.filename
