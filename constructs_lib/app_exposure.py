"""A team's app on the internet: a hostname on its host's gateway, TLS from the host's
certificate service, made by the platform on the host, never by the tenant.

Each exposed tenant gets its own HTTPS listener on the platform's Gateway (exactly its
hostname, its own certificate, routes admitted from its own host namespace only) and an
HTTPRoute in its host namespace to its app's Service as the vcluster syncs it there. No
Gateway API object is synced from inside a vcluster (the chart's `sync.toHost.gatewayApi`
stays off), so a tenant can neither take another's hostname nor attach elsewhere; read in
vcluster 0.36.1 (`pkg/controllers/resources/httproutes`, `pkg/util/translate`). No CDK runtime.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field

from constructs_lib.strict_model import StrictModel

_HOSTNAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")
GATEWAY_API: Final = "gateway.networking.k8s.io/v1"
#: The most a Kubernetes object name may hold; vcluster hashes longer synced names.
_NAME_LIMIT: Final = 63


def _hostname(value: str) -> str:
    if not _HOSTNAME.match(value) or len(value) > 253:
        raise ValueError(f"must be a DNS name such as 'shop.team-a.vc.example.com', got {value!r}")
    return value


class AppExposure(StrictModel):
    """`app.expose`: where the team's app is reachable from outside, over HTTPS."""

    host: Annotated[str, AfterValidator(_hostname)] = Field(
        description="The app's hostname, under its host's domain and unique on the platform."
    )


def synced_name(name: str, namespace: str, vcluster: str) -> str:
    """The name an object of a vcluster gets on its host (vcluster 0.36.1
    `translate.SingleNamespaceHostName`: `<name>-x-<namespace>-x-<vcluster>`, cut to 52
    characters and a hash when longer than 63)."""
    full = f"{name}-x-{namespace}-x-{vcluster}"
    if len(full) <= _NAME_LIMIT:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:10]
    return f"{full[:52]}-{digest}".replace(".-", "-")


def listener_name(tenant: str) -> str:
    """The tenant's own HTTPS listener on the platform's Gateway."""
    return f"app-{tenant}"


def certificate_secret(tenant: str) -> str:
    return f"app-{tenant}-tls"


@dataclass(frozen=True, kw_only=True, slots=True)
class ExposedApp:
    """One tenant's app as the host's gateway publishes it."""

    tenant: str
    host: str

    @property
    def host_namespace(self) -> str:
        return f"vcluster-{self.tenant}"

    def listener(self) -> dict[str, Any]:
        return {
            "name": listener_name(self.tenant),
            "protocol": "HTTPS",
            "port": 443,
            "hostname": self.host,
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"name": certificate_secret(self.tenant)}],
            },
            "allowedRoutes": {
                "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                "namespaces": {
                    "from": "Selector",
                    "selector": {
                        "matchLabels": {"kubernetes.io/metadata.name": self.host_namespace}
                    },
                },
            },
        }

    def certificate(self, *, issuer: str, namespace: str) -> dict[str, Any]:
        return {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": f"app-{self.tenant}", "namespace": namespace},
            "spec": {
                "secretName": certificate_secret(self.tenant),
                "dnsNames": [self.host],
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
            },
        }


def app_route(
    app: ExposedApp,
    *,
    gateway: str,
    gateway_namespace: str,
    service: str,
    port: int,
    apps_namespace: str,
    labels: dict[str, str],
) -> dict[str, Any]:
    """The HTTPRoute, in the tenant's host namespace, to its app's synced Service."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": {"name": "app", "namespace": app.host_namespace, "labels": labels},
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": gateway,
                    "namespace": gateway_namespace,
                    "sectionName": listener_name(app.tenant),
                }
            ],
            "hostnames": [app.host],
            "rules": [
                {
                    "backendRefs": [
                        {
                            "name": synced_name(service, apps_namespace, app.tenant),
                            "port": port,
                        }
                    ]
                }
            ],
        },
    }


def app_ingress(
    app: ExposedApp,
    *,
    ingress_class: str,
    issuer: str,
    service: str,
    port: int,
    apps_namespace: str,
    labels: dict[str, str],
) -> dict[str, Any]:
    """On a host that brings its own ingress controller: an Ingress in the tenant's host
    namespace to its app's synced Service, its certificate from the host's issuer through
    cert-manager's ingress annotation (the controller terminates TLS)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "app",
            "namespace": app.host_namespace,
            "labels": labels,
            "annotations": {"cert-manager.io/cluster-issuer": issuer},
        },
        "spec": {
            "ingressClassName": ingress_class,
            "tls": [{"hosts": [app.host], "secretName": certificate_secret(app.tenant)}],
            "rules": [
                {
                    "host": app.host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": synced_name(service, apps_namespace, app.tenant),
                                        "port": {"number": port},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
