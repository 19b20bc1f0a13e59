"""A vcluster without the CDK runtime: its settings, props, derived names and chart values.

`vcluster.py` builds the construct from these; the catalog's `vcluster:` entry is a
`VClusterSettings`, and the values can be checked against the chart's schema without jsii.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Self

import yaml
from pydantic import Field, field_validator, model_validator

from constructs_lib import versions
from constructs_lib.backup_credentials import BackupCredentialsSource
from constructs_lib.gitops import Delivery
from constructs_lib.labels import PlatformLabels
from constructs_lib.paths import team_kubeconfig_path
from constructs_lib.resources import CONTAINER_DEFAULTS, VCLUSTER_RESOURCES, Quota, Resources
from constructs_lib.strict_model import StrictModel
from constructs_lib.tenant_admission import tenant_guard_manifests
from constructs_lib.vcluster_exposure import Exposure
from constructs_lib.vcluster_network import (
    VIRTUAL_NAMESPACE_LABEL,
    ApiClient,
    ApiClients,
    ObjectStoreAccess,
    PublishedApp,
    Scraping,
    Webhook,
    WorkloadEgress,
    workload_pods,
)

#: The chart's name (repository and version in versions.py).
VCLUSTER_CHART: Final = "vcluster"
#: One control-plane replica: enough for a team's development cluster.
DEFAULT_REPLICAS: Final = 1
#: Chart 0.36.1 defaults we keep: the volume of each control-plane replica, and CoreDNS's
#: requests and limits (it runs in the team's host namespace, under the team's quota).
CONTROL_PLANE_VOLUME_GIB: Final = 5
COREDNS_RESOURCES: Final = Resources(
    cpu_request="20m", memory_request="64Mi", cpu_limit="1000m", memory_limit="170Mi"
)


class BackingStore(StrEnum):
    """Where the vcluster keeps its own API objects."""

    EMBEDDED_SQLITE = "embedded-sqlite"  # in the control plane's volume; one replica only
    DEPLOYED_ETCD = "deployed-etcd"  # an etcd StatefulSet of the chart's own: HA-capable


#: Why `embedded-etcd` is refused, read from vcluster 0.36.1: `config/config.go`
#: `IsProFeatureEnabled()` lists it, and the open-source build's `pkg/pro/embedded_etcd.go`
#: fails the control plane's start-up with "you are trying to use a vCluster pro feature".
EMBEDDED_ETCD_IS_PRO: Final = (
    "embedded-etcd is a vCluster Pro feature: the open-source image the "
    "platform runs (ghcr.io/loft-sh/vcluster-oss) refuses to start with it; use "
    "backing_store: deployed-etcd for HA"
)
#: The etcd of `deployed-etcd`: chart 0.36.1 requests, with limits of ours (it sets none),
#: and its volume per member (the chart's default size).
ETCD_RESOURCES: Final = Resources(
    cpu_request="20m", memory_request="150Mi", cpu_limit="500m", memory_limit="512Mi"
)
ETCD_VOLUME_GIB: Final = 5


class VClusterSettings(StrictModel):
    """What a catalog may tune of a vcluster's control plane."""

    replicas: int = Field(
        DEFAULT_REPLICAS,
        ge=1,
        le=5,
        description="Control-plane replicas; with deployed-etcd also its etcd members (odd).",
    )
    backing_store: BackingStore = Field(BackingStore.EMBEDDED_SQLITE, strict=False)
    resources: Resources = VCLUSTER_RESOURCES

    @field_validator("backing_store", mode="before")
    @classmethod
    def _not_pro(cls, value: object) -> object:
        if value == "embedded-etcd":
            raise ValueError(EMBEDDED_ETCD_IS_PRO)
        return value

    @model_validator(mode="after")
    def _ha_needs_etcd(self) -> Self:
        if self.replicas > 1 and self.backing_store is BackingStore.EMBEDDED_SQLITE:
            raise ValueError(
                f"replicas: {self.replicas} needs backing_store: deployed-etcd; the embedded "
                "SQLite store supports exactly one replica"
            )
        if self.backing_store is BackingStore.DEPLOYED_ETCD and self.replicas % 2 == 0:
            raise ValueError(
                f"replicas: {self.replicas} with deployed-etcd needs an odd number (1, 3 or 5): "
                "its etcd members keep quorum"
            )
        return self

    @property
    def etcd_members(self) -> int:
        """Members of the deployed etcd (0 for the embedded SQLite store)."""
        return self.replicas if self.backing_store is BackingStore.DEPLOYED_ETCD else 0

    @property
    def control_plane_volume_gib(self) -> int:
        """Each control-plane replica's volume: only the embedded store keeps one (chart
        0.36.1 `_persistence.tpl`: persistence `auto` is on for embedded stores only)."""
        return CONTROL_PLANE_VOLUME_GIB if self.etcd_members == 0 else 0


#: The uid/gid the control plane runs as: any non-root id works, this is the one vcluster documents.
_NON_ROOT_ID: Final = 12345

_CONTAINER_SECURITY: Final = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": _NON_ROOT_ID,
    "runAsGroup": _NON_ROOT_ID,
    "capabilities": {"drop": ["ALL"]},
}

_POD_SECURITY: Final = {
    "runAsNonRoot": True,
    "runAsUser": _NON_ROOT_ID,
    "runAsGroup": _NON_ROOT_ID,
    "fsGroup": _NON_ROOT_ID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True, kw_only=True, slots=True)
class VClusterProps:
    team: str
    """The team the vcluster belongs to; names the release, namespace and kubeconfig."""
    labels: PlatformLabels
    exposure: Exposure
    """How the API server is reached from the deploy machine."""
    chart_version: str = versions.VCLUSTER_CHART_VERSION
    settings: VClusterSettings = field(default_factory=VClusterSettings)
    """Replicas, backing store and control-plane resources."""
    quota: Quota = field(default_factory=Quota)
    """What the team's workloads may consume in total on the host."""
    container_defaults: Resources = CONTAINER_DEFAULTS
    """LimitRange: what a container gets when it states no requests or limits."""
    protect: bool = False
    """prevent_destroy on the namespace and the release (production mode)."""
    webhooks: tuple[Webhook, ...] = ()
    """Workloads the API server calls (admission webhooks): they accept it on their port."""
    egress: WorkloadEgress = field(default_factory=WorkloadEgress)
    """What the workloads may reach beyond the vcluster: nothing by default."""
    object_store: ObjectStoreAccess | None = None
    """The database's backups: its way to the object store opened on the host."""
    oidc_args: tuple[str, ...] = ()
    """kube-apiserver flags that make the vcluster trust the platform's OIDC issuer."""
    backup_credentials: BackupCredentialsSource | None = None
    """Where the database's backup keys come from (the host's secret store), if the platform
    delivers them."""
    secrets_operator: ApiClient | None = None
    """The host's External Secrets controller, when the platform installed it (it writes the
    backup keys into the vcluster through its API server)."""

    delivery: Delivery | None = None
    """The tenant's registration in its host's Argo CD (`gitops:`)."""
    delivery_clients: tuple[ApiClient, ...] | None = None
    """Argo CD's pods that talk to the vcluster, when the platform installed it."""
    published_app: PublishedApp | None = None
    """The tenant's app on its host's gateway: who reaches it, where."""
    app_route: Mapping[str, Any] | None = None
    """The HTTPRoute the platform keeps for it in the host namespace."""
    scraping: Scraping | None = None
    """The host's Prometheus, when the host runs one: it scrapes the control plane (the
    chart's ServiceMonitor) and the tenant's database and cache (host PodMonitors)."""

    @property
    def api_clients(self) -> ApiClients:
        """Who on the host may reach the API server: the exposure's clients (None: anyone),
        the secrets operator when it delivers keys (anyone, if it is not known), and the
        host's Prometheus when it scrapes the control plane."""
        clients = self.exposure.api_clients
        if clients is None:
            return None
        extra: list[ApiClient] = []
        if self.backup_credentials is not None:
            if self.secrets_operator is None:
                return None
            extra.append(self.secrets_operator)
        if self.delivery is not None:
            if self.delivery_clients is None:
                return None
            extra.extend(self.delivery_clients)
        if self.scraping is not None:
            extra.append(self.scraping.prometheus)
        return (*clients, *extra)

    @property
    def release_name(self) -> str:
        return self.team

    @property
    def host_namespace(self) -> str:
        return host_namespace_of(self.team)

    @property
    def in_cluster_server(self) -> str:
        return in_cluster_server(self.team)

    @property
    def kubeconfig_secret_name(self) -> str:
        """The secret the vcluster writes its kubeconfig to (`vc-<release>`, key `config`)."""
        return f"vc-{self.release_name}"

    @property
    def kubeconfig_path(self) -> str:
        return team_kubeconfig_path(self.team)


#: Chart 0.36.1 defaults we keep, written out so that no default is merged under ours unseen:
#: ephemeral storage per container that states none (LimitRange) and for the whole namespace,
#: and counts of API objects (they cap what a tenant can make the host's API server store;
#: the platform's own objects use a few of each).
LIMIT_RANGE_EPHEMERAL: Final = {
    "requests": {"ephemeral-storage": "3Gi"},
    "limits": {"ephemeral-storage": "8Gi"},
}
CHART_QUOTA_DEFAULTS: Final = {
    "requests.ephemeral-storage": "60Gi",
    "limits.ephemeral-storage": "160Gi",
    "count/configmaps": "100",
    "count/endpoints": "40",
    "count/persistentvolumeclaims": "20",
    "count/secrets": "100",
    "count/services": "20",
}


def host_quota(props: VClusterProps) -> dict[str, str]:
    """Every key of the host namespace's ResourceQuota, none left to the chart's defaults.

    Capacity comes from the catalog; Services that leave the cluster are exactly what the
    platform itself publishes for the API server (`services.nodeports` 2 on a KIND host,
    `services.loadbalancers` 1 with load-balancer exposure, else 0), so a team cannot publish
    a Service of its own past review (the chart's default allows one load balancer).
    """
    return (
        props.quota.as_hard_limits()
        | CHART_QUOTA_DEFAULTS
        | {
            "services.nodeports": str(props.exposure.node_ports_used),
            "services.loadbalancers": str(props.exposure.load_balancers_used),
        }
    )


def _deployed_etcd(props: VClusterProps) -> dict[str, Any]:
    """The chart's own etcd StatefulSet: pinned, non-root, counted by the quota, kept on
    uninstall. Its members are fixed once deployed: the chart starts every member with
    `--initial-cluster-state=new` (`templates/etcd-statefulset.yaml`), so the data guard
    refuses a change of their number."""
    labels = props.labels.as_dict()
    return {
        "enabled": True,
        "statefulSet": {
            "labels": labels,
            "pods": {"labels": labels},
            "highAvailability": {"replicas": props.settings.etcd_members},
            "image": {
                "registry": versions.ETCD_IMAGE_REGISTRY,
                "repository": versions.ETCD_IMAGE_REPOSITORY,
                "tag": versions.ETCD_IMAGE_TAG,
            },
            "resources": ETCD_RESOURCES.as_kubernetes(),
            "persistence": {
                "volumeClaim": {"retentionPolicy": "Retain", "size": f"{ETCD_VOLUME_GIB}Gi"}
            },
            "security": {
                "podSecurityContext": _POD_SECURITY,
                "containerSecurityContext": _CONTAINER_SECURITY,
            },
        },
    }


def _manifests_text(props: VClusterProps) -> str:
    """The tenant guard as the YAML text the chart renders verbatim into the host."""
    documents = tenant_guard_manifests(props.host_namespace, props.labels.as_dict())
    return "---\n".join(yaml.safe_dump(d, sort_keys=True, width=1000) for d in documents)


def _distro(props: VClusterProps) -> dict[str, Any]:
    """The k8s distro; with an issuer, its API server verifies the team's ID tokens."""
    distro: dict[str, Any] = {"enabled": True, "securityContext": _CONTAINER_SECURITY}
    if props.oidc_args:
        distro["apiServer"] = {"extraArgs": list(props.oidc_args)}
    return distro


def host_namespace_of(tenant: str) -> str:
    """The host namespace of a tenant's vcluster (its release is the tenant's name)."""
    return f"vcluster-{tenant}"


def in_cluster_server(tenant: str) -> str:
    """A tenant's API server as pods of its host reach it: a name its certificate carries
    (`<release>.<namespace>`, vcluster 0.36.1 pkg/server/cert/cert.go:224-243; not `….svc`)."""
    return f"https://{tenant}.{host_namespace_of(tenant)}:443"


#: A tenant controls what its exporters print: a ceiling on what one scrape may ingest.
SAMPLE_LIMIT: Final = 20000


def pod_monitors(props: VClusterProps) -> tuple[dict[str, Any], ...]:
    """A PodMonitor per scraped workload of the tenant, in its host namespace: the synced
    pods of that vcluster and virtual namespace only (the syncer sets those two labels, and a
    tenant's own copies of them are renamed on the host)."""
    if props.scraping is None:
        return ()
    return tuple(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": {
                "name": f"{props.release_name}-{target.name}",
                "namespace": props.host_namespace,
                "labels": props.labels.as_dict(),
            },
            "spec": {
                "namespaceSelector": {"matchNames": [props.host_namespace]},
                "selector": {
                    "matchLabels": workload_pods(props.release_name)
                    | {VIRTUAL_NAMESPACE_LABEL: target.namespace}
                    | dict(target.pods)
                },
                "sampleLimit": SAMPLE_LIMIT,
                "podMetricsEndpoints": [{"port": target.port_name, "path": "/metrics"}],
            },
        }
        for target in props.scraping.targets
    )


def vcluster_values(props: VClusterProps) -> dict[str, Any]:
    """The chart values of one vcluster (validated against the chart's schema in the tests)."""
    labels = props.labels.as_dict()
    backing_store = (
        {"etcd": {"deploy": _deployed_etcd(props)}}
        if props.settings.etcd_members
        else {"database": {"embedded": {"enabled": True}}}
    )
    limit_range = props.container_defaults.as_kubernetes()
    control_plane: dict[str, Any] = {
        "distro": {"k8s": _distro(props)},
        "backingStore": backing_store,
        "statefulSet": {
            "labels": labels,
            "pods": {"labels": labels},
            "highAvailability": {"replicas": props.settings.replicas},
            # The control plane's data outlives an uninstall: deleting it is a separate step.
            "persistence": {"volumeClaim": {"retentionPolicy": "Retain"}},
            "resources": props.settings.resources.as_kubernetes(),
            "image": {
                "registry": versions.VCLUSTER_IMAGE_REGISTRY,
                "repository": versions.VCLUSTER_IMAGE_REPOSITORY,
                "tag": props.chart_version,
            },
            "security": {
                "podSecurityContext": _POD_SECURITY,
                "containerSecurityContext": _CONTAINER_SECURITY,
            },
        },
    }
    for key, value in props.exposure.control_plane_values().items():
        control_plane[key] = control_plane.get(key, {}) | value
    control_plane.setdefault("service", {})["labels"] = labels
    if props.scraping is not None:
        # The chart's own ServiceMonitor (0.36.1 templates/service-monitor.yaml): the API
        # server, controller manager and store, over TLS with the vcluster's client
        # certificate from the host Secret `vc-<release>`.
        control_plane["serviceMonitor"] = {"enabled": True, "labels": labels}
    return {
        "controlPlane": control_plane,
        "exportKubeConfig": {"server": props.exposure.server, "context": f"vcluster-{props.team}"},
        # Pods run on the host: the team's own NetworkPolicies only take effect once the
        # vcluster copies them there, through the admission policy of tenant_admission.py.
        # PodDisruptionBudgets are not copied: the syncer neither narrows their selector to
        # the team's pods nor checks them, so one could block the shared host's node drains
        # (README, "Security defaults").
        "sync": {
            "toHost": {
                "networkPolicies": {"enabled": True},
                "podDisruptionBudgets": {"enabled": False},
            }
        },
        "experimental": {"deploy": {"host": {"manifests": _manifests_text(props)}}},
        "policies": {
            "resourceQuota": {"enabled": True, "labels": labels, "quota": host_quota(props)},
            "limitRange": {
                "enabled": True,
                "labels": labels,
                "default": limit_range["limits"] | LIMIT_RANGE_EPHEMERAL["limits"],
                "defaultRequest": limit_range["requests"] | LIMIT_RANGE_EPHEMERAL["requests"],
            },
            # Off: its workload policy opens every port between a vcluster's workloads and
            # the internet, and no policy of ours could narrow it (they add up). The host
            # policies of vcluster_network_policy.py take its place.
            "networkPolicy": {"enabled": False},
        },
        "telemetry": {"enabled": False},
    }
