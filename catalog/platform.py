"""`platform:`, the part of the catalog every team shares: hosts, state, versions, labels."""

from __future__ import annotations

from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from catalog.fields import (
    STATIC_NODE_PORT_BAND,
    CatalogModel,
    ChartVersion,
    EnvironmentName,
    HostName,
    Hostname,
    LabelValue,
    NodePort,
    team_name,
)
from catalog.stack_names import DEFAULT_HOST
from constructs_lib import kind_cluster_props as kind_defaults
from constructs_lib import versions
from constructs_lib.host_services.settings import HostServices, ObjectName
from constructs_lib.identity import Identity
from constructs_lib.images import PinnedImage
from constructs_lib.object_store import BackupStore
from constructs_lib.resources import Quantity
from constructs_lib.state_locations import LocalState, StateBackend

# --- platform ---------------------------------------------------------------------------


class PortPool(CatalogModel):
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
    def _fits_the_static_band(self) -> Self:
        last = self.first_port + self.size - 1
        band = STATIC_NODE_PORT_BAND
        if last >= band.stop:
            raise ValueError(
                f"pool {self.first_port}-{last} runs past {band.stop - 1}, the end of the band "
                f"Kubernetes keeps for fixed NodePorts ({band.start}-{band.stop - 1}): a port "
                "above it may already be taken by a randomly allocated NodePort; lower "
                f"first_port or size (at most {len(band)} ports)"
            )
        return self

    @property
    def ports(self) -> range:
        return range(self.first_port, self.first_port + self.size)


class Capacity(CatalogModel):
    """What a host offers its tenants; each tenant counts for its whole quota (no overcommit)."""

    cpu: Quantity = Field(description="CPU tenants may request in total (sum of cpu_requests).")
    memory: Quantity = Field(description="Memory tenants may request (sum of memory_requests).")
    storage: Quantity = Field(description="Volume storage for tenants (sum of storage_requests).")
    pods: int = Field(ge=1, le=1_000_000, description="Pods for tenants (sum of quota.pods).")


class _HostBase(CatalogModel):
    environment: EnvironmentName | None = Field(
        None,
        description="The environment this host serves (dev, prod, …); default: "
        "platform.default_environment.",
    )
    capacity: Capacity | None = Field(
        None,
        description="What the host offers tenants, checked against the sum of its tenants' "
        "quotas; required in a fleet of two or more hosts.",
    )
    services: HostServices = Field(
        default_factory=HostServices,
        description="Platform services the host runs for its tenants (gateway, certificates, "
        "metrics, policy, secrets, delivery): installed, or `provided: true`.",
    )


class KindHost(_HostBase):
    """A local KIND cluster created by its own `kind-cluster` stack."""

    type: Literal["kind"] = "kind"
    cluster_name: Annotated[str, AfterValidator(team_name)] = Field(
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

    @model_validator(mode="after")
    def _no_gateway_on_a_laptop(self) -> Self:
        if self.services.gateway is not None:
            raise ValueError(
                "services.gateway: a KIND host publishes each vcluster on a port of the deploy "
                "machine and has no load balancer to give a gateway an address; run the "
                "gateway on an existing host, or remove it here"
            )
        return self


class ExistingHost(_HostBase):
    """An existing cluster (EKS, GKE, AKS, …) reached through a kubeconfig."""

    type: Literal["existing"]
    kubeconfig_path: str = Field(
        min_length=1, description="Kubeconfig of the host cluster on the deploy machine."
    )
    context: str | None = Field(None, description="Kubeconfig context; default: current context.")
    exposure: Literal["gateway", "load_balancer", "ingress"] = Field(
        "ingress",
        description="How each vcluster API server is published: a TLS-passthrough route on "
        "the host's gateway (the default when services.gateway is on), a LoadBalancer each, "
        "or an Ingress on the host's own controller with TLS passthrough.",
    )
    domain: Hostname = Field(
        description="Each team's API server is published as https://<team>.<domain>."
    )
    ingress_class: str = Field(
        "nginx", description="Ingress class with TLS passthrough (for exposure: ingress)."
    )
    ingress_namespace: ObjectName = Field(
        "ingress-nginx",
        description="(exposure: ingress) the namespace of the host's ingress controller: only "
        "its pods reach the apps published through it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _gateway_exposure_by_default(cls, data: object) -> object:
        """With a gateway on the host, API servers are routes on it unless the entry says not."""
        if isinstance(data, dict) and "exposure" not in data:
            services = data.get("services")
            if isinstance(services, dict) and services.get("gateway") is not None:
                return {**data, "exposure": "gateway"}
        return data

    @model_validator(mode="after")
    def _gateway_exposure_needs_a_gateway(self) -> Self:
        if self.exposure == "gateway" and self.services.gateway is None:
            raise ValueError(
                "exposure: gateway publishes each API server as a route on the host's gateway, "
                "and this host has none; add services: {gateway: {}} (or {provided: true, "
                "...}), or choose exposure: load_balancer"
            )
        return self


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


class PlatformVersions(CatalogModel):
    """Chart versions a pull request may bump; defaults are the pins in `versions.py`."""

    vcluster_chart: ChartVersion = versions.VCLUSTER_CHART_VERSION
    cnpg_operator_chart: ChartVersion = versions.CNPG_OPERATOR_CHART_VERSION
    cnpg_cluster_chart: ChartVersion = versions.CNPG_CLUSTER_CHART_VERSION
    valkey_chart: ChartVersion = versions.VALKEY_CHART_VERSION


#: The environment of a host that names none, when `platform.default_environment` is not set.
DEFAULT_ENVIRONMENT: Final = "default"


class Platform(CatalogModel):
    project: LabelValue = Field("kube-platform", description="Value of the `project` label.")
    cost_center: LabelValue = Field(
        "platform", description="Default `cost-center` label for teams that set none."
    )
    host: Host | None = Field(
        None, description="The one host of a single-host platform (default: a KIND host)."
    )
    hosts: dict[HostName, Host] | None = Field(
        None,
        min_length=1,
        description="Named host clusters of a fleet; instead of `host:`.",
    )
    identity: Identity | None = Field(
        None,
        description="The OIDC issuer teams' people sign in with; each vcluster's API server "
        "trusts it and binds the team's `members:`.",
    )
    backups: BackupStore | None = Field(
        None,
        description="The object store databases are backed up to; with it, every database "
        "is backed up unless its entry says why not.",
    )
    default_environment: EnvironmentName | None = Field(
        None,
        description="Environment of teams without `environments:`; default: the first host's.",
    )
    state: StateBackend = Field(default_factory=LocalState)
    versions: PlatformVersions = Field(default_factory=PlatformVersions)
    production: bool = Field(
        False,
        description="Protect stateful resources with prevent_destroy (turn on outside laptops).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_way_to_name_hosts(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("host") is not None and data.get("hosts"):
            raise ValueError(
                "host: and hosts: both given; use `host:` for one host or `hosts:` for several "
                "(`host:` is the host named 'default' of `hosts:`)"
            )
        return data

    @model_validator(mode="after")
    def _hosts_declare_capacity(self) -> Self:
        for name, host in (self.hosts or {}).items():
            if host.capacity is None and len(self.hosts or {}) > 1:
                raise ValueError(
                    f"hosts.{name}.capacity: a host of a fleet declares what it offers tenants "
                    "(cpu, memory, storage, pods), so tenants can be placed and checked against "
                    "it; add capacity: {cpu: 16, memory: 64Gi, storage: 500Gi, pods: 1000}"
                )
        return self

    @model_validator(mode="after")
    def _kind_hosts_share_one_machine(self) -> Self:
        """KIND hosts all run on the deploy machine: distinct names, ports that do not clash."""
        kinds = {n: h for n, h in self.named_hosts.items() if isinstance(h, KindHost)}
        if self.hosts:
            named = {
                n: h.model_copy(update={"cluster_name": n})
                if n != DEFAULT_HOST and "cluster_name" not in h.model_fields_set
                else h
                for n, h in kinds.items()
            }
            if named != kinds:
                object.__setattr__(self, "hosts", {**self.hosts, **named})
                kinds = named
        seen_names: dict[str, str] = {}
        seen_ports: dict[int, str] = {}
        for name, host in kinds.items():
            if host.cluster_name in seen_names:
                raise ValueError(
                    f"hosts.{name}.cluster_name: {host.cluster_name!r} is already the KIND "
                    f"cluster of host {seen_names[host.cluster_name]!r}; KIND hosts share the "
                    "deploy machine, so each needs its own cluster_name"
                )
            seen_names[host.cluster_name] = name
            clash = next((p for p in host.port_pool.ports if p in seen_ports), None)
            if clash is not None:
                raise ValueError(
                    f"hosts.{name}.port_pool: port {clash} is already in the pool of host "
                    f"{seen_ports[clash]!r}; KIND hosts publish their ports on the same deploy "
                    "machine, so pools must not overlap (move first_port past the other pool)"
                )
            seen_ports.update(dict.fromkeys(host.port_pool.ports, name))
        return self

    @property
    def named_hosts(self) -> dict[str, KindHost | ExistingHost]:
        """Every host by name, in catalog order: `host:` (or none) is the host 'default'."""
        if self.hosts:
            return dict(self.hosts)
        return {DEFAULT_HOST: self.host or KindHost()}

    def environment_of(self, name: str) -> str:
        """The environment a host serves: its own, else the platform's default."""
        host = self.named_hosts[name]
        return host.environment or self.default_environment or DEFAULT_ENVIRONMENT

    @property
    def team_environment(self) -> str:
        """The environment of a team without `environments:`."""
        if self.default_environment:
            return self.default_environment
        return self.environment_of(next(iter(self.named_hosts)))
