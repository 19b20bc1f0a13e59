"""Layer 1: a KIND host cluster, one stack per KIND host of the catalog."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.stack_names import kind_stack
from constructs_lib.kind_cluster import KindHostCluster
from constructs_lib.kind_cluster_props import KindHostClusterProps
from constructs_lib.state_backend import configure_state


class KindClusterStack(TerraformStack):
    def __init__(self, scope: Construct, catalog: Catalog, name: str, host: KindHost) -> None:
        super().__init__(scope, kind_stack(name))
        configure_state(self, catalog.platform.state, layer=f"platform/{kind_stack(name)}")
        self.host = KindHostCluster(
            self,
            "Host",
            KindHostClusterProps(
                cluster_name=host.cluster_name,
                node_image=host.node_image,
                workers=host.workers,
                published_ports=host.port_pool.ports,
            ),
        )
        TerraformOutput(self, "kubeconfig_path", value=self.host.kubeconfig_path)
        TerraformOutput(self, "endpoint", value=self.host.endpoint)
        self.kubeconfig_context = f"kind-{host.cluster_name}"
