"""A team's PostgreSQL without the CDK runtime: settings, props, names and chart values.

`postgres.py` builds the construct from these; the catalog's `database:` entry is a
`PostgresSettings`, and the values can be checked against the chart's schema without jsii.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, ConfigDict, Field

from constructs_lib import versions
from constructs_lib.object_store import BackupStore, DatabaseBackup
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
#: Every tenant's CloudNativePG cluster has this name; barman also files its backups under it
#: (the server name), so a restore reads `<source's path>/postgres`.
CLUSTER_NAME: Final = "postgres"
#: CloudNativePG labels every pod of a cluster with its name: instances and the job that
#: restores it.
DATABASE_POD_LABELS: Final = {"cnpg.io/cluster": CLUSTER_NAME}
#: Where every CloudNativePG instance serves its metrics: container port `metrics`
#: (operator v1.30.0 pkg/specs/pods.go:269-270, pkg/management/url/url.go:34).
DATABASE_METRICS_PORT: Final = 9187
DEFAULT_POSTGRES_MAJOR: Final = 17
DEFAULT_INSTANCES: Final = 1
DEFAULT_STORAGE_GIB: Final = 1


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _point_in_time(value: str) -> str:
    """RFC 3339 with its zone: the operator would read a time without one as UTC, silently."""
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        valid = False
    else:
        valid = bool(_RFC3339.match(value))
    if not valid:
        raise ValueError(
            "must be an RFC 3339 time with its zone, such as '2026-11-29T12:00:00Z' or "
            f"'2026-11-29T13:00:00+01:00', got {value!r}"
        )
    return value


class Restore(StrictModel):
    """A database that starts from another tenant's backups (CloudNativePG recovery)."""

    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(
        alias="from", min_length=1, description="The tenant whose backups it starts from."
    )
    point_in_time: Annotated[str, AfterValidator(_point_in_time)] | None = Field(
        None, description="Recover up to this time (RFC 3339 with zone); default: the latest."
    )


class PostgresSettings(StrictModel):
    """What a catalog may tune of a team's database."""

    postgres_major: int = Field(DEFAULT_POSTGRES_MAJOR, ge=14, le=18)
    instances: int = Field(DEFAULT_INSTANCES, ge=1, le=5)
    storage_gib: int = Field(DEFAULT_STORAGE_GIB, ge=1, le=1024)
    backup: DatabaseBackup = Field(
        default_factory=DatabaseBackup,
        description="On by default when the platform has a store (platform.backups).",
    )
    restore: Restore | None = Field(None, description="Start from another tenant's backups.")


@dataclass(frozen=True, kw_only=True, slots=True)
class BackupPlan:
    """Where and how often a tenant's database is backed up, resolved from the catalog."""

    store: BackupStore
    tenant: str
    schedule: str
    """Five-field cron, as the catalog writes it."""
    retention_days: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RecoveryPlan:
    """Which tenant's backups a new database starts from, and up to when."""

    store: BackupStore
    source: str
    point_in_time: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostgresProps(Placement):
    name: str = CLUSTER_NAME
    """CNPG cluster name (`fullnameOverride`): services `<name>-rw`, secret `<name>-app`."""
    settings: PostgresSettings = field(default_factory=PostgresSettings)
    resources: Resources = POSTGRES_RESOURCES
    operator_chart_version: str = versions.CNPG_OPERATOR_CHART_VERSION
    cluster_chart_version: str = versions.CNPG_CLUSTER_CHART_VERSION
    protect: bool = False
    """prevent_destroy on the database release (production mode)."""
    backup: BackupPlan | None = None
    """Scheduled base backups and WAL archiving to the platform's object store."""
    recovery: RecoveryPlan | None = None
    """Bootstrap from another tenant's backups instead of an empty database."""

    @property
    def app_secret_name(self) -> str:
        """CNPG generates it: username, password, host, port, dbname, uri."""
        return f"{self.name}-app"

    @property
    def host(self) -> str:
        return self.service_host(f"{self.name}-rw")

    @property
    def pod_labels(self) -> dict[str, str]:
        """Every pod of the cluster carries it (CNPG sets it)."""
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
            "imageName": versions.POSTGRES_IMAGES[settings.postgres_major],
            "instances": settings.instances,
            "enableSuperuserAccess": False,
            "storage": {"size": f"{settings.storage_gib}Gi"},
            "resources": props.resources.as_kubernetes(),
            "additionalLabels": props.labels,
            "enablePDB": settings.instances > 1,
        },
        "backups": _backups(props.backup) if props.backup else {"enabled": False},
        **(_recovery(props.recovery) if props.recovery else {}),
    }


def _backups(plan: BackupPlan) -> dict[str, Any]:
    """The chart's `backups`: WAL archiving and scheduled base backups to the tenant's path.

    CloudNativePG's schedules have six fields, seconds first (robfig/cron, which the operator
    parses them with); a five-field schedule would be read a field off, so ours gains `0 `.
    Server-side encryption (`AES256`) is an S3 setting; other stores use their own.
    """
    encryption = "AES256" if plan.store.provider == "s3" else ""
    return {
        "enabled": True,
        "method": "barmanObjectStore",
        **plan.store.chart_store(plan.tenant),
        "wal": {"compression": "gzip", "encryption": encryption, "maxParallel": 1},
        "data": {"compression": "gzip", "encryption": encryption, "jobs": 2},
        "scheduledBackups": [
            {
                "name": "scheduled",
                "schedule": f"0 {plan.schedule}",
                "backupOwnerReference": "self",
                "method": "barmanObjectStore",
            }
        ],
        "retentionPolicy": f"{plan.retention_days}d",
    }


def _recovery(plan: RecoveryPlan) -> dict[str, Any]:
    """`mode: recovery` from the source tenant's path, to its latest state or a point in time."""
    recovery: dict[str, Any] = {
        "method": "object_store",
        "clusterName": CLUSTER_NAME,
        **plan.store.chart_store(plan.source),
    }
    if plan.point_in_time:
        recovery["pitrTarget"] = {"time": plan.point_in_time}
    return {"mode": "recovery", "recovery": recovery}
