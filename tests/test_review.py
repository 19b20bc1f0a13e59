"""`review --base`: a Markdown report of what a change does, on a real two-revision history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Parse, Synth, copy_checkout, git, run_command
from tools.review import compare, host_rows, render


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose first commit is the default platform and second adds team-c."""
    root = copy_checkout(tmp_path_factory.mktemp("history") / "platform")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    with (root / "platform.yaml").open("a") as catalog:
        catalog.write("\n  - name: team-c\n    cache: {}\n")
    git(root, "commit", "-qam", "team-c")
    return root


def review(repo: Path, base: str) -> subprocess.CompletedProcess[str]:
    return run_command([sys.executable, "-m", "tools.review", "--base", base, "--repo", str(repo)])


def test_adding_a_team_is_reported_per_stack_and_exits_one(repo: Path) -> None:
    result = review(repo, "HEAD~1")
    assert result.returncode == 1, result.stderr
    report = result.stdout
    assert report.startswith("## Platform review: `HEAD~1` → working tree")
    assert "| `team-c` | added |" in report
    assert "| `vcluster-team-c` | added |" in report
    assert (
        "5 stacks unchanged: `kind-cluster`, `team-a`, `team-b`, `vcluster-team-a`, "
        "`vcluster-team-b`." in report
    )
    assert "| `team-a` |" not in report
    assert "- added: `helm_release.team-c_Release_" in report
    assert "Dangerous" not in report


def test_no_change_says_so_and_exits_zero(repo: Path) -> None:
    result = review(repo, "HEAD")
    assert result.returncode == 0, result.stderr
    assert "No stack changes." in result.stdout


def test_an_unknown_revision_exits_two_with_one_message(repo: Path) -> None:
    result = review(repo, "no-such-rev")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read revision 'no-such-rev'")


# --- the danger rules, on synthesized stacks --------------------------------------------


def test_flags_replacing_the_kind_cluster_and_removing_data() -> None:
    kind_base = {"resource": {"kind_cluster": {"host": {"name": "p", "node_image": "a"}}}}
    kind_head = {"resource": {"kind_cluster": {"host": {"name": "p", "node_image": "b"}}}}
    database = {"resource": {"helm_release": {"db": {"chart": "cluster", "name": "postgres"}}}}
    app_only = {"resource": {"kubernetes_deployment_v1": {"app": {"x": 1}}}}
    base: dict[str, dict[str, Any]] = {
        "kind-cluster": kind_base,
        "team-a": {"resource": {**database["resource"], **app_only["resource"]}},
        "team-b": database,
    }
    head: dict[str, dict[str, Any]] = {"kind-cluster": kind_head, "team-a": app_only}
    report = render(compare(base, head, base_label="main"))
    assert "### ⚠️ Dangerous changes" in report
    assert "`kind_cluster.host` would be **replaced (every argument is ForceNew)**" in report
    assert "`team-a`: the database `helm_release.db` is **removed**." in report
    assert "`team-b`: the whole team stack is **removed**, including its PostgreSQL" in report


def test_removing_a_cache_is_listed_though_not_guarded() -> None:
    cache = {"resource": {"helm_release": {"c": {"chart": "valkey", "name": "cache"}}}}
    app_only = {"resource": {"kubernetes_deployment_v1": {"app": {"x": 1}}}}
    base = {"team-b": {"resource": {**cache["resource"], **app_only["resource"]}}}
    report = render(compare(base, {"team-b": app_only}, base_label="main"))
    assert (
        "- `team-b`: the cache `helm_release.c` is **removed**, with its volume (not guarded: "
        "a cache holds no data of record)." in report
    )


def test_a_change_to_a_teams_egress_is_called_out(synth: Synth, catalog_from: Parse) -> None:
    closed = synth(catalog_from("teams: [{name: a1}, {name: b2, egress: {public: true}}]"))
    opened = synth(
        catalog_from(
            "teams: [{name: a1, egress: {allow: [{cidr: 203.0.113.0/24, ports: [443]}]}}, "
            "{name: b2}]"
        )
    )
    report = render(compare(closed, opened, base_label="main"))
    assert "### 🌐 Egress beyond the vcluster changes" in report
    assert "- `vcluster-a1`: workloads may now reach **203.0.113.0/24:443**." in report
    assert "- `vcluster-b2`: workloads may no longer reach public addresses." in report
    assert "Egress" not in render(compare(closed, closed, base_label="main"))


def test_a_store_change_is_shown_as_replacing_everything_inside_the_vcluster(
    synth: Synth, catalog_from: Parse
) -> None:
    on_sqlite = synth(catalog_from("teams: [{name: a1}, {name: b2}]"))
    on_etcd = synth(
        catalog_from(
            "teams: [{name: a1, vcluster: {replicas: 3, backing_store: deployed-etcd}}, {name: b2}]"
        )
    )
    report = render(compare(on_sqlite, on_etcd, base_label="main"))
    assert (
        "- `vcluster-a1`: backing store embedded-sqlite → deployed-etcd (3 members): the "
        "virtual cluster **starts empty**; everything inside it is **replaced** (the resources "
        "of stack `a1`, data included)." in report
    )
    assert "vcluster-b2`: backing store" not in report


FLEET_FILE = Path(__file__).parent / "fixtures" / "fleet.yaml"


def test_a_tenant_moving_to_another_host_is_called_out(synth: Synth, catalog_from: Parse) -> None:
    text = FLEET_FILE.read_text()
    moved = text.replace("    host: dev-b\n    cache: {}", "    host: dev-a\n    cache: {}")
    assert moved != text
    report = render(compare(synth(catalog_from(text)), synth(catalog_from(moved)), base_label="b"))
    assert (
        "- `vcluster-team-b`: **moves** from the KIND host of stack kind-cluster-dev-b to the "
        "KIND host of stack kind-cluster-dev-a: its vcluster is created empty there, and the "
        "old one keeps running on the old host unless its stacks are destroyed there first"
    ) in report


def test_in_a_fleet_each_hosts_headroom_after_the_change_is_shown(catalog_from: Parse) -> None:
    text = FLEET_FILE.read_text()
    base = catalog_from(text)
    head = catalog_from(text + "  - {name: team-d, host: dev-a}\n")
    assert host_rows(base, head) == [
        "| `dev-a` | dev | 1 → 2 | 8 of 16 (8 free) | 16Gi of 64Gi (48Gi free) "
        "| 100Gi of 500Gi (400Gi free) | 60 of 400 (340 free) |",
        "| `dev-b` | dev | 2 | 8 of 12 (4 free) | 16Gi of 48Gi (32Gi free) "
        "| 100Gi of 250Gi (150Gi free) | 60 of 200 (140 free) |",
        "| `prod-eu` | prod | 1 | 8 of 256 (248 free) | 16Gi of 1024Gi (1008Gi free) "
        "| 200Gi of 20480Gi (20280Gi free) | 60 of 5000 (4940 free) |",
    ]


def test_a_single_host_without_capacity_shows_no_host_table(catalog_from: Parse) -> None:
    catalog = catalog_from("teams: [{name: a1}]")
    assert host_rows(catalog, catalog) == []
