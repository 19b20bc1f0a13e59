"""A small typed binding of the tehcyx/kind provider (0.11.0), which has no prebuilt cdktf one.

Only what the platform needs is bound, faithfully to the provider's schema
(`../shared/reference/kind/kind_cluster.schema.json`; a test walks every field against it).
Every field inside `kind_config` is ForceNew in the provider: any change replaces the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Final

from cdktf import (
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
)
from constructs import Construct

#: The provider this binding was written against, as a prebuilt binding carries its own;
#: `constructs_lib/versions.py` states the same pin and a test checks the JSON uses it.
PROVIDER_SOURCE: Final = "tehcyx/kind"
PROVIDER_VERSION: Final = "0.11.0"

_METADATA = TerraformProviderGeneratorMetadata(
    provider_name="kind",
    provider_version=PROVIDER_VERSION,
    provider_version_constraint=PROVIDER_VERSION,
)


class _Block:
    """A nested block: its fields become attributes, `BLOCKS` name the nested-block fields."""

    #: python field name -> Terraform block name, for fields holding nested blocks.
    BLOCKS: ClassVar[Mapping[str, str]] = {}

    def to_terraform(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            if f.name in self.BLOCKS:
                items = value if isinstance(value, tuple) else (value,)
                out[self.BLOCKS[f.name]] = [item.to_terraform() for item in items]
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            elif isinstance(value, Mapping):
                out[f.name] = dict(value)
            else:
                out[f.name] = value
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class KindPortMapping(_Block):
    """A port of a node container published on the host (`extraPortMappings`)."""

    container_port: int
    host_port: int
    listen_address: str | None = None
    protocol: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KindMount(_Block):
    """A host path mounted into a node container (`extraMounts`)."""

    host_path: str
    container_path: str
    read_only: bool | None = None
    selinux_relabel: bool | None = None
    propagation: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KindNode(_Block):
    BLOCKS: ClassVar[Mapping[str, str]] = {
        "extra_port_mappings": "extra_port_mappings",
        "extra_mounts": "extra_mounts",
    }

    role: str
    image: str | None = None
    labels: Mapping[str, str] | None = None
    kubeadm_config_patches: tuple[str, ...] = ()
    extra_port_mappings: tuple[KindPortMapping, ...] = ()
    extra_mounts: tuple[KindMount, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class KindNetworking(_Block):
    api_server_address: str | None = None
    api_server_port: int | None = None
    disable_default_cni: bool | None = None
    dns_search: tuple[str, ...] = ()
    ip_family: str | None = None
    kube_proxy_mode: str | None = None
    pod_subnet: str | None = None
    service_subnet: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KindConfig(_Block):
    """The `kind_config` block: a kind `Cluster` config (kind.x-k8s.io/v1alpha4)."""

    BLOCKS: ClassVar[Mapping[str, str]] = {"nodes": "node", "networking": "networking"}

    kind: str = "Cluster"
    api_version: str = "kind.x-k8s.io/v1alpha4"
    nodes: tuple[KindNode, ...] = ()
    networking: KindNetworking | None = None
    containerd_config_patches: tuple[str, ...] = ()
    feature_gates: Mapping[str, str] | None = None
    runtime_config: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KindTimeouts(_Block):
    create: str | None = None
    update: str | None = None
    delete: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KindClusterConfig(_Block):
    """Arguments of the `kind_cluster` resource."""

    BLOCKS: ClassVar[Mapping[str, str]] = {"kind_config": "kind_config"}

    name: str
    node_image: str | None = None
    wait_for_ready: bool | None = None
    kubeconfig_path: str | None = None
    kind_config: KindConfig | None = None
    timeouts: KindTimeouts | None = field(default=None)

    def to_terraform(self) -> dict[str, Any]:
        out = _Block.to_terraform(self)
        if self.timeouts is not None:  # a "single" block: an object, not a list
            out["timeouts"] = self.timeouts.to_terraform()
        return out


class KindProvider(TerraformProvider):
    """The tehcyx/kind provider; it takes no configuration."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(
            scope,
            id,
            terraform_resource_type="kind",
            terraform_generator_metadata=_METADATA,
            terraform_provider_source=PROVIDER_SOURCE,
        )

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {}


class KindClusterResource(TerraformResource):
    """The `kind_cluster` resource, with its computed attributes as typed properties."""

    TF_RESOURCE_TYPE: ClassVar[str] = "kind_cluster"

    def __init__(
        self, scope: Construct, id: str, *, config: KindClusterConfig, provider: KindProvider
    ) -> None:
        super().__init__(
            scope,
            id,
            terraform_resource_type=self.TF_RESOURCE_TYPE,
            terraform_generator_metadata=_METADATA,
            provider=provider,
        )
        self._config = config

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._config.to_terraform()

    @property
    def kubeconfig_path(self) -> str:
        return self.get_string_attribute("kubeconfig_path")

    @property
    def kubeconfig(self) -> str:
        return self.get_string_attribute("kubeconfig")

    @property
    def endpoint(self) -> str:
        return self.get_string_attribute("endpoint")

    @property
    def client_certificate(self) -> str:
        return self.get_string_attribute("client_certificate")

    @property
    def client_key(self) -> str:
        return self.get_string_attribute("client_key")

    @property
    def cluster_ca_certificate(self) -> str:
        return self.get_string_attribute("cluster_ca_certificate")
