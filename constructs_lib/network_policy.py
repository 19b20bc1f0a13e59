"""Default-deny network policy for a team namespace, with exactly the allows its parts need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cdktf_cdktf_provider_kubernetes.network_policy_v1 import NetworkPolicyV1
from constructs import Construct

from constructs_lib.backing_service import BackingService

#: Ports of the Kubernetes API as seen from pods (Service 443; 6443/8443 behind it).
_KUBERNETES_API_PORTS: Final = (443, 6443, 8443)


def _ports(*ports: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"port": str(p), "protocol": protocol} for p in ports]


def _pods(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"match_labels": dict(labels)}


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
        self._policy("DefaultDeny", "default-deny", {}, deny_all=True)
        self._policy(
            "AllowDns",
            "allow-dns",
            {},
            egress=[{"ports": _ports(53, protocol="UDP") + _ports(53)}],
        )
        self._policy(
            "AllowAppIngress",
            "allow-app-ingress",
            _pods(app_selector),
            ingress=[{"from": [{"pod_selector": {}}], "ports": _ports(app_port)}],
        )
        for service in services:
            self._allow_service(service, app_selector)

    def _allow_service(self, service: BackingService, app_selector: Mapping[str, str]) -> None:
        role = service.role
        self._policy(
            f"AllowAppTo{role.title()}",
            f"allow-app-to-{role}",
            _pods(app_selector),
            egress=[
                {
                    "to": [{"pod_selector": _pods(service.pod_selector)}],
                    "ports": _ports(service.port),
                }
            ],
        )
        ingress: list[dict[str, Any]] = [
            {"from": [{"pod_selector": _pods(app_selector)}], "ports": _ports(service.port)}
        ]
        egress: list[dict[str, Any]] = []
        if service.operator_namespace:
            ingress.append(
                {
                    "from": [
                        {
                            "namespace_selector": _pods(
                                {"kubernetes.io/metadata.name": service.operator_namespace}
                            )
                        }
                    ],
                    "ports": _ports(*service.operator_ports),
                }
            )
        if service.peers_connect:
            peers = [{"pod_selector": _pods(service.pod_selector)}]
            ingress.append({"from": peers, "ports": _ports(service.port)})
            egress.append({"to": peers, "ports": _ports(service.port)})
        if service.needs_kubernetes_api:
            egress.append({"ports": _ports(*_KUBERNETES_API_PORTS)})
        self._policy(
            f"Allow{role.title()}Traffic",
            f"allow-{role}-traffic",
            _pods(service.pod_selector),
            ingress=ingress,
            egress=egress or None,
        )

    def _policy(
        self,
        id: str,
        name: str,
        pod_selector: dict[str, Any],
        *,
        ingress: list[dict[str, Any]] | None = None,
        egress: list[dict[str, Any]] | None = None,
        deny_all: bool = False,
    ) -> None:
        # A policy type with no rules denies that direction: that is how default-deny works.
        types = ["Ingress", "Egress"] if deny_all else []
        if ingress:
            types.append("Ingress")
        if egress:
            types.append("Egress")
        spec: dict[str, Any] = {"pod_selector": pod_selector, "policy_types": types}
        if ingress:
            spec["ingress"] = ingress
        if egress:
            spec["egress"] = egress
        NetworkPolicyV1(
            self,
            id,
            metadata={"name": name, "namespace": self._namespace, "labels": self._labels},
            spec=spec,
        )
