"""The kubernetes and helm providers of a stack, pointed at one kubeconfig."""

from __future__ import annotations

from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider
from constructs import Construct


class ClusterAccess(Construct):
    """Both providers a layer needs to talk to one cluster, configured once and identically."""

    def __init__(
        self, scope: Construct, id: str, *, kubeconfig_path: str, context: str | None = None
    ) -> None:
        super().__init__(scope, id)
        self.kubernetes = KubernetesProvider(
            self, "kubernetes", config_path=kubeconfig_path, config_context=context
        )
        self.helm = HelmProvider(
            self,
            "helm",
            kubernetes=HelmProviderKubernetes(config_path=kubeconfig_path, config_context=context),
        )
