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
from constructs_lib.postgres_props import (
    DATABASE_CHART,
    OPERATOR_CHART,
    PostgresProps,
    postgres_cluster_values,
)

OPERATOR_NAMESPACE: Final = "cnpg-system"
#: The operator's validating webhook answers a little after its Deployment reports ready
#: (cloudnative-pg/charts#493); this pause covers that gap on the first install.
WEBHOOK_SETTLE: Final = "30s"
POSTGRES_PORT: Final = 5432
#: The instance manager's status endpoint, polled by the operator.
_INSTANCE_STATUS_PORT: Final = 8000


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

    @property
    def service(self) -> BackingService:
        return BackingService(
            role="database",
            host=self.props.host,
            port=POSTGRES_PORT,
            secret_name=self.props.app_secret_name,
            secret_keys=("uri", "host", "port", "dbname", "username", "password"),
            pod_selector={"cnpg.io/cluster": self.props.name},
            operator_namespace=OPERATOR_NAMESPACE,
            operator_ports=(POSTGRES_PORT, _INSTANCE_STATUS_PORT),
            needs_kubernetes_api=True,
            peers_connect=self.props.settings.instances > 1,
        )
