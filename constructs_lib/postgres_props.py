"""A team's PostgreSQL without the CDK runtime: settings, props, names and chart values.

`postgres.py` builds the construct from these; the catalog's `database:` entry is a
`PostgresSettings`, and the values can be checked against the chart's schema without jsii.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import Field

from constructs_lib import versions
from constructs_lib.placement import Placement
from constructs_lib.resources import POSTGRES_RESOURCES, Resources
from constructs_lib.strict_model import StrictModel

#: The CloudNativePG chart that holds a team's data: the data guard and review look for it.
DATABASE_CHART: Final = "cluster"
OPERATOR_CHART: Final = "cloudnative-pg"
#: The operator, once per vcluster: its namespace, its pods, and the port of its webhook,
#: which the vcluster's API server calls on every change to a database.
OPERATOR_NAMESPACE: Final = "cnpg-system"
OPERATOR_POD_LABELS: Final = {"app.kubernetes.io/name": "cloudnative-pg"}
OPERATOR_WEBHOOK_PORT: Final = 9443
POSTGRES_PORT: Final = 5432
#: The instance manager's status endpoint, polled by the operator.
INSTANCE_STATUS_PORT: Final = 8000
DEFAULT_POSTGRES_MAJOR: Final = 17
DEFAULT_INSTANCES: Final = 1
DEFAULT_STORAGE_GIB: Final = 1


class PostgresSettings(StrictModel):
    """What a catalog may tune of a team's database."""

    postgres_major: int = Field(DEFAULT_POSTGRES_MAJOR, ge=14, le=18)
    instances: int = Field(DEFAULT_INSTANCES, ge=1, le=5)
    storage_gib: int = Field(DEFAULT_STORAGE_GIB, ge=1, le=1024)


@dataclass(frozen=True, kw_only=True, slots=True)
class PostgresProps(Placement):
    name: str = "postgres"
    """CNPG cluster name (`fullnameOverride`): services `<name>-rw`, secret `<name>-app`."""
    settings: PostgresSettings = field(default_factory=PostgresSettings)
    resources: Resources = POSTGRES_RESOURCES
    operator_chart_version: str = versions.CNPG_OPERATOR_CHART_VERSION
    cluster_chart_version: str = versions.CNPG_CLUSTER_CHART_VERSION
    protect: bool = False
    """prevent_destroy on the database release (production mode)."""

    @property
    def app_secret_name(self) -> str:
        """CNPG generates it: username, password, host, port, dbname, uri."""
        return f"{self.name}-app"

    @property
    def host(self) -> str:
        return self.service_host(f"{self.name}-rw")

    @property
    def pod_labels(self) -> dict[str, str]:
        """Every instance of the cluster carries it (CNPG sets it)."""
        return {"cnpg.io/cluster": self.name}


def postgres_cluster_values(props: PostgresProps) -> dict[str, Any]:
    """Values of the CNPG `cluster` chart (validated against its schema in the tests)."""
    settings = props.settings
    return {
        "fullnameOverride": props.name,
        "type": "postgresql",
        "mode": "standalone",
        "version": {"postgresql": str(settings.postgres_major)},
        "cluster": {
            "instances": settings.instances,
            "enableSuperuserAccess": False,
            "storage": {"size": f"{settings.storage_gib}Gi"},
            "resources": props.resources.as_kubernetes(),
            "additionalLabels": props.labels,
            "enablePDB": settings.instances > 1,
        },
        "backups": {"enabled": False},
    }
