"""The KIND host cluster: one control plane, N workers, a fixed pool of published ports."""

from __future__ import annotations

from constructs import Construct

from bindings.kind import (
    KindClusterConfig,
    KindClusterResource,
    KindConfig,
    KindNetworking,
    KindNode,
    KindPortMapping,
    KindProvider,
    KindTimeouts,
)
from constructs_lib.kind_cluster_props import KindHostClusterProps
from constructs_lib.paths import host_kubeconfig_path


class KindHostCluster(Construct):
    """A KIND cluster whose kubeconfig is written to a machine-independent relative path."""

    def __init__(self, scope: Construct, id: str, props: KindHostClusterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        provider = KindProvider(self, "provider")
        control_plane = KindNode(
            role="control-plane",
            labels={"ingress-ready": "true"},
            # Only the control-plane container publishes ports; kube-proxy forwards a
            # NodePort from any node, so one set of mappings reaches every vcluster.
            extra_port_mappings=tuple(
                KindPortMapping(
                    container_port=port,
                    host_port=port,
                    listen_address="127.0.0.1",
                    protocol="TCP",
                )
                for port in props.published_ports
            ),
        )
        workers = tuple(KindNode(role="worker") for _ in range(props.workers))
        self.cluster = KindClusterResource(
            self,
            "cluster",
            provider=provider,
            config=KindClusterConfig(
                name=props.cluster_name,
                node_image=props.node_image,
                wait_for_ready=True,
                kubeconfig_path=host_kubeconfig_path(props.cluster_name),
                kind_config=KindConfig(
                    nodes=(control_plane, *workers),
                    # The API server only on loopback: the host is a laptop, not a server.
                    networking=KindNetworking(api_server_address="127.0.0.1"),
                ),
                timeouts=KindTimeouts(create="15m", delete="10m"),
            ),
        )

    @property
    def kubeconfig_path(self) -> str:
        return self.cluster.kubeconfig_path

    @property
    def endpoint(self) -> str:
        return self.cluster.endpoint
