"""How a vcluster's pods look on the host, and what a team may reach beyond its vcluster.

Facts from the vcluster chart and syncer 0.36.1 (single host namespace per vcluster):
- control-plane pods carry `app: vcluster, release: <release>`, the pods of a deployed etcd
  `app: vcluster-etcd, release: <release>` (listening on 2379 for clients, 2380 for peers);
  a workload's own `release` label is rewritten on sync (`vcluster.loft.sh/label-…`), so no
  workload can pose as either;
- every synced workload pod carries `vcluster.loft.sh/managed-by: <release>` and
  `vcluster.loft.sh/namespace: <its virtual namespace>` (also rewritten if a workload sets them);
- the vcluster's CoreDNS runs as a synced workload (`k8s-app: vcluster-kube-dns`) listening on
  1053; its Service maps 53 to 1053, and policies match the pod's port.
No CDK runtime is needed to read this module: the catalog's `egress:` entry is a `WorkloadEgress`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from constructs_lib.strict_model import ListOf, StrictModel

RELEASE_LABEL: Final = "release"
APP_LABEL: Final = "app"
ETCD_CLIENT_PORT: Final = 2379
ETCD_PEER_PORT: Final = 2380
MARKER_LABEL: Final = "vcluster.loft.sh/managed-by"
VIRTUAL_NAMESPACE_LABEL: Final = "vcluster.loft.sh/namespace"
#: The label every namespace carries with its own name (set by Kubernetes itself).
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
COREDNS_LABELS: Final = {"k8s-app": "vcluster-kube-dns"}
COREDNS_PORT: Final = 1053
COREDNS_NAMESPACE: Final = "kube-system"
#: The host's own DNS, which the control plane and CoreDNS forward to.
HOST_DNS_LABELS: Final = {"k8s-app": "kube-dns"}
HOST_DNS_PORT: Final = 53
#: Where the host's API server listens behind its Service: 443 on EKS/GKE/AKS, 6443 on KIND
#: and kubeadm clusters. Its address differs by provider, so the port is all a policy can say.
HOST_API_PORTS: Final = (443, 6443)
#: The host policy that opens a team's egress; review calls out every change to it.
EGRESS_POLICY_NAME: Final = "workload-egress"
#: The host policy that opens a tenant's database's way to the object store (its backups).
BACKUP_EGRESS_POLICY_NAME: Final = "database-to-object-store"
#: Ranges that are never "public": pod, service and node addresses live in these.
PRIVATE_RANGES: Final = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
)


def _network(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            meant = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"must be a network in CIDR notation such as '203.0.113.0/24', got {value!r}"
            ) from None
        raise ValueError(f"{value!r} has host bits set; write the network, '{meant}'") from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} is every address; to allow that, set public: true")
    return value


class EgressAllow(StrictModel):
    """One destination a team's workloads may reach beyond its vcluster."""

    cidr: Annotated[str, AfterValidator(_network)] = Field(
        description="Destination network, such as '203.0.113.0/24' (an address: '/32')."
    )
    ports: ListOf[Annotated[int, Field(ge=1, le=65535)]] = Field(
        (), description="TCP ports; none means every port."
    )


class WorkloadEgress(StrictModel):
    """What a team's workloads may reach outside their vcluster: nothing unless listed here."""

    public: bool = Field(
        False, description="Every public address (all of IPv4 except the private ranges)."
    )
    allow: ListOf[EgressAllow] = Field(
        (), description="Further destinations, each a network and optionally ports."
    )

    @property
    def is_open(self) -> bool:
        return self.public or bool(self.allow)


def control_plane_pods(release: str) -> dict[str, str]:
    """The control-plane pods of a vcluster on the host (API server and syncer)."""
    return {APP_LABEL: "vcluster", RELEASE_LABEL: release}


def etcd_pods(release: str) -> dict[str, str]:
    """The members of a vcluster's deployed etcd (`backing_store: deployed-etcd`)."""
    return {APP_LABEL: "vcluster-etcd", RELEASE_LABEL: release}


def workload_pods(release: str) -> dict[str, str]:
    """Every synced workload pod of a vcluster on the host (CoreDNS included)."""
    return {MARKER_LABEL: release}


def coredns_pods(release: str) -> dict[str, str]:
    return COREDNS_LABELS | workload_pods(release)


@dataclass(frozen=True, kw_only=True, slots=True)
class Webhook:
    """A workload the vcluster's API server must call: an admission webhook, say."""

    namespace: str
    """Virtual namespace of the pods that serve it."""
    port: int
    """The pods' port (not the Service's)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectStoreAccess:
    """A tenant's database reads or writes the platform's object store (backups, restore)."""

    namespace: str
    """The virtual namespace of the database."""
    database_pods: Mapping[str, str]
    """The database's pods (instances, and the job that restores it), as CloudNativePG labels
    them."""
    network: EgressAllow | None = None
    """The store's network and ports; None: HTTPS to public addresses."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiClient:
    """Host pods besides its own workloads that may reach a vcluster's API server (the
    platform's gateway proxies, its secrets operator); where not all are known, anyone may
    (the API server authenticates every request)."""

    pods: Mapping[str, str]
    namespace: str


#: Who may reach a vcluster's API server from the host: these, or (None) anyone.
ApiClients = tuple[ApiClient, ...] | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ScrapeTarget:
    """Pods of a tenant's workloads that the host's Prometheus scrapes, and the port."""

    name: str
    """Names the host policy (`metrics-<name>`)."""
    namespace: str
    """The virtual namespace the pods run in."""
    pods: Mapping[str, str]
    """Their labels, as the syncer keeps them on the host."""
    port: int
    port_name: str
    """The container port's name (the syncer keeps it), which the PodMonitor names."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Scraping:
    """The host's Prometheus and what it scrapes in one vcluster's namespace."""

    prometheus: ApiClient
    """Its pods (all pods of its namespace, where the host provides it and they are unknown)."""
    targets: tuple[ScrapeTarget, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class PublishedApp:
    """A tenant's app as the host's gateway publishes it: the gateway's proxies reach its
    pods on their port, and nothing else of the tenant."""

    proxies: ApiClient
    namespace: str
    """The app's virtual namespace."""
    pods: Mapping[str, str]
    port: int
