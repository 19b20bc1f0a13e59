"""The deploy rehearsal: `cdktf deploy '*'` through the real engine against stand-in providers.

Runs the real cdktf CLI and the engine on PATH (OpenTofu if installed, else Terraform) with
every provider replaced by a stand-in that serves the pinned provider's schema. Each check of
the three scenarios is a test of its own; the negative controls show that the stand-ins make
the engine refuse what a real provider would refuse, and that a stack given the wrong host's
kubeconfig is caught.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from catalog.loader import load_catalog, parse_catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command
from tools.rehearsal import __main__ as rehearse
from tools.rehearsal import mirror
from tools.rehearsal.run import (
    INSTALL_OPENTOFU,
    Engine,
    find_engine,
    hosts_holding,
    placement_problems,
    read_journal,
)
from tools.rehearsal.scenarios import (
    Report,
    fleet_catalog,
    kubeconfig,
    rehearse_existing_host,
    rehearse_fleet,
    rehearse_kind_host,
)
from tools.rehearsal.standin import JOURNAL_ENV

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


def run_engine(
    engine: Engine,
    cli_config: Path,
    stack: Mapping[str, object],
    tmp_path: Path,
    *verbs: str,
    journal: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "main.tf.json").write_text(json.dumps({**PROVIDERS, **stack}))
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "HOME": str(tmp_path),
        "CHECKPOINT_DISABLE": "1",
    }
    if journal is not None:
        env[JOURNAL_ENV] = str(journal)
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
