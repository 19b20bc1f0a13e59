"""Layer 3: one team's stack, deployed into that team's vcluster."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from constructs_lib.catalog import Catalog, Team
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.decommission import DECOMMISSION_OUTPUT
from constructs_lib.labels import PlatformLabels
from constructs_lib.state_backend import configure_state
from constructs_lib.team import (
    AppOptions,
    CacheOptions,
    DatabaseOptions,
    TeamConstruct,
    TeamProps,
)


def team_props(catalog: Catalog, team: Team) -> TeamProps:
    """The catalog entry of a team, as the props of its construct."""
    database = team.database if team.wants_database else None
    cache = team.cache if team.wants_cache else None
    return TeamProps(
        name=team.name,
        labels=PlatformLabels(
            team=team.name,
            project=catalog.platform.project,
            cost_center=catalog.cost_center_of(team),
        ),
        owners=team.owners,
        app=AppOptions(
            image=team.app.image, replicas=team.app.replicas, resources=team.app.resources
        ),
        quota=team.quota,
        container_defaults=team.container_defaults,
        database=DatabaseOptions(
            postgres_major=database.postgres_major,
            instances=database.instances,
            storage_gib=database.storage_gib,
        )
        if database
        else None,
        cache=CacheOptions(storage_gib=cache.storage_gib) if cache else None,
        protect=catalog.platform.production and not team.decommission,
    )


class TeamStack(TerraformStack):
    def __init__(
        self, scope: Construct, catalog: Catalog, team: Team, *, kubeconfig_path: str
    ) -> None:
        super().__init__(scope, team.name)
        configure_state(self, catalog.platform.state, layer=f"teams/{team.name}")
        ClusterAccess(self, "VCluster", kubeconfig_path=kubeconfig_path)
        RandomProvider(self, "random")
        TimeProvider(self, "time")
        self.team = TeamConstruct(self, "Team", team_props(catalog, team))
        for name, value in self.team.outputs.items():
            TerraformOutput(self, name, value=value)
        if team.decommission:
            # Recorded in the reviewed JSON, so the entry may be deleted in a later change.
            TerraformOutput(self, DECOMMISSION_OUTPUT, value=True)
