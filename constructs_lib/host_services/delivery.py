"""Delivery: Argo CD, which teams' GitOps repositories are delivered from."""

from __future__ import annotations

from typing import Any, Final

from constructs_lib import versions
from constructs_lib.host_services.plan import (
    Chart,
    ServicePlan,
    crd_reference,
    namespace_reference,
)
from constructs_lib.host_services.settings import DeliveryService

RELEASE: Final = "argo-cd"
#: The Argo CD pods that talk to a destination cluster's API server (v3.4.4: the application
#: controller keeps its cache and syncs, the server diffs, logs and validates), as chart
#: 10.1.1 labels them: what a vcluster's API server admits behind the gateway.
API_CLIENT_PODS: Final = (
    {
        "app.kubernetes.io/name": "argocd-application-controller",
        "app.kubernetes.io/instance": RELEASE,
    },
    {"app.kubernetes.io/name": "argocd-server", "app.kubernetes.io/instance": RELEASE},
)


def chart_values() -> dict[str, Any]:
    """CRDs installed and kept; TLS on its own server; no Dex until the platform's identity
    provider is wired in."""
    return {
        "configs": {"params": {"server.insecure": False}},
        "crds": {"install": True, "keep": True},
        "dex": {"enabled": False},
    }


def plan(settings: DeliveryService) -> ServicePlan:
    outputs = {"namespace": settings.namespace}
    if settings.provided:
        return ServicePlan(
            service="delivery",
            namespace=settings.namespace,
            release=RELEASE,
            chart=None,
            references=(
                crd_reference("applications.argoproj.io"),
                namespace_reference(settings.namespace),
            ),
            outputs=outputs,
        )
    return ServicePlan(
        service="delivery",
        namespace=settings.namespace,
        release=RELEASE,
        chart=Chart(
            repository=versions.ARGO_CD_CHART_REPOSITORY,
            name="argo-cd",
            version=versions.ARGO_CD_CHART_VERSION,
        ),
        values=chart_values(),
        outputs=outputs,
    )
