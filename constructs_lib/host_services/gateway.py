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
from constructs_lib.vcluster_network import HOST_DNS_LABELS, HOST_DNS_PORT

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


#: The Envoy Gateway controller's pods and its xDS port, which the proxies take their
#: configuration from (chart v1.9.0 envoy-gateway-deployment.yaml; bootstrap.go:43).
CONTROLLER_PODS: Final = {"control-plane": "envoy-gateway"}
XDS_PORT: Final = 18000
#: cert-manager's ACME HTTP-01 solver pods (v1.21.1 pkg/issuer/acme/http/pod.go:46, http.go:49),
#: which the gateway forwards challenges to, in the namespace of the app Certificates.
ACME_SOLVER_PODS: Final = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT: Final = 8089
#: What the proxies forward to in tenants' host namespaces: API servers and apps.
TENANT_PORTS: Final = (8443, 8080)


def proxy_egress_policy() -> dict[str, Any]:
    """Where the platform Gateway's proxies may connect: tenants' API servers and apps, the
    controller's xDS, ACME solvers and DNS — nothing else. A tenant that points its app's
    Service at endpoints of its choosing (a Service without selector) gets no farther than
    other tenants' published ports: not the nodes, the cloud's metadata service, the host's
    platform namespaces or the internet."""
    tcp = [{"protocol": "TCP", "port": port} for port in TENANT_PORTS]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "platform-proxies-egress", "namespace": GATEWAY_NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": proxy_pods()},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": TENANT_NAMESPACE_KEY, "operator": "Exists"}
                                ]
                            }
                        }
                    ],
                    "ports": tcp,
                },
                {
                    "to": [{"podSelector": {"matchLabels": CONTROLLER_PODS}}],
                    "ports": [{"protocol": "TCP", "port": XDS_PORT}],
                },
                {
                    "to": [{"podSelector": {"matchLabels": ACME_SOLVER_PODS}}],
                    "ports": [{"protocol": "TCP", "port": ACME_SOLVER_PORT}],
                },
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": HOST_DNS_LABELS},
                        }
                    ],
                    "ports": [
                        {"protocol": "UDP", "port": HOST_DNS_PORT},
                        {"protocol": "TCP", "port": HOST_DNS_PORT},
                    ],
                },
            ],
        },
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
        proxy_egress_policy(),
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
