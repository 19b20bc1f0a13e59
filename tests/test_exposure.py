"""A team's app reachable from outside: a hostname on its host's gateway, a listener and a
certificate of its own, a route the platform keeps on the host, and the gateway's proxies
admitted to the app and to nothing else of the tenant."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.loader import CatalogError, load_catalog
from catalog.model import Catalog
from constructs_lib.app_exposure import synced_name
from constructs_lib.host_services.gateway import proxy_pods
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Parse, Synthesized, resources, synthesize, values_of
from tests.test_isolation import TeamPods
from tools.netpol.evaluator import External, Pod, parse_policy
from tools.netpol.host_view import cluster, host_namespace, host_policies
from tools.portal import portal_entities
from tools.review import compare, render

CATALOG_FILE = PROJECT_ROOT / "tests" / "fixtures" / "host-services.yaml"
SHOP = "shop.team-a.vc.prod-eu.example.com"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("exposure"))


def gateway_objects(stacks: Synthesized) -> dict[str, dict[str, Any]]:
    (release,) = [
        r
        for r in resources(stacks["host-services-prod-eu"], "helm_release").values()
        if r["name"] == "envoy-gateway-platform"
    ]
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in values_of(release)["objects"]}


def route(stacks: Synthesized, tenant: str = "team-a") -> dict[str, Any]:
    (release,) = [
        r
        for r in resources(stacks[f"vcluster-{tenant}"], "helm_release").values()
        if r["name"] == f"{tenant}-app-route"
    ]
    (only_route,) = values_of(release)["objects"]
    result: dict[str, Any] = only_route
    return result


def test_the_app_gets_a_listener_of_its_own_on_the_gateway(stacks: Synthesized) -> None:
    listeners = {
        lst["name"]: lst for lst in gateway_objects(stacks)["Gateway/platform"]["spec"]["listeners"]
    }
    app = listeners["app-team-a"]
    assert app["hostname"] == SHOP and app["protocol"] == "HTTPS" and app["port"] == 443
    assert app["tls"] == {"mode": "Terminate", "certificateRefs": [{"name": "app-team-a-tls"}]}
    # Routes only from the tenant's own host namespace.
    assert app["allowedRoutes"]["namespaces"] == {
        "from": "Selector",
        "selector": {"matchLabels": {"kubernetes.io/metadata.name": "vcluster-team-a"}},
    }


def test_tls_comes_from_the_hosts_certificate_service(stacks: Synthesized) -> None:
    certificate = gateway_objects(stacks)["Certificate/app-team-a"]
    assert certificate["spec"] == {
        "secretName": "app-team-a-tls",
        "dnsNames": [SHOP],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "platform"},
    }
    assert certificate["metadata"]["namespace"] == "envoy-gateway-system"


def test_the_gateways_objects_wait_for_cert_manager(stacks: Synthesized) -> None:
    stack = stacks["host-services-prod-eu"]
    releases = resources(stack, "helm_release")
    (objects,) = [r for r in releases.values() if r["name"] == "envoy-gateway-platform"]
    charts = {releases[d.split(".", 1)[1]]["chart"] for d in objects["depends_on"]}
    assert charts == {"gateway-helm", "cert-manager"}


def test_the_route_points_at_the_apps_synced_service(stacks: Synthesized) -> None:
    spec = route(stacks)["spec"]
    assert spec["hostnames"] == [SHOP]
    (parent,) = spec["parentRefs"]
    assert parent["sectionName"] == "app-team-a"
    assert "cross-stack-reference-input-host-services-prod-eu" in parent["name"]
    assert spec["rules"] == [{"backendRefs": [{"name": "app-x-team-a-apps-x-team-a", "port": 80}]}]
    assert route(stacks)["metadata"]["namespace"] == "vcluster-team-a"


def test_synced_names_follow_vclusters_own_rule() -> None:
    assert synced_name("app", "team-a-apps", "team-a") == "app-x-team-a-apps-x-team-a"
    long = "a-very-long-team-name-of-thirty-five"
    full = f"app-x-{long}-apps-x-{long}"
    digest = hashlib.sha256(full.encode()).hexdigest()[:10]
    # vcluster 0.36.1 translate.SafeConcatName: 52 characters, '-', 10 of the sha256.
    assert synced_name("app", f"{long}-apps", long) == f"{full[:52]}-{digest}"
    assert len(synced_name("app", f"{long}-apps", long)) == 63


def test_only_the_gateways_proxies_reach_the_app_and_only_on_its_port(
    stacks: Synthesized,
) -> None:
    world = cluster(
        host_policies(stacks, ("team-a",)),
        [host_namespace("team-a"), "envoy-gateway-system", "kube-system", "default"],
    )
    a = TeamPods("team-a", 1)
    proxy = Pod("envoy", "envoy-gateway-system", proxy_pods(), "10.244.9.40")
    assert world.allows(proxy, a.app, 8080, "TCP")
    assert not world.allows(proxy, a.app, 9000, "TCP")
    assert not world.allows(proxy, a.db[0], 5432, "TCP")
    assert not world.allows(proxy, a.debug, 8080, "TCP")
    other_gateway = Pod("x", "envoy-gateway-system", proxy_pods(name="other"), "10.244.9.41")
    assert not world.allows(other_gateway, a.app, 8080, "TCP")
    assert not world.allows(Pod("y", "default", {}, "10.244.9.42"), a.app, 8080, "TCP")


def test_an_app_not_exposed_gets_nothing_new(stacks: Synthesized) -> None:
    names = [r["name"] for r in resources(stacks["vcluster-team-b"], "helm_release").values()]
    assert "team-b-app-route" not in names
    policies = resources(stacks["vcluster-team-b"], "kubernetes_network_policy_v1")
    assert not [p for p in policies.values() if p["metadata"]["name"] == "gateway-to-app"]


def test_the_portal_lists_the_hostname(catalog: Catalog) -> None:
    (resource,) = [e for e in portal_entities(catalog) if e["metadata"]["name"] == f"app-{SHOP}"]
    assert resource["spec"]["type"] == "hostname"
    assert resource["metadata"]["links"] == [{"url": f"https://{SHOP}", "title": "app"}]


def test_review_shows_exposure_changes_in_their_own_section(
    catalog_from: Parse, stacks: Synthesized, tmp_path: Path
) -> None:
    text = CATALOG_FILE.read_text(encoding="utf-8").replace(
        SHOP, "store.team-a.vc.prod-eu.example.com"
    )
    report = render(compare(stacks, synthesize(catalog_from(text), tmp_path), base_label="main"))
    section = report.split("### 📣 Exposure changes\n\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        f"- `team-a`: https://{SHOP} is no longer published",
        "- `team-a`: its app is published at https://store.team-a.vc.prod-eu.example.com",
    ]


BASE = CATALOG_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (SHOP, "shop.team-a.example.org"),
            "teams[0].app.expose.host: 'shop.team-a.example.org' is not under the host's "
            "domain 'vc.prod-eu.example.com'",
        ),
        (
            (SHOP, "team-a.vc.prod-eu.example.com"),
            "'team-a.vc.prod-eu.example.com' is the API server of tenant 'team-a'",
        ),
        (
            ("    host: prod-us\n", f"    host: prod-us\n    app: {{expose: {{host: {SHOP}}}}}\n"),
            "host 'prod-us' needs the platform's gateway (not a provided one",
        ),
        (
            (
                "    environments: {dev: {host: laptop}}",
                "    environments: {dev: {host: laptop, app: {expose: {host: x.vc.example.com}}}}",
            ),
            "teams[2].environments.dev.app.expose.host: host 'laptop' has no gateway",
        ),
    ],
)
def test_exposure_mistakes_are_refused_with_one_line(
    catalog_from: Parse, edit: tuple[str, str], message: str
) -> None:
    old, new = edit
    assert old in BASE
    with pytest.raises(CatalogError) as error:
        catalog_from(BASE.replace(old, new))
    assert message in str(error.value)


def test_a_hostname_belongs_to_one_tenant(catalog_from: Parse) -> None:
    text = BASE.replace(
        "  - name: team-b\n    host: prod-us\n",
        f"  - name: team-d\n    host: prod-eu\n    app: {{expose: {{host: {SHOP}}}}}\n"
        "  - name: team-b\n    host: prod-us\n",
    )
    with pytest.raises(CatalogError, match=rf"'{SHOP}' is already the app of teams\[0\]"):
        catalog_from(text)


def test_the_rendered_listeners_can_share_port_443_with_the_passthrough_one(
    stacks: Synthesized,
) -> None:
    listeners = gateway_objects(stacks)["Gateway/platform"]["spec"]["listeners"]
    on_443 = [lst for lst in listeners if lst["port"] == 443]
    # Distinct hostnames on one port, the app's exact name more specific than the wildcard.
    assert len({lst["hostname"] for lst in on_443}) == len(on_443)
    assert {lst["protocol"] for lst in on_443} == {"TLS", "HTTPS"}
    assert yaml.safe_dump(on_443)


# --- a host that brings its own ingress controller -----------------------------------------

OWN_INGRESS = """
platform:
  host:
    type: existing
    kubeconfig_path: k
    domain: vc.example.com
    exposure: ingress
    ingress_class: traefik
    ingress_namespace: traefik
    services: {certificates: {ca: {secret: platform-ca}}}
teams:
  - {name: team-a, app: {expose: {host: shop.team-a.vc.example.com}}}
"""


@pytest.fixture(scope="module")
def own_ingress(catalog_from: Parse, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog_from(OWN_INGRESS), tmp_path_factory.mktemp("own-ingress"))


def test_on_a_hosts_own_controller_the_app_is_an_ingress(own_ingress: Synthesized) -> None:
    ingress = route(own_ingress)
    assert ingress["kind"] == "Ingress"
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["shop.team-a.vc.example.com"], "secretName": "app-team-a-tls"}
    ]
    # The issuer's name comes from the host's services stack.
    assert (
        "host-services-default"
        in ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    )
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "app-x-team-a-apps-x-team-a", "port": {"number": 80}}


def test_only_the_controllers_namespace_reaches_the_app(own_ingress: Synthesized) -> None:
    world = cluster(
        host_policies(own_ingress, ("team-a",)),
        [host_namespace("team-a"), "traefik", "kube-system", "default"],
    )
    a = TeamPods("team-a", 1)
    controller = Pod("traefik", "traefik", {"app": "traefik"}, "10.244.9.50")
    assert world.allows(controller, a.app, 8080, "TCP")
    assert not world.allows(controller, a.db[0], 5432, "TCP")
    assert not world.allows(Pod("y", "default", {}, "10.244.9.51"), a.app, 8080, "TCP")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("    services: {certificates: {ca: {secret: platform-ca}}}\n", ""),
            "publishes apps through its own ingress controller, over HTTPS only",
        ),
        (("    exposure: ingress\n", "    exposure: load_balancer\n"), "has no gateway to publish"),
    ],
)
def test_an_own_controller_needs_certificates_and_ingress_exposure(
    catalog_from: Parse, edit: tuple[str, str], message: str
) -> None:
    old, new = edit
    with pytest.raises(CatalogError, match=message):
        catalog_from(OWN_INGRESS.replace(old, new))


# --- the gateway's proxies: where they may connect -----------------------------------------


def proxies_world(stacks: Synthesized) -> Any:
    egress = gateway_objects(stacks)["NetworkPolicy/platform-proxies-egress"]
    policy = parse_policy(
        egress["metadata"]["name"], egress["metadata"]["namespace"], egress["spec"]
    )
    namespaces = [host_namespace("team-a"), "envoy-gateway-system", "kube-system", "monitoring"]
    world = cluster((*host_policies(stacks, ("team-a",)), policy), namespaces)
    # Tenants' host namespaces carry their team's label, as the vcluster stack writes them.
    labels = dict(world.namespace_labels)
    labels[host_namespace("team-a")] = {**labels[host_namespace("team-a")], "team": "team-a"}
    return type(world)(namespace_labels=labels, policies=world.policies)


def test_the_proxies_reach_tenants_xds_acme_and_dns(stacks: Synthesized) -> None:
    world = proxies_world(stacks)
    a = TeamPods("team-a", 1)
    proxy = Pod("envoy", "envoy-gateway-system", proxy_pods(), "10.244.9.60")
    controller = Pod("eg", "envoy-gateway-system", {"control-plane": "envoy-gateway"}, "10.0.0.2")
    solver = Pod(
        "solver", "envoy-gateway-system", {"acme.cert-manager.io/http01-solver": "true"}, "10.0.0.3"
    )
    dns = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, "10.0.0.4")
    assert world.allows(proxy, a.app, 8080, "TCP")
    assert world.allows(proxy, a.control_plane, 8443, "TCP")
    assert world.allows(proxy, controller, 18000, "TCP")
    assert world.allows(proxy, solver, 8089, "TCP")
    assert world.allows(proxy, dns, 53, "UDP")


def test_a_selectorless_service_cannot_send_the_proxies_anywhere_else(
    stacks: Synthesized,
) -> None:
    world = proxies_world(stacks)
    proxy = Pod("envoy", "envoy-gateway-system", proxy_pods(), "10.244.9.60")
    prometheus = Pod(
        "prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, "10.0.1.2"
    )
    for target, port in (
        (External("metadata", "169.254.169.254"), 80),
        (External("node", "172.18.0.2"), 10250),
        (External("host-api", "172.18.0.2"), 6443),
        (External("internet", "8.8.8.8"), 443),
        (prometheus, 9090),
    ):
        assert not world.allows(proxy, target, port, "TCP"), target
    # Negative control: without the policy, nothing would have held the proxies back.
    unguarded = type(world)(
        namespace_labels=world.namespace_labels,
        policies=tuple(p for p in world.policies if p.name != "platform-proxies-egress"),
    )
    assert unguarded.allows(proxy, External("metadata", "169.254.169.254"), 80, "TCP")
    # The controller's other ports stay closed to them too.
    controller = Pod("eg", "envoy-gateway-system", {"control-plane": "envoy-gateway"}, "10.0.0.2")
    assert not world.allows(proxy, controller, 9443, "TCP")
