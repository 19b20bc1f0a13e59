"""Layer 3: one tenant's stack (a team, or a team in one environment), deployed into its
vcluster."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from catalog.backups import backup_plan, recovery_plan
from catalog.data_guard import DECOMMISSION_OUTPUT
from catalog.model import Catalog
from catalog.tenant import Tenant
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.state_backend import configure_state
from constructs_lib.team import TeamConstruct, TeamProps
from constructs_lib.team_access import TeamAccess


def team_props(catalog: Catalog, tenant: Tenant) -> TeamProps:
    """The effective entry of a tenant, as the props of its construct."""
    team = tenant.settings
    return TeamProps(
        name=team.name,
        labels=catalog.labels_of(tenant),
        owners=team.owners,
        app=team.app,
        quota=team.quota,
        container_defaults=team.container_defaults,
        database=team.database if team.wants_database else None,
        database_backup=backup_plan(catalog.platform, tenant),
        database_recovery=recovery_plan(catalog.platform, tenant),
        cache=team.cache if team.wants_cache else None,
        protect=catalog.protects(tenant),
        metrics=catalog.host_of(tenant).services.metrics is not None,
    )


class TeamStack(TerraformStack):
    def __init__(
        self, scope: Construct, catalog: Catalog, tenant: Tenant, *, kubeconfig_path: str
    ) -> None:
        super().__init__(scope, tenant.name)
        configure_state(self, catalog.platform.state, layer=f"teams/{tenant.name}")
        ClusterAccess(self, "VCluster", kubeconfig_path=kubeconfig_path)
        RandomProvider(self, "random")
        TimeProvider(self, "time")
        self.team = TeamConstruct(self, "Team", team_props(catalog, tenant))
        members = tenant.settings.members
        if catalog.platform.identity is not None and members is not None:
            TeamAccess(self, "Access", members=members, labels=catalog.labels_of(tenant).as_dict())
        for name, value in self.team.outputs.items():
            TerraformOutput(self, name, value=value)
        if tenant.settings.decommission:
            # Recorded in the reviewed JSON, so the entry may be deleted in a later change.
            TerraformOutput(self, DECOMMISSION_OUTPUT, value=True)
