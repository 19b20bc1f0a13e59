"""The catalog model: its defaults and its rules, one behaviour per test."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from catalog.loader import CatalogError, catalog_path, parse_catalog
from catalog.model import Catalog
from catalog.placement import default_node_port
from catalog.platform import ExistingHost, KindHost, PortPool
from catalog.quota_fit import parts_of, quantity, shortfalls
from constructs_lib import versions
from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.state_locations import LocalState
from constructs_lib.vcluster_props import BackingStore
from tests.conftest import Parse


def test_default_catalog_reproduces_the_demo(default_catalog: Catalog) -> None:
    teams = {t.name: t for t in default_catalog.teams}
    assert list(teams) == ["team-a", "team-b"]
    assert teams["team-a"].wants_database and not teams["team-a"].wants_cache
    assert teams["team-b"].wants_cache and not teams["team-b"].wants_database


def test_a_team_needs_only_a_name(catalog_from: Parse) -> None:
    catalog = catalog_from("teams: [{name: team-x}]")
    team = catalog.teams[0]
    assert team.app.replicas == 2
    assert team.app.image == versions.APP_IMAGE
    assert not team.wants_database and not team.wants_cache
    assert team.vcluster.replicas == 1
    assert team.vcluster.backing_store is BackingStore.EMBEDDED_SQLITE
    assert catalog.cost_center_of(catalog.tenants[0]) == "platform"


def test_platform_defaults_to_a_kind_host_with_two_workers_and_local_state(
    catalog_from: Parse,
) -> None:
    platform = catalog_from("teams: [{name: team-x}]").platform
    host = platform.named_hosts["default"]
    assert isinstance(host, KindHost)
    assert host.workers == 2
    assert host.node_image == versions.KIND_NODE_IMAGE
    assert "@sha256:" in host.node_image
    assert isinstance(platform.state, LocalState)
    assert platform.versions.vcluster_chart == "0.36.1"


def test_port_pool_defaults_to_the_static_node_port_band() -> None:
    pool = PortPool()
    assert pool.ports == range(30000, 30020)


def test_a_team_cost_center_overrides_the_platform_default(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "platform: {cost_center: shared}\nteams: [{name: a1, cost_center: cc-7}, {name: b1}]"
    )
    assert [catalog.cost_center_of(t) for t in catalog.tenants] == ["cc-7", "shared"]


def test_present_service_blocks_mean_wanted_unless_disabled(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "teams: [{name: a1, database: {}, cache: {enabled: false}}, {name: b1, cache: {}}]"
    )
    a1, b1 = catalog.teams
    assert a1.wants_database and not a1.wants_cache
    assert b1.wants_cache


def test_quantities_may_be_written_as_whole_numbers(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "teams: [{name: a1, app: {resources: "
        "{cpu_request: 1, memory_request: 1Gi, cpu_limit: 2, memory_limit: 2Gi}}}]"
    )
    assert catalog.teams[0].app.resources.cpu_limit == "2"


def test_existing_host_reads_kubeconfig_and_publishes_by_ingress(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "platform: {host: {type: existing, kubeconfig_path: ~/.kube/config, "
        "domain: vc.example.com}}\nteams: [{name: a1}]"
    )
    host = catalog.platform.named_hosts["default"]
    assert isinstance(host, ExistingHost)
    assert host.exposure == "ingress"
    assert host.context is None


def test_catalog_path_follows_platform_config() -> None:
    assert str(catalog_path({})) == "platform.yaml"
    assert str(catalog_path({"PLATFORM_CONFIG": "other.yaml"})) == "other.yaml"


def test_validated_catalog_is_immutable(default_catalog: Catalog) -> None:
    with pytest.raises(Exception, match="frozen"):
        default_catalog.teams[0].name = "other"  # type: ignore[misc]
    assert isinstance(default_catalog.teams, tuple)


# --- port assignment --------------------------------------------------------------------


def test_derived_port_depends_on_the_team_name_alone() -> None:
    pool = PortPool()
    assert default_node_port("team-a", pool) == default_node_port("team-a", pool)
    assert default_node_port("team-a", pool) in pool.ports


def test_ports_are_stable_when_a_team_is_inserted_before_others(catalog_from: Parse) -> None:
    before = catalog_from("teams: [{name: team-a}, {name: team-b}]")
    after = catalog_from("teams: [{name: team-c}, {name: team-a}, {name: team-b}]")
    for name in ("team-a", "team-b"):
        assert after.node_port_of(after.team(name)) == before.node_port_of(before.team(name))


def test_ports_are_stable_when_a_team_between_others_is_removed(catalog_from: Parse) -> None:
    before = catalog_from("teams: [{name: team-a}, {name: team-c}, {name: team-b}]")
    after = catalog_from("teams: [{name: team-a}, {name: team-b}]")
    for name in ("team-a", "team-b"):
        assert after.node_port_of(after.team(name)) == before.node_port_of(before.team(name))


def test_a_pinned_port_wins_over_the_derived_one(catalog_from: Parse) -> None:
    catalog = catalog_from("teams: [{name: team-a, node_port: 30005}]")
    assert catalog.node_port_of(catalog.teams[0]) == 30005


def _clashing_names(pool: PortPool) -> tuple[str, str]:
    seen: dict[int, str] = {}
    for i in range(1000):
        name = f"t{i}"
        port = default_node_port(name, pool)
        if port in seen:
            return seen[port], name
        seen[port] = name
    raise AssertionError("no clash found")


def test_rejects_two_teams_deriving_the_same_port_and_names_a_free_one(
    catalog_from: Parse,
) -> None:
    first, second = _clashing_names(PortPool())
    with pytest.raises(CatalogError, match=rf"teams\[1\]\.node_port: team '{second}' derives"):
        catalog_from(f"teams: [{{name: {first}}}, {{name: {second}}}]")
    with pytest.raises(CatalogError, match=r"set node_port: 300\d\d \(free\)"):
        catalog_from(f"teams: [{{name: {first}}}, {{name: {second}}}]")


def test_rejects_port_clashes(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"teams\[1\]\.node_port: .*already used by teams\[0\]"):
        catalog_from("teams: [{name: a1, node_port: 30001}, {name: b1, node_port: 30001}]")


def test_rejects_a_port_outside_the_pool(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"outside the port pool 30000-30019"):
        catalog_from("teams: [{name: a1, node_port: 31000}]")


def test_rejects_pool_overflow(catalog_from: Parse) -> None:
    teams = ", ".join(f"{{name: t{i}, node_port: {30000 + i}}}" for i in range(3))
    with pytest.raises(CatalogError, match=r"3 teams do not fit the port pool of 2 ports"):
        catalog_from(f"platform: {{host: {{port_pool: {{size: 2}}}}}}\nteams: [{teams}]")


def test_rejects_node_port_on_an_existing_host(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"teams\[0\]\.node_port: only applies to host type"):
        catalog_from(
            "platform: {host: {type: existing, kubeconfig_path: k, domain: a.example.com}}\n"
            "teams: [{name: a1, node_port: 30001}]"
        )


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Team_A", "DNS-1123 label"),
        ("team-", "DNS-1123 label"),
        ("1team", "DNS-1123 label"),
        ("a" * 41, "at most 40 characters"),
        ("vcluster", "name of a platform stack"),
        ("kind-cluster", "name of a platform stack"),
        ("vcluster-a", "names the vcluster stack of each team"),
        ("kube-system", "reserved by Kubernetes"),
        ("default", "reserved by Kubernetes"),
    ],
)
def test_rejects_invalid_and_reserved_team_names(
    catalog_from: Parse, name: str, reason: str
) -> None:
    with pytest.raises(CatalogError, match=rf"teams\[0\].*\.name: .*{reason}"):
        catalog_from(f"teams: [{{name: '{name}'}}]")


def test_longest_allowed_name_keeps_derived_names_valid(catalog_from: Parse) -> None:
    name = "a" * 40
    catalog = catalog_from(f"teams: [{{name: {name}}}]")
    assert len(f"{catalog.teams[0].name}-apps") <= 63
    assert len(f"vcluster-{catalog.teams[0].name}") <= 63


def test_rejects_duplicate_team_names(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"teams\[1\]\.name: duplicate team name 'a1'"):
        catalog_from("teams: [{name: a1}, {name: a1}]")


def test_rejects_unknown_keys_and_suggests_the_right_one(catalog_from: Parse) -> None:
    with pytest.raises(
        CatalogError, match=r"teams\[0\] \(a1\)\.databse: unknown key; did you mean 'database'"
    ):
        catalog_from("teams: [{name: a1, databse: {}}]")


def test_rejects_ha_with_the_embedded_sqlite_store(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"replicas: 3 needs backing_store: deployed-etcd"):
        catalog_from("teams: [{name: a1, vcluster: {replicas: 3}}]")


def test_allows_ha_with_deployed_etcd(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "teams: [{name: a1, vcluster: {replicas: 3, backing_store: deployed-etcd}}]"
    )
    assert catalog.teams[0].vcluster.replicas == 3
    assert catalog.teams[0].vcluster.etcd_members == 3


def test_rejects_a_password_in_the_pg_state_connection_string(catalog_from: Parse) -> None:
    with pytest.raises(
        CatalogError, match=r"platform\.state: conn_str must not contain a password"
    ):
        catalog_from(
            "platform: {state: {backend: pg, conn_str: 'postgres://u:secret@db/tf'}}\n"
            "teams: [{name: a1}]"
        )


def test_rejects_a_floating_image_tag(catalog_from: Parse) -> None:
    with pytest.raises(
        CatalogError, match=r"teams\[0\] \(a1\)\.app\.image: must not use the floating"
    ):
        catalog_from("teams: [{name: a1, app: {image: 'nginx:latest'}}]")


def test_a_teams_own_platform_is_counted_part_by_part(catalog_from: Parse) -> None:
    team = catalog_from("teams: [{name: a1, database: {instances: 2}, cache: {}}]").teams[0]
    assert [(p.what, p.pods, p.storage_gib) for p in parts_of(team)] == [
        ("vcluster control plane", 1, 5),
        ("CoreDNS", 1, 0),
        ("app", 2, 0),
        ("PostgreSQL", 2, 2),
        ("PostgreSQL init job", 1, 0),
        ("CloudNativePG operator", 1, 0),
        ("cache", 1, 1),
    ]
    assert shortfalls(team) == []  # the default quota fits the default platform


def test_several_quota_shortfalls_are_listed_one_per_line() -> None:
    with pytest.raises(CatalogError) as refused:
        parse_catalog("teams: [{name: a1, quota: {pods: 1, cpu_requests: 100m}}]", source="q")
    lines = str(refused.value).splitlines()
    assert lines[0] == "q: 2 problems in the catalog:"
    assert lines[1].startswith("  - teams[0] (a1).quota.pods: the team's own platform needs 4")
    assert lines[2].startswith("  - teams[0] (a1).quota.cpu_requests: the team's own platform")


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", "0.5"), ("2", "2"), ("1Gi", str(2**30)), ("64Mi", str(64 * 2**20)), ("1k", "1000")],
)
def test_kubernetes_quantities_are_read_as_numbers(text: str, value: str) -> None:
    assert quantity(text) == Decimal(value)


def test_every_catalog_the_readme_shows_is_valid() -> None:
    """The README is the reference: a catalog it shows (a block with platform: and teams:)
    must load as written."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if "teams:" in b]
    assert len(blocks) >= 3
    for block in blocks:
        parse_catalog(block, source="README.md")
