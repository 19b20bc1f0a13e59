"""Everything one team gets inside its vcluster, from its catalog entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from cdktf_cdktf_provider_kubernetes.config_map_v1 import ConfigMapV1, ConfigMapV1Metadata
from cdktf_cdktf_provider_kubernetes.limit_range_v1 import (
    LimitRangeV1,
    LimitRangeV1Metadata,
    LimitRangeV1Spec,
    LimitRangeV1SpecLimit,
)
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1, NamespaceV1Metadata
from cdktf_cdktf_provider_kubernetes.resource_quota_v1 import (
    ResourceQuotaV1,
    ResourceQuotaV1Metadata,
    ResourceQuotaV1Spec,
)
from constructs import Construct

from constructs_lib.backing_service import BackingService
from constructs_lib.cache import ValkeyCache
from constructs_lib.cache_props import CacheProps, CacheSettings
from constructs_lib.labels import PlatformLabels
from constructs_lib.placement import apps_namespace
from constructs_lib.pod_security import pod_security_labels
from constructs_lib.postgres import PostgresDatabase
from constructs_lib.postgres_props import BackupPlan, PostgresProps, PostgresSettings, RecoveryPlan
from constructs_lib.resources import CONTAINER_DEFAULTS, Quota, Resources
from constructs_lib.team_network_policy import TeamNetworkPolicy
from constructs_lib.web_app import WebApp
from constructs_lib.web_app_props import CONTAINER_PORT, SecretFiles, WebAppProps, WebAppSettings

TEAM_INFO_CONFIG_MAP: Final = "team-info"


@dataclass(frozen=True, kw_only=True, slots=True)
class TeamProps:
    name: str
    """The team's validated name (DNS-1123 label)."""
    labels: PlatformLabels
    owners: tuple[str, ...] = ()
    app: WebAppSettings = field(default_factory=WebAppSettings)
    """The team's app: pinned nginx-unprivileged, 2 replicas, small requests and limits."""
    quota: Quota = field(default_factory=Quota)
    container_defaults: Resources = CONTAINER_DEFAULTS
    """LimitRange: what a container gets when it states no requests or limits."""
    database: PostgresSettings | None = None
    """PostgreSQL (CloudNativePG) when set."""
    database_backup: BackupPlan | None = None
    """Scheduled backups of the database to the platform's object store."""
    database_recovery: RecoveryPlan | None = None
    """The backups the database starts from, instead of empty."""
    cache: CacheSettings | None = None
    """Valkey cache when set."""
    protect: bool = False
    """prevent_destroy on stateful resources (production mode)."""
    metrics: bool = False
    """Exporters for the host's Prometheus (when the host runs the metrics service)."""

    @property
    def namespace(self) -> str:
        return apps_namespace(self.name)


class TeamConstruct(Construct):
    """Namespace, quota, backing services, the app wired to them, team info and network policy."""

    def __init__(self, scope: Construct, id: str, props: TeamProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self._labels = props.labels.as_dict()
        self._namespace = self._build_namespace()
        self.services = self._build_backing_services()
        self.app = self._build_app()
        ConfigMapV1(
            self,
            "TeamInfo",
            metadata=ConfigMapV1Metadata(
                name=TEAM_INFO_CONFIG_MAP, namespace=self._namespace, labels=self._labels
            ),
            data=self.info,
        )
        TeamNetworkPolicy(
            self,
            "NetworkPolicy",
            namespace=self._namespace,
            labels=self._labels,
            app_selector=self.app.props.selector,
            app_port=CONTAINER_PORT,
            services=self.services,
        )

    def _build_namespace(self) -> str:
        """The namespace with restricted pod security, its quota and its container defaults."""
        props, labels = self.props, self._labels
        namespace = NamespaceV1(
            self,
            "Namespace",
            metadata=NamespaceV1Metadata(
                name=props.namespace, labels=labels | pod_security_labels("restricted")
            ),
        )
        ns = namespace.metadata.name
        ResourceQuotaV1(
            self,
            "Quota",
            metadata=ResourceQuotaV1Metadata(name="team-quota", namespace=ns, labels=labels),
            spec=ResourceQuotaV1Spec(hard=props.quota.as_hard_limits()),
        )
        defaults = props.container_defaults.as_kubernetes()
        LimitRangeV1(
            self,
            "LimitRange",
            metadata=LimitRangeV1Metadata(name="team-defaults", namespace=ns, labels=labels),
            spec=LimitRangeV1Spec(
                limit=[
                    LimitRangeV1SpecLimit(
                        type="Container",
                        default=dict(defaults["limits"]),
                        default_request=dict(defaults["requests"]),
                    )
                ]
            ),
        )
        return ns

    def _build_backing_services(self) -> list[BackingService]:
        props, ns, labels = self.props, self._namespace, self._labels
        services: list[BackingService] = []
        if props.database is not None:
            db = PostgresDatabase(
                self,
                "Database",
                PostgresProps(
                    namespace=ns,
                    labels=labels,
                    settings=props.database,
                    protect=props.protect,
                    backup=props.database_backup,
                    recovery=props.database_recovery,
                ),
            )
            services.append(db.service)
        if props.cache is not None:
            cache = ValkeyCache(
                self,
                "Cache",
                CacheProps(
                    namespace=ns,
                    labels=labels,
                    settings=props.cache,
                    metrics=props.metrics,
                ),
            )
            services.append(cache.service)
        return services

    def _build_app(self) -> WebApp:
        """The app, with each backing service's credentials mounted as files."""
        return WebApp(
            self,
            "App",
            WebAppProps(
                namespace=self._namespace,
                labels=self._labels,
                settings=self.props.app,
                secret_files=tuple(
                    SecretFiles(
                        secret_name=s.secret_name, mount_path=s.credentials_dir, keys=s.secret_keys
                    )
                    for s in self.services
                ),
            ),
        )

    @property
    def info(self) -> dict[str, str]:
        """What `team-info` tells the team's workloads (and people) about the team."""
        info = {
            "team": self.props.name,
            "owners": ",".join(self.props.owners),
            "cost_center": self.props.labels.cost_center,
            "namespace": self.props.namespace,
            "app_endpoint": self.app.address,
        }
        for s in self.services:
            info[f"{s.role}_endpoint"] = f"{s.host}:{s.port}"
            info[f"{s.role}_secret"] = s.secret_name
            info[f"{s.role}_credentials_dir"] = s.credentials_dir
        backup = self.props.database_backup
        if backup is not None:
            info["database_backups"] = backup.store.destination(backup.tenant)
        return info

    @property
    def outputs(self) -> Mapping[str, str | int]:
        """Per team: app address; each service's host, port and secret name (no credentials)."""
        out: dict[str, str | int] = {"app_service_address": self.app.address}
        for s in self.services:
            out[f"{s.role}_host"] = s.host
            out[f"{s.role}_port"] = s.port
            out[f"{s.role}_secret_name"] = s.secret_name
        return out
