"""The host namespace of one vcluster: closed, then exactly what the vcluster itself needs.

The chart's own policies (`policies.networkPolicy`) let every workload of a vcluster reach
every other on every port, and the internet; NetworkPolicies are additive, so nothing a team
synces could narrow them. They are off, and these take their place (README, "Network
isolation"): the API server is reachable on its port from anywhere (it authenticates every
request), or, behind the platform's gateway, from its proxies and the vcluster's workloads only;
workloads reach the API server and CoreDNS; CoreDNS and the control plane reach the
host's DNS; the control plane reaches the host API, its peers and its workloads (whose own
policies decide what they accept), and the workloads that serve its webhooks accept it on
their port. Egress beyond the vcluster is only what the team's catalog entry allows.
"""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from constructs_lib.network_policy import Peer, PolicySpec, Rule, network_policy, tcp, udp
from constructs_lib.vcluster_exposure import API_SERVER_PORT
from constructs_lib.vcluster_network import (
    BACKUP_EGRESS_POLICY_NAME,
    COREDNS_PORT,
    EGRESS_POLICY_NAME,
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    HOST_API_PORTS,
    HOST_DNS_LABELS,
    HOST_DNS_PORT,
    NAMESPACE_NAME_LABEL,
    PRIVATE_RANGES,
    VIRTUAL_NAMESPACE_LABEL,
    ApiClients,
    ObjectStoreAccess,
    PublishedApp,
    Scraping,
    Webhook,
    WorkloadEgress,
    control_plane_pods,
    coredns_pods,
    etcd_pods,
    workload_pods,
)

HOST_DNS = Peer(pods=HOST_DNS_LABELS, namespaces={NAMESPACE_NAME_LABEL: "kube-system"})
DNS_PORTS = udp(HOST_DNS_PORT) + tcp(HOST_DNS_PORT)


#: The object store's HTTPS port, where no network of it is known.
OBJECT_STORE_PORT = 443


def host_policies(
    release: str,
    *,
    webhooks: tuple[Webhook, ...],
    egress: WorkloadEgress,
    deployed_etcd: bool = False,
    object_store: ObjectStoreAccess | None = None,
    api_clients: ApiClients = None,
    scraping: Scraping | None = None,
    published: PublishedApp | None = None,
) -> dict[str, PolicySpec]:
    """Construct id -> policy, for the host namespace of the vcluster `release`."""
    control_plane = Peer(pods=control_plane_pods(release))
    workloads = Peer(pods=workload_pods(release))
    etcd = Peer(pods=etcd_pods(release))
    to_etcd = (Rule(peers=(etcd,), ports=tcp(ETCD_CLIENT_PORT)),) if deployed_etcd else ()
    coredns_ports = udp(COREDNS_PORT) + tcp(COREDNS_PORT)
    if api_clients is None:
        api_server = Rule(ports=tcp(API_SERVER_PORT))
    else:
        # Behind the platform's gateway: its proxies (and the platform's operators that talk
        # to the vcluster) and the vcluster's own workloads only.
        clients = tuple(
            Peer(pods=c.pods, namespaces={NAMESPACE_NAME_LABEL: c.namespace}) for c in api_clients
        )
        api_server = Rule(peers=(*clients, workloads), ports=tcp(API_SERVER_PORT))
    policies = {
        "DefaultDeny": PolicySpec(name="default-deny", selects={}, ingress=(), egress=()),
        "ControlPlane": PolicySpec(
            name="control-plane",
            selects=control_plane_pods(release),
            ingress=(api_server, Rule(peers=(control_plane,))),
            egress=(
                Rule(peers=(HOST_DNS,), ports=DNS_PORTS),
                Rule(ports=tcp(*HOST_API_PORTS)),
                Rule(peers=(control_plane,)),
                Rule(peers=(workloads,)),
                *to_etcd,
            ),
        ),
        "WorkloadsToVCluster": PolicySpec(
            name="workloads-to-vcluster",
            selects=workload_pods(release),
            egress=(
                Rule(peers=(control_plane,), ports=tcp(API_SERVER_PORT)),
                Rule(peers=(Peer(pods=coredns_pods(release)),), ports=coredns_ports),
            ),
        ),
        "CoreDns": PolicySpec(
            name="coredns",
            selects=coredns_pods(release),
            ingress=(Rule(peers=(workloads,), ports=coredns_ports),),
            egress=(Rule(peers=(HOST_DNS,), ports=DNS_PORTS),),
        ),
    }
    if deployed_etcd:
        policies["Etcd"] = _etcd_policy(release, control_plane)
    for hook in webhooks:
        policies[f"Webhook-{hook.namespace}-{hook.port}"] = PolicySpec(
            name=f"webhook-{hook.namespace}-{hook.port}",
            selects=workload_pods(release) | {VIRTUAL_NAMESPACE_LABEL: hook.namespace},
            ingress=(Rule(peers=(control_plane,), ports=tcp(hook.port)),),
        )
    if egress.is_open:
        rules = [Rule(peers=(Peer(cidr=a.cidr),), ports=tcp(*a.ports)) for a in egress.allow]
        if egress.public:
            public = Peer(cidr="0.0.0.0/0", except_cidrs=PRIVATE_RANGES)
            rules.insert(0, Rule(peers=(public,)))
        policies["PublicEgress"] = PolicySpec(
            name=EGRESS_POLICY_NAME, selects=workload_pods(release), egress=tuple(rules)
        )
    if object_store is not None:
        policies["BackupEgress"] = _object_store_policy(release, object_store)
    if published is not None:
        proxies = Peer(
            pods=published.proxies.pods,
            namespaces={NAMESPACE_NAME_LABEL: published.proxies.namespace},
        )
        policies["GatewayToApp"] = PolicySpec(
            name="gateway-to-app",
            selects=workload_pods(release)
            | {VIRTUAL_NAMESPACE_LABEL: published.namespace}
            | dict(published.pods),
            ingress=(Rule(peers=(proxies,), ports=tcp(published.port)),),
        )
    if scraping is not None:
        prometheus = Peer(
            pods=scraping.prometheus.pods,
            namespaces={NAMESPACE_NAME_LABEL: scraping.prometheus.namespace},
        )
        for target in scraping.targets:
            policies[f"Metrics-{target.name}"] = PolicySpec(
                name=f"metrics-{target.name}",
                selects=workload_pods(release)
                | {VIRTUAL_NAMESPACE_LABEL: target.namespace}
                | dict(target.pods),
                ingress=(Rule(peers=(prometheus,), ports=tcp(target.port)),),
            )
    return policies


def _object_store_policy(release: str, access: ObjectStoreAccess) -> PolicySpec:
    """The database's pods, and only they, reach the object store: its network where the
    catalog names it, else HTTPS to public addresses (S3, GCS and Azure have no fixed ones)."""
    if access.network is not None:
        rule = Rule(peers=(Peer(cidr=access.network.cidr),), ports=tcp(*access.network.ports))
    else:
        public = Peer(cidr="0.0.0.0/0", except_cidrs=PRIVATE_RANGES)
        rule = Rule(peers=(public,), ports=tcp(OBJECT_STORE_PORT))
    database = workload_pods(release) | {VIRTUAL_NAMESPACE_LABEL: access.namespace}
    return PolicySpec(
        name=BACKUP_EGRESS_POLICY_NAME,
        selects=database | dict(access.database_pods),
        egress=(rule,),
    )


def _etcd_policy(release: str, control_plane: Peer) -> PolicySpec:
    """The deployed etcd: its clients are the control plane, its peers each other; it
    resolves its peers' names through the host's DNS and reaches nothing else."""
    members = Peer(pods=etcd_pods(release))
    client, both = tcp(ETCD_CLIENT_PORT), tcp(ETCD_CLIENT_PORT, ETCD_PEER_PORT)
    return PolicySpec(
        name="etcd",
        selects=etcd_pods(release),
        ingress=(Rule(peers=(control_plane,), ports=client), Rule(peers=(members,), ports=both)),
        egress=(Rule(peers=(members,), ports=both), Rule(peers=(HOST_DNS,), ports=DNS_PORTS)),
    )


class VClusterNetworkPolicy(Construct):
    """The host policies of one vcluster's namespace (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str,
        release: str,
        labels: Mapping[str, str],
        webhooks: tuple[Webhook, ...] = (),
        egress: WorkloadEgress | None = None,
        deployed_etcd: bool = False,
        object_store: ObjectStoreAccess | None = None,
        api_clients: ApiClients = None,
        scraping: Scraping | None = None,
        published: PublishedApp | None = None,
    ) -> None:
        super().__init__(scope, id)
        policies = host_policies(
            release,
            webhooks=webhooks,
            egress=egress or WorkloadEgress(),
            deployed_etcd=deployed_etcd,
            object_store=object_store,
            api_clients=api_clients,
            scraping=scraping,
            published=published,
        )
        for policy_id, spec in policies.items():
            network_policy(self, policy_id, spec, namespace=namespace, labels=labels)
