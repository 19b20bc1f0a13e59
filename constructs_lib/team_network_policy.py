"""A team namespace's policies: deny everything, then exactly the flows its parts need.

The vcluster copies these to the host, where its pods run (its syncer narrows every selector to
the team's virtual namespace and vcluster). The vcluster's API and CoreDNS, and egress beyond
the vcluster, are allowed once for all of a vcluster's workloads by the host policies of
`vcluster_network_policy.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from constructs_lib.backing_service import BackingService
from constructs_lib.network_policy import Peer, PolicySpec, Rule, network_policy, tcp, udp
from constructs_lib.vcluster_network import (
    COREDNS_LABELS,
    COREDNS_NAMESPACE,
    COREDNS_PORT,
    NAMESPACE_NAME_LABEL,
)

#: The vcluster's CoreDNS, as a virtual peer: its pods in the virtual kube-system namespace.
VCLUSTER_DNS = Peer(pods=COREDNS_LABELS, namespaces={NAMESPACE_NAME_LABEL: COREDNS_NAMESPACE})


class TeamNetworkPolicy(Construct):
    """Deny everything, then allow DNS, traffic to the app, and app -> each backing service."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str,
        labels: Mapping[str, str],
        app_selector: Mapping[str, str],
        app_port: int,
        services: Sequence[BackingService],
    ) -> None:
        super().__init__(scope, id)
        self._namespace, self._labels = namespace, labels
        self._add("DefaultDeny", PolicySpec(name="default-deny", selects={}, ingress=(), egress=()))
        self._add(
            "AllowDns",
            PolicySpec(
                name="allow-dns",
                selects={},
                egress=(Rule(peers=(VCLUSTER_DNS,), ports=udp(COREDNS_PORT) + tcp(COREDNS_PORT)),),
            ),
        )
        self._add(
            "AllowAppIngress",
            PolicySpec(
                name="allow-app-ingress",
                selects=app_selector,
                ingress=(Rule(peers=(Peer(pods={}),), ports=tcp(app_port)),),
            ),
        )
        self._add(
            "AllowToApp",
            PolicySpec(
                name="allow-to-app",
                selects={},
                egress=(Rule(peers=(Peer(pods=app_selector),), ports=tcp(app_port)),),
            ),
        )
        for service in services:
            self._allow_service(service, app_selector)

    def _allow_service(self, service: BackingService, app_selector: Mapping[str, str]) -> None:
        role = service.role
        app, pods = Peer(pods=app_selector), Peer(pods=service.pod_selector)
        self._add(
            f"AllowAppTo{role.title()}",
            PolicySpec(
                name=f"allow-app-to-{role}",
                selects=app_selector,
                egress=(Rule(peers=(pods,), ports=tcp(service.port)),),
            ),
        )
        ingress = [Rule(peers=(app,), ports=tcp(service.port))]
        if service.operator_namespace:
            operator = Peer(namespaces={NAMESPACE_NAME_LABEL: service.operator_namespace})
            ingress.append(Rule(peers=(operator,), ports=tcp(*service.operator_ports)))
        egress: tuple[Rule, ...] | None = None
        if service.peers_connect:
            ingress.append(Rule(peers=(pods,), ports=tcp(service.port)))
            egress = (Rule(peers=(pods,), ports=tcp(service.port)),)
        self._add(
            f"Allow{role.title()}Traffic",
            PolicySpec(
                name=f"allow-{role}-traffic",
                selects=service.pod_selector,
                ingress=tuple(ingress),
                egress=egress,
            ),
        )

    def _add(self, id: str, spec: PolicySpec) -> None:
        network_policy(self, id, spec, namespace=self._namespace, labels=self._labels)
