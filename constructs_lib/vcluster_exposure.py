"""How a vcluster's API server is reached from the machine that runs `cdktf deploy`.

Each exposure contributes its part of the chart values and the server URL written into the
exported kubeconfig, so the kubeconfig works from outside the host cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from constructs_lib.vcluster_network import ApiClient, ApiClients

#: Where the vcluster API server listens inside its pod (chart default `controlPlane.proxy.port`).
API_SERVER_PORT: Final = 8443


@dataclass(frozen=True, kw_only=True, slots=True)
class NodePortExposure:
    """A host port published by KIND and served by the vcluster's NodePort Service.

    localhost and 127.0.0.1 are in the vcluster certificate by default: no extra SAN needed.
    """

    node_port: int

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.node_port}"

    @property
    def node_ports_used(self) -> int:
        # The Service publishes https and the vcluster's kubelet port: both take a node port
        # (chart 0.36.1 `templates/service.yaml`: kubelet unless the type is LoadBalancer).
        return 2

    @property
    def load_balancers_used(self) -> int:
        return 0

    @property
    def api_clients(self) -> ApiClients:
        return None

    def control_plane_values(self) -> dict[str, Any]:
        return {"service": {"spec": {"type": "NodePort"}, "httpsNodePort": self.node_port}}


@dataclass(frozen=True, kw_only=True, slots=True)
class IngressExposure:
    """An Ingress with TLS passthrough (ingress-nginx `--enable-ssl-passthrough`) per team host."""

    host: str
    ingress_class: str = "nginx"

    @property
    def server(self) -> str:
        return f"https://{self.host}"

    @property
    def node_ports_used(self) -> int:
        return 0

    @property
    def load_balancers_used(self) -> int:
        return 0

    @property
    def api_clients(self) -> ApiClients:
        # Whatever controller the host runs: its pods are not known here.
        return None

    def control_plane_values(self) -> dict[str, Any]:
        return {
            # The chart's default annotations already ask ingress-nginx for ssl-passthrough.
            "ingress": {
                "enabled": True,
                "host": self.host,
                "spec": {"ingressClassName": self.ingress_class},
            },
            "proxy": {"extraSANs": [self.host]},
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadBalancerExposure:
    """A LoadBalancer Service; external-dns points the team host at its address."""

    host: str

    @property
    def server(self) -> str:
        return f"https://{self.host}"

    @property
    def node_ports_used(self) -> int:
        # A LoadBalancer Service allocates a node port per port, and the chart (0.36.1
        # `templates/service.yaml`) publishes only https on one: no kubelet port.
        return 1

    @property
    def load_balancers_used(self) -> int:
        return 1

    @property
    def api_clients(self) -> ApiClients:
        return None

    def control_plane_values(self) -> dict[str, Any]:
        return {
            "service": {
                "spec": {"type": "LoadBalancer"},
                "annotations": {"external-dns.alpha.kubernetes.io/hostname": self.host},
            },
            "proxy": {"extraSANs": [self.host]},
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewayExposure:
    """A TLS-passthrough route on the host's gateway (Gateway API `TLSRoute`), rendered by the
    vcluster chart itself (`controlPlane.tlsRoute`, chart 0.36.1 `templates/tlsroute.yaml`).

    The Gateway's name, namespace and listener come from the host's services stack; the
    proxies that carry the traffic are, when the platform installed the gateway, the only
    clients from outside the vcluster its API server admits.
    """

    host: str
    gateway: str
    namespace: str
    listener: str
    proxy_pods: Mapping[str, str] | None = None
    """Labels of the gateway's proxy pods; None: not known (a gateway the host provides)."""
    proxy_namespace: str | None = None

    @property
    def server(self) -> str:
        return f"https://{self.host}"

    @property
    def node_ports_used(self) -> int:
        # A ClusterIP Service (the chart's default): the kubelet port takes no node port.
        return 0

    @property
    def load_balancers_used(self) -> int:
        return 0

    @property
    def api_clients(self) -> ApiClients:
        if self.proxy_pods is None or self.proxy_namespace is None:
            return None
        return (ApiClient(pods=self.proxy_pods, namespace=self.proxy_namespace),)

    def control_plane_values(self) -> dict[str, Any]:
        return {
            "tlsRoute": {
                "enabled": True,
                "host": self.host,
                "parentRefs": [
                    {
                        "group": "gateway.networking.k8s.io",
                        "kind": "Gateway",
                        "name": self.gateway,
                        "namespace": self.namespace,
                        "sectionName": self.listener,
                    }
                ],
            },
            "proxy": {"extraSANs": [self.host]},
        }


Exposure = NodePortExposure | IngressExposure | LoadBalancerExposure | GatewayExposure
