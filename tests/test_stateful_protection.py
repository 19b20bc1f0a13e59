"""A database is never dropped by accident: removal needs an explicit `decommission: true`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from catalog.data_guard import check_stateful_removals, check_store_changes, essentials
from catalog.loader import CatalogError, parse_catalog
from catalog.vcluster_store import store_of_text, store_of_values
from tests.conftest import (
    Parse,
    Synth,
    Synthesized,
    copy_checkout,
    git,
    resources,
    run_command,
    run_main,
    synthesize,
)

WITH_DATABASE = "teams: [{name: keep}, {name: data, database: {}}]"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(parse_catalog(WITH_DATABASE), tmp_path_factory.mktemp("deployed"))


def test_refuses_removing_a_team_that_has_a_database(
    deployed: Synthesized, catalog_from: Parse
) -> None:
    with pytest.raises(
        CatalogError, match=r"teams: removing team 'data' would destroy its PostgreSQL"
    ):
        check_stateful_removals(deployed, catalog_from("teams: [{name: keep}]"), source="p.yaml")


def test_refuses_removing_a_teams_database(deployed: Synthesized, catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"teams\[1\] \(data\)\.database: removing it destroys"):
        check_stateful_removals(
            deployed, catalog_from("teams: [{name: keep}, {name: data}]"), source="p.yaml"
        )


def test_refuses_disabling_a_teams_database(deployed: Synthesized, catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match="set `decommission: true` on the team"):
        check_stateful_removals(
            deployed,
            catalog_from("teams: [{name: keep}, {name: data, database: {enabled: false}}]"),
            source="p.yaml",
        )


def test_allows_dropping_the_database_of_a_team_marked_for_decommissioning(
    deployed: Synthesized, catalog_from: Parse
) -> None:
    marked = catalog_from("teams: [{name: keep}, {name: data, decommission: true}]")
    check_stateful_removals(deployed, marked, source="p.yaml")


def test_allows_deleting_an_entry_once_its_mark_was_applied(
    catalog_from: Parse, synth: Synth
) -> None:
    marked = synth(
        catalog_from("teams: [{name: keep}, {name: data, database: {}, decommission: true}]")
    )
    assert marked["data"]["output"]["decommissioning"] == {"value": True}
    check_stateful_removals(marked, catalog_from("teams: [{name: keep}]"), source="p.yaml")


def test_teams_without_data_come_and_go_freely(deployed: Synthesized, catalog_from: Parse) -> None:
    check_stateful_removals(
        deployed, catalog_from("teams: [{name: data, database: {}}]"), source="p.yaml"
    )


def refused_after(tmp_path: Path, deployed: str, changed: str) -> str:
    """`main.py` on `changed` over the output of `deployed`: refused with exit 2, the output
    left exactly as it was; the refusal's stderr."""
    outdir = tmp_path / "cdktf.out"
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(deployed)
    assert run_main(tmp_path, catalog, outdir).returncode == 0
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    catalog.write_text(changed)
    result = run_main(tmp_path, catalog, outdir)
    assert result.returncode == 2
    assert {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()} == before
    return result.stderr


def test_main_refuses_and_leaves_the_earlier_output_as_it_was(tmp_path: Path) -> None:
    stderr = refused_after(tmp_path, WITH_DATABASE, "teams: [{name: keep}]")
    assert "removing team 'data' would destroy its PostgreSQL database" in stderr
    assert "decommission: true" in stderr


# --- protection against accidental destruction ------------------------------------------


def test_production_protects_the_database_and_the_vcluster(
    catalog_from: Parse, synth: Synth
) -> None:
    stacks = synth(
        catalog_from("platform: {production: true}\nteams: [{name: data, database: {}}]")
    )
    cluster = next(
        r for r in resources(stacks["data"], "helm_release").values() if r["chart"] == "cluster"
    )
    assert cluster["lifecycle"] == {"prevent_destroy": True}
    for kind in ("kubernetes_namespace_v1", "helm_release"):
        for resource in resources(stacks["vcluster-data"], kind).values():
            assert resource["lifecycle"] == {"prevent_destroy": True}, kind


def test_decommissioning_lifts_the_protection(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from(
            "platform: {production: true}\nteams: [{name: data, database: {}, decommission: true}]"
        )
    )
    cluster = next(
        r for r in resources(stacks["data"], "helm_release").values() if r["chart"] == "cluster"
    )
    assert "lifecycle" not in cluster
    namespace = next(iter(resources(stacks["vcluster-data"], "kubernetes_namespace_v1").values()))
    assert "lifecycle" not in namespace


def test_laptops_are_not_protected(synthesized: Synthesized) -> None:
    for stack in synthesized.values():
        for kind in stack.get("resource", {}).values():
            for resource in kind.values():
                assert "prevent_destroy" not in resource.get("lifecycle", {})


def test_vcluster_volumes_are_retained(synthesized: Synthesized) -> None:
    releases = [
        release
        for name, stack in synthesized.items()
        if name.startswith("vcluster-")
        for release in resources(stack, "helm_release").values()
    ]
    assert len(releases) == 2
    for release in releases:
        values = yaml.safe_load(release["values"][0])
        assert values["controlPlane"]["statefulSet"]["persistence"] == {
            "volumeClaim": {"retentionPolicy": "Retain"}
        }


# --- a reference a working tree cannot lose: the output at the base revision ---------------

ONLY_TEAM_B = """
teams:
  - name: team-b
    owners: [bob@example.com]
    cost_center: cc-1002
    cache: {}
"""
REFUSED = "teams: removing team 'team-a' would destroy its PostgreSQL database"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone whose base (`origin/main`) holds the committed output with team-a's database."""
    root = copy_checkout(tmp_path / "repo", extra=("cdktf.out",))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    (root / "platform.yaml").write_text(ONLY_TEAM_B, encoding="utf-8")
    return root


def synth_in(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(
        [sys.executable, "main.py"],
        cwd=root,
        env={k: v for k, v in os.environ.items() if k != "SYNTH_BASE"} | env,
    )


def test_deleting_the_output_does_not_turn_the_guard_off(repo: Path) -> None:
    shutil.rmtree(repo / "cdktf.out")
    result = synth_in(repo)
    assert result.returncode == 2
    assert REFUSED in result.stderr
    assert not (repo / "cdktf.out").exists()


def test_deleting_one_stack_directory_does_not_turn_the_guard_off(repo: Path) -> None:
    shutil.rmtree(repo / "cdktf.out" / "stacks" / "team-a")
    result = synth_in(repo)
    assert result.returncode == 2 and REFUSED in result.stderr


def test_a_named_base_is_the_reference(repo: Path) -> None:
    git(repo, "update-ref", "-d", "refs/remotes/origin/main")
    shutil.rmtree(repo / "cdktf.out")
    result = synth_in(repo, SYNTH_BASE="main")
    assert result.returncode == 2 and REFUSED in result.stderr


def test_a_base_that_is_not_a_commit_is_one_clear_error(repo: Path) -> None:
    result = synth_in(repo, SYNTH_BASE="no-such-branch")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: SYNTH_BASE='no-such-branch' is not a commit of this checkout; fetch it or "
        "name another, so the data guard can compare with the reviewed output"
    ]


def test_without_a_base_the_working_tree_output_is_checked_and_that_is_said(
    repo: Path,
) -> None:
    git(repo, "update-ref", "-d", "refs/remotes/origin/main")
    result = synth_in(repo)
    assert result.returncode == 2 and REFUSED in result.stderr
    assert result.stderr.splitlines()[0] == (
        "note: data guard: no base revision (origin/main not found, SYNTH_BASE not set); "
        "comparing with the working tree's cdktf.out/ only"
    )


def test_removing_a_cache_needs_no_decommission_mark(catalog_from: Parse, synth: Synth) -> None:
    with_cache = synth(catalog_from("teams: [{name: keep, cache: {}}]"))
    check_stateful_removals(with_cache, catalog_from("teams: [{name: keep}]"), source="p.yaml")


def test_the_guard_keeps_only_what_it_reads_of_each_stack(deployed: Synthesized) -> None:
    kept = essentials(deployed["data"])
    assert kept == {
        "resource": {
            "helm_release": {next(iter(kept["resource"]["helm_release"])): {"chart": "cluster"}}
        },
        "output": {},
    }
    assert essentials(deployed["keep"]) == {"resource": {"helm_release": {}}, "output": {}}


# --- a store change starts the virtual cluster empty -------------------------------------

ON_SQLITE = "teams: [{name: data, database: {}}, {name: cached, cache: {}}, {name: plain}]"


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(parse_catalog(ON_SQLITE), tmp_path_factory.mktemp("sqlite"))


def moved_to_etcd(team: str, *, extra: str = "") -> str:
    entries = {"data": "database: {}", "cached": "cache: {}", "plain": ""}
    lines = []
    for name, body in entries.items():
        fields = [f"name: {name}", body] if body else [f"name: {name}"]
        if name == team:
            fields.append("vcluster: {backing_store: deployed-etcd}" + extra)
        lines.append("{" + ", ".join(fields) + "}")
    return "teams: [" + ", ".join(lines) + "]"


def test_refuses_a_store_change_under_a_database(
    on_sqlite: Synthesized, catalog_from: Parse
) -> None:
    with pytest.raises(CatalogError) as refused:
        check_store_changes(on_sqlite, catalog_from(moved_to_etcd("data")), source="p.yaml")
    assert str(refused.value) == (
        "p.yaml: teams[0] (data).vcluster.backing_store: changing it from embedded-sqlite to "
        "deployed-etcd starts the team's virtual cluster empty (the open-source vcluster moves "
        "nothing between stores), and the vcluster then deletes its pods and the volumes of its "
        "PostgreSQL database on the host; to do it on purpose, take a backup, set "
        "`decommission: true` on the team and apply the change, then restore into the new "
        "store (README.md, 'HA: what runs on the open-source build')"
    )


def test_refuses_a_store_change_under_a_cache(on_sqlite: Synthesized, catalog_from: Parse) -> None:
    with pytest.raises(CatalogError, match=r"teams\[1\] \(cached\).*volumes of its cache on"):
        check_store_changes(on_sqlite, catalog_from(moved_to_etcd("cached")), source="p.yaml")


def test_a_team_without_data_may_change_its_store(
    on_sqlite: Synthesized, catalog_from: Parse
) -> None:
    check_store_changes(on_sqlite, catalog_from(moved_to_etcd("plain")), source="p.yaml")


def test_a_team_marked_for_decommissioning_may_change_its_store(
    on_sqlite: Synthesized, catalog_from: Parse
) -> None:
    marked = moved_to_etcd("data").replace("name: data", "name: data, decommission: true")
    check_store_changes(on_sqlite, catalog_from(marked), source="p.yaml")


def test_refuses_changing_the_members_of_a_deployed_etcd(catalog_from: Parse, synth: Synth) -> None:
    three = synth(
        catalog_from(
            moved_to_etcd("plain", extra="").replace(
                "backing_store: deployed-etcd", "replicas: 3, backing_store: deployed-etcd"
            )
        )
    )
    with pytest.raises(
        CatalogError,
        match=r"teams\[2\] \(plain\)\.vcluster\.replicas: the deployed etcd's members are "
        r"fixed once it runs .* changing 3 to 1 splits it",
    ):
        check_store_changes(
            three,
            catalog_from(
                moved_to_etcd("plain").replace(
                    "backing_store: deployed-etcd", "replicas: 1, backing_store: deployed-etcd"
                )
            ),
            source="p.yaml",
        )


def test_the_guard_reads_the_store_of_every_vcluster_stack(on_sqlite: Synthesized) -> None:
    assert essentials(on_sqlite["vcluster-data"])["store"] == {
        "name": "embedded-sqlite",
        "etcd_members": 0,
    }
    assert "store" not in essentials(on_sqlite["data"])


def test_main_refuses_a_store_change_and_leaves_the_output(tmp_path: Path) -> None:
    stderr = refused_after(tmp_path, ON_SQLITE, moved_to_etcd("data"))
    assert "(data).vcluster.backing_store: changing it from embedded-sqlite" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_the_store_as_written_is_recognised_without_parsing_and_agrees_with_a_parse(
    on_sqlite: Synthesized,
) -> None:
    for name in ("vcluster-data", "vcluster-plain"):
        (release,) = resources(on_sqlite[name], "helm_release").values()
        text = release["values"][0]
        assert store_of_text(text) == store_of_values(yaml.safe_load(text))
    two_stores = (
        "controlPlane:\n  backingStore:\n    database:\n      embedded:\n        enabled: true\n"
        "    etcd:\n      deploy:\n        enabled: true\n  distro: {}\n"
    )
    assert store_of_text(two_stores).name == "deployed-etcd"  # parsed, as the binary ranks it


MOVED_TO_ANOTHER_HOST = """
platform:
  hosts:
    default:
      port_pool: {first_port: 30000, size: 20}
      capacity: {cpu: 16, memory: 64Gi, storage: 500Gi, pods: 400}
    other:
      type: existing
      kubeconfig_path: ~/.kube/other
      domain: vc.example.com
      capacity: {cpu: 16, memory: 64Gi, storage: 500Gi, pods: 400}
teams:
  - name: team-a
    host: other
    database: {postgres_major: 17, instances: 1, storage_gib: 1}
  - name: team-b
    host: default
    cache: {}
"""


def test_moving_a_team_with_a_database_to_another_host_is_refused_against_the_base(
    repo: Path,
) -> None:
    (repo / "platform.yaml").write_text(MOVED_TO_ANOTHER_HOST, encoding="utf-8")
    shutil.rmtree(repo / "cdktf.out")
    result = synth_in(repo)
    assert result.returncode == 2
    assert (
        "teams[0] (team-a).host: moving it from host 'default' to host 'other' would start its "
        "vcluster empty there"
    ) in result.stderr
    assert not (repo / "cdktf.out").exists()
