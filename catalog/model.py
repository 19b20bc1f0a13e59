"""The team catalog: the typed, validated model of `platform.yaml`.

The catalog is data. It is validated once, here, at the boundary; everything downstream
receives these frozen models and never sees raw YAML.
"""

from __future__ import annotations

from typing import Final, Self

from pydantic import Field, PrivateAttr, model_validator

from catalog.backups import backup_problems
from catalog.fields import CatalogModel
from catalog.host_service_checks import (
    credentials_problems,
    delivery_problems,
    exposure_problems,
    image_problems,
)
from catalog.placement import Placed, capacity_problems, place
from catalog.platform import ExistingHost, KindHost, Platform
from catalog.stack_names import host_services_stack, kind_stack, team_stacks
from catalog.team import Team
from catalog.tenant import Tenant, tenants_of
from constructs_lib.app_exposure import ExposedApp
from constructs_lib.labels import MANAGED_BY, PlatformLabels
from constructs_lib.strict_model import ListOf

#: The most teams one catalog may hold: twice the size the benchmark measures every time
#: (docs/benchmarks.md: 1000 teams, a pull request adding the 1001st), and measured once at
#: 2000 (README, "Performance at scale"): time grows linearly, memory with the shard, not the
#: catalog. Past it nothing has been measured: split the platform.
MAX_TEAMS: Final = 2000


class Catalog(CatalogModel):
    """The catalog, with its tenants and their placement computed once, at validation: a
    changed catalog is validated again (`model_copy` would keep the old placement)."""

    platform: Platform = Field(default_factory=Platform)
    teams: ListOf[Team] = Field(min_length=1)

    _tenants: tuple[Tenant, ...] = PrivateAttr(default=())
    _placed: dict[str, Placed] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _within_the_measured_size(self) -> Self:
        if len(self.teams) > MAX_TEAMS:
            raise ValueError(
                f"teams: {len(self.teams)} teams are more than the {MAX_TEAMS} one catalog is "
                "measured for (README, 'Performance at scale'); split the platform into several "
                "catalogs, each with its own output and state prefix"
            )
        return self

    @model_validator(mode="after")
    def _teams_are_unique(self) -> Self:
        first_index: dict[str, int] = {}
        for index, team in enumerate(self.teams):
            if team.name in first_index:
                raise ValueError(
                    f"teams[{index}].name: duplicate team name {team.name!r} (already "
                    f"teams[{first_index[team.name]}]); every team needs its own name"
                )
            first_index[team.name] = index
        return self

    @model_validator(mode="after")
    def _members_sign_in_with_the_platforms_issuer(self) -> Self:
        if self.platform.identity is None:
            for index, team in enumerate(self.teams):
                if team.members is not None:
                    raise ValueError(
                        f"teams[{index}] ({team.name}).members: the platform has no issuer "
                        "to sign them in with; add platform.identity: {issuer_url: ..., "
                        "client_id: ...} (README, 'Access by identity')"
                    )
        return self

    @model_validator(mode="after")
    def _tenants_are_placed(self) -> Self:
        environment = self.platform.team_environment
        tenants: list[Tenant] = []
        owner: dict[str, Tenant] = {}
        for index, team in enumerate(self.teams):
            for tenant in tenants_of(team, index, default_environment=environment):
                if tenant.name in owner:
                    other = owner[tenant.name]
                    raise ValueError(
                        f"{tenant.source}: its tenant is named {tenant.name!r}, like "
                        f"{other.source}; rename the team or the environment, every tenant "
                        "needs its own stacks"
                    )
                owner[tenant.name] = tenant
                tenants.append(tenant)
        if len(tenants) > MAX_TEAMS:
            raise ValueError(
                f"teams: {len(tenants)} tenants (teams in each of their environments) are more "
                f"than the {MAX_TEAMS} one catalog is measured for (README, 'Performance at "
                "scale'); split the platform into several catalogs"
            )
        self._tenants = tuple(tenants)
        self._placed = place(self.platform, self._tenants)
        return self

    @property
    def tenants(self) -> tuple[Tenant, ...]:
        """Every team in every environment, in catalog order."""
        return self._tenants

    def placement_of(self, tenant: Tenant | str) -> Placed:
        return self._placed[tenant if isinstance(tenant, str) else tenant.name]

    def tenant(self, name: str) -> Tenant:
        return self._placed[name].tenant

    def tenants_on(self, host: str) -> list[Tenant]:
        return [p.tenant for p in self._placed.values() if p.host == host]

    def node_port_of(self, tenant: Tenant | Team) -> int:
        """Host port of a tenant's vcluster API on its KIND host."""
        port = self._placed[tenant.name].node_port
        if port is None:
            raise ValueError("node ports exist only on a KIND host")
        return port

    def capacity_problems(self) -> list[str]:
        return capacity_problems(self.platform, self._placed)

    def backup_problems(self) -> list[str]:
        return backup_problems(self.platform, self._tenants)

    def image_problems(self) -> list[str]:
        return image_problems(self.platform, self._tenants, self._placed)

    def credentials_problems(self) -> list[str]:
        return credentials_problems(self.platform, self._tenants, self._placed)

    def delivery_problems(self) -> list[str]:
        return delivery_problems(self.platform, self._tenants, self._placed)

    def exposure_problems(self) -> list[str]:
        return exposure_problems(self.platform, self._tenants, self._placed)

    def exposed_on(self, host: str) -> tuple[ExposedApp, ...]:
        """The apps a host's gateway publishes: its tenants' `app.expose`, in catalog order."""
        return tuple(
            ExposedApp(tenant=t.name, host=t.settings.app.expose.host)
            for t in self.tenants_on(host)
            if t.settings.app.expose is not None
        )

    def stacks_of_host(self, name: str) -> tuple[str, ...]:
        """The stacks of one host itself, producer first: its KIND cluster (a KIND host's),
        then its services (when its entry turns one on)."""
        host = self.platform.named_hosts[name]
        stacks: tuple[str, ...] = (kind_stack(name),) if isinstance(host, KindHost) else ()
        if host.services.turned_on():
            stacks += (host_services_stack(name),)
        return stacks

    def host_stacks(self) -> tuple[str, ...]:
        """The stacks of the hosts themselves (KIND clusters, host services), in catalog order."""
        return tuple(s for name in self.platform.named_hosts for s in self.stacks_of_host(name))

    def stack_hosts(self) -> dict[str, str]:
        """Every stack of the app -> the host it is (a KIND host's) or deploys to."""
        hosts = {s: name for name in self.platform.named_hosts for s in self.stacks_of_host(name)}
        for tenant in self._tenants:
            hosts.update(dict.fromkeys(team_stacks(tenant.name), self._placed[tenant.name].host))
        return hosts

    def cost_center_of(self, tenant: Tenant) -> str:
        return tenant.settings.cost_center or self.platform.cost_center

    def labels_of(self, tenant: Tenant) -> PlatformLabels:
        """The labels of everything a tenant's stacks create, on the host and in its vcluster:
        its team's name, and its environment when the team has several."""
        return PlatformLabels(
            team=tenant.team,
            project=self.platform.project,
            cost_center=self.cost_center_of(tenant),
            environment=tenant.environment if tenant.per_environment else None,
        )

    def host_of(self, tenant: Tenant) -> KindHost | ExistingHost:
        """The settings of the host a tenant is placed on."""
        return self.platform.named_hosts[self._placed[tenant.name].host]

    def api_server_of(self, tenant: Tenant) -> str:
        """Where the tenant's vcluster API server is reached from outside its host (what its
        exported kubeconfig names; a test holds it to the vcluster's values)."""
        host = self.platform.named_hosts[self._placed[tenant.name].host]
        if isinstance(host, KindHost):
            return f"https://127.0.0.1:{self.node_port_of(tenant)}"
        return f"https://{tenant.name}.{host.domain}"

    def platform_labels(self) -> dict[str, str]:
        """The labels of what the platform runs for every tenant (a host's services)."""
        return {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "project": self.platform.project,
            "cost-center": self.platform.cost_center,
        }

    def protects(self, tenant: Tenant) -> bool:
        """prevent_destroy on a tenant's stateful resources: production, unless decommissioning."""
        return self.platform.production and not tenant.settings.decommission

    def team(self, name: str) -> Team:
        return next(t for t in self.teams if t.name == name)
