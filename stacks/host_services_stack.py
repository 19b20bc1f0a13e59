"""Layer 1½: one stack per host that runs platform services, `host-services-<host>`.

It sits between the host (layer 1) and the tenants' vclusters (layer 2): each service the
host's catalog entry turns on is installed from its pinned chart, or, when the host provides
it, its named objects are read back at plan time. The tenants' stacks read what they need
from it (the gateway to attach to, …) by cross-stack reference, so they plan after it.
"""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from catalog.model import Catalog
from catalog.platform import ExistingHost, KindHost
from catalog.stack_names import host_services_stack
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.host_services.host_service import HostService
from constructs_lib.host_services.plans import HostFacts, service_plans
from constructs_lib.state_backend import configure_state


class HostServicesStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        catalog: Catalog,
        name: str,
        host: KindHost | ExistingHost,
        *,
        kubeconfig_path: str,
        context: str | None,
    ) -> None:
        super().__init__(scope, host_services_stack(name))
        configure_state(self, catalog.platform.state, layer=f"platform/host-services/{name}")
        ClusterAccess(self, "Host", kubeconfig_path=kubeconfig_path, context=context)
        facts = HostFacts(
            domain=host.domain if isinstance(host, ExistingHost) else None,
            labels=catalog.platform_labels(),
            exposed=catalog.exposed_on(name),
        )
        self.services: dict[str, HostService] = {}
        for service, plan in service_plans(host.services, facts).items():
            # cert-manager's Gateway API solvers need the gateway's CRDs before it starts.
            after = (
                [self.services["gateway"]]
                if service == "certificates" and "gateway" in self.services
                else []
            )
            self.services[service] = HostService(
                self, service.capitalize(), plan, labels=facts.labels, after=after
            )
        certificates = self.services.get("certificates")
        for kind, installed in self.services.items():
            # An exposed app's Certificate is among the gateway's objects: cert-manager's kind.
            waits_for = (
                [certificates] if kind == "gateway" and facts.exposed and certificates else []
            )
            installed.install_objects(after=waits_for)
