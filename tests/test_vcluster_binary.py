"""Every vcluster values document we write passes the 0.36.1 binary's own rules, not only the
chart's schema: no Pro feature on the open-source image, stores and HA as the binary allows,
and store changes that the data guard refuses though the binary lets them through."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from catalog.data_guard import check_store_changes
from catalog.loader import CatalogError
from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.vcluster_network import (
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    control_plane_pods,
    etcd_pods,
)
from tests.conftest import Parse, Synth, Synthesized, only, resources, values_of
from tools.vcluster_binary import RULES, binary_allows_store_change, violations

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"

#: Catalogs that between them write every kind of vcluster values we produce.
CATALOGS = {
    "kind host, HA on deployed etcd": (
        "teams: [{name: a1, database: {instances: 3}, quota: {cpu_limits: '12'}, "
        "vcluster: {replicas: 3, backing_store: deployed-etcd}}, {name: b2, cache: {}}]"
    ),
    "existing host, ingress": (
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com}}\n"
        "teams: [{name: a1, vcluster: {replicas: 5, backing_store: deployed-etcd}, "
        "quota: {cpu_limits: '16'}}, {name: b2, egress: {public: true}}]"
    ),
    "existing host, load balancer": (
        "platform: {production: true, host: {type: existing, kubeconfig_path: k, "
        "exposure: load_balancer, domain: vc.example.com}}\n"
        "teams: [{name: a1, database: {}}, {name: b2, vcluster: {backing_store: deployed-etcd}}]"
    ),
}


def vcluster_values_of(stacks: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        name: values_of(only(resources(stack, "helm_release")))
        for name, stack in stacks.items()
        if name.startswith("vcluster-")
    }


def test_the_default_catalog_asks_the_binary_for_nothing_it_refuses(
    synthesized: Synthesized,
) -> None:
    found = vcluster_values_of(synthesized)
    assert len(found) == 2
    assert {name: violations(v) for name, v in found.items()} == {n: [] for n in found}


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_every_kind_of_vcluster_we_write_passes_the_binarys_rules(
    name: str, catalog_from: Parse, synth: Synth
) -> None:
    found = vcluster_values_of(synth(catalog_from(CATALOGS[name])))
    assert {n: violations(v) for n, v in found.items()} == {n: [] for n in found}


@pytest.mark.parametrize("rule", RULES, ids=[r.what for r in RULES])
def test_each_rule_trips_on_its_example(rule: Any) -> None:
    """The negative control of each row: the table is not vacuous."""
    assert rule.trips(rule.example)
    assert f"{rule.what} ({rule.source})" in violations(rule.example)


def test_the_pro_list_is_transcribed_whole() -> None:
    pro = [r for r in RULES if r.source.startswith("config/config.go:")]
    assert len(pro) == 18  # IsProFeatureEnabled, config/config.go:1052-1131
    assert any("etcd.embedded" in r.what for r in pro)


def test_embedded_etcd_the_old_ha_is_a_pro_feature() -> None:
    values = {"controlPlane": {"backingStore": {"etcd": {"embedded": {"enabled": True}}}}}
    assert violations(values) == [
        "Pro feature `controlPlane.backingStore.etcd.embedded.enabled` (config/config.go:1069)"
    ]


def test_sqlite_with_more_than_one_replica_is_refused_by_the_binary() -> None:
    values = {"controlPlane": {"statefulSet": {"highAvailability": {"replicas": 3}}}}
    assert violations(values) == [
        "the embedded database (SQLite) with more than one control-plane replica "
        "(pkg/config/validation.go:79)"
    ]


@pytest.mark.parametrize(
    ("previous", "current", "allowed"),
    [
        ("embedded-sqlite", "deployed-etcd", True),
        ("embedded-sqlite", "embedded-etcd", True),
        ("deployed-etcd", "embedded-etcd", True),
        ("embedded-etcd", "deployed-etcd", False),
        ("deployed-etcd", "embedded-sqlite", False),
        ("deployed-etcd", "external-database", False),
        ("embedded-sqlite", "external-database", True),
        ("deployed-etcd", "deployed-etcd", True),
    ],
)
def test_store_changes_as_the_binary_validates_them(
    previous: str, current: str, allowed: bool
) -> None:
    assert binary_allows_store_change(previous, current) is allowed


def test_the_data_guard_refuses_what_the_binary_lets_through_under_data(
    catalog_from: Parse, synth: Synth
) -> None:
    """SQLite to deployed etcd passes the binary's check, and starts an empty cluster."""
    assert binary_allows_store_change("embedded-sqlite", "deployed-etcd")
    deployed = synth(catalog_from("teams: [{name: a1, database: {}}]"))
    moved = catalog_from(
        "teams: [{name: a1, database: {}, vcluster: {backing_store: deployed-etcd}}]"
    )
    with pytest.raises(CatalogError, match="starts the team's virtual cluster empty"):
        check_store_changes(deployed, moved, source="p.yaml")


# --- the deployed etcd as the chart renders it --------------------------------------------


def rendered_etcd() -> dict[str, dict[str, Any]]:
    text = (FIXTURES / "vcluster-0.36.1-deployed-etcd.yaml").read_text()
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(text) if d}


def test_our_host_policies_select_the_pods_the_chart_renders() -> None:
    rendered = rendered_etcd()
    etcd = rendered["StatefulSet/team-a-etcd"]["spec"]
    control_plane = rendered["Deployment/team-a"]["spec"]
    assert etcd["replicas"] == 3 and control_plane["replicas"] == 3
    assert etcd_pods("team-a").items() <= etcd["template"]["metadata"]["labels"].items()
    assert (
        control_plane_pods("team-a").items()
        <= control_plane["template"]["metadata"]["labels"].items()
    )
    # the control plane is not an etcd member, nor the other way round
    assert (
        not etcd_pods("team-a").items() <= control_plane["template"]["metadata"]["labels"].items()
    )


def test_the_rendered_etcd_listens_where_our_policies_open_and_runs_as_we_say() -> None:
    etcd = rendered_etcd()["StatefulSet/team-a-etcd"]["spec"]["template"]["spec"]
    (container,) = etcd["containers"]
    args = container["command"]
    assert f"--listen-client-urls=https://0.0.0.0:{ETCD_CLIENT_PORT}" in args
    assert f"--listen-peer-urls=https://0.0.0.0:{ETCD_PEER_PORT}" in args
    assert "--initial-cluster-state=new" in args  # why its members are fixed once it runs
    assert container["image"] == "registry.k8s.io/etcd:3.6.8-0"
    assert container["securityContext"]["runAsNonRoot"] is True
    assert etcd["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    services = rendered_etcd()
    ports = {p["port"] for p in services["Service/team-a-etcd"]["spec"]["ports"]}
    assert ports == {ETCD_CLIENT_PORT, ETCD_PEER_PORT}


def test_a_vcluster_on_a_deployed_etcd_keeps_no_volume_of_its_own() -> None:
    """Chart `_persistence.tpl`: persistence `auto` is for embedded stores; the quota fit
    counts the etcd's volumes instead (catalog/quota_fit.py)."""
    assert rendered_etcd()["Deployment/team-a"]["kind"] == "Deployment"
    claims = rendered_etcd()["StatefulSet/team-a-etcd"]["spec"]["volumeClaimTemplates"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "5Gi"
