"""A team's Valkey cache without the CDK runtime: settings, props, names and chart values.

`cache.py` builds the construct from these; the catalog's `cache:` entry is a `CacheSettings`,
and the values can be checked against the chart's schema without jsii.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import Field

from constructs_lib import versions
from constructs_lib.placement import Placement
from constructs_lib.resources import CACHE_RESOURCES, Resources
from constructs_lib.strict_model import StrictModel

#: The chart of a team's cache: review names its removal (the data guard does not: README).
CACHE_CHART: Final = "valkey"
#: The labels of the cache's pods (the chart's selector, release `cache`), kept on the host.
CACHE_POD_LABELS: Final = {
    "app.kubernetes.io/name": "valkey",
    "app.kubernetes.io/instance": "cache",
}
DEFAULT_STORAGE_GIB: Final = 1


class CacheSettings(StrictModel):
    """What a catalog may tune of a team's cache."""

    storage_gib: int = Field(DEFAULT_STORAGE_GIB, ge=1, le=256)


VALKEY_PORT: Final = 6379
#: Key of the `default` user's password in the auth secret (the chart reads key = user name).
PASSWORD_KEY: Final = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class CacheProps(Placement):
    name: str = "cache"
    """Release name and `fullnameOverride`: Service `<name>`, Secret `<name>-auth`."""
    settings: CacheSettings = field(default_factory=CacheSettings)
    resources: Resources = CACHE_RESOURCES
    chart_version: str = versions.VALKEY_CHART_VERSION
    metrics: bool = False
    """The chart's redis_exporter sidecar, for the host's Prometheus (a host metrics service)."""

    @property
    def auth_secret_name(self) -> str:
        return f"{self.name}-auth"

    @property
    def host(self) -> str:
        return self.service_host(self.name)

    @property
    def pod_labels(self) -> dict[str, str]:
        return {"component": self.name}


def valkey_values(props: CacheProps) -> dict[str, Any]:
    """Values of the valkey chart (validated against its schema in the tests)."""
    return {
        "fullnameOverride": props.name,
        "commonLabels": props.labels,
        "podLabels": props.pod_labels,
        "auth": {
            "enabled": True,
            "usersExistingSecret": props.auth_secret_name,
            "aclUsers": {"default": {"permissions": "~* &* +@all", "passwordKey": PASSWORD_KEY}},
        },
        "dataStorage": {"enabled": True, "requestedSize": f"{props.settings.storage_gib}Gi"},
        "resources": props.resources.as_kubernetes(),
        "podSecurityContext": {
            "fsGroup": 1000,
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 1000,
        },
        "service": {"type": "ClusterIP", "port": VALKEY_PORT},
    } | ({"metrics": _exporter_values()} if props.metrics else {})


#: Where the exporter serves metrics: container port `metrics` (chart 0.11.0 deploy_valkey.yaml).
EXPORTER_PORT: Final = 9121
#: The exporter's requests and limits; without them the namespace's defaults would apply.
EXPORTER_RESOURCES: Final = Resources(
    cpu_request="10m", memory_request="32Mi", cpu_limit="100m", memory_limit="64Mi"
)


def _exporter_values() -> dict[str, Any]:
    """The chart's exporter sidecar, under the namespace's `restricted` Pod Security (the pod's
    securityContext gives seccomp and the user; the container adds the rest). It reads the
    password from the auth Secret by itself (chart 0.11.0 deploy_valkey.yaml:189-205)."""
    return {
        "enabled": True,
        "exporter": {
            "port": EXPORTER_PORT,
            "image": {
                "registry": versions.VALKEY_EXPORTER_IMAGE_REGISTRY,
                "repository": versions.VALKEY_EXPORTER_IMAGE_REPOSITORY,
                "tag": versions.VALKEY_EXPORTER_IMAGE_TAG,
            },
            "resources": EXPORTER_RESOURCES.as_kubernetes(),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
            },
        },
    }
