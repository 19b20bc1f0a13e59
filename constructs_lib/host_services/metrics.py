"""Metrics: the Prometheus Operator stack (Prometheus, Alertmanager, Grafana, exporters), which
picks up ServiceMonitors and PodMonitors of every namespace."""

from __future__ import annotations

from typing import Any, Final

from constructs_lib import versions
from constructs_lib.host_services.plan import (
    Chart,
    ServicePlan,
    crd_reference,
    namespace_reference,
)
from constructs_lib.host_services.settings import MetricsService

RELEASE: Final = "kube-prometheus-stack"
#: Labels the operator gives the Prometheus pods of our release (prometheus-operator v0.93
#: `makeSelectorLabels`): what a scraped pod's policy admits.
PROMETHEUS_PODS: Final = {
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": f"{RELEASE}-prometheus",
}
SERVICE_MONITOR_CRD: Final = "servicemonitors.monitoring.coreos.com"
POD_MONITOR_CRD: Final = "podmonitors.monitoring.coreos.com"


def chart_values(settings: MetricsService) -> dict[str, Any]:
    """Retention and storage from the catalog; monitors selected in every namespace, not only
    those carrying this release's label (the chart's default), and confined to it."""
    selectors = {
        f"{kind}SelectorNilUsesHelmValues": False
        for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
    }
    return {
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{settings.retention_days}d",
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{settings.storage_gib}Gi"}},
                        }
                    }
                },
                **selectors,
                # Monitors are read in every namespace, so none may reach past its own: no
                # files of Prometheus's (its token) sent to a target, no other namespaces, and
                # every series labelled with the namespace it came from.
                "arbitraryFSAccessThroughSMs": {"deny": True},
                "ignoreNamespaceSelectors": True,
                "enforcedNamespaceLabel": "namespace",
            }
        }
    }


def plan(settings: MetricsService) -> ServicePlan:
    outputs = {"namespace": settings.namespace}
    if settings.provided:
        return ServicePlan(
            service="metrics",
            namespace=settings.namespace,
            release=RELEASE,
            chart=None,
            references=(
                crd_reference(SERVICE_MONITOR_CRD),
                crd_reference(POD_MONITOR_CRD),
                namespace_reference(settings.namespace),
            ),
            outputs=outputs,
        )
    return ServicePlan(
        service="metrics",
        namespace=settings.namespace,
        release=RELEASE,
        chart=Chart(
            repository=versions.KUBE_PROMETHEUS_STACK_CHART_REPOSITORY,
            name="kube-prometheus-stack",
            version=versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
        ),
        values=chart_values(settings),
        outputs=outputs,
        # The node exporter reads the nodes' own /proc and /sys on the host network.
        pod_security="privileged",
        timeout_s=900,
    )
