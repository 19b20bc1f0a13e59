"""The gateway: Envoy Gateway (with the Gateway API CRDs it ships) and the platform's Gateway,
whose TLS-passthrough listener carries every tenant's vcluster API server.

Each vcluster exposes itself with the vcluster chart's own `controlPlane.tlsRoute` (a TLSRoute
in its host namespace); the Gateway admits routes only from tenants' host namespaces.
"""

from __future__ import annotations

from typing import Any, Final

from constructs_lib import versions
from constructs_lib.app_exposure import ExposedApp
from constructs_lib.host_services.plan import Chart, Reference, ServicePlan
from constructs_lib.host_services.settings import (
    API_SERVER_LISTENER,
    GATEWAY_NAMESPACE,
    PLATFORM_GATEWAY,
    GatewayService,
)

GATEWAY_GROUP: Final = "gateway.networking.k8s.io"
GATEWAY_API: Final = f"{GATEWAY_GROUP}/v1"
#: The GatewayClass and EnvoyProxy the platform's Gateway is made from.
GATEWAY_CLASS: Final = "platform"
#: The controller Envoy Gateway answers for (its `gatewayclass-controller`).
CONTROLLER_NAME: Final = "gateway.envoyproxy.io/gatewayclass-controller"
#: The HTTP listener (ACME HTTP-01 challenges; apps later).
HTTP_LISTENER: Final = "http"
#: The label key every tenant's host namespace carries (its team); the Gateway admits routes
#: from those namespaces only.
TENANT_NAMESPACE_KEY: Final = "team"
#: Labels Envoy Gateway puts on the proxy pods of one Gateway (see `proxy_pods`).
_PROXY_LABELS: Final = {
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
    "app.kubernetes.io/name": "envoy",
}


def proxy_pods(name: str = PLATFORM_GATEWAY, namespace: str = GATEWAY_NAMESPACE) -> dict[str, str]:
    """The pods that carry the platform Gateway's traffic: what a tenant's API server admits."""
    return _PROXY_LABELS | {
        "gateway.envoyproxy.io/owning-gateway-name": name,
        "gateway.envoyproxy.io/owning-gateway-namespace": namespace,
    }


def gateway_objects(domain: str, apps: tuple[ExposedApp, ...] = ()) -> tuple[dict[str, Any], ...]:
    """The EnvoyProxy, GatewayClass and Gateway the platform installs on a host of `domain`,
    with a listener of its own for each tenant's exposed app."""
    tenants = {"matchExpressions": [{"key": TENANT_NAMESPACE_KEY, "operator": "Exists"}]}
    return (
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "EnvoyProxy",
            "metadata": {"name": GATEWAY_CLASS, "namespace": GATEWAY_NAMESPACE},
            "spec": {
                "provider": {
                    "type": "Kubernetes",
                    "kubernetes": {
                        "envoyService": {
                            "type": "LoadBalancer",
                            # external-dns points every tenant's name at the gateway.
                            "annotations": {
                                "external-dns.alpha.kubernetes.io/hostname": f"*.{domain}"
                            },
                        }
                    },
                }
            },
        },
        {
            "apiVersion": GATEWAY_API,
            "kind": "GatewayClass",
            "metadata": {"name": GATEWAY_CLASS},
            "spec": {
                "controllerName": CONTROLLER_NAME,
                "parametersRef": {
                    "group": "gateway.envoyproxy.io",
                    "kind": "EnvoyProxy",
                    "name": GATEWAY_CLASS,
                    "namespace": GATEWAY_NAMESPACE,
                },
            },
        },
        {
            "apiVersion": GATEWAY_API,
            "kind": "Gateway",
            "metadata": {"name": PLATFORM_GATEWAY, "namespace": GATEWAY_NAMESPACE},
            "spec": {
                "gatewayClassName": GATEWAY_CLASS,
                "listeners": [
                    {
                        "name": API_SERVER_LISTENER,
                        "protocol": "TLS",
                        "port": 443,
                        "hostname": f"*.{domain}",
                        "tls": {"mode": "Passthrough"},
                        "allowedRoutes": {
                            "kinds": [{"group": GATEWAY_GROUP, "kind": "TLSRoute"}],
                            "namespaces": {"from": "Selector", "selector": tenants},
                        },
                    },
                    {
                        "name": HTTP_LISTENER,
                        "protocol": "HTTP",
                        "port": 80,
                        "hostname": f"*.{domain}",
                        "allowedRoutes": {"kinds": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]},
                    },
                    *(app.listener() for app in apps),
                ],
            },
        },
    )


def app_certificates(
    apps: tuple[ExposedApp, ...], issuer: str | None
) -> tuple[dict[str, Any], ...]:
    """A certificate per exposed app, beside the Gateway whose listener reads it."""
    if apps and issuer is None:  # the catalog refuses exposure without certificates
        raise ValueError("exposed apps need the host's certificates service")
    return tuple(app.certificate(issuer=issuer or "", namespace=GATEWAY_NAMESPACE) for app in apps)


def plan(
    settings: GatewayService,
    *,
    domain: str | None,
    apps: tuple[ExposedApp, ...] = (),
    issuer: str | None = None,
) -> ServicePlan:
    outputs = {
        "name": settings.name,
        "namespace": settings.namespace,
        "listener": settings.listener,
    }
    if settings.provided:
        return ServicePlan(
            service="gateway",
            namespace=settings.namespace,
            release="envoy-gateway",
            chart=None,
            references=(
                Reference(
                    api_version=GATEWAY_API,
                    kind="Gateway",
                    name=settings.name,
                    namespace=settings.namespace,
                ),
            ),
            outputs=outputs,
        )
    if domain is None:  # the catalog refuses a gateway on a KIND host
        raise ValueError("the gateway needs the host's domain")
    return ServicePlan(
        service="gateway",
        namespace=GATEWAY_NAMESPACE,
        release="envoy-gateway",
        chart=Chart(
            repository=versions.ENVOY_GATEWAY_CHART_REPOSITORY,
            name="gateway-helm",
            version=versions.ENVOY_GATEWAY_CHART_VERSION,
        ),
        values={},
        objects=gateway_objects(domain, apps) + app_certificates(apps, issuer),
        outputs=outputs,
    )
