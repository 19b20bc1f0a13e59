"""Certificates: cert-manager and the platform's ClusterIssuer (ACME through the gateway, or the
platform's own CA)."""

from __future__ import annotations

from typing import Any, Final

from constructs_lib import versions
from constructs_lib.host_services.plan import Chart, Reference, ServicePlan
from constructs_lib.host_services.settings import CertificatesService, GatewayService

NAMESPACE: Final = "cert-manager"
ISSUER_API: Final = "cert-manager.io/v1"


def chart_values(*, gateway_api: bool) -> dict[str, Any]:
    """CRDs installed and kept with the release; Gateway API solvers when the host has one
    (`config.gatewayAPI.enabled`, the ControllerConfiguration field of v1.21; the controller
    then needs the Gateway API CRDs before it starts, so it installs after the gateway)."""
    values: dict[str, Any] = {"crds": {"enabled": True, "keep": True}}
    if gateway_api:
        values["config"] = {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            "gatewayAPI": {"enabled": True},
        }
    return values


def cluster_issuer(settings: CertificatesService, gateway: GatewayService | None) -> dict[str, Any]:
    spec: dict[str, Any]
    if settings.acme is not None:
        if gateway is None:  # the catalog refuses ACME without a gateway
            raise ValueError("ACME challenges need the host's gateway")
        spec = {
            "acme": {
                "email": settings.acme.email,
                "server": settings.acme.directory,
                "privateKeySecretRef": {"name": f"{settings.issuer}-acme-account"},
                "solvers": [
                    {
                        "http01": {
                            "gatewayHTTPRoute": {
                                "parentRefs": [
                                    {
                                        "group": "gateway.networking.k8s.io",
                                        "kind": "Gateway",
                                        "name": gateway.name,
                                        "namespace": gateway.namespace,
                                    }
                                ]
                            }
                        }
                    }
                ],
            }
        }
    elif settings.ca is not None:
        spec = {"ca": {"secretName": settings.ca.secret}}
    else:  # the catalog requires one source
        raise ValueError("no certificate source")
    return {
        "apiVersion": ISSUER_API,
        "kind": "ClusterIssuer",
        "metadata": {"name": settings.issuer},
        "spec": spec,
    }


def plan(settings: CertificatesService, *, gateway: GatewayService | None) -> ServicePlan:
    outputs = {"issuer": settings.issuer}
    if settings.provided:
        return ServicePlan(
            service="certificates",
            namespace=NAMESPACE,
            release="cert-manager",
            chart=None,
            references=(
                Reference(api_version=ISSUER_API, kind="ClusterIssuer", name=settings.issuer),
            ),
            outputs=outputs,
        )
    return ServicePlan(
        service="certificates",
        namespace=NAMESPACE,
        release="cert-manager",
        chart=Chart(
            repository=versions.CERT_MANAGER_CHART_REPOSITORY,
            name="cert-manager",
            version=versions.CERT_MANAGER_CHART_VERSION,
        ),
        values=chart_values(gateway_api=gateway is not None),
        objects=(cluster_issuer(settings, gateway),),
        outputs=outputs,
    )
