"""`platform:`, the part of the catalog every team shares: host, state, versions, labels."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from catalog.fields import (
    STATIC_NODE_PORT_BAND,
    CatalogModel,
    ChartVersion,
    Hostname,
    LabelValue,
    NodePort,
    team_name,
)
from constructs_lib import kind_cluster_props as kind_defaults
from constructs_lib import versions
from constructs_lib.images import PinnedImage
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


class KindHost(CatalogModel):
    """A local KIND cluster created by the `kind-cluster` stack."""

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


class ExistingHost(CatalogModel):
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


class PlatformVersions(CatalogModel):
    """Chart versions a pull request may bump; defaults are the pins in `versions.py`."""

    vcluster_chart: ChartVersion = versions.VCLUSTER_CHART_VERSION
    cnpg_operator_chart: ChartVersion = versions.CNPG_OPERATOR_CHART_VERSION
    cnpg_cluster_chart: ChartVersion = versions.CNPG_CLUSTER_CHART_VERSION
    valkey_chart: ChartVersion = versions.VALKEY_CHART_VERSION


class Platform(CatalogModel):
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
