"""Host services: what a host runs for its tenants, installed from pinned charts or provided.

The charts' own facts (versions, values, what they render) are reviewed fixtures rendered by
Helm from each chart at its tag (tests/fixtures/host-services/); the values we write must be
exactly the values those renders used, and fit the chart's schema where the chart has one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cel
import jsonschema
import pytest
import yaml

from catalog.loader import CatalogError, load_catalog
from catalog.model import Catalog
from catalog.stack_names import host_services_stack
from constructs_lib import versions
from constructs_lib.host_services import (
    certificates,
    delivery,
    gateway,
    metrics,
    policy,
    secrets,
)
from constructs_lib.host_services.plan import PLATFORM_OBJECTS_CHART, ServicePlan
from constructs_lib.host_services.settings import (
    GATEWAY_NAMESPACE,
    Acme,
    AwsStore,
    AzureStore,
    CertificatesService,
    DeliveryService,
    GatewayService,
    GcpStore,
    MetricsService,
    PolicyService,
    SecretsService,
    VaultStore,
)
from constructs_lib.paths import PROJECT_ROOT
from stacks.app import synthesize as synthesize_app
from tests.conftest import Parse, Synthesized, resources, synthesize, values_of
from tests.test_chart_values import vcluster_schema_errors
from tests.test_isolation import TeamPods
from tools.atlantis_config import atlantis_config
from tools.manifest import read_manifest
from tools.netpol.evaluator import Pod
from tools.netpol.host_view import cluster, host_namespace, host_policies
from tools.review import compare, render
from tools.stack_graph import mermaid

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "host-services"
CATALOG_FILE = PROJECT_ROOT / "tests" / "fixtures" / "host-services.yaml"
REFERENCE = PROJECT_ROOT / "tests" / "reference" / "charts"


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    return document


def schema_errors(chart: str, values: dict[str, Any]) -> list[str]:
    schema = json.loads((REFERENCE / chart / "values.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [e.message for e in validator.iter_errors(values)]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("host-services"))


def releases(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Release name -> helm_release, for every release of a stack."""
    return {r["name"]: r for r in resources(stack, "helm_release").values()}


# --- each chart: pinned, its values exactly those the reviewed render used -----------------

INSTALLED: dict[str, tuple[str, ServicePlan]] = {
    "gateway": (
        "gateway-helm-v1.9.0.yaml",
        gateway.plan(GatewayService(), domain="vc.example.com"),
    ),
    "certificates": (
        "cert-manager-v1.21.1.yaml",
        certificates.plan(
            CertificatesService(acme=Acme(email="ops@example.com")), gateway=GatewayService()
        ),
    ),
    "metrics": ("kube-prometheus-stack-88.5.3.yaml", metrics.plan(MetricsService())),
    "policy": ("kyverno-3.9.0.yaml", policy.plan(PolicyService())),
    "secrets": (
        "external-secrets-2.9.0.yaml",
        secrets.plan(SecretsService(vault=VaultStore(server="https://v.example.com", role="p"))),
    ),
    "delivery": ("argo-cd-10.1.1.yaml", delivery.plan(DeliveryService())),
}


@pytest.mark.parametrize("service", sorted(INSTALLED))
def test_each_service_installs_the_chart_version_that_was_rendered(service: str) -> None:
    name, plan = INSTALLED[service]
    rendered = fixture(name)["chart"]
    assert plan.chart is not None
    assert (plan.chart.name, plan.chart.version) == (rendered["name"], rendered["version"])
    assert rendered["repository"].startswith(plan.chart.repository)


@pytest.mark.parametrize("service", sorted(INSTALLED))
def test_each_fixture_was_rendered_from_the_values_we_write(service: str) -> None:
    name, plan = INSTALLED[service]
    assert dict(plan.values) == (fixture(name)["values"] or {})


@pytest.mark.parametrize(
    ("chart", "values"),
    [
        ("cert-manager", certificates.chart_values(gateway_api=True)),
        ("cert-manager", certificates.chart_values(gateway_api=False)),
        (
            "external-secrets",
            secrets.chart_values(
                SecretsService(
                    aws=AwsStore(region="eu-west-1", role_arn="arn:aws:iam::123456789012:role/eso")
                )
            ),
        ),
        (
            "external-secrets",
            secrets.chart_values(
                SecretsService(
                    azure=AzureStore(
                        vault_url="https://acme.vault.azure.net",
                        client_id="00000000-0000-0000-0000-000000000000",
                    )
                )
            ),
        ),
        (
            "external-secrets",
            secrets.chart_values(
                SecretsService(
                    gcp=GcpStore(
                        project_id="acme-prod",
                        service_account="eso@acme-prod.iam.gserviceaccount.com",
                    )
                )
            ),
        ),
    ],
)
def test_values_fit_the_charts_own_schema(chart: str, values: dict[str, Any]) -> None:
    assert schema_errors(chart, values) == []


def test_the_schema_check_catches_a_wrong_value() -> None:
    assert schema_errors("cert-manager", {"crds": {"enabled": "yes"}}) != []


def test_every_image_a_service_runs_follows_its_pinned_chart() -> None:
    for service, (name, _) in INSTALLED.items():
        images = fixture(name)["images"]
        assert images, service
        assert all(":" in image and not image.endswith(":latest") for image in images), service


# --- gateway --------------------------------------------------------------------------------


def test_the_gateway_passes_tls_through_to_tenants_api_servers() -> None:
    objects = {o["kind"]: o for o in gateway.gateway_objects("vc.example.com")}
    (api,) = [lst for lst in objects["Gateway"]["spec"]["listeners"] if lst["protocol"] == "TLS"]
    assert api["tls"] == {"mode": "Passthrough"}
    assert api["hostname"] == "*.vc.example.com" and api["port"] == 443
    assert api["allowedRoutes"]["kinds"] == [{"group": gateway.GATEWAY_GROUP, "kind": "TLSRoute"}]
    # Routes only from tenants' host namespaces, each labelled with its team.
    assert api["allowedRoutes"]["namespaces"]["selector"] == {
        "matchExpressions": [{"key": "team", "operator": "Exists"}]
    }


def test_the_gateway_class_names_the_controller_envoy_gateway_runs_as() -> None:
    rendered = fixture("gateway-helm-v1.9.0.yaml")
    objects = {o["kind"]: o for o in gateway.gateway_objects("vc.example.com")}
    assert objects["GatewayClass"]["spec"]["controllerName"] in json.dumps(rendered)
    assert objects["GatewayClass"]["spec"]["parametersRef"]["namespace"] == "envoy-gateway-system"


def test_the_gateway_api_bundle_serves_tls_route_v1() -> None:
    bundle = fixture("gateway-helm-v1.9.0.yaml")
    assert versions.GATEWAY_API_VERSION in json.dumps(bundle)
    assert "tlsroutes.gateway.networking.k8s.io" in bundle["crds"]


def test_proxy_pod_labels_are_the_ones_envoy_gateway_sets() -> None:
    facts = json.dumps(fixture("gateway-helm-v1.9.0.yaml"))
    for key, value in gateway.proxy_pods().items():
        assert key in facts and value in facts


# --- certificates ---------------------------------------------------------------------------


def test_acme_challenges_are_answered_through_the_hosts_gateway() -> None:
    issuer = certificates.cluster_issuer(
        CertificatesService(acme=Acme(email="ops@example.com", server="letsencrypt-staging")),
        GatewayService(),
    )
    acme = issuer["spec"]["acme"]
    assert acme["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
    (solver,) = acme["solvers"]
    (parent,) = solver["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert (parent["name"], parent["namespace"]) == ("platform", "envoy-gateway-system")


def test_a_ca_issuer_names_its_secret_never_its_key() -> None:
    issuer = certificates.cluster_issuer(
        CertificatesService.model_validate({"ca": {"secret": "platform-ca"}}), None
    )
    assert issuer["spec"] == {"ca": {"secretName": "platform-ca"}}


def test_cert_manager_waits_for_the_gateway_api_crds(stacks: Synthesized) -> None:
    stack = stacks[host_services_stack("prod-eu")]
    by_path = {
        r["//"]["metadata"]["path"].split("/", 1)[1]: name
        for name, r in resources(stack, "helm_release").items()
    }
    cert_manager = resources(stack, "helm_release")[by_path["Certificates/Chart"]]
    assert cert_manager["depends_on"] == [f"helm_release.{by_path['Gateway/Chart']}"]


# --- metrics --------------------------------------------------------------------------------


def test_prometheus_keeps_what_the_catalog_says_and_reads_monitors_everywhere() -> None:
    spec = metrics.chart_values(MetricsService(retention_days=30, storage_gib=200))["prometheus"][
        "prometheusSpec"
    ]
    assert spec["retention"] == "30d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "200Gi"
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    # A monitor may not send Prometheus's token anywhere nor reach other namespaces.
    assert spec["arbitraryFSAccessThroughSMs"] == {"deny": True}
    assert spec["ignoreNamespaceSelectors"] is True


def test_the_rendered_prometheus_has_those_settings() -> None:
    rendered = fixture("kube-prometheus-stack-88.5.3.yaml")["rendered"]
    (prometheus,) = [o for o in rendered if o["kind"] == "Prometheus"]
    assert prometheus["spec"]["retention"] == "15d"
    assert prometheus["spec"]["serviceMonitorSelector"] == {}
    assert prometheus["spec"]["arbitraryFSAccessThroughSMs"] == {"deny": True}


# --- policy: the baseline, evaluated as the admission webhook evaluates it ------------------


def _pod(**spec: Any) -> dict[str, Any]:
    containers = spec.pop("containers", [{"name": "app", "image": "ghcr.io/acme/app:1"}])
    return {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": containers, **spec}}


def refusals(pod: dict[str, Any], registries: tuple[str, ...] = ()) -> list[str]:
    """The messages of the baseline's policies that refuse `pod` (a real CEL interpreter)."""
    found = []
    for document in policy.baseline_policies(PolicyService(allowed_registries=registries)):
        for validation in document["spec"]["validations"]:
            if cel.evaluate(validation["expression"], {"object": pod}) is not True:
                found.append(validation["message"])
    return found


def test_an_ordinary_pod_passes_the_baseline() -> None:
    assert refusals(_pod()) == []


@pytest.mark.parametrize(
    ("pod", "refused_for"),
    [
        (_pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}]), "hostPath"),
        (
            _pod(containers=[{"name": "x", "image": "i", "securityContext": {"privileged": True}}]),
            "privileged",
        ),
        (
            _pod(
                initContainers=[
                    {"name": "x", "image": "i", "securityContext": {"privileged": True}}
                ]
            ),
            "privileged",
        ),
        (_pod(hostNetwork=True), "hostNetwork"),
        (_pod(hostPID=True), "hostNetwork, hostPID"),
    ],
)
def test_the_baseline_keeps_tenants_off_the_node(pod: dict[str, Any], refused_for: str) -> None:
    assert any(refused_for in message for message in refusals(pod))


def test_images_come_only_from_the_listed_registries_and_the_platforms_own() -> None:
    listed = ("ghcr.io/acme", "docker.io/nginxinc")
    allowed = [
        "ghcr.io/acme/shop:1.2",
        "docker.io/nginxinc/nginx-unprivileged:1.29",
        "nginxinc/nginx-unprivileged:1.29",  # Docker Hub, written without its registry
        versions.APP_IMAGE,
        "ghcr.io/loft-sh/vcluster-oss:0.36.1",
        "coredns/coredns:1.14.2",
        f"{versions.ETCD_IMAGE_REGISTRY}/{versions.ETCD_IMAGE_REPOSITORY}:{versions.ETCD_IMAGE_TAG}",
        versions.POSTGRES_IMAGES[17],
        "docker.io/valkey/valkey:9.1.1",  # as the valkey chart 0.11.0 renders it
        "ghcr.io/oliver006/redis_exporter:v1.79.0",
    ]
    for image in allowed:
        pod = _pod(containers=[{"name": "c", "image": image}])
        assert refusals(pod, listed) == [], image
    for image in ("ghcr.io/acme-evil/shop:1", "docker.io/evil/x:1", "quay.io/acme/shop:1"):
        pod = _pod(initContainers=[{"name": "c", "image": image}])
        assert refusals(pod, listed) != [], image


def test_without_a_registry_list_any_registry_is_allowed() -> None:
    assert refusals(_pod(containers=[{"name": "c", "image": "quay.io/x/y:1"}])) == []


def test_the_baseline_applies_to_tenants_namespaces_only() -> None:
    for document in policy.baseline_policies(PolicyService(allowed_registries=("ghcr.io/a",))):
        constraints = document["spec"]["matchConstraints"]
        assert constraints["namespaceSelector"] == policy.TENANT_NAMESPACES
        assert document["spec"]["validationActions"] == ["Deny"]


def test_kyverno_does_not_exclude_tenants_host_namespaces() -> None:
    config = json.dumps(fixture("kyverno-3.9.0.yaml"))
    assert "vcluster" not in config


# --- secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "provider"),
    [
        (
            SecretsService(vault=VaultStore(server="https://v.example.com", role="platform")),
            "vault",
        ),
        (SecretsService(aws=AwsStore(region="eu-west-1")), "aws"),
        (SecretsService(gcp=GcpStore(project_id="acme-prod")), "gcpsm"),
        (SecretsService(azure=AzureStore(vault_url="https://acme.vault.azure.net")), "azurekv"),
    ],
)
def test_the_secret_store_reaches_its_vault_with_the_operators_identity(
    settings: SecretsService, provider: str
) -> None:
    store = secrets.cluster_secret_store(settings)
    assert store["apiVersion"] == "external-secrets.io/v1"
    (name,) = store["spec"]["provider"]
    assert name == provider
    # No key, token or password: the operator's service account is the identity.
    text = json.dumps(store).lower()
    assert "secretref" not in text and "password" not in text and "token" not in text


def test_no_namespace_editor_may_write_external_secrets() -> None:
    assert fixture("external-secrets-2.9.0.yaml")["aggregated_roles"] == {
        "external-secrets-view": ["rbac.authorization.k8s.io/aggregate-to-view"]
    }


# --- the stacks -----------------------------------------------------------------------------


def test_every_host_with_services_gets_its_own_stack(catalog: Catalog, stacks: Synthesized) -> None:
    assert catalog.host_stacks() == (
        "kind-cluster-laptop",
        "host-services-laptop",
        "host-services-prod-eu",
        "host-services-prod-us",
    )
    assert {s for s in stacks if s.startswith("host-services-")} == {
        "host-services-laptop",
        "host-services-prod-eu",
        "host-services-prod-us",
    }


def test_a_host_without_services_has_no_services_stack(synthesized: Synthesized) -> None:
    assert not [s for s in synthesized if s.startswith("host-services-")]


def test_the_services_state_lives_under_the_hosts_own_path(stacks: Synthesized) -> None:
    backend = stacks[host_services_stack("prod-eu")]["terraform"]["backend"]
    assert "platform/host-services/prod-eu/" in json.dumps(backend)


def test_a_host_with_every_service_installs_each_pinned_chart(stacks: Synthesized) -> None:
    installed = releases(stacks[host_services_stack("prod-eu")])
    charts = {(r["chart"], r["version"]) for r in installed.values() if r.get("repository")}
    assert charts == {
        ("gateway-helm", versions.ENVOY_GATEWAY_CHART_VERSION),
        ("cert-manager", versions.CERT_MANAGER_CHART_VERSION),
        ("kube-prometheus-stack", versions.KUBE_PROMETHEUS_STACK_CHART_VERSION),
        ("kyverno", versions.KYVERNO_CHART_VERSION),
        ("external-secrets", versions.EXTERNAL_SECRETS_CHART_VERSION),
        ("argo-cd", versions.ARGO_CD_CHART_VERSION),
    }


def test_the_platforms_objects_install_after_their_chart(stacks: Synthesized) -> None:
    stack = stacks[host_services_stack("prod-eu")]
    for name, release in resources(stack, "helm_release").items():
        if release["chart"] != PLATFORM_OBJECTS_CHART:
            continue
        own, *others = release["depends_on"]
        chart = resources(stack, "helm_release")[own.split(".", 1)[1]]
        assert all("Chart" in other for other in others), name
        assert chart["namespace"] == release["namespace"], name
        assert values_of(release)["objects"], name


def test_the_platform_objects_chart_is_ours_and_lies_where_the_stacks_point(
    stacks: Synthesized,
) -> None:
    stack_dir = Path("cdktf.out") / "stacks" / host_services_stack("prod-eu")
    chart = (PROJECT_ROOT / stack_dir / PLATFORM_OBJECTS_CHART).resolve()
    assert chart == PROJECT_ROOT / "constructs_lib" / "host_services" / "platform-objects"
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["name"] == "platform-objects"


def test_a_host_that_provides_every_service_gets_nothing_installed(stacks: Synthesized) -> None:
    stack = stacks[host_services_stack("prod-us")]
    assert resources(stack, "helm_release") == {}
    assert resources(stack, "kubernetes_namespace_v1") == {}
    checked = {
        (d["kind"], d["metadata"]["name"]) for d in stack["data"]["kubernetes_resource"].values()
    }
    assert checked == {
        ("Gateway", "shared"),
        ("ClusterIssuer", "corporate-ca"),
        ("CustomResourceDefinition", "servicemonitors.monitoring.coreos.com"),
        ("CustomResourceDefinition", "podmonitors.monitoring.coreos.com"),
        ("Namespace", "observability"),
        ("ClusterSecretStore", "corporate-vault"),
        ("CustomResourceDefinition", "applications.argoproj.io"),
        ("Namespace", "gitops"),
    }


def test_every_tenant_deploys_after_its_hosts_services(catalog: Catalog, tmp_path: Path) -> None:
    manifest = json.loads(
        (synthesize_app(catalog, tmp_path) / "manifest.json").read_text(encoding="utf-8")
    )
    dependencies = {n: s["dependencies"] for n, s in manifest["stacks"].items()}
    assert dependencies["vcluster-team-a"] == ["host-services-prod-eu"]
    assert dependencies["vcluster-team-b"] == ["host-services-prod-us"]
    assert sorted(dependencies["vcluster-team-c-dev"]) == [
        "host-services-laptop",
        "kind-cluster-laptop",
    ]
    assert dependencies["host-services-laptop"] == ["kind-cluster-laptop"]


# --- a tenant behind the gateway ------------------------------------------------------------


def vcluster_values(stacks: Synthesized, tenant: str) -> dict[str, Any]:
    """The values of the tenant's vcluster release (the stack may hold its backup keys' too)."""
    (release,) = [
        r
        for r in resources(stacks[f"vcluster-{tenant}"], "helm_release").values()
        if r["chart"] == "vcluster"
    ]
    return values_of(release)


def test_a_tenants_api_server_is_a_tls_route_on_its_hosts_gateway(stacks: Synthesized) -> None:
    route = vcluster_values(stacks, "team-a")["controlPlane"]["tlsRoute"]
    assert route["enabled"] is True
    assert route["host"] == "team-a.vc.prod-eu.example.com"
    (parent,) = route["parentRefs"]
    # The Gateway's names are read from the host's services stack, not repeated.
    for key in ("name", "namespace", "sectionName"):
        assert (
            "data.terraform_remote_state.cross-stack-reference-input-host-services-prod-eu"
            in (parent[key])
        )
        assert parent[key].startswith("${nonsensitive(")


def test_a_provided_gateway_is_referenced_the_same_way(stacks: Synthesized) -> None:
    (parent,) = vcluster_values(stacks, "team-b")["controlPlane"]["tlsRoute"]["parentRefs"]
    assert "host-services-prod-us" in parent["name"]
    outputs = stacks[host_services_stack("prod-us")]["locals"]
    assert {"name": "shared", "namespace": "ingress", "listener": "tls"} in outputs.values()


def test_gateway_exposure_values_fit_the_vcluster_schema(stacks: Synthesized) -> None:
    assert vcluster_schema_errors(vcluster_values(stacks, "team-a")) == []


def test_the_kubeconfig_reaches_the_tenant_through_the_gateway(stacks: Synthesized) -> None:
    values = vcluster_values(stacks, "team-a")
    assert values["exportKubeConfig"]["server"] == "https://team-a.vc.prod-eu.example.com"
    assert values["controlPlane"]["proxy"]["extraSANs"] == ["team-a.vc.prod-eu.example.com"]
    # The Service keeps the chart's ClusterIP (0.36.1 values.yaml): no node port, no balancer.
    assert "spec" not in values["controlPlane"]["service"]


def _gateway_proxy(ip: str) -> Pod:
    return Pod("envoy-proxy", GATEWAY_NAMESPACE, gateway.proxy_pods(), ip)


def test_behind_the_gateway_only_its_proxies_and_the_tenants_own_workloads_reach_the_api(
    stacks: Synthesized,
) -> None:
    world = cluster(
        host_policies(stacks, ("team-a",)),
        [host_namespace("team-a"), GATEWAY_NAMESPACE, "monitoring", "kube-system"],
    )
    a = TeamPods("team-a", 1)
    proxy = _gateway_proxy("10.244.9.2")
    other_proxy = Pod(
        "other-gateway",
        GATEWAY_NAMESPACE,
        gateway.proxy_pods(name="other"),
        "10.244.9.3",
    )
    stranger = Pod(
        "prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, "10.244.9.4"
    )
    assert world.allows(proxy, a.control_plane, 8443, "TCP")
    assert world.allows(a.app, a.control_plane, 8443, "TCP")
    assert not world.allows(proxy, a.control_plane, 10250, "TCP")
    assert not world.allows(other_proxy, a.control_plane, 8443, "TCP")
    assert not world.allows(stranger, a.control_plane, 8443, "TCP")
    # The proxies reach the API server, not the tenant's other workloads (its app, exposed,
    # is tests/test_exposure.py's).
    assert not world.allows(proxy, a.debug, 8080, "TCP")
    assert not world.allows(proxy, a.db[0], 5432, "TCP")


def test_with_a_provided_gateway_the_api_server_stays_open_as_before(stacks: Synthesized) -> None:
    world = cluster(
        host_policies(stacks, ("team-b",)), [host_namespace("team-b"), "ingress", "kube-system"]
    )
    b = TeamPods("team-b", 2)
    anyone = Pod("x", "ingress", {"app": "whatever"}, "10.244.9.5")
    assert world.allows(anyone, b.control_plane, 8443, "TCP")


# --- a chart bump plans only the services stacks -------------------------------------------


def test_a_chart_bump_of_a_service_changes_only_the_services_stacks(
    catalog: Catalog,
    stacks: Synthesized,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(versions, "KYVERNO_CHART_VERSION", "3.9.1")
    monkeypatch.setattr(versions, "ENVOY_GATEWAY_CHART_VERSION", "v1.9.1")
    bumped = synthesize(catalog, tmp_path)
    changed = sorted(name for name in stacks if bumped[name] != stacks[name])
    assert changed == ["host-services-laptop", "host-services-prod-eu"]


# --- the catalog ----------------------------------------------------------------------------


def test_a_gateway_on_the_host_is_how_api_servers_are_published_by_default(
    catalog: Catalog,
) -> None:
    hosts = catalog.platform.named_hosts
    assert hosts["prod-eu"].exposure == "gateway"  # type: ignore[union-attr]
    assert hosts["prod-us"].exposure == "gateway"  # type: ignore[union-attr]


def test_an_existing_host_without_a_gateway_keeps_its_exposure(catalog_from: Parse) -> None:
    parsed = catalog_from(
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com}}\n"
        "teams: [{name: a1}]"
    )
    assert parsed.platform.named_hosts["default"].exposure == "ingress"  # type: ignore[union-attr]


def test_services_are_off_unless_named(catalog_from: Parse) -> None:
    parsed = catalog_from("teams: [{name: a1}]")
    assert parsed.platform.named_hosts["default"].services.turned_on() == {}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ("{gateway: {name: mine}}", "name one only with provided: true"),
        ("{certificates: {}}", "exactly one of acme: {email: ...} or ca: {secret: ...}"),
        ("{certificates: {acme: {email: nobody}}, gateway: {}}", "must be an e-mail address"),
        ("{certificates: {provided: true, ca: {secret: x}}}", "brings its own issuer"),
        ("{secrets: {vault: {server: http://v, role: r}}}", "must be an https:// URL"),
        ("{secrets: {aws: {region: eu-west-1}, gcp: {project_id: acme-prod}}}", "exactly one"),
        ("{policy: {allowed_registries: [ghcr.io/acme, ghcr.io/acme]}}", "listed twice"),
        ("{policy: {allowed_registries: ['https://ghcr.io']}}", "a registry with an optional path"),
        ("{metrics: {provided: true, retention_days: 3}}", "keeps its own retention"),
        ("{metrics: {retention_days: 0}}", "greater than or equal to 1"),
        ("{mesh: {}}", "mesh"),
    ],
)
def test_bad_services_are_refused_with_the_field_and_the_fix(
    catalog_from: Parse, services: str, message: str
) -> None:
    text = (
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
        f"services: {services}}}}}\nteams: [{{name: a1}}]"
    )
    with pytest.raises(CatalogError, match=r"platform\.host") as error:
        catalog_from(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# --- review ---------------------------------------------------------------------------------

HOST = (
    "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
    "services: SERVICES}}\nteams: [{name: a1}]"
)


def review_of(catalog_from: Parse, before: str, after: str, tmp_path: Path) -> str:
    base = synthesize(catalog_from(HOST.replace("SERVICES", before)), tmp_path / "base")
    head = synthesize(catalog_from(HOST.replace("SERVICES", after)), tmp_path / "head")
    return render(compare(base, head, base_label="main"))


def section(report: str) -> list[str]:
    """The lines of the review's host-services section."""
    if "### 🧰 Host services" not in report:
        return []
    text = report.split("### 🧰 Host services\n\n", 1)[1].split("\n\n", 1)[0]
    return text.splitlines()


def test_review_names_each_service_installed(catalog_from: Parse, tmp_path: Path) -> None:
    lines = section(review_of(catalog_from, "{metrics: {}}", "{metrics: {}, policy: {}}", tmp_path))
    assert lines == [
        f"- host `default`, policy: installed (`kyverno {versions.KYVERNO_CHART_VERSION}`) with "
        "`ValidatingPolicy/tenant-disallow-host-namespaces`, "
        "`ValidatingPolicy/tenant-disallow-host-path`, "
        "`ValidatingPolicy/tenant-disallow-privileged`"
    ]
    assert not [line for line in lines if "metrics" in line]


def test_review_calls_out_an_uninstalled_service(catalog_from: Parse, tmp_path: Path) -> None:
    lines = section(review_of(catalog_from, "{metrics: {}, policy: {}}", "{metrics: {}}", tmp_path))
    assert lines == [
        f"- host `default`, policy: **uninstalled** (`kyverno {versions.KYVERNO_CHART_VERSION}`); "
        "its CRDs stay (kept by the chart), the objects made from them go with the release"
    ]


def test_review_shows_a_changed_platform_object(catalog_from: Parse, tmp_path: Path) -> None:
    lines = section(
        review_of(
            catalog_from,
            "{policy: {}}",
            "{policy: {allowed_registries: [ghcr.io/acme]}}",
            tmp_path,
        )
    )
    assert lines == [
        "- host `default`, policy: adds `ValidatingPolicy/tenant-restrict-image-registries`"
    ]


def test_review_names_what_a_provided_service_must_have(
    catalog_from: Parse, tmp_path: Path
) -> None:
    lines = section(
        review_of(
            catalog_from, "{metrics: {}}", "{metrics: {}, secrets: {provided: true}}", tmp_path
        )
    )
    assert lines == [
        "- host `default`, secrets: provided by the host; checked: `ClusterSecretStore platform`"
    ]


def test_review_shows_a_chart_bump(
    catalog_from: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = catalog_from(HOST.replace("SERVICES", "{policy: {}}"))
    base = synthesize(catalog, tmp_path / "base")
    monkeypatch.setattr(versions, "KYVERNO_CHART_VERSION", "3.9.1")
    head = synthesize(catalog, tmp_path / "head")
    lines = section(render(compare(base, head, base_label="main")))
    assert lines == ["- host `default`, policy: `kyverno 3.9.0` → `kyverno 3.9.1`"]


def test_review_without_service_changes_has_no_services_section(
    catalog_from: Parse, tmp_path: Path
) -> None:
    report = review_of(catalog_from, "{policy: {}}", "{policy: {}}", tmp_path)
    assert section(report) == [] and "No stack changes." in report


# --- the README picture and Atlantis --------------------------------------------------------


def test_the_picture_shows_each_hosts_services(catalog: Catalog, tmp_path: Path) -> None:
    outdir = synthesize_app(catalog, tmp_path)
    picture = mermaid(read_manifest(outdir, checkout_root=tmp_path), catalog)
    assert (
        'host_services_prod_us["host-services-prod-us<br/>services: gateway (provided), '
        "certificates (provided), metrics (provided), policy (provided), secrets (provided), "
        'delivery (provided)"]'
    ) in picture
    assert "host-services-laptop<br/>services: certificates, metrics, policy" in picture
    assert "host_services_prod_eu --> vcluster_team_a" in picture


def test_atlantis_plans_the_services_stack_before_its_tenants(
    catalog: Catalog, tmp_path: Path
) -> None:
    outdir = synthesize_app(catalog, tmp_path)
    config = atlantis_config(read_manifest(outdir, checkout_root=tmp_path), catalog.stack_hosts())
    projects = {p["name"]: p for p in config["projects"]}
    services, vcluster = projects["host-services-prod-eu"], projects["vcluster-team-a"]
    assert vcluster["depends_on"] == ["host-services-prod-eu"]
    assert services["execution_order_group"] < vcluster["execution_order_group"]
    # The services stack is the platform's: the plan guard checks it like every project.
    assert services["workflow"] == "platform"


# --- backup keys from the vault, into the vcluster -------------------------------------------


def backup_credentials_release(stacks: Synthesized, tenant: str) -> dict[str, Any]:
    (release,) = [
        r
        for r in resources(stacks[f"vcluster-{tenant}"], "helm_release").values()
        if r["name"] == f"{tenant}-backup-credentials"
    ]
    return release


def test_backup_keys_come_from_the_hosts_secret_store(stacks: Synthesized) -> None:
    release = backup_credentials_release(stacks, "team-a")
    assert release["chart"] == PLATFORM_OBJECTS_CHART
    assert release["namespace"].startswith("${kubernetes_namespace_v1.")
    objects = values_of(release)["objects"]
    (external,) = [o for o in objects if o["kind"] == "ExternalSecret"]
    store = external["spec"]["secretStoreRef"]["name"]
    # The store's name is the host's services stack's, by cross-stack reference.
    assert "cross-stack-reference-input-host-services-prod-eu" in store
    assert external["spec"]["dataFrom"] == [{"extract": {"key": "backups/team-a"}}]


def test_the_objects_are_those_checked_against_the_operators_crds(stacks: Synthesized) -> None:
    checked = [
        d
        for d in yaml.safe_load_all((FIXTURES / "backup-credentials-team-a.yaml").read_text())
        if d
    ]
    objects = values_of(backup_credentials_release(stacks, "team-a"))["objects"]
    objects[0]["spec"]["secretStoreRef"]["name"] = "platform"  # the reference, resolved
    assert objects == checked


def test_the_keys_land_where_the_database_reads_them(stacks: Synthesized) -> None:
    objects = {
        o["kind"]: o for o in values_of(backup_credentials_release(stacks, "team-a"))["objects"]
    }
    store = objects["SecretStore"]["spec"]["provider"]["kubernetes"]
    assert store["remoteNamespace"] == "team-a-apps"
    # The name the vcluster's serving certificate carries (not `….svc`).
    assert store["server"]["url"] == "https://team-a.vcluster-team-a:443"
    assert store["auth"]["cert"]["clientCert"]["name"] == "vc-team-a"
    push = objects["PushSecret"]["spec"]
    assert push["selector"] == {"secret": {"name": "backup-credentials"}}
    assert push["data"][0]["match"] == {"remoteRef": {"remoteKey": "backup-credentials"}}
    # The database's chart names that same Secret.
    (database,) = [
        r for r in resources(stacks["team-a"], "helm_release").values() if r["chart"] == "cluster"
    ]
    assert values_of(database)["backups"]["secret"] == {
        "create": False,
        "name": "backup-credentials",
    }


def test_a_tenant_without_a_database_gets_no_keys(stacks: Synthesized) -> None:
    names = [r["name"] for r in resources(stacks["vcluster-team-c-dev"], "helm_release").values()]
    assert names == ["team-c-dev"]


def test_the_secrets_operator_reaches_the_api_server_behind_the_gateway(
    stacks: Synthesized,
) -> None:
    world = cluster(
        host_policies(stacks, ("team-a",)),
        [host_namespace("team-a"), "external-secrets", GATEWAY_NAMESPACE, "kube-system"],
    )
    a = TeamPods("team-a", 1)
    operator = Pod("eso", "external-secrets", secrets.CONTROLLER_PODS, "10.244.9.6")
    webhook = Pod(
        "eso-webhook",
        "external-secrets",
        {
            "app.kubernetes.io/name": "external-secrets-webhook",
            "app.kubernetes.io/instance": "external-secrets",
        },
        "10.244.9.7",
    )
    assert world.allows(operator, a.control_plane, 8443, "TCP")
    assert not world.allows(webhook, a.control_plane, 8443, "TCP")
    assert not world.allows(operator, a.app, 8080, "TCP")


def test_keys_need_a_secret_store_on_the_tenants_host(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError) as error:
        catalog_from(
            "platform:\n"
            "  backups: {s3: {bucket: b-1, region: eu-west-1}, credentials_secret: c,"
            " credentials_from: backups/}\n"
            "teams: [{name: a1, database: {}}]"
        )
    assert str(error.value) == (
        "test.yaml: platform.backups.credentials_from: host 'default' runs no secret store for "
        "the keys of a1; add services: {secrets: {...}} to that host, or leave credentials_from "
        "out and provide the Secret by hand"
    )


def test_without_credentials_from_the_secret_stays_the_operators(
    catalog_from: Parse, tmp_path: Path
) -> None:
    catalog = catalog_from(
        "platform:\n"
        "  host: {services: {secrets: {aws: {region: eu-west-1}}}}\n"
        "  backups: {s3: {bucket: b-1, region: eu-west-1}, credentials_secret: c}\n"
        "teams: [{name: a1, database: {}}]"
    )
    names = [
        r["name"]
        for r in resources(synthesize(catalog, tmp_path)["vcluster-a1"], "helm_release").values()
    ]
    assert names == ["a1"]


def test_review_says_where_backup_keys_come_from(
    catalog_from: Parse, stacks: Synthesized, tmp_path: Path
) -> None:
    text = CATALOG_FILE.read_text(encoding="utf-8").replace(
        "    credentials_from: backups/", "    credentials_from: vault-backups/"
    )
    assert text != CATALOG_FILE.read_text(encoding="utf-8")
    report = render(compare(stacks, synthesize(catalog_from(text), tmp_path), base_label="main"))
    assert "- `team-a`: its backup keys come from the host's store at `vault-backups/team-a`." in (
        report
    )
