"""A team's PostgreSQL: the CloudNativePG operator once per vcluster, then one `cluster` release.

Why not Bitnami: Bitnami stopped publishing free versioned images in 2025 (bitnami/charts
#35164); a pinned Bitnami chart now references images that no longer exist.
"""

from __future__ import annotations

from typing import Final

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_time.sleep import Sleep
from constructs import Construct

from constructs_lib import versions
from constructs_lib.backing_service import BackingService
from constructs_lib.chart_release import chart_release
from constructs_lib.network_policy import Peer, PolicySpec, Rule, network_policy, tcp
from constructs_lib.postgres_props import (
    DATABASE_CHART,
    INSTANCE_STATUS_PORT,
    OPERATOR_CHART,
    OPERATOR_NAMESPACE,
    OPERATOR_POD_LABELS,
    POSTGRES_PORT,
    PostgresProps,
    postgres_cluster_values,
)
from constructs_lib.vcluster_network import NAMESPACE_NAME_LABEL

#: The operator's validating webhook answers a little after its Deployment reports ready
#: (cloudnative-pg/charts#493); this pause covers that gap on the first install.
WEBHOOK_SETTLE: Final = "30s"


class PostgresDatabase(Construct):
    """Operator, a pause for its webhook, then the database cluster that depends on both."""

    def __init__(self, scope: Construct, id: str, props: PostgresProps) -> None:
        super().__init__(scope, id)
        self.props = props
        operator = chart_release(
            self,
            "Operator",
            name="cnpg",
            namespace=OPERATOR_NAMESPACE,
            create_namespace=True,
            repository=versions.CNPG_CHART_REPOSITORY,
            chart=OPERATOR_CHART,
            version=props.operator_chart_version,
            atomic=True,
        )
        webhook_ready = Sleep(
            self,
            "WebhookSettle",
            create_duration=WEBHOOK_SETTLE,
            triggers={"operator_version": props.operator_chart_version},
            depends_on=[operator],
        )
        self.cluster = chart_release(
            self,
            "Cluster",
            name=props.name,
            namespace=props.namespace,
            repository=versions.CNPG_CHART_REPOSITORY,
            chart=DATABASE_CHART,
            version=props.cluster_chart_version,
            values=postgres_cluster_values(props),
            timeout_s=900,
            depends_on=[webhook_ready],
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.protect else None,
        )
        # The operator's namespace is closed like every other on the host: it may reach the
        # database's instances (status and PostgreSQL ports) and nothing else of the team's.
        network_policy(
            self,
            "OperatorEgress",
            PolicySpec(
                name=f"allow-operator-to-{props.name}",
                selects=OPERATOR_POD_LABELS,
                egress=(
                    Rule(
                        peers=(
                            Peer(
                                pods=props.pod_labels,
                                namespaces={NAMESPACE_NAME_LABEL: props.namespace},
                            ),
                        ),
                        ports=tcp(POSTGRES_PORT, INSTANCE_STATUS_PORT),
                    ),
                ),
            ),
            namespace=OPERATOR_NAMESPACE,
            labels=props.labels,
            depends_on=[operator],
        )

    @property
    def service(self) -> BackingService:
        return BackingService(
            role="database",
            host=self.props.host,
            port=POSTGRES_PORT,
            secret_name=self.props.app_secret_name,
            secret_keys=("uri", "host", "port", "dbname", "username", "password"),
            pod_selector=self.props.pod_labels,
            operator_namespace=OPERATOR_NAMESPACE,
            operator_ports=(POSTGRES_PORT, INSTANCE_STATUS_PORT),
            peers_connect=self.props.settings.instances > 1,
        )
