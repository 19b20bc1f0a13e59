"""The plan guard refuses a plan that destroys or replaces a tenant's data, and nothing else.

Plans are hand-written in the format of `tofu show -json` / `terraform show -json`, small
enough to read; the last test makes the real engine write one, to pin that format.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.paths import PROJECT_ROOT
from tools.plan_guard import (
    PlannedChange,
    main,
    marked_in_plan,
    planned_changes,
    read_plan,
    tenant_namespaces,
)

#: In every fixture's before and after: it must never reach the output.
PASSWORD = "s3cr3t-Pa55word-never-printed"

DATABASE = "helm_release.Team_Database_Cluster_C87499C4"
CACHE = "helm_release.Team_Cache_Release_0A1B2C3D"
APPS_NAMESPACE = "kubernetes_namespace_v1.Team_Namespace_7BEF1672"
HOST_NAMESPACE = "kubernetes_namespace_v1.team-a_Namespace_A4E32001"
VCLUSTER = "helm_release.team-a_Release_40E8423B"

DEPLOYED_ETCD_VALUES = (
    "controlPlane:\n  backingStore:\n    etcd:\n      deploy:\n        enabled: true\n"
    "        statefulSet:\n          highAvailability:\n            replicas: 3\n"
)


def release(name: str, chart: str, namespace: str, values: str = "") -> dict[str, Any]:
    """A helm_release as the plan records it, with a secret in it as ours have."""
    return {
        "name": name,
        "chart": chart,
        "namespace": namespace,
        "values": [values or f"password: {PASSWORD}\n"],
        "set_sensitive": [{"name": "auth.password", "value": PASSWORD}],
    }


def namespace(name: str) -> dict[str, Any]:
    return {"id": name, "metadata": [{"name": name, "labels": {"secret": PASSWORD}}]}


def change(
    address: str,
    actions: list[str],
    before: dict[str, Any] | None,
    *,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    replace_paths: list[list[Any]] | None = None,
) -> dict[str, Any]:
    kind, name = address.split(".", 1)
    entry: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {
            "actions": actions,
            "before": before,
            "after": after if after is not None else (before if "create" in actions else None),
        },
    }
    if replace_paths is not None:
        entry["change"]["replace_paths"] = replace_paths
    if reason is not None:
        entry["action_reason"] = reason
    return entry


def plan_of(*changes: dict[str, Any], marked: bool = False) -> dict[str, Any]:
    outputs = {"decommissioning": {"sensitive": False, "type": "bool", "value": True}}
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"outputs": outputs if marked else {}, "root_module": {}},
        "resource_changes": list(changes),
        "configuration": {"root_module": {}},
    }


def database(**overrides: Any) -> dict[str, Any]:
    return release("team-a", "cluster", "team-a-apps") | overrides


def renamed_database() -> dict[str, Any]:
    return change(
        DATABASE,
        ["delete", "create"],
        database(),
        after=database(name="team-a-db"),
        reason="replace_because_cannot_update",
        replace_paths=[["name"]],
    )


class Guard:
    """Runs the guard's command line on a plan written to a file, as Atlantis does."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp_path = tmp_path
        self.capsys = capsys

    def __call__(self, plan: dict[str, Any] | str, *args: str) -> tuple[int, str, str]:
        path = self.tmp_path / "plan.json"
        path.write_text(plan if isinstance(plan, str) else json.dumps(plan), encoding="utf-8")
        code = main([str(path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def guard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Guard:
    return Guard(tmp_path, capsys)


def refused_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("fail: ")]


# --- refused ----------------------------------------------------------------------------


def test_refuses_replacing_a_database_release_and_names_the_attribute_that_forces_it(
    guard: Guard,
) -> None:
    code, out, _ = guard(plan_of(renamed_database()), "--stack", "team-a")
    assert code == 1
    (line,) = refused_lines(out)
    assert line.startswith(f"fail: {DATABASE} would be replaced because name changed: ")
    assert "tenant team-a's PostgreSQL database, and its data goes with it" in line
    assert "set `decommission: true` on tenant team-a and apply that first" in line
    assert "(README.md, 'Decommissioning')" in line


def test_refuses_deleting_a_cache_release(guard: Guard) -> None:
    cache = release("cache", "valkey", "team-b-apps")
    deleted = change(CACHE, ["delete"], cache, reason="delete_because_no_resource_config")
    code, out, _ = guard(plan_of(deleted), "--stack", "team-b")
    assert code == 1
    (line,) = refused_lines(out)
    assert f"{CACHE} would be destroyed because the configuration no longer has it" in line
    assert "tenant team-b's cache" in line


def test_refuses_replacing_the_tenants_apps_namespace(guard: Guard) -> None:
    replaced = change(
        APPS_NAMESPACE,
        ["create", "delete"],
        namespace("team-a-apps"),
        after=namespace("team-a-data"),
        reason="replace_because_cannot_update",
        replace_paths=[["metadata", 0, "name"]],
    )
    code, out, _ = guard(plan_of(replaced), "--stack", "team-a")
    assert code == 1
    (line,) = refused_lines(out)
    assert f"{APPS_NAMESPACE} would be replaced because metadata[0].name changed" in line
    assert "tenant team-a's apps namespace" in line


def test_a_namespace_is_refused_for_what_the_plan_shows_it_holds(guard: Guard) -> None:
    deleted = change(APPS_NAMESPACE, ["delete"], namespace("team-a-apps"))
    kept = change(DATABASE, ["no-op"], database())
    code, out, _ = guard(plan_of(deleted, kept), "--stack", "team-a")
    assert code == 1
    (line,) = refused_lines(out)
    assert "the namespace that holds tenant team-a's PostgreSQL database" in line


def test_refuses_deleting_the_host_namespace_and_the_vcluster_with_its_store(
    guard: Guard,
) -> None:
    plan = plan_of(
        change(HOST_NAMESPACE, ["delete"], namespace("vcluster-team-a")),
        change(VCLUSTER, ["delete"], release("team-a", "vcluster", "vcluster-team-a")),
    )
    code, out, _ = guard(plan, "--stack", "vcluster-team-a")
    assert code == 1
    namespace_line, vcluster_line = refused_lines(out)
    assert namespace_line.startswith(f"fail: {HOST_NAMESPACE} would be destroyed: ")
    assert "holds tenant team-a's virtual cluster" in namespace_line
    assert (
        "tenant team-a's virtual cluster, and its backing store (embedded-sqlite, in the "
        "control plane's volume) is inside it"
    ) in vcluster_line
    # Without --catalog the mark comes from the plan, and a vcluster stack's never carries it.
    assert "run with --catalog platform.yaml" in vcluster_line


def test_names_a_deployed_etcd_as_the_store_the_vcluster_takes_with_it(guard: Guard) -> None:
    vcluster = release("team-a", "vcluster", "vcluster-team-a", values=DEPLOYED_ETCD_VALUES)
    replaced = change(VCLUSTER, ["delete", "create"], vcluster, reason="replace_by_request")
    code, out, _ = guard(plan_of(replaced), "--stack", "vcluster-team-a")
    assert code == 1
    (line,) = refused_lines(out)
    assert "replaced because the plan was asked to replace it (-replace)" in line
    assert "(deployed-etcd, in its etcd members' volumes)" in line


def test_refuses_deleting_a_persistent_volume_claim(guard: Guard) -> None:
    claim = {"metadata": [{"name": "data", "namespace": "team-a-apps"}]}
    deleted = change("kubernetes_persistent_volume_claim_v1.Data", ["delete"], claim)
    code, out, _ = guard(plan_of(deleted), "--stack", "team-a")
    assert code == 1
    assert "a persistent volume claim" in refused_lines(out)[0]


def test_a_host_stack_has_no_tenant_whose_mark_could_lift_a_refusal(guard: Guard) -> None:
    claim = {"metadata": [{"name": "data", "namespace": "kube-system"}]}
    deleted = change("kubernetes_persistent_volume_claim_v1.Data", ["delete"], claim)
    code, out, _ = guard(plan_of(deleted, marked=True), "--stack", "kind-cluster")
    assert code == 1
    assert "a policy owner approves it (`atlantis approve_policies`)" in refused_lines(out)[0]


# --- allowed ----------------------------------------------------------------------------


def test_refuses_upgrading_a_database_release_to_another_chart(guard: Guard) -> None:
    # The helm provider replaces a release only for name and namespace: a new chart is an
    # in-place `helm upgrade`, and Helm deletes the old chart's Cluster with its volumes.
    switched = change(DATABASE, ["update"], database(), after=database(chart="postgresql"))
    code, out, _ = guard(plan_of(switched), "--stack", "team-a")
    assert code == 1
    (line,) = refused_lines(out)
    assert line.startswith(
        f"fail: {DATABASE} would be upgraded in place to another chart (Helm deletes what the "
        "old one made): it is tenant team-a's PostgreSQL database"
    )


def test_allows_a_chart_moving_to_another_repository_under_its_name(guard: Guard) -> None:
    moved = change(
        DATABASE, ["update"], database(), after=database(chart="oci://ghcr.io/acme/cluster")
    )
    code, _, _ = guard(plan_of(moved), "--stack", "team-a")
    assert code == 0


def test_allows_updating_a_database_release_in_place(guard: Guard) -> None:
    updated = change(DATABASE, ["update"], database(), after=database(timeout=600))
    code, out, _ = guard(plan_of(updated), "--stack", "team-a")
    assert (code, out) == (
        0,
        "plan guard: 1 change checked, no stateful resource destroyed or replaced\n",
    )


def test_allows_deleting_a_stateless_resource(guard: Guard) -> None:
    deployment = {"metadata": [{"name": "app", "namespace": "team-a-apps"}]}
    deleted = change(
        "kubernetes_deployment_v1.Team_App_Deployment_7E6DEF42", ["delete"], deployment
    )
    code, out, _ = guard(
        plan_of(deleted, change(DATABASE, ["no-op"], database())), "--stack", "team-a"
    )
    assert code == 0
    assert "1 change checked, no stateful resource destroyed or replaced" in out


def test_allows_destroying_the_data_of_a_tenant_the_catalog_marks(
    guard: Guard, tmp_path: Path
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text("teams:\n  - name: team-a\n    decommission: true\n", encoding="utf-8")
    code, out, _ = guard(
        plan_of(renamed_database()), "--stack", "team-a", "--catalog", str(catalog)
    )
    assert code == 0
    assert "allowed: the tenant is marked for decommissioning" in out


def test_the_catalog_decides_over_the_plan_when_both_are_given(
    guard: Guard, tmp_path: Path
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text("teams:\n  - name: team-a\n", encoding="utf-8")
    plan = plan_of(renamed_database(), marked=True)
    code, _, _ = guard(plan, "--stack", "team-a", "--catalog", str(catalog))
    assert code == 1


def test_allows_destroying_the_data_of_a_tenant_whose_plan_carries_the_mark(
    guard: Guard,
) -> None:
    code, out, _ = guard(plan_of(renamed_database(), marked=True), "--stack", "team-a")
    assert code == 0
    assert "1 stateful resource(s) destroyed or replaced, allowed" in out


def test_reads_the_mark_from_the_configuration_when_planned_values_lack_it() -> None:
    plan = plan_of()
    plan["configuration"]["root_module"]["outputs"] = {
        "decommissioning": {"expression": {"constant_value": True}}
    }
    assert marked_in_plan(plan)
    assert not marked_in_plan(plan_of())


def test_the_stack_is_the_current_directory_by_default(
    guard: Guard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "team-a"
    stack_dir.mkdir(parents=True)
    monkeypatch.chdir(stack_dir)
    _, out, _ = guard(plan_of(renamed_database()))
    assert "on tenant team-a and apply" in out


# --- output -----------------------------------------------------------------------------


def test_never_prints_a_value_from_the_plan(guard: Guard) -> None:
    """Secrets sit in values, set_sensitive and labels; a set element's path step is the
    element itself, so even the path must stop short of it."""
    replaced = change(
        DATABASE,
        ["delete", "create"],
        database(),
        after=database(set_sensitive=[{"name": "auth.password", "value": "new"}]),
        reason="replace_because_cannot_update",
        replace_paths=[["set_sensitive", {"name": "auth.password", "value": PASSWORD}, "value"]],
    )
    namespace_change = change(
        APPS_NAMESPACE,
        ["delete", "create"],
        namespace("team-a-apps"),
        reason="replace_because_cannot_update",
        replace_paths=[["metadata", 0, "labels", "secret"], [PASSWORD]],
    )
    code, out, err = guard(plan_of(replaced, namespace_change), "--stack", "team-a")
    assert code == 1
    assert PASSWORD not in out + err
    assert "because set_sensitive changed" in out
    assert "because metadata[0].labels.secret changed" in out


def test_atlantis_reads_fail_only_from_a_refusal(guard: Guard) -> None:
    """Atlantis' custom policy check fails on "fail" anywhere in the output: a passing run
    prints no names, so a tenant called `failover` passes."""
    _, refused, _ = guard(plan_of(renamed_database()), "--stack", "team-a")
    assert refused.splitlines()[0].startswith("fail: ")
    safe = plan_of(change(DATABASE.replace("team", "failover"), ["update"], database()))
    code, passed, err = guard(safe, "--stack", "failover")
    assert code == 0
    assert "fail" not in (passed + err).lower()


# --- unreadable input -------------------------------------------------------------------

UNREADABLE = [
    pytest.param(None, "no such file", id="missing"),
    pytest.param("{not json", "not JSON (line 1)", id="not-json"),
    pytest.param('["a", "list"]', "JSON, but not of a plan", id="not-a-plan"),
    pytest.param(
        '{"format_version": "1.0", "values": {}}', "JSON of state, not of a plan", id="state"
    ),
    pytest.param(
        '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {}}]}',
        "resource_changes[0] has no address or change.actions",
        id="change-without-actions",
    ),
]


@pytest.mark.parametrize(("text", "says"), UNREADABLE)
def test_a_plan_that_cannot_be_read_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, says: str
) -> None:
    path = tmp_path / "plan.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert main([str(path), "--stack", "team-a"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"error: {path}: ")
    assert says in line
    assert "tofu show -json" in line or "fix the plan" in line


def test_a_catalog_that_cannot_be_read_exits_2(guard: Guard, tmp_path: Path) -> None:
    code, out, err = guard(plan_of(), "--stack", "team-a", "--catalog", str(tmp_path / "no.yaml"))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {tmp_path / 'no.yaml'}: catalog file not found")


# --- the names it guards are the app's ---------------------------------------------------


def test_the_namespaces_it_knows_by_name_are_those_the_stacks_create() -> None:
    created = set()
    for stack in ("team-a", "vcluster-team-a"):
        synthesized = json.loads(
            (PROJECT_ROOT / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text()
        )
        for resource in synthesized["resource"]["kubernetes_namespace_v1"].values():
            created.add(resource["metadata"]["name"])
    assert set(tenant_namespaces("team-a")) <= created


# --- the real engine's format -------------------------------------------------------------


def engine() -> str | None:
    return shutil.which("tofu") or shutil.which("terraform")


ENGINE_CONFIG = """
variable "generation" { default = "1" }
resource "terraform_data" "Team_Database_Cluster" {
  triggers_replace = [var.generation]
  input            = { password = "%s" }
}
resource "terraform_data" "Team_Cache_Release" {}
output "decommissioning" { value = true }
"""


@pytest.mark.skipif(engine() is None, reason="neither tofu nor terraform is on PATH")
def test_reads_the_plan_the_real_engine_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terraform_data (built in: no provider to download) named like a database is not
    stateful, but its replacement and a deletion parse as the engine reports them."""
    binary = engine()
    assert binary
    env = {k: v for k, v in os.environ.items() if k != "TF_CLI_CONFIG_FILE"}
    env |= {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}

    def run(*args: str) -> str:
        result = subprocess.run(
            [binary, *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    config = tmp_path / "main.tf"
    config.write_text(ENGINE_CONFIG % PASSWORD, encoding="utf-8")
    run("init")
    run("apply", "-auto-approve")
    config.write_text(
        config.read_text().replace('resource "terraform_data" "Team_Cache_Release" {}', "")
    )
    run("plan", "-out=plan.tfplan", "-var", "generation=2")
    (tmp_path / "plan.json").write_text(run("show", "-json", "plan.tfplan"))

    plan = read_plan(tmp_path / "plan.json")
    assert sorted(planned_changes(plan), key=lambda c: c.address) == [
        PlannedChange(
            address="terraform_data.Team_Cache_Release",
            type="terraform_data",
            actions=("delete",),
            reason="delete_because_no_resource_config",
        ),
        PlannedChange(
            address="terraform_data.Team_Database_Cluster",
            type="terraform_data",
            actions=("delete", "create"),
            reason="replace_because_cannot_update",
            replaced_because=("triggers_replace",),
        ),
    ]
    assert marked_in_plan(plan)
    assert main([str(tmp_path / "plan.json"), "--stack", "team-a"]) == 0
    out, _ = capsys.readouterr()
    assert out == "plan guard: 2 changes checked, no stateful resource destroyed or replaced\n"
