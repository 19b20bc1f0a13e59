"""A team's Valkey (Redis-compatible) cache with auth on and an apply-time password."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from cdktf_cdktf_provider_random.password import Password
from constructs import Construct

from constructs_lib import versions
from constructs_lib.backing_service import BackingService
from constructs_lib.helm_values import values_document
from constructs_lib.resources import CACHE_RESOURCES, Resources

VALKEY_PORT: Final = 6379
#: Key of the `default` user's password in the auth secret (the chart reads key = user name).
_PASSWORD_KEY: Final = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class CacheProps:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)
    name: str = "cache"
    """Release name and `fullnameOverride`: Service `<name>`, Secret `<name>-auth`."""
    storage_gib: int = 1
    resources: Resources = CACHE_RESOURCES
    chart_version: str = versions.VALKEY_CHART_VERSION

    @property
    def auth_secret_name(self) -> str:
        return f"{self.name}-auth"

    @property
    def host(self) -> str:
        return f"{self.name}.{self.namespace}.svc.cluster.local"

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
            "aclUsers": {"default": {"permissions": "~* &* +@all", "passwordKey": _PASSWORD_KEY}},
        },
        "dataStorage": {"enabled": True, "requestedSize": f"{props.storage_gib}Gi"},
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
    }


class ValkeyCache(Construct):
    """Password generated at apply time, kept only in state and a Kubernetes Secret."""

    def __init__(self, scope: Construct, id: str, props: CacheProps) -> None:
        super().__init__(scope, id)
        self.props = props
        password = Password(self, "Password", length=32, special=False)
        auth = SecretV1(
            self,
            "AuthSecret",
            metadata=SecretV1Metadata(
                name=props.auth_secret_name, namespace=props.namespace, labels=props.labels
            ),
            data={_PASSWORD_KEY: password.result},
            type="Opaque",
        )
        self.release = Release(
            self,
            "Release",
            name=props.name,
            namespace=props.namespace,
            repository=versions.VALKEY_CHART_REPOSITORY,
            chart="valkey",
            version=props.chart_version,
            values=[values_document(valkey_values(props))],
            wait=True,
            timeout=600,
            depends_on=[auth],
        )

    @property
    def service(self) -> BackingService:
        return BackingService(
            role="cache",
            host=self.props.host,
            port=VALKEY_PORT,
            secret_name=self.props.auth_secret_name,
            secret_keys=(_PASSWORD_KEY,),
            pod_selector=self.props.pod_labels,
        )
