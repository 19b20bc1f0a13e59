"""Atlantis plans exactly the stacks whose synthesized JSON a pull request changes."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.catalog import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tools.generate import derived_files

Parse = Callable[[str], Catalog]


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


def test_adding_team_c_plans_exactly_vcluster_and_team_c(
    default_catalog: Catalog, base: dict[str, str], tmp_path: Path
) -> None:
    data = default_catalog.model_dump(mode="json")
    data["teams"].append({"name": "team-c"})
    assert plan_for(base, Catalog.model_validate(data), tmp_path) == {"vcluster", "team-c"}


def test_changing_team_a_replicas_plans_exactly_team_a(
    default_catalog: Catalog, base: dict[str, str], tmp_path: Path
) -> None:
    data = default_catalog.model_dump(mode="json")
    data["teams"][0]["app"]["replicas"] = 3
    assert plan_for(base, Catalog.model_validate(data), tmp_path) == {"team-a"}


def test_bumping_the_vcluster_chart_plans_exactly_vcluster(
    default_catalog: Catalog, base: dict[str, str], tmp_path: Path
) -> None:
    data = default_catalog.model_dump(mode="json")
    data["platform"]["versions"]["vcluster_chart"] = "0.36.2"
    assert plan_for(base, Catalog.model_validate(data), tmp_path) == {"vcluster"}


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
        ("vcluster", "cdktf.out/stacks/vcluster"),
        ("team-a", "cdktf.out/stacks/team-a"),
        ("team-b", "cdktf.out/stacks/team-b"),
    ]


def test_apply_needs_approval_and_a_mergeable_pull_request(config: dict[str, Any]) -> None:
    assert {tuple(p["apply_requirements"]) for p in config["projects"]} == {
        ("approved", "mergeable")
    }


def test_execution_order_is_host_then_vclusters_then_teams(config: dict[str, Any]) -> None:
    order = {p["name"]: p["execution_order_group"] for p in config["projects"]}
    assert order == {"kind-cluster": 0, "vcluster": 1, "team-a": 2, "team-b": 2}
    depends = {p["name"]: p.get("depends_on", []) for p in config["projects"]}
    assert depends == {
        "kind-cluster": [],
        "vcluster": ["kind-cluster"],
        "team-a": ["vcluster"],
        "team-b": ["vcluster"],
    }
    assert config["abort_on_execution_order_fail"] is True


def test_workflows_run_opentofu_init_plan_and_apply(config: dict[str, Any]) -> None:
    for workflow in config["workflows"].values():
        plan = [s["run"] for s in workflow["plan"]["steps"] if "run" in s]
        assert [s.split()[:2] for s in plan[-2:]] == [["tofu", "init"], ["tofu", "plan"]]
        assert "-out=$PLANFILE" in plan[-1]
        assert workflow["apply"]["steps"][-1] == {
            "run": "tofu apply -input=false -no-color $PLANFILE"
        }


def test_team_projects_restore_their_kubeconfig_before_planning(config: dict[str, Any]) -> None:
    workflows = {p["name"]: p["workflow"] for p in config["projects"]}
    assert workflows == {
        "kind-cluster": "cdktf-opentofu",
        "vcluster": "cdktf-opentofu",
        "team-a": "cdktf-opentofu-team",
        "team-b": "cdktf-opentofu-team",
    }
    team = config["workflows"]["cdktf-opentofu-team"]
    restore = "cd ../../.. && .tools/bin/pipenv run restore-kubeconfigs"
    assert team["plan"]["steps"][1] == {"run": restore}
    assert team["apply"]["steps"][0] == {"run": restore}
