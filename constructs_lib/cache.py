"""A team's Valkey (Redis-compatible) cache with auth on and an apply-time password."""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from cdktf_cdktf_provider_random.password import Password
from constructs import Construct

from constructs_lib import versions
from constructs_lib.backing_service import BackingService
from constructs_lib.cache_props import (
    CACHE_CHART,
    PASSWORD_KEY,
    VALKEY_PORT,
    CacheProps,
    valkey_values,
)
from constructs_lib.chart_release import chart_release


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
            data={PASSWORD_KEY: password.result},
            type="Opaque",
        )
        self.release = chart_release(
            self,
            "Release",
            name=props.name,
            namespace=props.namespace,
            repository=versions.VALKEY_CHART_REPOSITORY,
            chart=CACHE_CHART,
            version=props.chart_version,
            values=valkey_values(props),
            depends_on=[auth],
        )

    @property
    def service(self) -> BackingService:
        return BackingService(
            role="cache",
            host=self.props.host,
            port=VALKEY_PORT,
            secret_name=self.props.auth_secret_name,
            secret_keys=(PASSWORD_KEY,),
            pod_selector=self.props.pod_labels,
        )
