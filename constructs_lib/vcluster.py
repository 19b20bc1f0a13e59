"""One team's virtual cluster on the host, and its kubeconfig written for the deploy machine."""

from __future__ import annotations

from cdktf import Fn, Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_kubernetes.data_kubernetes_secret_v1 import (
    DataKubernetesSecretV1,
    DataKubernetesSecretV1Metadata,
)
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1, NamespaceV1Metadata
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from cdktf_cdktf_provider_local.sensitive_file import SensitiveFile
from constructs import Construct

from constructs_lib import versions
from constructs_lib.backup_credentials import backup_credentials_objects
from constructs_lib.chart_release import chart_release
from constructs_lib.gitops import CLUSTER_SECRET_LABEL, delivery_objects
from constructs_lib.host_services.plan import PLATFORM_OBJECTS_CHART
from constructs_lib.pod_security import pod_security_labels
from constructs_lib.vcluster_network_policy import VClusterNetworkPolicy
from constructs_lib.vcluster_props import (
    VCLUSTER_CHART,
    VClusterProps,
    pod_monitors,
    vcluster_values,
)


class TeamVCluster(Construct):
    """A vcluster in its own host namespace; its kubeconfig lands in a per-team file."""

    def __init__(self, scope: Construct, id: str, props: VClusterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        labels = props.labels.as_dict()
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.protect else None
        namespace = NamespaceV1(
            self,
            "Namespace",
            metadata=NamespaceV1Metadata(
                name=props.host_namespace,
                # Baseline, not restricted: the chart's CoreDNS and binary-copy init
                # containers set no seccomp profile we can reach through values, so
                # `restricted` would reject them. Warn/audit report anything short of it.
                labels=labels | pod_security_labels("baseline"),
            ),
            lifecycle=lifecycle,
        )
        host_namespace = namespace.metadata.name
        VClusterNetworkPolicy(
            self,
            "NetworkPolicy",
            namespace=host_namespace,
            release=props.release_name,
            labels=labels,
            webhooks=props.webhooks,
            egress=props.egress,
            deployed_etcd=bool(props.settings.etcd_members),
            object_store=props.object_store,
            api_clients=props.api_clients,
            scraping=props.scraping,
            published=props.published_app,
        )
        self.release = chart_release(
            self,
            "Release",
            name=props.release_name,
            namespace=host_namespace,
            repository=versions.VCLUSTER_CHART_REPOSITORY,
            chart=VCLUSTER_CHART,
            version=props.chart_version,
            values=vcluster_values(props),
            atomic=True,
            lifecycle=lifecycle,
        )
        if props.backup_credentials is not None:
            # External Secrets objects: our platform-objects chart, after the vcluster (its
            # admin Secret must exist; the operator's CRDs come with the host's services).
            chart_release(
                self,
                "BackupCredentials",
                repository=None,
                chart=PLATFORM_OBJECTS_CHART,
                version=None,
                name=f"{props.release_name}-backup-credentials",
                namespace=host_namespace,
                values={
                    "objects": list(
                        backup_credentials_objects(
                            props.backup_credentials,
                            server=props.in_cluster_server,
                            host_namespace=props.host_namespace,
                            admin_secret=props.kubeconfig_secret_name,
                        )
                    )
                },
                depends_on=[self.release],
            )
        if props.app_route is not None:
            # The route to the tenant's app on its host's gateway, kept by the platform on the
            # host (nothing of the Gateway API is synced from inside the vcluster).
            chart_release(
                self,
                "AppRoute",
                repository=None,
                chart=PLATFORM_OBJECTS_CHART,
                version=None,
                name=f"{props.release_name}-app-route",
                namespace=host_namespace,
                values={"objects": [dict(props.app_route)]},
                depends_on=[self.release],
            )
        if props.scraping is not None and props.scraping.targets:
            # PodMonitors on the host, where Prometheus reads them; the tenant cannot touch
            # them (nothing syncs monitoring.coreos.com objects in the open-source build).
            chart_release(
                self,
                "Monitors",
                repository=None,
                chart=PLATFORM_OBJECTS_CHART,
                version=None,
                name=f"{props.release_name}-monitors",
                namespace=host_namespace,
                values={"objects": list(pod_monitors(props))},
                depends_on=[self.release],
            )
        secret = DataKubernetesSecretV1(
            self,
            "KubeconfigSecret",
            metadata=DataKubernetesSecretV1Metadata(
                name=props.kubeconfig_secret_name, namespace=host_namespace
            ),
            depends_on=[self.release],
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition='${length(try(self.data["config"], "")) > 0}',
                        error_message=(
                            f"vcluster {props.release_name} has not written its kubeconfig "
                            f"secret {props.kubeconfig_secret_name} yet (it does so from a "
                            "retry loop after start-up); run the deploy again in a minute."
                        ),
                    )
                ]
            ),
        )
        if props.delivery is not None:
            self._register_in_argocd(props, secret)
        self.kubeconfig_file = SensitiveFile(
            self,
            "Kubeconfig",
            filename=props.kubeconfig_path,
            content=secret.data.lookup("config"),
            file_permission="0600",
        )

    def _register_in_argocd(self, props: VClusterProps, admin: DataKubernetesSecretV1) -> None:
        """Argo CD's cluster Secret from the vcluster's own credentials (read at apply time,
        kept in the state only), then the team's project and application."""
        delivery = props.delivery
        if delivery is None:
            return
        labels = props.labels.as_dict()
        tls = {
            key: Fn.base64encode(admin.data.lookup(field))
            for key, field in (
                ("caData", "certificate-authority"),
                ("certData", "client-certificate"),
                ("keyData", "client-key"),
            )
        }
        cluster = SecretV1(
            self,
            "ArgoCdCluster",
            metadata=SecretV1Metadata(
                name=delivery.cluster_secret_name,
                namespace=delivery.argocd_namespace,
                labels=labels | CLUSTER_SECRET_LABEL,
            ),
            data={
                "name": delivery.tenant,
                "server": delivery.server,
                "config": Fn.jsonencode({"tlsClientConfig": {"insecure": False, **tls}}),
            },
        )
        chart_release(
            self,
            "Delivery",
            repository=None,
            chart=PLATFORM_OBJECTS_CHART,
            version=None,
            name=f"{props.release_name}-gitops",
            namespace=delivery.argocd_namespace,
            values={"objects": list(delivery_objects(delivery, labels))},
            depends_on=[cluster],
        )

    @property
    def kubeconfig_path(self) -> str:
        """The kubeconfig file's path, as a reference: other stacks that use it depend on it."""
        return self.kubeconfig_file.filename
