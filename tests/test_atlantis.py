"""Atlantis plans exactly the stacks whose synthesized JSON a pull request changes."""

from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tools.atlantis_config import PLAN_GUARD, atlantis_config, render
from tools.generate import derived_files
from tools.manifest import read_manifest


def autoplanned(config: dict[str, Any], changed: set[str]) -> set[str]:
    """Atlantis' autoplan rule: a project plans when a changed file matches its when_modified
    patterns, which are relative to the project's dir."""
    planned = set()
    for project in config["projects"]:
        if not project.get("autoplan", {}).get("enabled", True):
            continue
        for path in changed:
            relative = posixpath.relpath(path, project["dir"])
            if any(fnmatch.fnmatch(relative, p) for p in project["autoplan"]["when_modified"]):
                planned.add(project["name"])
    return planned


def derive(catalog: Catalog, tmp: Path) -> dict[str, str]:
    return {str(k): v for k, v in derived_files(catalog, tmp / "cdktf.out").items()}


def changed_files(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


@pytest.fixture(scope="module")
def base(default_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return derive(default_catalog, tmp_path_factory.mktemp("base"))


def plan_for(base: dict[str, str], catalog: Catalog, tmp: Path) -> set[str]:
    head = derive(catalog, tmp)
    return autoplanned(yaml.safe_load(head["atlantis.yaml"]), changed_files(base, head))


def edit(catalog: Catalog, **team_a: Any) -> Catalog:
    data = catalog.model_dump(mode="json")
    data["teams"][0].update(team_a)
    return Catalog.model_validate(data)


def add_team_c(data: dict[str, Any]) -> None:
    data["teams"].append({"name": "team-c"})


def raise_team_a_vcluster_memory(data: dict[str, Any]) -> None:
    data["teams"][0]["vcluster"]["resources"]["memory_limit"] = "2Gi"


def scale_team_a_app(data: dict[str, Any]) -> None:
    data["teams"][0]["app"]["replicas"] = 3


def bump_the_vcluster_chart(data: dict[str, Any]) -> None:
    data["platform"]["versions"]["vcluster_chart"] = "0.36.2"


#: A catalog change and exactly the projects Atlantis must plan for it.
CHANGES = [
    pytest.param(add_team_c, {"vcluster-team-c", "team-c"}, id="adding-team-c-plans-its-two"),
    pytest.param(raise_team_a_vcluster_memory, {"vcluster-team-a"}, id="vcluster-settings"),
    pytest.param(scale_team_a_app, {"team-a"}, id="app-replicas-plan-team-a-only"),
    pytest.param(
        bump_the_vcluster_chart,
        {"vcluster-team-a", "vcluster-team-b"},
        id="chart-bump-plans-every-vcluster-and-nothing-else",
    ),
]


@pytest.mark.parametrize(("change", "planned"), CHANGES)
def test_a_change_plans_exactly_the_projects_it_touches(
    default_catalog: Catalog,
    base: dict[str, str],
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    planned: set[str],
) -> None:
    data = default_catalog.model_dump(mode="json")
    change(data)
    assert plan_for(base, Catalog.model_validate(data), tmp_path) == planned


def test_two_pull_requests_adding_different_teams_share_no_project(
    default_catalog: Catalog, base: dict[str, str], tmp_path: Path
) -> None:
    planned = []
    for name in ("team-c", "team-d"):
        data = default_catalog.model_dump(mode="json")
        data["teams"].append({"name": name, "node_port": 30018 if name == "team-d" else None})
        (tmp_path / name).mkdir()
        planned.append(plan_for(base, Catalog.model_validate(data), tmp_path / name))
    assert planned[0] & planned[1] == set()
    assert planned[1] == {"vcluster-team-d", "team-d"}


def test_an_unchanged_catalog_plans_nothing(
    default_catalog: Catalog, base: dict[str, str], tmp_path: Path
) -> None:
    assert plan_for(base, default_catalog, tmp_path) == set()


# --- the checked-in configuration -------------------------------------------------------


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "atlantis.yaml").read_text())
    return loaded


def test_one_project_per_stack_named_after_it(config: dict[str, Any]) -> None:
    assert config["version"] == 3
    assert [(p["name"], p["dir"]) for p in config["projects"]] == [
        ("kind-cluster", "cdktf.out/stacks/kind-cluster"),
        ("vcluster-team-a", "cdktf.out/stacks/vcluster-team-a"),
        ("vcluster-team-b", "cdktf.out/stacks/vcluster-team-b"),
        ("team-a", "cdktf.out/stacks/team-a"),
        ("team-b", "cdktf.out/stacks/team-b"),
    ]


def server_repo_config() -> dict[str, Any]:
    """The `repos.yaml` the README tells operators to run Atlantis with."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme.split("```yaml\nrepos:")[1].split("```")[0]
    loaded: dict[str, Any] = yaml.safe_load("repos:" + block)
    return loaded


def test_apply_needs_approval_and_a_mergeable_pull_request_which_no_pr_can_lift(
    config: dict[str, Any],
) -> None:
    (repo,) = server_repo_config()["repos"]
    assert repo["apply_requirements"] == ["approved", "mergeable"]
    assert "apply_requirements" not in repo["allowed_overrides"]
    assert all("apply_requirements" not in p for p in config["projects"])


def test_execution_order_is_host_then_vclusters_then_teams(config: dict[str, Any]) -> None:
    order = {p["name"]: p["execution_order_group"] for p in config["projects"]}
    assert order == {
        "kind-cluster": 0,
        "vcluster-team-a": 1,
        "vcluster-team-b": 1,
        "team-a": 2,
        "team-b": 2,
    }
    depends = {p["name"]: p.get("depends_on", []) for p in config["projects"]}
    assert depends == {
        "kind-cluster": [],
        "vcluster-team-a": ["kind-cluster"],
        "vcluster-team-b": ["kind-cluster"],
        "team-a": ["vcluster-team-a"],
        "team-b": ["vcluster-team-b"],
    }
    assert config["abort_on_execution_order_fail"] is True


def test_atlantis_runs_the_pinned_opentofu_itself(config: dict[str, Any]) -> None:
    pinned = (PROJECT_ROOT / ".tenv.tofu.version").read_text().strip()
    for project in config["projects"]:
        assert project["terraform_distribution"] == "opentofu"
        assert project["terraform_version"] == pinned
    for workflow in config["workflows"].values():
        assert workflow["plan"]["steps"][-2:] == ["init", "plan"]
        assert workflow["apply"]["steps"][-1] == "apply"


def test_projects_lock_only_when_they_apply(config: dict[str, Any]) -> None:
    assert {p["repo_locks"]["mode"] for p in config["projects"]} == {"on_apply"}


def test_the_file_reads_like_hand_written_yaml() -> None:
    text = (PROJECT_ROOT / "atlantis.yaml").read_text()
    assert "&id" not in text and "*id" not in text


def test_team_projects_restore_their_kubeconfig_before_planning(config: dict[str, Any]) -> None:
    workflows = {p["name"]: p["workflow"] for p in config["projects"]}
    assert workflows == {
        "kind-cluster": "platform",
        "vcluster-team-a": "platform",
        "vcluster-team-b": "platform",
        "team-a": "team",
        "team-b": "team",
    }
    team = config["workflows"]["team"]
    restore = 'cd ../../.. && .tools/bin/pipenv run restore-kubeconfigs "$PROJECT_NAME"'
    assert team["plan"]["steps"][0] == {"run": restore}
    assert team["apply"]["steps"][0] == {"run": restore}


# --- the plan guard as Atlantis' custom policy check ---------------------------------------


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """What `pipenv run generate` writes into atlantis.yaml now, read back as Atlantis does."""
    stacks = read_manifest(PROJECT_ROOT / "cdktf.out", checkout_root=PROJECT_ROOT)
    loaded: dict[str, Any] = yaml.safe_load(render(atlantis_config(stacks)))
    return loaded


def test_every_workflow_checks_the_saved_plan_with_the_plan_guard(
    generated: dict[str, Any],
) -> None:
    guard = (
        'cd ../../.. && .tools/bin/pipenv run plan-guard "$SHOWFILE" --stack "$PROJECT_NAME" '
        "--catalog platform.yaml"
    )
    assert {p["workflow"] for p in generated["projects"]} == set(generated["workflows"])
    for name, workflow in generated["workflows"].items():
        # `show` writes the plan's JSON to $SHOWFILE; the guard reads it.
        assert workflow["policy_check"] == {"steps": ["show", {"run": guard}]}, name


def test_the_plan_guard_runs_from_the_checkout_root_where_its_script_and_catalog_are(
    generated: dict[str, Any],
) -> None:
    for project in generated["projects"]:
        assert posixpath.normpath(posixpath.join(project["dir"], "../../..")) == "."
    scripts = tomllib.loads((PROJECT_ROOT / "Pipfile").read_text())["scripts"]
    assert scripts["plan-guard"] == "python -m tools.plan_guard"
    assert (PROJECT_ROOT / "platform.yaml").is_file()


def _policy_check(stack: str, plan: dict[str, Any], tmp_path: Path) -> tuple[int, str]:
    """The policy check's run step as Atlantis runs it: in the stack's directory, with the
    plan's JSON at $SHOWFILE (an absolute path); its output as the pull request shows it."""
    showfile = tmp_path / f"{stack}.json"
    showfile.write_text(json.dumps(plan), encoding="utf-8")
    env = os.environ | {"SHOWFILE": str(showfile), "PROJECT_NAME": stack}
    result = subprocess.run(
        ["bash", "-c", PLAN_GUARD],
        cwd=PROJECT_ROOT / "cdktf.out" / "stacks" / stack,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.skipif(
    not (PROJECT_ROOT / ".tools" / "bin" / "pipenv").exists(),
    reason="no .tools/bin/pipenv here (make setup installs it, as the Atlantis image does)",
)
def test_atlantis_sees_fail_exactly_when_the_plan_destroys_stateful_resources(
    tmp_path: Path,
) -> None:
    empty = {"format_version": "1.2", "planned_values": {}, "resource_changes": []}
    code, output = _policy_check("team-a", empty, tmp_path)
    assert code == 0, output
    assert "fail" not in output.lower()
    claim = {
        "address": "kubernetes_persistent_volume_claim_v1.Data",
        "type": "kubernetes_persistent_volume_claim_v1",
        "change": {"actions": ["delete"], "before": {"metadata": [{"name": "data"}]}},
    }
    code, output = _policy_check("kind-cluster", empty | {"resource_changes": [claim]}, tmp_path)
    assert code == 1
    assert "fail: kubernetes_persistent_volume_claim_v1.Data would be destroyed" in output
