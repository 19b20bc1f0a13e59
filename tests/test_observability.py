"""A tenant is watched when its host runs the metrics service: its vcluster's control plane
(the chart's ServiceMonitor), its database (a PodMonitor on the host), and the host's
Prometheus admitted to exactly those ports."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from catalog.model import Catalog
from constructs_lib.cache_props import CACHE_POD_LABELS
from constructs_lib.host_services.metrics import PROMETHEUS_PODS
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Parse, Synthesized, resources, synthesize, values_of
from tests.test_chart_values import chart_schema_errors, vcluster_schema_errors
from tests.test_isolation import TeamPods
from tools.netpol.evaluator import Pod
from tools.netpol.host_view import cluster, host_namespace, host_policies

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "vcluster-0.36.1-service-monitor.yaml"
CATALOG = """
platform:
  hosts:
    installed:
      type: existing
      kubeconfig_path: k
      domain: vc.example.com
      capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 900}
      services: {gateway: {}, metrics: {}}
    provided:
      type: existing
      kubeconfig_path: k2
      domain: vc2.example.com
      capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 900}
      services: {metrics: {provided: true, namespace: observability}}
    plain:
      type: existing
      kubeconfig_path: k3
      domain: vc3.example.com
      capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 900}
teams:
  - {name: team-a, host: installed, database: {}}
  - {name: team-b, host: provided, database: {}}
  - {name: team-c, host: plain, database: {}}
  - {name: team-d, host: installed}
  - {name: team-e, host: installed, cache: {}}
  - {name: team-f, host: plain, cache: {}}
"""


@pytest.fixture(scope="module")
def catalog(catalog_from: Parse) -> Catalog:
    return catalog_from(CATALOG)


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("observability"))


def release(stacks: Synthesized, tenant: str, chart_or_name: str) -> dict[str, Any]:
    (found,) = [
        r
        for r in resources(stacks[f"vcluster-{tenant}"], "helm_release").values()
        if chart_or_name in (r["chart"], r["name"])
    ]
    return found


def rendered() -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all(FIXTURE.read_text(encoding="utf-8"))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in documents if d}


def test_every_vcluster_on_a_host_with_metrics_has_the_charts_service_monitor(
    stacks: Synthesized,
) -> None:
    for tenant in ("team-a", "team-b", "team-d"):
        monitor = values_of(release(stacks, tenant, "vcluster"))["controlPlane"]["serviceMonitor"]
        assert monitor["enabled"] is True
        assert monitor["labels"]["team"] == tenant
        assert "cost-center" in monitor["labels"]
    assert "serviceMonitor" not in values_of(release(stacks, "team-c", "vcluster"))["controlPlane"]


def test_the_values_fit_the_vcluster_schema(stacks: Synthesized) -> None:
    assert vcluster_schema_errors(values_of(release(stacks, "team-a", "vcluster"))) == []


def test_the_rendered_monitor_scrapes_the_api_servers_port_with_the_vcluster_certificate() -> None:
    objects = rendered()
    monitor, service = objects["ServiceMonitor/vc-team-a"], objects["Service/team-a"]
    assert {e["path"] for e in monitor["spec"]["endpoints"]} == {
        "/metrics",
        "/metrics/controller-manager",
        "/metrics/kine",
    }
    assert {e["port"] for e in monitor["spec"]["endpoints"]} == {"https"}
    (https,) = [p for p in service["spec"]["ports"] if p["name"] == "https"]
    assert https["targetPort"] == 8443
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["metadata"]["labels"]["team"] == "team-a"
    assert all(
        e["tlsConfig"]["cert"]["secret"]["name"] == "vc-team-a"
        for e in monitor["spec"]["endpoints"]
    )


def test_the_fixture_was_rendered_from_the_values_we_write(stacks: Synthesized) -> None:
    labels = values_of(release(stacks, "team-a", "vcluster"))["controlPlane"]["serviceMonitor"][
        "labels"
    ]
    monitor = rendered()["ServiceMonitor/vc-team-a"]
    # The host of the fixture used the platform's default cost center; ours names the same keys.
    assert set(labels) <= set(monitor["metadata"]["labels"])


def test_the_database_is_watched_through_a_pod_monitor_on_the_host(stacks: Synthesized) -> None:
    (monitor,) = values_of(release(stacks, "team-a", "team-a-monitors"))["objects"]
    assert monitor["kind"] == "PodMonitor"
    assert monitor["metadata"]["namespace"] == "vcluster-team-a"
    assert monitor["metadata"]["labels"]["team"] == "team-a"
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "vcluster.loft.sh/managed-by": "team-a",
        "vcluster.loft.sh/namespace": "team-a-apps",
        "cnpg.io/cluster": "postgres",
    }
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics"}]
    assert monitor["spec"]["sampleLimit"] > 0


def test_a_tenant_with_nothing_to_scrape_gets_no_pod_monitor(stacks: Synthesized) -> None:
    names = [r["name"] for r in resources(stacks["vcluster-team-d"], "helm_release").values()]
    assert names == ["team-d"]


def prometheus(namespace: str = "monitoring", **labels: str) -> Pod:
    return Pod("prometheus-0", namespace, labels or PROMETHEUS_PODS, "10.244.9.10")


def world(stacks: Synthesized, tenant: str, *namespaces: str) -> Any:
    return cluster(
        host_policies(stacks, (tenant,)),
        [host_namespace(tenant), "kube-system", gateway_namespace(), *namespaces],
    )


def gateway_namespace() -> str:
    return "envoy-gateway-system"


def test_prometheus_scrapes_the_control_plane_and_the_database_and_nothing_else(
    stacks: Synthesized,
) -> None:
    hosts = world(stacks, "team-a", "monitoring")
    a = TeamPods("team-a", 1)
    scraper = prometheus()
    assert hosts.allows(scraper, a.control_plane, 8443, "TCP")
    assert hosts.allows(scraper, a.db[0], 9187, "TCP")
    # Negative controls: another port of the database, the app, and an impostor Prometheus.
    assert not hosts.allows(scraper, a.db[0], 5432, "TCP")
    assert not hosts.allows(scraper, a.app, 8080, "TCP")
    assert not hosts.allows(scraper, a.app, 9187, "TCP")
    impostor = prometheus("monitoring", **{"app.kubernetes.io/name": "prometheus"})
    assert not hosts.allows(impostor, a.db[0], 9187, "TCP")
    elsewhere = prometheus("default")
    assert not hosts.allows(elsewhere, a.db[0], 9187, "TCP")


def test_a_provided_prometheus_is_admitted_from_its_namespace(stacks: Synthesized) -> None:
    hosts = world(stacks, "team-b", "observability")
    b = TeamPods("team-b", 2)
    any_pod = Pod("scraper", "observability", {"app": "whatever"}, "10.244.9.11")
    assert hosts.allows(any_pod, b.db[0], 9187, "TCP")
    assert not hosts.allows(Pod("x", "default", {}, "10.244.9.12"), b.db[0], 9187, "TCP")


def test_without_the_metrics_service_nothing_is_opened(stacks: Synthesized) -> None:
    hosts = world(stacks, "team-c", "monitoring")
    c = TeamPods("team-c", 3)
    assert not hosts.allows(prometheus(), c.db[0], 9187, "TCP")


# --- the cache's exporter -------------------------------------------------------------------

VALKEY_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "valkey-0.11.0-metrics.yaml"


def cache_values(stacks: Synthesized, tenant: str) -> dict[str, Any]:
    (cache,) = [
        r for r in resources(stacks[tenant], "helm_release").values() if r["chart"] == "valkey"
    ]
    return values_of(cache)


def test_the_cache_runs_its_exporter_only_where_the_host_scrapes(stacks: Synthesized) -> None:
    assert cache_values(stacks, "team-e")["metrics"]["enabled"] is True
    assert "metrics" not in cache_values(stacks, "team-f")


def test_the_exporter_values_are_those_rendered_and_fit_the_schema(stacks: Synthesized) -> None:
    fixture = yaml.safe_load(VALKEY_FIXTURE.read_text(encoding="utf-8"))
    ours = cache_values(stacks, "team-e")
    assert ours["metrics"] == fixture["values"]["metrics"]
    assert chart_schema_errors("valkey", ours) == []


def test_the_rendered_exporter_passes_restricted_and_names_its_port() -> None:
    fixture = yaml.safe_load(VALKEY_FIXTURE.read_text(encoding="utf-8"))
    (deployment,) = [o for o in fixture["rendered"] if o["kind"] == "Deployment"]
    (exporter,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "metrics"
    ]
    assert exporter["ports"] == [{"name": "metrics", "containerPort": 9121}]
    context = exporter["securityContext"]
    assert context["runAsNonRoot"] is True and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert CACHE_POD_LABELS.items() <= labels.items()


def test_the_cache_is_watched_and_prometheus_reaches_only_its_exporter(
    stacks: Synthesized,
) -> None:
    (monitor,) = values_of(release(stacks, "team-e", "team-e-monitors"))["objects"]
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "vcluster.loft.sh/managed-by": "team-e",
        "vcluster.loft.sh/namespace": "team-e-apps",
        **CACHE_POD_LABELS,
    }
    hosts = world(stacks, "team-e", "monitoring")
    e = TeamPods("team-e", 5)
    cache = Pod(
        e.cache.name, e.cache.namespace, {**e.cache.labels, **CACHE_POD_LABELS}, "10.244.5.200"
    )
    assert hosts.allows(prometheus(), cache, 9121, "TCP")
    assert not hosts.allows(prometheus(), cache, 6379, "TCP")
