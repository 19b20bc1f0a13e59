"""Layer 2: one stack per team, `vcluster-<team>`: its vcluster on the host and its kubeconfig.

A stack per team keeps plans, locks and blast radius local: a pull request that onboards or
changes one team plans that team's stacks only.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_local.provider import LocalProvider
from constructs import Construct

from catalog.model import Catalog
from catalog.platform import ExistingHost
from catalog.stack_names import vcluster_stack
from catalog.team import Team
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.postgres_props import OPERATOR_NAMESPACE, OPERATOR_WEBHOOK_PORT
from constructs_lib.state_backend import configure_state
from constructs_lib.vcluster import TeamVCluster
from constructs_lib.vcluster_exposure import (
    Exposure,
    IngressExposure,
    LoadBalancerExposure,
    NodePortExposure,
)
from constructs_lib.vcluster_network import Webhook
from constructs_lib.vcluster_props import VClusterProps


def exposure_for(catalog: Catalog, team: Team) -> Exposure:
    host = catalog.platform.host
    if isinstance(host, ExistingHost):
        team_host = f"{team.name}.{host.domain}"
        if host.exposure == "load_balancer":
            return LoadBalancerExposure(host=team_host)
        return IngressExposure(host=team_host, ingress_class=host.ingress_class)
    return NodePortExposure(node_port=catalog.node_port_of(team))


def webhooks_of(team: Team) -> tuple[Webhook, ...]:
    """The team's workloads that its vcluster's API server calls: the database operator's."""
    if not team.wants_database:
        return ()
    return (Webhook(namespace=OPERATOR_NAMESPACE, port=OPERATOR_WEBHOOK_PORT),)


class VClusterStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        catalog: Catalog,
        team: Team,
        *,
        host_kubeconfig_path: str,
        host_context: str | None,
    ) -> None:
        super().__init__(scope, vcluster_stack(team.name))
        configure_state(self, catalog.platform.state, layer=f"platform/vcluster/{team.name}")
        ClusterAccess(self, "Host", kubeconfig_path=host_kubeconfig_path, context=host_context)
        LocalProvider(self, "local")
        # The construct keeps the team's name as its id, as in the single stack before: the
        # resource addresses stay the same, so moving state over is `state mv` (README).
        self.vcluster = TeamVCluster(
            self,
            team.name,
            VClusterProps(
                team=team.name,
                labels=catalog.labels_of(team),
                exposure=exposure_for(catalog, team),
                chart_version=catalog.platform.versions.vcluster_chart,
                settings=team.vcluster,
                quota=team.quota,
                container_defaults=team.container_defaults,
                protect=catalog.protects(team),
                webhooks=webhooks_of(team),
                egress=team.egress,
            ),
        )
        TerraformOutput(self, "kubeconfig_path", value=self.vcluster.kubeconfig_path)
