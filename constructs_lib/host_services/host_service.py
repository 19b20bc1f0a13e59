"""One host service as resources: its namespace, its pinned chart and the platform's objects
for it, or, when the host provides the service, reads of the objects it must have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf import Fn, TerraformLocal
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.data_kubernetes_resource import (
    DataKubernetesResource,
    DataKubernetesResourceMetadata,
)
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1, NamespaceV1Metadata
from constructs import Construct

from constructs_lib.chart_release import chart_release
from constructs_lib.host_services.plan import PLATFORM_OBJECTS_CHART, SERVICE_LABEL, ServicePlan
from constructs_lib.pod_security import pod_security_labels


class HostService(Construct):
    """`plan` on the host the stack's providers reach; `output(key)` for the tenants' stacks."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        plan: ServicePlan,
        *,
        labels: Mapping[str, str],
        after: Sequence[HostService] = (),
    ) -> None:
        super().__init__(scope, id)
        self.plan = plan
        if plan.chart is not None:
            namespace = NamespaceV1(
                self,
                "Namespace",
                metadata=NamespaceV1Metadata(
                    name=plan.namespace,
                    labels={**labels, SERVICE_LABEL: plan.service}
                    | pod_security_labels(plan.pod_security),
                ),
            )
            self.release: Release | None = chart_release(
                self,
                "Chart",
                repository=plan.chart.repository,
                chart=plan.chart.name,
                version=plan.chart.version,
                name=plan.release,
                namespace=namespace.metadata.name,
                values=plan.values,
                timeout_s=plan.timeout_s,
                depends_on=[s.release for s in after if s.release is not None] or None,
            )
            self._namespace = namespace.metadata.name
        else:
            self.release = None
            for reference in plan.references:
                DataKubernetesResource(
                    self,
                    reference.id,
                    api_version=reference.api_version,
                    kind=reference.kind,
                    metadata=DataKubernetesResourceMetadata(
                        name=reference.name, namespace=reference.namespace
                    ),
                )
        # A local, so a tenant's stack reads these by cross-stack reference: the names travel
        # with the host's state, and the tenant's stack plans after the host's services.
        self._outputs = (
            TerraformLocal(self, "Outputs", dict(plan.outputs)) if plan.outputs else None
        )

    def install_objects(self, *, after: Sequence[HostService] = ()) -> None:
        """The platform's objects for the service, after its chart and the charts of `after`
        (whose kinds some of them are: an app's Certificate is cert-manager's)."""
        if self.release is None or not self.plan.objects:
            return
        charts = [s.release for s in after if s.release is not None]
        chart_release(
            self,
            "PlatformObjects",
            repository=None,
            chart=PLATFORM_OBJECTS_CHART,
            version=None,
            name=f"{self.plan.release}-platform",
            namespace=self._namespace,
            values={"objects": list(self.plan.objects)},
            depends_on=[self.release, *charts],
        )

    def output(self, key: str) -> str:
        """A value the tenants' stacks use, as a reference into this stack (not sensitive)."""
        if self._outputs is None or key not in self.plan.outputs:
            raise KeyError(f"{self.plan.service} has no output {key!r}")
        return str(Fn.nonsensitive(Fn.lookup(self._outputs.expression, key)))
