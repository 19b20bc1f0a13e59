"""One entry of `teams:`: what a team gets, as the settings of the constructs that build it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.fields import (
    CatalogModel,
    Email,
    EnvironmentName,
    HostName,
    LabelValue,
    NodePort,
    TeamName,
)
from constructs_lib.cache_props import CacheSettings
from constructs_lib.gitops import GitOps
from constructs_lib.identity import Members
from constructs_lib.postgres_props import PostgresSettings
from constructs_lib.resources import CONTAINER_DEFAULTS, Quota, Resources
from constructs_lib.strict_model import ListOf
from constructs_lib.vcluster_network import WorkloadEgress
from constructs_lib.vcluster_props import VClusterSettings
from constructs_lib.web_app_props import WebAppSettings


class DatabaseSpec(PostgresSettings):
    """A CloudNativePG PostgreSQL cluster; present means wanted unless enabled: false."""

    enabled: bool = True


class CacheSpec(CacheSettings):
    """A Valkey (Redis-compatible) cache with auth; present means wanted unless enabled: false."""

    enabled: bool = True


class EnvironmentOverrides(CatalogModel):
    """One environment of a team: the settings that differ there, merged over the team's own.

    Nested settings are kept as written and validated once merged, as the tenant's whole entry:
    `vcluster: {replicas: 3}` in prod may depend on a `backing_store` set for the whole team.
    """

    host: HostName | None = Field(None, description="Pin the tenant to this host.")
    node_port: NodePort | None = Field(None, description="Host port on a KIND host.")
    vcluster: dict[str, Any] | None = None
    quota: dict[str, Any] | None = None
    container_defaults: dict[str, Any] | None = None
    app: dict[str, Any] | None = None
    database: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    egress: dict[str, Any] | None = None
    gitops: dict[str, Any] | None = None
    decommission: bool | None = None


class Team(CatalogModel):
    name: TeamName
    owners: ListOf[Email] = Field((), description="Who to ask about this team's platform.")
    members: Members | None = Field(
        None,
        description="The team's people (the issuer's groups or users) and their role in its "
        "vclusters; needs platform.identity.",
    )
    cost_center: LabelValue | None = Field(None, description="Default: platform.cost_center.")
    node_port: NodePort | None = Field(
        None, description="Host port of the vcluster API (KIND host); default: derived from name."
    )
    vcluster: VClusterSettings = Field(default_factory=VClusterSettings)
    quota: Quota = Field(default_factory=Quota)
    container_defaults: Resources = Field(
        CONTAINER_DEFAULTS,
        description="Requests and limits (LimitRange) for containers that state none.",
    )
    app: WebAppSettings = Field(default_factory=WebAppSettings)
    database: DatabaseSpec | None = None
    cache: CacheSpec | None = None
    egress: WorkloadEgress = Field(
        default_factory=WorkloadEgress,
        description="What the team's workloads may reach beyond their vcluster; nothing by "
        "default. `public: true` for every public address, or `allow:` networks and ports.",
    )
    gitops: GitOps | None = Field(
        None,
        description="The team's deployment repository, delivered into its vcluster by the "
        "Argo CD of its host (services.delivery).",
    )
    decommission: bool = Field(
        False, description="Allow removing this team's stateful data in the next apply."
    )
    host: HostName | None = Field(
        None, description="The host this team runs on; default: placed by capacity."
    )
    environments: dict[EnvironmentName, EnvironmentOverrides] | None = Field(
        None,
        min_length=1,
        description="One tenant per environment, each with the settings that differ there.",
    )

    @property
    def wants_database(self) -> bool:
        return self.database is not None and self.database.enabled

    @property
    def wants_cache(self) -> bool:
        return self.cache is not None and self.cache.enabled
