"""Default-deny network policy for a team namespace, with exactly the allows its parts need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cdktf_cdktf_provider_kubernetes.network_policy_v1 import (
    NetworkPolicyV1,
    NetworkPolicyV1Metadata,
    NetworkPolicyV1Spec,
    NetworkPolicyV1SpecEgress,
    NetworkPolicyV1SpecEgressPorts,
    NetworkPolicyV1SpecEgressTo,
    NetworkPolicyV1SpecEgressToPodSelector,
    NetworkPolicyV1SpecIngress,
    NetworkPolicyV1SpecIngressFrom,
    NetworkPolicyV1SpecIngressFromNamespaceSelector,
    NetworkPolicyV1SpecIngressFromPodSelector,
    NetworkPolicyV1SpecIngressPorts,
    NetworkPolicyV1SpecPodSelector,
)
from constructs import Construct

from constructs_lib.backing_service import BackingService

#: Ports of the Kubernetes API as seen from pods (Service 443; 6443/8443 behind it).
_KUBERNETES_API_PORTS: Final = (443, 6443, 8443)


def _in_ports(*ports: int) -> list[NetworkPolicyV1SpecIngressPorts]:
    return [NetworkPolicyV1SpecIngressPorts(port=str(p), protocol="TCP") for p in ports]


def _out_ports(*ports: int, protocol: str = "TCP") -> list[NetworkPolicyV1SpecEgressPorts]:
    return [NetworkPolicyV1SpecEgressPorts(port=str(p), protocol=protocol) for p in ports]


def _from_pods(labels: Mapping[str, str]) -> NetworkPolicyV1SpecIngressFrom:
    return NetworkPolicyV1SpecIngressFrom(
        pod_selector=NetworkPolicyV1SpecIngressFromPodSelector(match_labels=dict(labels))
    )


def _to_pods(labels: Mapping[str, str]) -> NetworkPolicyV1SpecEgressTo:
    return NetworkPolicyV1SpecEgressTo(
        pod_selector=NetworkPolicyV1SpecEgressToPodSelector(match_labels=dict(labels))
    )


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
        self._namespace = namespace
        self._labels = dict(labels)
        # A policy type with no rules denies that direction: that is how default-deny works.
        self._policy("DefaultDeny", "default-deny", {}, types=["Ingress", "Egress"])
        self._policy(
            "AllowDns",
            "allow-dns",
            {},
            egress=[
                NetworkPolicyV1SpecEgress(
                    ports=_out_ports(53, protocol="UDP") + _out_ports(53, protocol="TCP")
                )
            ],
        )
        self._policy(
            "AllowAppIngress",
            "allow-app-ingress",
            app_selector,
            ingress=[
                NetworkPolicyV1SpecIngress(
                    from_=[
                        NetworkPolicyV1SpecIngressFrom(
                            pod_selector=NetworkPolicyV1SpecIngressFromPodSelector()
                        )
                    ],
                    ports=_in_ports(app_port),
                )
            ],
        )
        for service in services:
            self._allow_service(service, app_selector)

    def _allow_service(self, service: BackingService, app_selector: Mapping[str, str]) -> None:
        role = service.role
        self._policy(
            f"AllowAppTo{role.title()}",
            f"allow-app-to-{role}",
            app_selector,
            egress=[
                NetworkPolicyV1SpecEgress(
                    to=[_to_pods(service.pod_selector)], ports=_out_ports(service.port)
                )
            ],
        )
        ingress = [
            NetworkPolicyV1SpecIngress(
                from_=[_from_pods(app_selector)], ports=_in_ports(service.port)
            )
        ]
        egress: list[NetworkPolicyV1SpecEgress] = []
        if service.operator_namespace:
            operator = NetworkPolicyV1SpecIngressFromNamespaceSelector(
                match_labels={"kubernetes.io/metadata.name": service.operator_namespace}
            )
            ingress.append(
                NetworkPolicyV1SpecIngress(
                    from_=[NetworkPolicyV1SpecIngressFrom(namespace_selector=operator)],
                    ports=_in_ports(*service.operator_ports),
                )
            )
        if service.peers_connect:
            ingress.append(
                NetworkPolicyV1SpecIngress(
                    from_=[_from_pods(service.pod_selector)], ports=_in_ports(service.port)
                )
            )
            egress.append(
                NetworkPolicyV1SpecEgress(
                    to=[_to_pods(service.pod_selector)], ports=_out_ports(service.port)
                )
            )
        if service.needs_kubernetes_api:
            egress.append(NetworkPolicyV1SpecEgress(ports=_out_ports(*_KUBERNETES_API_PORTS)))
        self._policy(
            f"Allow{role.title()}Traffic",
            f"allow-{role}-traffic",
            service.pod_selector,
            ingress=ingress,
            egress=egress,
        )

    def _policy(
        self,
        id: str,
        name: str,
        pod_labels: Mapping[str, str],
        *,
        ingress: Sequence[NetworkPolicyV1SpecIngress] = (),
        egress: Sequence[NetworkPolicyV1SpecEgress] = (),
        types: Sequence[str] = (),
    ) -> None:
        policy_types = list(types) or (["Ingress"] if ingress else []) + (
            ["Egress"] if egress else []
        )
        NetworkPolicyV1(
            self,
            id,
            metadata=NetworkPolicyV1Metadata(
                name=name, namespace=self._namespace, labels=self._labels
            ),
            spec=NetworkPolicyV1Spec(
                pod_selector=NetworkPolicyV1SpecPodSelector(match_labels=dict(pod_labels))
                if pod_labels
                else NetworkPolicyV1SpecPodSelector(),
                policy_types=policy_types,
                ingress=list(ingress) or None,
                egress=list(egress) or None,
            ),
        )
