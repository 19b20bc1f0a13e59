"""A fleet: named hosts, tenants per environment, placement by capacity, and what stays put."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog.data_guard import MOVE_HOW, check_host_moves, check_stateful_removals, essentials
from catalog.loader import CatalogError, load_catalog, parse_catalog
from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.stack_names import KIND_STACK
from catalog.synthesized_stacks import read_stacks
from stacks.app import synthesize as synthesize_app
from tests.conftest import Parse
from tools.atlantis_config import atlantis_config
from tools.manifest import read_manifest

FLEET_FILE = Path(__file__).parent / "fixtures" / "fleet.yaml"

HOSTS = """\
platform:
  default_environment: dev
  hosts:
    dev-a: {environment: dev, port_pool: {first_port: 30000, size: 40},
            capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000}}
    dev-b: {environment: dev, port_pool: {first_port: 30040, size: 40},
            capacity: {cpu: 32, memory: 128Gi, storage: 1Ti, pods: 1000}}
    prod: {type: existing, environment: prod, kubeconfig_path: ~/.kube/prod,
           domain: vc.example.com, capacity: {cpu: 256, memory: 1Ti, storage: 20Ti, pods: 5000}}
"""


def fleet(teams: str) -> str:
    return HOSTS + "teams:\n" + teams


@pytest.fixture(scope="module")
def fleet_catalog() -> Catalog:
    return load_catalog(FLEET_FILE)


def placed(catalog: Catalog) -> dict[str, str]:
    return {t.name: catalog.placement_of(t).host for t in catalog.tenants}


# --- hosts ------------------------------------------------------------------------------


def test_host_is_the_one_host_named_default(catalog_from: Parse) -> None:
    short = catalog_from("teams: [{name: a1}]")
    named = catalog_from("platform: {hosts: {default: {type: kind}}}\nteams: [{name: a1}]")
    assert short.platform.named_hosts == named.platform.named_hosts
    assert short.host_stacks() == named.host_stacks() == (KIND_STACK,)
    assert placed(short) == placed(named) == {"a1": "default"}


def test_every_other_kind_host_has_its_own_stack_and_kind_cluster(fleet_catalog: Catalog) -> None:
    assert fleet_catalog.host_stacks() == ("kind-cluster-dev-a", "kind-cluster-dev-b")
    kinds = {
        n: h.cluster_name
        for n, h in fleet_catalog.platform.named_hosts.items()
        if isinstance(h, KindHost)
    }
    assert kinds == {"dev-a": "dev-a", "dev-b": "dev-b"}


def test_a_team_without_environments_is_one_tenant_under_its_own_name(
    fleet_catalog: Catalog,
) -> None:
    tenant = fleet_catalog.tenant("team-a")
    assert (tenant.team, tenant.environment, tenant.per_environment) == ("team-a", "dev", False)
    assert fleet_catalog.labels_of(tenant).as_dict()["team"] == "team-a"
    assert "environment" not in fleet_catalog.labels_of(tenant).as_dict()


def test_each_environment_of_a_team_is_a_tenant_with_its_settings_merged(
    fleet_catalog: Catalog,
) -> None:
    dev, prod = fleet_catalog.tenant("team-c-dev"), fleet_catalog.tenant("team-c-prod")
    assert (dev.environment, prod.environment) == ("dev", "prod")
    assert dev.settings.database is not None and prod.settings.database is not None
    # The team's own database settings hold everywhere; prod changes what it names only.
    assert (dev.settings.database.instances, dev.settings.database.storage_gib) == (1, 1)
    assert (prod.settings.database.instances, prod.settings.database.storage_gib) == (3, 20)
    assert prod.settings.database.postgres_major == dev.settings.database.postgres_major
    assert prod.settings.vcluster.replicas == 3 and dev.settings.vcluster.replicas == 1
    assert prod.settings.owners == dev.settings.owners == ("carol@example.com",)
    labels = fleet_catalog.labels_of(prod).as_dict()
    assert (labels["team"], labels["environment"]) == ("team-c", "prod")


def test_tenants_run_on_a_host_of_their_environment(fleet_catalog: Catalog) -> None:
    assert placed(fleet_catalog) == {
        "team-a": "dev-a",
        "team-b": "dev-b",
        "team-c-dev": "dev-b",
        "team-c-prod": "prod-eu",
    }


def test_a_tenant_without_environments_runs_in_the_first_hosts_environment(
    catalog_from: Parse,
) -> None:
    text = HOSTS.replace("  default_environment: dev\n", "") + "teams: [{name: a1}]"
    assert catalog_from(text).tenant("a1").environment == "dev"


# --- placement --------------------------------------------------------------------------

MANY = "".join(f"  - {{name: t{i:03}}}\n" for i in range(120))
#: The same hosts as clusters that exist already: no port pools to run out of.
EXISTING = (
    HOSTS.replace(
        "port_pool: {first_port: 30000, size: 40}", "type: existing, domain: a.example.com"
    )
    .replace("port_pool: {first_port: 30040, size: 40}", "type: existing, domain: b.example.com")
    .replace("environment: dev,", "environment: dev, kubeconfig_path: ~/.kube/dev,")
    .replace(
        "cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000",
        "cpu: 1280, memory: 4Ti, storage: 40Ti, pods: 40000",
    )
    .replace(
        "cpu: 32, memory: 128Gi, storage: 1Ti, pods: 1000",
        "cpu: 640, memory: 2Ti, storage: 20Ti, pods: 20000",
    )
)


def many(teams: str) -> str:
    return EXISTING + "teams:\n" + teams


def test_placement_is_deterministic(catalog_from: Parse) -> None:
    assert placed(catalog_from(many(MANY))) == placed(catalog_from(many(MANY)))


def test_other_teams_coming_going_or_reordered_never_move_a_tenant(catalog_from: Parse) -> None:
    before = placed(catalog_from(many(MANY)))
    lines = MANY.splitlines(keepends=True)
    changed = catalog_from(many("".join(reversed(lines[10:])) + "  - {name: newcomer}\n"))
    after = placed(changed)
    assert {n: after[n] for n in before if n in after} == {
        n: before[n] for n in before if n in after
    }


def test_unpinned_tenants_spread_by_declared_cpu(catalog_from: Parse) -> None:
    counts = {"dev-a": 0, "dev-b": 0}
    for host in placed(catalog_from(many(MANY))).values():
        counts[host] += 1
    # dev-a declares twice dev-b's CPU: it takes about two thirds of 120.
    assert 65 <= counts["dev-a"] <= 95 and counts["dev-a"] + counts["dev-b"] == 120


def test_a_new_host_takes_only_tenants_it_now_wins(catalog_from: Parse) -> None:
    before = placed(catalog_from(many(MANY)))
    grown = EXISTING.replace(
        "    prod:",
        "    dev-c: {type: existing, environment: dev, kubeconfig_path: ~/.kube/dev,\n"
        "            domain: c.example.com,\n"
        "            capacity: {cpu: 32, memory: 128Gi, storage: 1Ti, pods: 1000}}\n    prod:",
    )
    after = placed(catalog_from(grown + "teams:\n" + MANY))
    moved = {n for n in before if after[n] != before[n]}
    assert moved and all(after[n] == "dev-c" for n in moved)
    assert len(moved) < len(before) / 2


def test_a_pinned_tenant_stays_on_its_host(catalog_from: Parse) -> None:
    catalog = catalog_from(many("  - {name: a1, host: dev-b}\n" + MANY))
    assert catalog.placement_of("a1").host == "dev-b"


def test_host_capacity_counts_every_tenants_whole_quota(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError) as refused:
        catalog_from(
            fleet(
                "  - {name: a1, host: dev-b, quota: {cpu_requests: 30}}\n"
                "  - {name: a2, host: dev-b}\n"
            )
        )
    assert str(refused.value) == (
        "test.yaml: platform.hosts.dev-b.capacity.cpu: the 2 tenants on it count for 34 (the "
        "sum of their quota.cpu_requests) of the 32 it offers; raise it, or pin some of them "
        "to dev-a, or add a host"
    )


def test_a_full_host_is_refused_with_one_line_per_host_and_resource(
    catalog_from: Parse, tmp_path: Path
) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(
        fleet(
            "  - {name: a1, host: dev-b, quota: {cpu_requests: 30, memory_requests: 200Gi}}\n"
            "  - {name: a2, host: dev-b}\n"
        )
    )
    with pytest.raises(CatalogError) as refused:
        load_catalog(path)
    lines = str(refused.value).splitlines()
    assert lines[0].endswith("2 problems in the catalog:")
    assert lines[1].startswith("  - platform.hosts.dev-b.capacity.cpu: the 2 tenants")
    assert lines[2].startswith("  - platform.hosts.dev-b.capacity.memory: the 2 tenants")
    assert "208Gi (the sum of their quota.memory_requests) of the 128Gi" in lines[2]


def test_ports_are_per_kind_host(catalog_from: Parse) -> None:
    catalog = catalog_from(fleet("  - {name: a1, host: dev-a}\n  - {name: a2, host: dev-b}\n"))
    assert catalog.node_port_of(catalog.tenant("a1")) in range(30000, 30040)
    assert catalog.node_port_of(catalog.tenant("a2")) in range(30040, 30080)


def test_a_tenant_on_an_existing_host_has_no_node_port(fleet_catalog: Catalog) -> None:
    assert fleet_catalog.placement_of("team-c-prod").node_port is None


# --- the stacks of a fleet --------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet_synth(fleet_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output directory of the fleet catalog, synthesized as `main.py` does."""
    return synthesize_app(fleet_catalog, tmp_path_factory.mktemp("fleet") / "cdktf.out")


def stack(outdir: Path, name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
    return parsed


def dependencies(outdir: Path) -> dict[str, list[str]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {n: sorted(s["dependencies"]) for n, s in manifest["stacks"].items()}


def test_each_tenant_depends_on_its_vcluster_and_that_on_its_hosts_stack(
    fleet_synth: Path,
) -> None:
    assert dependencies(fleet_synth) == {
        "kind-cluster-dev-a": [],
        "kind-cluster-dev-b": [],
        "vcluster-team-a": ["kind-cluster-dev-a"],
        "vcluster-team-b": ["kind-cluster-dev-b"],
        "vcluster-team-c-dev": ["kind-cluster-dev-b"],
        "vcluster-team-c-prod": [],
        "team-a": ["vcluster-team-a"],
        "team-b": ["vcluster-team-b"],
        "team-c-dev": ["vcluster-team-c-dev"],
        "team-c-prod": ["vcluster-team-c-prod"],
    }


def test_each_stack_keeps_its_own_state(fleet_synth: Path) -> None:
    paths = {
        name: stack(fleet_synth, name)["terraform"]["backend"]["local"]["path"]
        for name in ("kind-cluster-dev-b", "vcluster-team-c-prod", "team-c-prod")
    }
    state = "../../../.terraform-state"
    assert paths == {
        "kind-cluster-dev-b": f"{state}/platform/kind-cluster-dev-b/terraform.tfstate",
        "vcluster-team-c-prod": f"{state}/platform/vcluster/team-c-prod/terraform.tfstate",
        "team-c-prod": f"{state}/teams/team-c-prod/terraform.tfstate",
    }


def test_a_vcluster_deploys_to_its_own_hosts_cluster(fleet_synth: Path) -> None:
    dev = stack(fleet_synth, "vcluster-team-c-dev")["provider"]["kubernetes"][0]
    prod = stack(fleet_synth, "vcluster-team-c-prod")["provider"]["kubernetes"][0]
    assert dev["config_context"] == "kind-dev-b"
    assert "cross-stack-reference-input-kind-cluster-dev-b" in dev["config_path"]
    assert (prod["config_path"], prod["config_context"]) == ("~/.kube/prod-eu", "prod-eu")


def test_an_existing_hosts_tenant_is_published_under_its_domain(fleet_synth: Path) -> None:
    text = json.dumps(stack(fleet_synth, "vcluster-team-c-prod"))
    assert "team-c-prod.vc.prod-eu.example.com" in text


def test_kind_hosts_publish_their_own_port_pools(fleet_synth: Path) -> None:
    def ports(name: str) -> list[int]:
        nodes = stack(fleet_synth, name)["resource"]["kind_cluster"]
        cluster = next(iter(nodes.values()))
        mappings = cluster["kind_config"][0]["node"][0]["extra_port_mappings"]
        return sorted(m["host_port"] for m in mappings)

    assert ports("kind-cluster-dev-a") == list(range(30000, 30030))
    assert ports("kind-cluster-dev-b") == list(range(30040, 30070))


def test_atlantis_groups_projects_by_host_in_apply_order(fleet_synth: Path) -> None:
    stacks = read_manifest(fleet_synth, checkout_root=fleet_synth.parent)
    catalog = load_catalog(FLEET_FILE)
    names = [p["name"] for p in atlantis_config(stacks, catalog.stack_hosts())["projects"]]
    assert names == [
        "kind-cluster-dev-a",
        "vcluster-team-a",
        "team-a",
        "kind-cluster-dev-b",
        "vcluster-team-b",
        "vcluster-team-c-dev",
        "team-b",
        "team-c-dev",
        "vcluster-team-c-prod",
        "team-c-prod",
    ]


# --- moves ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployed(fleet_synth: Path) -> dict[str, dict[str, Any]]:
    """What the data guard keeps of the fleet's reviewed output."""
    return read_stacks(fleet_synth, keep=essentials)


def edited_fleet(old: str, new: str) -> str:
    text = FLEET_FILE.read_text()
    assert old in text
    return text.replace(old, new)


def test_moving_a_tenant_with_a_database_is_refused(
    catalog_from: Parse, deployed: dict[str, dict[str, Any]]
) -> None:
    moved = catalog_from(edited_fleet("  - name: team-a\n", "  - name: team-a\n    host: dev-b\n"))
    with pytest.raises(CatalogError) as refused:
        check_host_moves(deployed, moved, source="p.yaml")
    assert str(refused.value) == (
        "p.yaml: teams[0] (team-a).host: moving it from host 'dev-a' to host 'dev-b' would "
        "start its vcluster empty there and leave the old one, with its PostgreSQL data, "
        f"running unmanaged; to move it on purpose, {MOVE_HOW}"
    )


def test_moving_a_decommissioned_tenant_is_allowed(
    catalog_from: Parse, deployed: dict[str, dict[str, Any]]
) -> None:
    moved = catalog_from(
        edited_fleet(
            "  - name: team-a\n", "  - name: team-a\n    host: dev-b\n    decommission: true\n"
        )
    )
    check_host_moves(deployed, moved, source="p.yaml")


def test_moving_a_tenant_without_a_database_is_allowed(
    catalog_from: Parse, deployed: dict[str, dict[str, Any]]
) -> None:
    moved = catalog_from(
        edited_fleet("    host: dev-b\n    cache: {}", "    host: dev-a\n    cache: {}")
    )
    assert moved.placement_of("team-b").host == "dev-a"
    check_host_moves(deployed, moved, source="p.yaml")


def test_a_new_host_that_would_take_a_tenant_with_a_database_says_how_to_keep_it(
    catalog_from: Parse, deployed: dict[str, dict[str, Any]]
) -> None:
    grown = catalog_from(
        edited_fleet(
            "    prod-eu:\n",
            "    dev-c:\n      environment: dev\n      port_pool: {first_port: 30075, size: 10}\n"
            "      capacity: {cpu: 100000, memory: 64Gi, storage: 500Gi, pods: 400}\n"
            "    prod-eu:\n",
        )
    )
    assert grown.placement_of("team-a").host == "dev-c"
    with pytest.raises(
        CatalogError, match=r"or keep it where it is with `host: dev-a` on teams\[0\]"
    ):
        check_host_moves(deployed, grown, source="p.yaml")


def test_an_environment_whose_database_is_dropped_is_refused(
    catalog_from: Parse, deployed: dict[str, dict[str, Any]]
) -> None:
    text = edited_fleet("      dev: {}\n", "")
    with pytest.raises(
        CatalogError, match="removing environment 'dev' of team 'team-c' would destroy"
    ):
        check_stateful_removals(deployed, catalog_from(text), source="p.yaml")


# --- what a pull request plans ------------------------------------------------------------


def changed_stacks(before: Path, text: str, tmp_path: Path) -> set[str]:
    """The stacks whose JSON differs from the fleet's when `text` is synthesized instead."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    after = synthesize_app(parse_catalog(text), tmp_path / "after")
    names = {
        p.parent.name
        for p in (*before.glob("stacks/*/cdk.tf.json"), *after.glob("stacks/*/cdk.tf.json"))
    }
    return {
        n
        for n in names
        if not (before / "stacks" / n / "cdk.tf.json").is_file()
        or not (after / "stacks" / n / "cdk.tf.json").is_file()
        or (before / "stacks" / n / "cdk.tf.json").read_bytes()
        != (after / "stacks" / n / "cdk.tf.json").read_bytes()
    }


def test_a_change_to_one_hosts_settings_changes_only_that_hosts_stacks(
    fleet_synth: Path, fleet_catalog: Catalog, tmp_path: Path
) -> None:
    text = edited_fleet("      workers: 1\n", "      workers: 3\n")
    changed = changed_stacks(fleet_synth, text, tmp_path)
    hosts = fleet_catalog.stack_hosts()
    assert changed == {"kind-cluster-dev-b"}
    text = edited_fleet("domain: vc.prod-eu.example.com", "domain: vc.eu.example.com")
    changed = changed_stacks(fleet_synth, text, tmp_path / "domain")
    assert changed and {hosts[n] for n in changed} == {"prod-eu"}


def test_pull_requests_adding_teams_on_different_hosts_share_no_project(
    fleet_synth: Path, tmp_path: Path
) -> None:
    on_a = changed_stacks(
        fleet_synth, FLEET_FILE.read_text() + "  - {name: team-x, host: dev-a}\n", tmp_path / "a"
    )
    on_prod = changed_stacks(
        fleet_synth,
        FLEET_FILE.read_text() + "  - {name: team-y, environments: {prod: {}}}\n",
        tmp_path / "prod",
    )
    assert on_a == {"vcluster-team-x", "team-x"}
    assert on_prod == {"vcluster-team-y-prod", "team-y-prod"}
