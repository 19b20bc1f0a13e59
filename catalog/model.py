"""The team catalog: the typed, validated model of `platform.yaml`.

The catalog is data. It is validated once, here, at the boundary; everything downstream
receives these frozen models and never sees raw YAML.
"""

from __future__ import annotations

import hashlib
from typing import Final, Self

from pydantic import Field, model_validator

from catalog.fields import CatalogModel
from catalog.platform import ExistingHost, KindHost, Platform, PortPool
from catalog.team import Team
from constructs_lib.labels import PlatformLabels
from constructs_lib.strict_model import ListOf


def default_node_port(team_name: str, pool: PortPool) -> int:
    """A port derived from the team name alone, so it never shifts as other teams come and go."""
    digest = hashlib.sha256(team_name.encode()).digest()
    return pool.first_port + int.from_bytes(digest[:8], "big") % pool.size


#: The most teams one catalog may hold: twice the size the benchmark measures every time
#: (docs/benchmarks.md: 1000 teams, a pull request adding the 1001st), and measured once at
#: 2000 (README, "Performance at scale"): time grows linearly, memory with the shard, not the
#: catalog. Past it nothing has been measured: split the platform.
MAX_TEAMS: Final = 2000


class Catalog(CatalogModel):
    platform: Platform = Field(default_factory=Platform)
    teams: ListOf[Team] = Field(min_length=1)

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
    def _node_ports_fit_the_host(self) -> Self:
        host = self.platform.host
        if isinstance(host, ExistingHost):
            for index, team in enumerate(self.teams):
                if team.node_port is not None:
                    raise ValueError(
                        f"teams[{index}].node_port: only applies to host type 'kind'; remove it "
                        "(an existing host publishes vclusters by ingress or load balancer)"
                    )
            return self
        pool = host.port_pool
        last = pool.ports[-1]
        if len(self.teams) > pool.size:
            raise ValueError(
                f"teams: {len(self.teams)} teams do not fit the port pool of {pool.size} ports "
                f"({pool.first_port}-{last}); raise platform.host.port_pool.size (this "
                "recreates the KIND cluster) or move to host type 'existing'"
            )
        taken: dict[int, int] = {}
        for index, team in enumerate(self.teams):
            port = self.node_port_of(team)
            if port not in pool.ports:
                raise ValueError(
                    f"teams[{index}].node_port: {port} is outside the port pool "
                    f"{pool.first_port}-{last}; pick a free port in it"
                )
            if port in taken:
                other = taken[port]
                how = "sets" if team.node_port is not None else "derives from its name"
                raise ValueError(
                    f"teams[{index}].node_port: team {team.name!r} {how} port {port}, already "
                    f"used by teams[{other}] ({self.teams[other].name!r}); set node_port: "
                    f"{self._free_port()} (free) on team {team.name!r}"
                )
            taken[port] = index
        return self

    def _free_port(self) -> int:
        host = self.platform.host
        if not isinstance(host, KindHost):
            raise ValueError("node ports exist only on a KIND host")
        claimed = {self.node_port_of(t) for t in self.teams}
        return next(p for p in host.port_pool.ports if p not in claimed)

    def node_port_of(self, team: Team) -> int:
        """Host port of a team's vcluster API on a KIND host: pinned, or derived from its name."""
        host = self.platform.host
        if not isinstance(host, KindHost):
            raise ValueError("node ports exist only on a KIND host")
        return (
            team.node_port
            if team.node_port is not None
            else default_node_port(team.name, host.port_pool)
        )

    def cost_center_of(self, team: Team) -> str:
        return team.cost_center or self.platform.cost_center

    def labels_of(self, team: Team) -> PlatformLabels:
        """The labels of everything a team's stacks create, on the host and in its vcluster."""
        return PlatformLabels(
            team=team.name, project=self.platform.project, cost_center=self.cost_center_of(team)
        )

    def protects(self, team: Team) -> bool:
        """prevent_destroy on a team's stateful resources: production, unless decommissioning."""
        return self.platform.production and not team.decommission

    def team(self, name: str) -> Team:
        return next(t for t in self.teams if t.name == name)
