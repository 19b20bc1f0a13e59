"""Layer 2: one stack per tenant, `vcluster-<tenant>`: its vcluster on its host, and its
kubeconfig.

A stack per tenant keeps plans, locks and blast radius local: a pull request that onboards or
changes one team plans that team's stacks only.
"""

from __future__ import annotations

from typing import Any

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_local.provider import LocalProvider
from constructs import Construct

from catalog.backups import uses_the_store
from catalog.model import Catalog
from catalog.platform import ExistingHost
from catalog.stack_names import vcluster_stack
from catalog.team import Team
from catalog.tenant import Tenant
from constructs_lib.app_exposure import ExposedApp, app_ingress, app_route
from constructs_lib.backup_credentials import BackupCredentialsSource
from constructs_lib.cache_props import CACHE_POD_LABELS, EXPORTER_PORT
from constructs_lib.cluster_access import ClusterAccess
from constructs_lib.gitops import Delivery
from constructs_lib.host_services.delivery import API_CLIENT_PODS as ARGOCD_API_CLIENT_PODS
from constructs_lib.host_services.gateway import proxy_pods
from constructs_lib.host_services.metrics import PROMETHEUS_PODS
from constructs_lib.host_services.secrets import CONTROLLER_PODS, NAMESPACE
from constructs_lib.host_services.settings import GATEWAY_NAMESPACE
from constructs_lib.placement import apps_namespace
from constructs_lib.postgres_props import (
    DATABASE_METRICS_PORT,
    DATABASE_POD_LABELS,
    OPERATOR_NAMESPACE,
    OPERATOR_WEBHOOK_PORT,
)
from constructs_lib.state_backend import configure_state
from constructs_lib.vcluster import TeamVCluster
from constructs_lib.vcluster_exposure import (
    Exposure,
    GatewayExposure,
    IngressExposure,
    LoadBalancerExposure,
    NodePortExposure,
)
from constructs_lib.vcluster_network import (
    ApiClient,
    ObjectStoreAccess,
    PublishedApp,
    ScrapeTarget,
    Scraping,
    Webhook,
)
from constructs_lib.vcluster_props import VClusterProps, in_cluster_server
from constructs_lib.web_app_props import APP_NAME, CONTAINER_PORT, SERVICE_PORT, app_selector
from stacks.host_services_stack import HostServicesStack


def exposure_for(
    catalog: Catalog, tenant: Tenant, services: HostServicesStack | None = None
) -> Exposure:
    """How the tenant's API server is published on its host; a route on its gateway takes the
    Gateway's names from the host's services stack (a cross-stack reference)."""
    host = catalog.platform.named_hosts[catalog.placement_of(tenant).host]
    if isinstance(host, ExistingHost):
        tenant_host = f"{tenant.name}.{host.domain}"
        if host.exposure == "gateway":
            if services is None or host.services.gateway is None:
                raise ValueError("a gateway exposure needs the host's services stack")
            gateway = services.services["gateway"]
            installed = not host.services.gateway.provided
            return GatewayExposure(
                host=tenant_host,
                gateway=gateway.output("name"),
                namespace=gateway.output("namespace"),
                listener=gateway.output("listener"),
                proxy_pods=proxy_pods() if installed else None,
                proxy_namespace=GATEWAY_NAMESPACE if installed else None,
            )
        if host.exposure == "load_balancer":
            return LoadBalancerExposure(host=tenant_host)
        return IngressExposure(host=tenant_host, ingress_class=host.ingress_class)
    return NodePortExposure(node_port=catalog.node_port_of(tenant))


def object_store_access(catalog: Catalog, tenant: Tenant) -> ObjectStoreAccess | None:
    """The tenant's database and the platform's object store, when it backs up or restores."""
    store = catalog.platform.backups
    if store is None or not uses_the_store(catalog.platform, tenant):
        return None
    return ObjectStoreAccess(
        namespace=apps_namespace(tenant.name),
        database_pods=DATABASE_POD_LABELS,
        network=store.network,
    )


def backup_credentials_for(
    catalog: Catalog, tenant: Tenant, services: HostServicesStack | None
) -> tuple[BackupCredentialsSource | None, ApiClient | None]:
    """Where the tenant's backup keys come from (the host's secret store, its name by
    cross-stack reference), and the operator that delivers them when the platform runs it."""
    store = catalog.platform.backups
    host = catalog.platform.named_hosts[catalog.placement_of(tenant).host]
    secrets = host.services.secrets
    if (
        store is None
        or store.credentials_from is None
        or secrets is None
        or services is None
        or not uses_the_store(catalog.platform, tenant)
    ):
        return None, None
    source = BackupCredentialsSource(
        store=services.services["secrets"].output("store"),
        remote_key=f"{store.credentials_from}{tenant.name}",
        secret_name=store.credentials_secret,
        apps_namespace=apps_namespace(tenant.name),
    )
    operator = None if secrets.provided else ApiClient(pods=CONTROLLER_PODS, namespace=NAMESPACE)
    return source, operator


def scraping_for(catalog: Catalog, tenant: Tenant) -> Scraping | None:
    """The host's Prometheus and what it scrapes of the tenant, when the host runs one."""
    metrics = catalog.platform.named_hosts[catalog.placement_of(tenant).host].services.metrics
    if metrics is None:
        return None
    # A provided Prometheus's pods are not known here: its whole namespace may scrape.
    pods = {} if metrics.provided else PROMETHEUS_PODS
    targets = []
    if tenant.settings.wants_database:
        targets.append(
            ScrapeTarget(
                name="database",
                namespace=apps_namespace(tenant.name),
                pods=DATABASE_POD_LABELS,
                port=DATABASE_METRICS_PORT,
                port_name="metrics",
            )
        )
    if tenant.settings.wants_cache:
        targets.append(
            ScrapeTarget(
                name="cache",
                namespace=apps_namespace(tenant.name),
                pods=CACHE_POD_LABELS,
                port=EXPORTER_PORT,
                port_name="metrics",
            )
        )
    return Scraping(
        prometheus=ApiClient(pods=pods, namespace=metrics.namespace), targets=tuple(targets)
    )


def delivery_for(
    catalog: Catalog, tenant: Tenant, services: HostServicesStack | None, release_server: str
) -> tuple[Delivery | None, tuple[ApiClient, ...] | None]:
    """The tenant's registration in its host's Argo CD (its namespace by cross-stack
    reference), and Argo CD's pods when the platform runs it."""
    gitops = tenant.settings.gitops
    delivery = catalog.host_of(tenant).services.delivery
    if gitops is None or delivery is None or services is None:
        return None, None
    namespace = services.services["delivery"].output("namespace")
    registration = Delivery(
        tenant=tenant.name,
        gitops=gitops,
        server=release_server,
        argocd_namespace=namespace,
        destination_namespace=apps_namespace(tenant.name),
    )
    if delivery.provided:
        return registration, None
    return registration, tuple(
        ApiClient(pods=pods, namespace=delivery.namespace) for pods in ARGOCD_API_CLIENT_PODS
    )


def published_app_for(
    catalog: Catalog, tenant: Tenant, services: HostServicesStack | None
) -> tuple[PublishedApp | None, dict[str, Any] | None]:
    """The tenant's app on its host: an HTTPRoute on the platform's gateway (its names by
    cross-stack reference), or an Ingress on the host's own controller; and who reaches it."""
    expose = tenant.settings.app.expose
    host = catalog.host_of(tenant)
    if expose is None or services is None or not isinstance(host, ExistingHost):
        return None, None
    app = ExposedApp(tenant=tenant.name, host=expose.host)
    namespace, labels = apps_namespace(tenant.name), catalog.labels_of(tenant).as_dict()
    if "gateway" in services.services:
        gateway = services.services["gateway"]
        route = app_route(
            app,
            gateway=gateway.output("name"),
            gateway_namespace=gateway.output("namespace"),
            service=APP_NAME,
            port=SERVICE_PORT,
            apps_namespace=namespace,
            labels=labels,
        )
        proxies = ApiClient(pods=proxy_pods(), namespace=GATEWAY_NAMESPACE)
    else:
        # The host's own controller: its pods are not known here, its namespace is.
        route = app_ingress(
            app,
            ingress_class=host.ingress_class,
            issuer=services.services["certificates"].output("issuer"),
            service=APP_NAME,
            port=SERVICE_PORT,
            apps_namespace=namespace,
            labels=labels,
        )
        proxies = ApiClient(pods={}, namespace=host.ingress_namespace)
    published = PublishedApp(
        proxies=proxies,
        namespace=namespace,
        pods=app_selector(),
        port=CONTAINER_PORT,
    )
    return published, route


def oidc_args(catalog: Catalog) -> tuple[str, ...]:
    """The API server flags of every vcluster, when the platform has an issuer."""
    identity = catalog.platform.identity
    return tuple(identity.api_server_args()) if identity else ()


def webhooks_of(team: Team) -> tuple[Webhook, ...]:
    """The team's workloads that its vcluster's API server calls: the database operator's."""
    if not team.wants_database:
        return ()
    return (Webhook(namespace=OPERATOR_NAMESPACE, port=OPERATOR_WEBHOOK_PORT),)


class VClusterStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        catalog: Catalog,
        tenant: Tenant,
        *,
        host_kubeconfig_path: str,
        host_context: str | None,
        host_services: HostServicesStack | None = None,
    ) -> None:
        super().__init__(scope, vcluster_stack(tenant.name))
        configure_state(self, catalog.platform.state, layer=f"platform/vcluster/{tenant.name}")
        team = tenant.settings
        credentials, operator = backup_credentials_for(catalog, tenant, host_services)
        published, route = published_app_for(catalog, tenant, host_services)
        delivery, delivery_clients = delivery_for(
            catalog, tenant, host_services, in_cluster_server(tenant.name)
        )
        ClusterAccess(self, "Host", kubeconfig_path=host_kubeconfig_path, context=host_context)
        LocalProvider(self, "local")
        # The construct keeps the team's name as its id, as in the single stack before: the
        # resource addresses stay the same, so moving state over is `state mv` (README).
        self.vcluster = TeamVCluster(
            self,
            team.name,
            VClusterProps(
                team=team.name,
                labels=catalog.labels_of(tenant),
                exposure=exposure_for(catalog, tenant, host_services),
                chart_version=catalog.platform.versions.vcluster_chart,
                settings=team.vcluster,
                quota=team.quota,
                container_defaults=team.container_defaults,
                protect=catalog.protects(tenant),
                webhooks=webhooks_of(team),
                egress=team.egress,
                object_store=object_store_access(catalog, tenant),
                oidc_args=oidc_args(catalog),
                scraping=scraping_for(catalog, tenant),
                published_app=published,
                app_route=route,
                delivery=delivery,
                delivery_clients=delivery_clients,
                backup_credentials=credentials,
                secrets_operator=operator,
            ),
        )
        TerraformOutput(self, "kubeconfig_path", value=self.vcluster.kubeconfig_path)
