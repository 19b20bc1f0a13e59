"""Layer 3: one team's stack, deployed into that team's vcluster."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from catalog.data_guard import DECOMMISSION_OUTPUT
from catalog.model import Catalog
from catalog.team import Team
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.state_backend import configure_state
from constructs_lib.team import TeamConstruct, TeamProps


def team_props(catalog: Catalog, team: Team) -> TeamProps:
    """The catalog entry of a team, as the props of its construct."""
    return TeamProps(
        name=team.name,
        labels=catalog.labels_of(team),
        owners=team.owners,
        app=team.app,
        quota=team.quota,
        container_defaults=team.container_defaults,
        database=team.database if team.wants_database else None,
        cache=team.cache if team.wants_cache else None,
        protect=catalog.protects(team),
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
