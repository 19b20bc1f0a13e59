"""`review --base`: a Markdown report of what a change does, on a real two-revision history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Parse, Synth, copy_checkout, git, run_command
from tools.review import compare, render


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
