"""The deploy rehearsal: `cdktf deploy '*'` through the real engine against stand-in providers.

Runs the real cdktf CLI and the engine on PATH (OpenTofu if installed, else Terraform) with
every provider replaced by a stand-in that serves the pinned provider's schema. Each check of
the six scenarios is a test of its own; the negative controls show that the stand-ins make
the engine refuse what a real provider would refuse, that a stack given the wrong host's
kubeconfig is caught, that a read of an object its cluster does not have fails, and that the
stand-ins replace what the real providers replace (without their rules, a renamed database
release is an update the plan guard lets through).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from catalog.loader import load_catalog, parse_catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command
from tools import plan_guard
from tools.rehearsal import __main__ as rehearse
from tools.rehearsal import mirror
from tools.rehearsal.mirror import STAND_INS, schema_of
from tools.rehearsal.replacements import (
    REPLACING,
    AttributePath,
    changed_unless_empty_to_null,
    changed_unless_values_null,
    replaced_paths,
)
from tools.rehearsal.run import (
    INSTALL_OPENTOFU,
    Engine,
    find_engine,
    hosts_holding,
    placement_problems,
    read_journal,
)
from tools.rehearsal.scenarios import (
    DAY_TWO_CATALOG,
    HOST_SERVICES_CATALOG,
    Progress,
    Report,
    day_two_catalog,
    fleet_catalog,
    host_services_catalog,
    kubeconfig,
    rehearse_day_two,
    rehearse_existing_host,
    rehearse_fleet,
    rehearse_host_services,
    rehearse_kind_host,
    rehearse_team_data,
)
from tools.rehearsal.standin import CLUSTER_OBJECTS_ENV, JOURNAL_ENV, cluster_object
from tools.rehearsal.values import UNKNOWN

pytestmark = pytest.mark.rehearsal

KIND_HOST_CHECKS = [
    "first deploy: every stack's state holds exactly its JSON's resources",
    "first deploy: every cross-stack output was read",
    "first deploy: stacks applied in dependency order",
    "first deploy: kubeconfig files exist with mode 0600",
    "validate passes on every stack",
    "a plan after the deploy shows no changes",
    "a second deploy changes nothing",
    "restore-kubeconfigs rebuilds every team kubeconfig from state",
    "adding a team deploys only the stacks whose JSON changed",
    "after adding a team: every stack's state holds exactly its JSON's resources",
    "after adding a team: every cross-stack output was read",
    "after adding a team: stacks applied in dependency order",
    "after adding a team: kubeconfig files exist with mode 0600",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
]
EXISTING_HOST_CHECKS = [
    "first deploy: every stack's state holds exactly its JSON's resources",
    "first deploy: every cross-stack output was read",
    "first deploy: stacks applied in dependency order",
    "first deploy: kubeconfig files exist with mode 0600",
    "a second deploy changes nothing",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
]
FLEET_CHECKS = [
    "first deploy: every stack's state holds exactly its JSON's resources",
    "first deploy: every cross-stack output was read",
    "first deploy: stacks applied in dependency order",
    "first deploy: kubeconfig files exist with mode 0600",
    "first deploy: every tenant is on the host it is placed on",
    "adding a tenant deploys its two stacks and no other",
    "after adding a tenant: a plan of every other stack shows no changes",
    "after adding a tenant: every tenant is on the host it is placed on",
    "the data guard lets a tenant without a database move",
    "the data guard refuses moving a tenant with a database",
    "moving a tenant: destroying its stacks on the old host leaves nothing of it there",
    "moving a tenant deploys its two stacks and no other",
    "after the move: the new host holds the moved tenant, the old host nothing of it",
    "after the move: every stack's state holds exactly its JSON's resources",
    "after the move: every cross-stack output was read",
    "after the move: stacks applied in dependency order",
    "after the move: kubeconfig files exist with mode 0600",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
    "destroy leaves nothing on any host",
]
TEAM_DATA_CHECKS = [
    "a team with backups deploys",
    "a new tenant restores from it",
    "a replacing change is refused by the plan guard before apply",
    "the data guard passes the renamed release (it cannot see it)",
    "the state after a refused apply still holds every resource",
    "a decommissioned tenant passes",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
]
HOST_SERVICES_CHECKS = [
    "first deploy: every stack's state holds exactly its JSON's resources",
    "first deploy: every cross-stack output was read",
    "first deploy: stacks applied in dependency order",
    "first deploy: kubeconfig files exist with mode 0600",
    "installed services: each pinned chart, and the platform's objects applied after it",
    "provided services: no release, only reads of the named objects on their host",
    "tenants: their vcluster applied after their host's services",
    "tenants: the TLS route names the Gateway read through the services stack's state",
    "every object reached its host's API server",
    "a provided object that is not there fails the plan, naming it",
    "with the object back, the plan shows no changes",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
    "destroy leaves nothing on any host",
]
DAY_TWO_CHECKS = [
    "first deploy: every stack's state holds exactly its JSON's resources",
    "first deploy: every cross-stack output was read",
    "first deploy: stacks applied in dependency order",
    "first deploy: kubeconfig files exist with mode 0600",
    "identity: the team's group bound to its role, the vcluster's API server trusting the issuer",
    "identity: every negative control is caught",
    "exposure: the app's listener and certificate on the Gateway, its route through the Gateway "
    "read from state, the gateway let in",
    "exposure: every negative control is caught",
    "monitoring: the vcluster's ServiceMonitor, PodMonitors for the database and the cache, the "
    "cache's exporter",
    "monitoring: every negative control is caught",
    "GitOps: the vcluster registered in Argo CD with its own credentials, its AppProject and "
    "Application",
    "GitOps: every negative control is caught",
    "backup keys: ExternalSecret, SecretStore and PushSecret through the host's store",
    "backup keys: every negative control is caught",
    "every object reached its host's API server, the team's its vcluster's",
    "placement: every negative control is caught",
    "destroy empties every state",
    "destroy runs in reverse dependency order",
    "destroy removes the kubeconfig files",
    "destroy leaves nothing on any host",
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    found = find_engine()
    if found is None:
        pytest.skip(f"no tofu or terraform on PATH; install OpenTofu: {INSTALL_OPENTOFU}")
    return found


@pytest.fixture(scope="module")
def kind_host(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    catalog = (PROJECT_ROOT / "platform.yaml").read_text(encoding="utf-8")
    return rehearse_kind_host(tmp_path_factory.mktemp("kind"), engine, catalog)


@pytest.fixture(scope="module")
def existing_host(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return rehearse_existing_host(tmp_path_factory.mktemp("existing"), engine)


@pytest.fixture(scope="module")
def fleet(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return rehearse_fleet(tmp_path_factory.mktemp("fleet"), engine)


@pytest.fixture(scope="module")
def team_data(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return rehearse_team_data(tmp_path_factory.mktemp("team-data"), engine)


@pytest.fixture(scope="module")
def host_services(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return rehearse_host_services(tmp_path_factory.mktemp("host-services"), engine)


@pytest.fixture(scope="module")
def day_two(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return rehearse_day_two(tmp_path_factory.mktemp("day-two"), engine)


def test_the_engine_is_opentofu_when_installed_else_terraform(engine: Engine) -> None:
    expected = "OpenTofu" if shutil.which("tofu") else "Terraform"
    assert engine.name == expected
    assert engine.version != "unknown"


def test_the_kind_host_scenario_runs_every_check(kind_host: Report) -> None:
    assert list(kind_host.checks) == KIND_HOST_CHECKS


@pytest.mark.parametrize("check", KIND_HOST_CHECKS)
def test_kind_host(kind_host: Report, check: str) -> None:
    assert kind_host.checks[check] == []


def test_the_existing_host_scenario_runs_every_check(existing_host: Report) -> None:
    assert list(existing_host.checks) == EXISTING_HOST_CHECKS


@pytest.mark.parametrize("check", EXISTING_HOST_CHECKS)
def test_existing_host(existing_host: Report, check: str) -> None:
    assert existing_host.checks[check] == []


def test_the_fleet_scenario_runs_every_check(fleet: Report) -> None:
    assert list(fleet.checks) == FLEET_CHECKS


@pytest.mark.parametrize("check", FLEET_CHECKS)
def test_fleet(fleet: Report, check: str) -> None:
    assert fleet.checks[check] == []


def test_the_team_data_scenario_runs_every_check(team_data: Report) -> None:
    assert list(team_data.checks) == TEAM_DATA_CHECKS


@pytest.mark.parametrize("check", TEAM_DATA_CHECKS)
def test_team_data(team_data: Report, check: str) -> None:
    assert team_data.checks[check] == []


def test_the_host_services_scenario_runs_every_check(host_services: Report) -> None:
    assert list(host_services.checks) == HOST_SERVICES_CHECKS


@pytest.mark.parametrize("check", HOST_SERVICES_CHECKS)
def test_host_services(host_services: Report, check: str) -> None:
    assert host_services.checks[check] == []


def test_the_host_services_scenario_rehearses_the_fixture() -> None:
    kubeconfigs = {host: Path(f"~/.kube/{host}") for host in ("prod-eu", "prod-us")}
    rehearsed = parse_catalog(host_services_catalog(kubeconfigs))
    assert rehearsed == load_catalog(HOST_SERVICES_CATALOG)


def test_the_day_two_scenario_runs_every_check(day_two: Report) -> None:
    assert list(day_two.checks) == DAY_TWO_CHECKS


@pytest.mark.parametrize("check", DAY_TWO_CHECKS)
def test_day_two(day_two: Report, check: str) -> None:
    assert day_two.checks[check] == []


def test_the_day_two_scenario_rehearses_the_fixture() -> None:
    rehearsed = parse_catalog(day_two_catalog(Path("~/.kube/prod-eu")))
    assert rehearsed == load_catalog(DAY_TWO_CATALOG)


def test_the_command_runs_only_the_scenarios_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ran: list[str] = []

    def scenario(name: str) -> rehearse.Scenario:
        def run(root: Path, engine: Engine, catalog: str, progress: Progress) -> Report:
            ran.append(name)
            return Report(name)

        return run

    for name in rehearse.SCENARIOS:
        monkeypatch.setitem(rehearse.SCENARIOS, name, scenario(name))
    monkeypatch.setattr(rehearse, "find_engine", lambda: Engine("Terraform", "true"))
    assert rehearse.main(["--scenario", "host-services", "--keep", str(tmp_path)]) == 0
    assert ran == ["host-services"]
    assert "rehearsal: 0 of 0 checks hold" in capsys.readouterr().out


def test_the_fleet_scenario_rehearses_the_example_fleet() -> None:
    rehearsed = parse_catalog(fleet_catalog(Path("~/.kube/prod-eu")))
    assert rehearsed == load_catalog(PROJECT_ROOT / "tests" / "fixtures" / "fleet.yaml")


def test_the_command_says_how_to_install_opentofu_when_no_engine_is_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(rehearse, "find_engine", lambda: None)
    assert rehearse.main([]) == 2
    assert capsys.readouterr().err == (
        f"error: neither tofu nor terraform is on PATH; install OpenTofu: {INSTALL_OPENTOFU}\n"
    )


# --- negative controls: the engine, with the stand-ins, refuses what it should ---------------

PROVIDERS = {
    "terraform": {
        "required_providers": {
            "kubernetes": {"source": "hashicorp/kubernetes", "version": "2.38.0"},
        }
    },
}


@pytest.fixture(scope="module")
def cli_config(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mirror.install(tmp_path_factory.mktemp("providers"))


def engine_env(cli_config: Path, home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "HOME": str(home),
        "CHECKPOINT_DISABLE": "1",
    }


def run_engine(
    engine: Engine,
    cli_config: Path,
    stack: Mapping[str, object],
    tmp_path: Path,
    *verbs: str,
    journal: Path | None = None,
    cluster_objects: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "main.tf.json").write_text(json.dumps({**PROVIDERS, **stack}))
    env = engine_env(cli_config, tmp_path)
    if journal is not None:
        env[JOURNAL_ENV] = str(journal)
    if cluster_objects is not None:
        env[CLUSTER_OBJECTS_ENV] = str(cluster_objects)
    result = run_command(
        [engine.binary, "init", "-input=false", "-no-color"], cwd=tmp_path, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for verb in verbs:
        flags = {"plan": ["-input=false"], "apply": ["-input=false", "-auto-approve"]}
        result = run_command(
            [engine.binary, verb, *flags.get(verb, []), "-no-color"],
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
        if result.returncode != 0:
            break
    return result


def namespace(**metadata: object) -> dict[str, object]:
    return {"resource": {"kubernetes_namespace_v1": {"ns": {"metadata": metadata}}}}


#: What the engine must refuse with the stand-ins, as (stack, command, the engine's words).
NEGATIVE_CONTROLS = [
    pytest.param(
        namespace(name="a", labelz={}),
        "validate",
        'No argument or block type is named "labelz". Did you mean "labels"?',
        id="validate-refuses-an-argument-the-provider-does-not-have",
    ),
    pytest.param(
        {"resource": {"kubernetes_namespace_v1": {"ns": {}}}},
        "validate",
        'At least 1 "metadata" blocks are required',
        id="validate-refuses-a-missing-required-block",
    ),
    pytest.param(
        namespace(name="a") | {"output": {"x": {"value": "${kubernetes_namespace_v1.ns.nom}"}}},
        "validate",
        'This object has no argument, nested block, or exported attribute named "nom"',
        id="validate-refuses-a-reference-to-an-attribute-that-does-not-exist",
    ),
    pytest.param(
        {
            "data": {"kubernetes_secret_v1": {"s": {"metadata": {"name": "vc-a"}}}},
            "output": {"config": {"value": "${data.kubernetes_secret_v1.s.data}"}},
        },
        "plan",
        "Output refers to sensitive values",
        id="plan-refuses-an-output-that-shows-a-sensitive-value",
    ),
    pytest.param(
        namespace(name="a") | {"provider": {"kubernetes": [{"config_path": "nowhere.yaml"}]}},
        "plan",
        "stand-in: kubeconfig nowhere.yaml does not exist",
        id="plan-refuses-a-kubeconfig-that-is-not-on-the-deploy-machine",
    ),
]


@pytest.mark.parametrize(("stack", "command", "refusal"), NEGATIVE_CONTROLS)
def test_the_engine_refuses(
    engine: Engine,
    cli_config: Path,
    tmp_path: Path,
    stack: dict[str, object],
    command: str,
    refusal: str,
) -> None:
    result = run_engine(engine, cli_config, stack, tmp_path, command)
    assert result.returncode == 1
    assert refusal in result.stderr.replace("\n", " ")


# --- negative controls: a stack given the wrong host's kubeconfig is caught -----------------

#: Two KIND hosts' API servers, as the fleet scenario reads them from their stacks' state.
SERVERS = {"dev-a": "https://127.0.0.1:40001", "dev-b": "https://127.0.0.1:40002"}


def host_kubeconfigs(directory: Path) -> dict[str, Path]:
    """Each host's own kubeconfig, and one with both contexts whose current one is dev-b's."""
    files = {}
    for host, server in SERVERS.items():
        files[host] = directory / f"{host}.yaml"
        files[host].write_text(kubeconfig({f"kind-{host}": server}, current=f"kind-{host}"))
    files["both"] = directory / "both.yaml"
    contexts = {f"kind-{host}": server for host, server in SERVERS.items()}
    files["both"].write_text(kubeconfig(contexts, current="kind-dev-b"))
    return files


@pytest.mark.parametrize(
    ("kubeconfig_file", "context", "problems"),
    [
        pytest.param("dev-a", "kind-dev-a", [], id="its-own-host-holds-it"),
        pytest.param(
            "dev-b",
            "kind-dev-b",
            ["vcluster-team-a: placed on dev-a, held by dev-b"],
            id="the-other-hosts-kubeconfig-puts-it-there",
        ),
        pytest.param(
            "both",
            None,
            ["vcluster-team-a: placed on dev-a, held by dev-b"],
            id="a-dropped-context-puts-it-on-the-current-one",
        ),
        pytest.param("both", "kind-dev-a", [], id="the-context-picks-its-host"),
    ],
)
def test_a_stack_is_held_by_the_host_whose_kubeconfig_it_was_given(
    engine: Engine,
    cli_config: Path,
    tmp_path: Path,
    kubeconfig_file: str,
    context: str | None,
    problems: list[str],
) -> None:
    files = host_kubeconfigs(tmp_path)
    provider: dict[str, object] = {"config_path": str(files[kubeconfig_file])}
    if context is not None:
        provider["config_context"] = context
    # The journal names the stack after the directory it runs in, as cdktf lays stacks out.
    stack_dir = tmp_path / "vcluster-team-a"
    stack_dir.mkdir()
    journal = tmp_path / "journal.jsonl"
    stack = namespace(name="team-a") | {"provider": {"kubernetes": [provider]}}
    result = run_engine(engine, cli_config, stack, stack_dir, "apply", journal=journal)
    assert result.returncode == 0, result.stdout + result.stderr
    held = hosts_holding(read_journal(journal), SERVERS)
    assert placement_problems(held, {"vcluster-team-a": "dev-a"}) == problems


def test_plan_refuses_a_context_the_kubeconfig_does_not_have(
    engine: Engine, cli_config: Path, tmp_path: Path
) -> None:
    files = host_kubeconfigs(tmp_path)
    provider = {"config_path": str(files["dev-a"]), "config_context": "kind-dev-b"}
    stack = namespace(name="team-a") | {"provider": {"kubernetes": [provider]}}
    result = run_engine(engine, cli_config, stack, tmp_path, "plan")
    assert result.returncode == 1
    assert f"stand-in: context 'kind-dev-b' is not in kubeconfig {files['dev-a']}" in (
        result.stderr.replace("\n", " ")
    )


# --- a read of an object its cluster does not have fails, as with the real provider ----------

GATEWAY = cluster_object("gateway.networking.k8s.io/v1", "Gateway", "shared", "ingress")


@pytest.mark.parametrize(
    ("listing", "found"),
    [
        pytest.param({SERVERS["dev-a"]: [GATEWAY]}, True, id="listed-on-its-cluster"),
        pytest.param({SERVERS["dev-a"]: []}, False, id="not-listed"),
        pytest.param({SERVERS["dev-b"]: [GATEWAY]}, False, id="listed-on-another-cluster-only"),
        pytest.param(None, True, id="without-a-listing-every-object-is-there"),
    ],
)
def test_a_resource_read_finds_only_the_cluster_objects_listed_for_its_cluster(
    engine: Engine,
    cli_config: Path,
    tmp_path: Path,
    listing: dict[str, list[dict[str, str | None]]] | None,
    found: bool,
) -> None:
    files = host_kubeconfigs(tmp_path)
    metadata = {"name": GATEWAY["name"], "namespace": GATEWAY["namespace"]}
    read = {"api_version": GATEWAY["api_version"], "kind": GATEWAY["kind"], "metadata": metadata}
    stack = {
        "provider": {"kubernetes": [{"config_path": str(files["dev-a"])}]},
        "data": {"kubernetes_resource": {"gateway": read}},
    }
    objects = None
    if listing is not None:
        objects = tmp_path / "cluster-objects.json"
        objects.write_text(json.dumps(listing))
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    result = run_engine(engine, cli_config, stack, stack_dir, "plan", cluster_objects=objects)
    said = " ".join(result.stderr.split())
    if found:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        # The real provider returns no object and no error; the engine fails the read.
        assert result.returncode == 1
        assert "a null value for data.kubernetes_resource.gateway." in said


# --- the stand-ins replace what the real providers replace ---------------------------------

#: What forces a replacement, read from each provider's source at the tag we pin (the sources
#: are named next to each rule in tools/rehearsal/replacements.py), in the engine's path shape.
REAL_PROVIDERS: dict[str, dict[str, set[AttributePath]]] = {
    "hashicorp/helm 3.1.1": {"helm_release": {("name",), ("namespace",)}},
    "hashicorp/kubernetes 2.38.0": {
        "kubernetes_namespace_v1": {("metadata", 0, "name"), ("metadata", 0, "generate_name")},
        **{
            type_: {
                ("metadata", 0, "name"),
                ("metadata", 0, "generate_name"),
                ("metadata", 0, "namespace"),
            }
            for type_ in (
                "kubernetes_config_map_v1",
                "kubernetes_limit_range_v1",
                "kubernetes_network_policy_v1",
            )
        },
        "kubernetes_secret_v1": {
            ("metadata", 0, "name"),
            ("metadata", 0, "generate_name"),
            ("metadata", 0, "namespace"),
            ("type",),
        },
        "kubernetes_deployment_v1": {
            ("metadata", 0, "name"),
            ("metadata", 0, "generate_name"),
            ("metadata", 0, "namespace"),
            ("spec", 0, "selector"),
            ("spec", 0, "template", 0, "metadata", 0, "name"),
            ("spec", 0, "template", 0, "metadata", 0, "generate_name"),
            ("spec", 0, "template", 0, "metadata", 0, "namespace"),
        },
        "kubernetes_service_v1": {
            ("metadata", 0, "name"),
            ("metadata", 0, "generate_name"),
            ("metadata", 0, "namespace"),
            ("spec", 0, "cluster_ip"),
            ("spec", 0, "cluster_ips"),
            ("spec", 0, "load_balancer_class"),
            ("spec", 0, "health_check_node_port"),
        },
        "kubernetes_resource_quota_v1": {
            ("metadata", 0, "name"),
            ("metadata", 0, "generate_name"),
            ("metadata", 0, "namespace"),
            ("spec", 0, "scopes"),
        },
    },
    "tehcyx/kind 0.11.0": {
        "kind_cluster": {
            ("name",),
            ("node_image",),
            ("wait_for_ready",),
            ("kubeconfig_path",),
            ("kind_config",),
        }
    },
    "hashicorp/local 2.6.1": {
        "local_sensitive_file": {
            ("content",),
            ("content_base64",),
            ("source",),
            ("filename",),
            ("file_permission",),
            ("directory_permission",),
        },
        "local_file": {
            ("content",),
            ("content_base64",),
            ("sensitive_content",),
            ("source",),
            ("filename",),
            ("file_permission",),
            ("directory_permission",),
        },
    },
    "hashicorp/random 3.7.2": {
        "random_password": {
            (name,)
            for name in (
                "length",
                "special",
                "upper",
                "lower",
                "number",
                "numeric",
                "min_numeric",
                "min_upper",
                "min_lower",
                "min_special",
                "keepers",
                "override_special",
            )
        }
    },
    "hashicorp/time 0.13.1": {"time_sleep": {("triggers",)}},
}
#: Types the provider cannot update at all: every argument of their schema forces a replacement.
EVERY_ARGUMENT = ("kind_cluster", "local_sensitive_file", "local_file")


@pytest.fixture(scope="module")
def blocks() -> dict[str, dict[str, Any]]:
    """Every resource type the stand-ins serve -> its schema block."""
    return {
        type_: entry["block"]
        for stand_in in STAND_INS
        for type_, entry in schema_of(stand_in).get("resource_schemas", {}).items()
    }


@pytest.mark.parametrize("provider", REAL_PROVIDERS)
def test_the_stand_in_replaces_for_what_the_real_provider_replaces_for(provider: str) -> None:
    expected = REAL_PROVIDERS[provider]
    assert {t: {rule.path for rule in REPLACING.get(t, ())} for t in expected} == expected


def test_every_type_with_replacement_rules_is_one_the_research_covers() -> None:
    researched = {t for types in REAL_PROVIDERS.values() for t in types}
    assert set(REPLACING) == researched


def test_the_pinned_versions_are_the_ones_the_research_read() -> None:
    pinned = {f"{s.source} {s.version}" for s in STAND_INS}
    assert set(REAL_PROVIDERS) == pinned


def _walk(block: dict[str, Any], path: AttributePath) -> str | None:
    """Where a rule's path leads in a schema block ('attribute' or 'block'); None if nowhere."""
    step, *rest = path
    if isinstance(step, int):
        return None
    if step in block.get("attributes", {}):
        return "attribute" if not rest else None
    nested = block.get("block_types", {}).get(step)
    if nested is None:
        return None
    if not rest:
        return "block"
    if nested["nesting_mode"] == "list" and isinstance(rest[0], int):
        rest = rest[1:]
    return _walk(nested["block"], tuple(rest)) if rest else "block"


def test_every_rule_names_an_argument_of_the_pinned_schema(
    blocks: dict[str, dict[str, Any]],
) -> None:
    nowhere = [
        (type_, rule.path)
        for type_, rules in REPLACING.items()
        for rule in rules
        if _walk(blocks[type_], rule.path) is None
    ]
    assert nowhere == []


@pytest.mark.parametrize("type_", EVERY_ARGUMENT)
def test_a_resource_without_update_is_replaced_for_every_argument(
    blocks: dict[str, dict[str, Any]], type_: str
) -> None:
    block = blocks[type_]
    # The SDK adds `id` and `timeouts` to every resource: neither is the provider's argument.
    arguments = {
        (name,)
        for name, attribute in block.get("attributes", {}).items()
        if (attribute.get("optional") or attribute.get("required")) and name != "id"
    } | {(name,) for name in block.get("block_types", {}) if name != "timeouts"}
    assert {rule.path for rule in REPLACING[type_]} == arguments


def namespace_state(**metadata: object) -> dict[str, Any]:
    return {"id": "a", "metadata": [{"name": "a", "labels": {"team": "a"}, **metadata}]}


@pytest.mark.parametrize(
    ("type_", "prior", "planned", "replaced"),
    [
        pytest.param(
            "kubernetes_namespace_v1",
            namespace_state(),
            namespace_state(name="b"),
            [("metadata", 0, "name")],
            id="a-renamed-namespace",
        ),
        pytest.param(
            "kubernetes_namespace_v1",
            namespace_state(),
            namespace_state(labels={"team": "b"}),
            [],
            id="a-relabelled-namespace-replaces-nothing",
        ),
        pytest.param(
            "kubernetes_config_map_v1",
            namespace_state(namespace="a-apps"),
            namespace_state(namespace=UNKNOWN),
            [("metadata", 0, "namespace")],
            id="an-object-whose-namespace-is-known-only-after-apply",
        ),
        pytest.param(
            "kubernetes_deployment_v1",
            {"spec": [{"selector": [{"match_labels": {"app": "a"}}], "replicas": "1"}]},
            {"spec": [{"selector": [{"match_labels": {"app": "b"}}], "replicas": "1"}]},
            [("spec", 0, "selector", 0, "match_labels")],
            id="a-deployment-whose-selector-changed",
        ),
        pytest.param(
            "kubernetes_deployment_v1",
            {"spec": [{"selector": [{"match_labels": {"app": "a"}}], "replicas": "1"}]},
            {"spec": [{"selector": [{"match_labels": {"app": "a"}}], "replicas": "2"}]},
            [],
            id="a-scaled-deployment-replaces-nothing",
        ),
        pytest.param(
            "helm_release",
            {"name": "postgres", "namespace": "a", "chart": "cluster", "values": ["a: 1"]},
            {"name": "postgres", "namespace": "a", "chart": "other", "values": ["a: 2"]},
            [],
            id="a-release-upgraded-to-other-values-and-chart-replaces-nothing",
        ),
        pytest.param(
            "helm_release",
            {"name": "postgres", "namespace": "a", "chart": "cluster"},
            {"name": "db", "namespace": "b", "chart": "cluster"},
            [("name",), ("namespace",)],
            id="a-renamed-and-moved-release",
        ),
        pytest.param(
            "time_sleep",
            {"create_duration": "30s", "triggers": None},
            {"create_duration": "60s", "triggers": None},
            [],
            id="a-sleep-of-another-duration-replaces-nothing",
        ),
        pytest.param(
            "time_sleep",
            {"create_duration": "30s", "triggers": {"chart": "1"}},
            {"create_duration": "30s", "triggers": {"chart": "2"}},
            [("triggers",)],
            id="a-sleep-whose-triggers-changed",
        ),
        pytest.param(
            "local_sensitive_file",
            {"filename": "a.yaml", "content": "a"},
            {"filename": "a.yaml", "content": "b"},
            [("content",)],
            id="a-file-with-new-content",
        ),
    ],
)
def test_a_change_is_replaced_for_the_paths_the_real_provider_reports(
    blocks: dict[str, dict[str, Any]],
    type_: str,
    prior: dict[str, Any],
    planned: dict[str, Any],
    replaced: list[AttributePath],
) -> None:
    assert replaced_paths(type_, blocks[type_], prior, planned) == replaced


def test_a_created_resource_replaces_nothing(blocks: dict[str, dict[str, Any]]) -> None:
    block = blocks["helm_release"]
    assert replaced_paths("helm_release", block, None, {"name": "postgres"}) == []


@pytest.mark.parametrize(
    ("prior", "planned", "replaces"),
    [
        (None, None, False),
        (None, {"a": None}, False),
        (None, {"a": "1"}, True),
        ({"a": "1"}, {"a": "1", "b": None}, False),
        ({"a": "1"}, {"a": "2"}, True),
        ({"a": "1"}, {}, True),
        ({"a": "1"}, UNKNOWN, True),
        (None, UNKNOWN, False),
    ],
)
def test_random_keepers_replace_unless_only_null_values_changed(
    prior: Any, planned: Any, replaces: bool
) -> None:
    assert changed_unless_values_null(prior, planned) is replaces


@pytest.mark.parametrize(
    ("prior", "planned", "replaces"),
    [
        ("", None, False),
        ("!", None, True),
        (None, "!", True),
        ("!", "#", True),
        ("!", UNKNOWN, False),
    ],
)
def test_random_override_special_replaces_unless_empty_to_null(
    prior: Any, planned: Any, replaces: bool
) -> None:
    assert changed_unless_empty_to_null(prior, planned) is replaces


# --- ... through the real engine: a saved plan's actions and replace_paths -----------------

#: A tenant's database release and its namespace, as a team stack deploys them.
DATA_STACK: dict[str, Any] = {
    "terraform": {
        "required_providers": {
            "kubernetes": {"source": "hashicorp/kubernetes", "version": "2.38.0"},
            "helm": {"source": "hashicorp/helm", "version": "3.1.1"},
        }
    },
    "resource": {
        "kubernetes_namespace_v1": {
            "apps": {"metadata": {"name": "team-a-apps", "labels": {"team": "team-a"}}}
        },
        "helm_release": {
            "db": {
                "name": "postgres",
                "namespace": "team-a-apps",
                "chart": "cluster",
                "values": ["backups:\n  enabled: true\n"],
            }
        },
    },
}

Edit = Callable[[dict[str, Any]], None]


def renamed_release(stack: dict[str, Any]) -> None:
    stack["resource"]["helm_release"]["db"]["name"] = "postgres-renamed"


def moved_release(stack: dict[str, Any]) -> None:
    stack["resource"]["helm_release"]["db"]["namespace"] = "team-a-data"


def renamed_namespace(stack: dict[str, Any]) -> None:
    stack["resource"]["kubernetes_namespace_v1"]["apps"]["metadata"]["name"] = "team-a-app"


def relabelled_namespace(stack: dict[str, Any]) -> None:
    stack["resource"]["kubernetes_namespace_v1"]["apps"]["metadata"]["labels"]["tier"] = "gold"


def new_values(stack: dict[str, Any]) -> None:
    stack["resource"]["helm_release"]["db"]["values"] = ["backups:\n  enabled: false\n"]


def another_chart(stack: dict[str, Any]) -> None:
    stack["resource"]["helm_release"]["db"]["chart"] = "valkey"


def saved_plan(engine: Engine, cli_config: Path, directory: Path, stack: Mapping[str, Any]) -> Path:
    """`plan -out` of `stack` in `directory` (already applied), and its `show -json` file."""
    (directory / "main.tf.json").write_text(json.dumps(stack))
    env = engine_env(cli_config, directory)
    for argv in (["plan", "-input=false", "-out=plan.tfplan"], ["show", "-json", "plan.tfplan"]):
        result = run_command([engine.binary, *argv, "-no-color"], cwd=directory, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    plan_json = directory / "plan.json"
    plan_json.write_text(result.stdout)
    return plan_json


def planned(plan_json: Path, address: str) -> dict[str, Any]:
    plan = json.loads(plan_json.read_text())
    (change,) = (c["change"] for c in plan["resource_changes"] if c["address"] == address)
    return dict(change)


def applied_data_stack(engine: Engine, cli_config: Path, directory: Path) -> Path:
    result = run_engine(engine, cli_config, DATA_STACK, directory, "apply")
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


@pytest.fixture(scope="module")
def data_stack(engine: Engine, cli_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DATA_STACK, applied with the stand-ins: each test plans a change to it (never applies)."""
    return applied_data_stack(engine, cli_config, tmp_path_factory.mktemp("data-stack"))


@pytest.mark.parametrize(
    ("edit", "address", "actions", "replace_paths"),
    [
        pytest.param(
            renamed_release,
            "helm_release.db",
            ["delete", "create"],
            [["name"]],
            id="a-renamed-release-is-replaced",
        ),
        pytest.param(
            moved_release,
            "helm_release.db",
            ["delete", "create"],
            [["namespace"]],
            id="a-release-in-another-namespace-is-replaced",
        ),
        pytest.param(
            renamed_namespace,
            "kubernetes_namespace_v1.apps",
            ["delete", "create"],
            [["metadata", 0, "name"]],
            id="a-renamed-namespace-is-replaced",
        ),
        pytest.param(
            relabelled_namespace,
            "kubernetes_namespace_v1.apps",
            ["update"],
            None,
            id="a-relabelled-namespace-is-updated-in-place",
        ),
        pytest.param(
            new_values,
            "helm_release.db",
            ["update"],
            None,
            id="a-release-with-new-values-is-upgraded-in-place",
        ),
        pytest.param(
            another_chart,
            "helm_release.db",
            ["update"],
            None,
            id="a-release-of-another-chart-is-upgraded-in-place",
        ),
    ],
)
def test_the_engine_plans_the_change_as_the_real_provider_would(
    engine: Engine,
    cli_config: Path,
    data_stack: Path,
    edit: Edit,
    address: str,
    actions: list[str],
    replace_paths: list[list[object]] | None,
) -> None:
    stack = copy.deepcopy(DATA_STACK)
    edit(stack)
    change = planned(saved_plan(engine, cli_config, data_stack, stack), address)
    assert change["actions"] == actions
    assert change.get("replace_paths") == replace_paths


def _guard(plan_json: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = plan_guard.main([str(plan_json), "--stack", "team-a"])
    return code, capsys.readouterr().out


def test_the_plan_guard_refuses_the_renamed_release_the_stand_ins_replace(
    engine: Engine, cli_config: Path, data_stack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = copy.deepcopy(DATA_STACK)
    renamed_release(stack)
    code, out = _guard(saved_plan(engine, cli_config, data_stack, stack), capsys)
    assert code == 1
    assert "fail: helm_release.db would be replaced because name changed" in out


@pytest.fixture(scope="module")
def cli_config_without_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror whose stand-ins know no argument that forces a replacement."""
    scratch = tmp_path_factory.mktemp("no-rules")
    python = scratch / "python-without-rules"
    python.write_text(
        "#!/bin/sh\n"
        "# Called as `python -m tools.rehearsal.standin SCHEMA`.\n"
        f'exec {sys.executable} -c "import sys; '
        "from tools.rehearsal import replacements, standin; "
        "replacements.REPLACING.clear(); "
        'sys.exit(standin.main(sys.argv[3:]))" "$@"\n'
    )
    python.chmod(0o755)
    return mirror.install(scratch / "providers", python=str(python))


def test_without_the_rules_a_renamed_release_is_an_update_the_plan_guard_lets_through(
    engine: Engine,
    cli_config_without_rules: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    applied_data_stack(engine, cli_config_without_rules, tmp_path)
    stack = copy.deepcopy(DATA_STACK)
    renamed_release(stack)
    plan_json = saved_plan(engine, cli_config_without_rules, tmp_path, stack)
    assert planned(plan_json, "helm_release.db")["actions"] == ["update"]
    code, out = _guard(plan_json, capsys)
    assert (code, "fail:" in out) == (0, False)
