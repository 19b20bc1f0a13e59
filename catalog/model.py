"""The team catalog: the typed, validated model of `platform.yaml`.

The catalog is data. It is validated once, here, at the boundary; everything downstream
receives these frozen models and never sees raw YAML.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Final, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from catalog.stack_names import PLATFORM_STACK_NAMES, VCLUSTER_STACK_PREFIX
from constructs_lib import kind_cluster_props as kind_defaults
from constructs_lib import versions
from constructs_lib.cache_props import CacheSettings
from constructs_lib.images import PinnedImage
from constructs_lib.labels import PlatformLabels
from constructs_lib.postgres_props import PostgresSettings
from constructs_lib.resources import (
    CONTAINER_DEFAULTS,
    Quota,
    Resources,
)
from constructs_lib.state_locations import LocalState, StateBackend
from constructs_lib.vcluster_props import VClusterSettings
from constructs_lib.web_app_props import WebAppSettings

#: Names that would collide with Kubernetes' own namespaces once prefixed or suffixed.
RESERVED_TEAM_NAMES: Final = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

#: Longest team name. The longest derived name is `<team>-apps` (namespace, 63 max) and the
#: vcluster release `vc-<team>` whose Helm-generated names add up to 22 characters; 40 keeps
#: every derived name a valid DNS-1123 label with room to spare.
MAX_TEAM_NAME_LENGTH: Final = 40

NODE_PORT_RANGE: Final = range(30000, 32768)

_T = TypeVar("_T")

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOSTNAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")


def _team_name(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS-1123 label: lowercase letters, digits and '-', starting with a "
            f"letter and ending with a letter or digit (for example 'team-a'), got {value!r}"
        )
    if len(value) > MAX_TEAM_NAME_LENGTH:
        raise ValueError(
            f"must be at most {MAX_TEAM_NAME_LENGTH} characters so that derived names "
            f"('{value}-apps', 'vc-{value}') stay valid, got {len(value)}"
        )
    if value in PLATFORM_STACK_NAMES:
        raise ValueError(
            f"{value!r} is the name of a platform stack "
            f"({', '.join(sorted(PLATFORM_STACK_NAMES))}); choose another team name"
        )
    if value.startswith(VCLUSTER_STACK_PREFIX):
        raise ValueError(
            f"{value!r} starts with {VCLUSTER_STACK_PREFIX!r}, which names the vcluster stack of "
            f"each team ({VCLUSTER_STACK_PREFIX}<team>); choose another team name"
        )
    if value in RESERVED_TEAM_NAMES or value.startswith("kube-"):
        raise ValueError(f"{value!r} is reserved by Kubernetes; choose another team name")
    return value


def _label_value(value: str) -> str:
    if not _LABEL_VALUE.match(value) or len(value) > 63:
        raise ValueError(
            "must be a valid Kubernetes label value (up to 63 of A-Z a-z 0-9 '-' '_' '.', "
            f"starting and ending alphanumeric), got {value!r}"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"must be an e-mail address such as 'alice@example.com', got {value!r}")
    return value


def _hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError(f"must be a DNS name such as 'vclusters.example.com', got {value!r}")
    return value


TeamName = Annotated[str, AfterValidator(_team_name)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
Email = Annotated[str, AfterValidator(_email)]
Hostname = Annotated[str, AfterValidator(_hostname)]


def _list_as_tuple(value: object) -> object:
    """YAML lists become tuples, so a validated catalog cannot be changed afterwards."""
    return tuple(value) if isinstance(value, list) else value


ListOf = Annotated[tuple[_T, ...], BeforeValidator(_list_as_tuple)]
NodePort = Annotated[int, Field(ge=NODE_PORT_RANGE.start, le=NODE_PORT_RANGE.stop - 1)]


class _Model(BaseModel):
    """Strict base: unknown keys are typos, values are never coerced across types."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- platform ---------------------------------------------------------------------------


class PortPool(_Model):
    """Host ports mapped once into the KIND cluster; each team's vcluster takes one."""

    first_port: NodePort = Field(
        kind_defaults.DEFAULT_FIRST_PORT,
        description="First port of the pool; 30000-30085 is the NodePort band Kubernetes "
        "keeps for fixed ports, so random allocations do not take ours.",
    )
    size: int = Field(
        kind_defaults.DEFAULT_PORT_COUNT,
        ge=1,
        le=200,
        description="How many vclusters the KIND host can expose.",
    )

    @model_validator(mode="after")
    def _fits_node_port_range(self) -> Self:
        last = self.first_port + self.size - 1
        if last >= NODE_PORT_RANGE.stop:
            raise ValueError(
                f"pool {self.first_port}-{last} runs past the NodePort range end "
                f"{NODE_PORT_RANGE.stop - 1}; lower first_port or size"
            )
        return self

    @property
    def ports(self) -> range:
        return range(self.first_port, self.first_port + self.size)


class KindHost(_Model):
    """A local KIND cluster created by the `kind-cluster` stack."""

    type: Literal["kind"] = "kind"
    cluster_name: Annotated[str, AfterValidator(_team_name)] = Field(
        kind_defaults.DEFAULT_CLUSTER_NAME,
        description="Name of the KIND cluster (docker containers are named after it).",
    )
    node_image: PinnedImage = Field(
        versions.KIND_NODE_IMAGE, description="kindest/node image, pinned by version and digest."
    )
    workers: int = Field(
        kind_defaults.DEFAULT_WORKERS,
        ge=0,
        le=10,
        description="Worker nodes besides the control plane.",
    )
    port_pool: PortPool = Field(default_factory=PortPool)


class ExistingHost(_Model):
    """An existing cluster (EKS, GKE, AKS, …) reached through a kubeconfig."""

    type: Literal["existing"]
    kubeconfig_path: str = Field(
        min_length=1, description="Kubeconfig of the host cluster on the deploy machine."
    )
    context: str | None = Field(None, description="Kubeconfig context; default: current context.")
    exposure: Literal["load_balancer", "ingress"] = Field(
        "ingress", description="How each vcluster API server is published."
    )
    domain: Hostname = Field(
        description="Each team's API server is published as https://<team>.<domain>."
    )
    ingress_class: str = Field(
        "nginx", description="Ingress class with TLS passthrough (for exposure: ingress)."
    )


def _host_type(value: object) -> str | None:
    """`type` may be left out of `host:`: a KIND host is the default."""
    if isinstance(value, dict):
        kind = value.get("type", "kind")
        return kind if isinstance(kind, str) else None
    return getattr(value, "type", None)


Host = Annotated[
    Annotated[KindHost, Tag("kind")] | Annotated[ExistingHost, Tag("existing")],
    Discriminator(
        _host_type,
        custom_error_type="invalid_host_type",
        custom_error_message="type must be 'kind' or 'existing'",
    ),
]


_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def _exact_version(value: str) -> str:
    if not _EXACT_VERSION.match(value):
        raise ValueError(
            "must be an exact chart version such as '0.36.1' (no 'latest', ranges or "
            f"wildcards: a reviewed pull request pins what it deploys), got {value!r}"
        )
    return value


ChartVersion = Annotated[str, AfterValidator(_exact_version)]


class PlatformVersions(_Model):
    """Chart versions a pull request may bump; defaults are the pins in `versions.py`."""

    vcluster_chart: ChartVersion = versions.VCLUSTER_CHART_VERSION
    cnpg_operator_chart: ChartVersion = versions.CNPG_OPERATOR_CHART_VERSION
    cnpg_cluster_chart: ChartVersion = versions.CNPG_CLUSTER_CHART_VERSION
    valkey_chart: ChartVersion = versions.VALKEY_CHART_VERSION


class Platform(_Model):
    project: LabelValue = Field("kube-platform", description="Value of the `project` label.")
    cost_center: LabelValue = Field(
        "platform", description="Default `cost-center` label for teams that set none."
    )
    host: Host = Field(default_factory=KindHost)
    state: StateBackend = Field(default_factory=LocalState)
    versions: PlatformVersions = Field(default_factory=PlatformVersions)
    production: bool = Field(
        False,
        description="Protect stateful resources with prevent_destroy (turn on outside laptops).",
    )


# --- teams ------------------------------------------------------------------------------


class DatabaseSpec(PostgresSettings):
    """A CloudNativePG PostgreSQL cluster; present means wanted unless enabled: false."""

    enabled: bool = True


class CacheSpec(CacheSettings):
    """A Valkey (Redis-compatible) cache with auth; present means wanted unless enabled: false."""

    enabled: bool = True


class Team(_Model):
    name: TeamName
    owners: ListOf[Email] = Field((), description="Who to ask about this team's platform.")
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
    decommission: bool = Field(
        False, description="Allow removing this team's stateful data in the next apply."
    )

    @property
    def wants_database(self) -> bool:
        return self.database is not None and self.database.enabled

    @property
    def wants_cache(self) -> bool:
        return self.cache is not None and self.cache.enabled


# --- the whole catalog ------------------------------------------------------------------


def default_node_port(team_name: str, pool: PortPool) -> int:
    """A port derived from the team name alone, so it never shifts as other teams come and go."""
    digest = hashlib.sha256(team_name.encode()).digest()
    return pool.first_port + int.from_bytes(digest[:8], "big") % pool.size


class Catalog(_Model):
    platform: Platform = Field(default_factory=Platform)
    teams: ListOf[Team] = Field(min_length=1)

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
