"""One rehearsal workspace: a scratch checkout, stand-in providers, and the real CLI and engine.

Everything happens under the workspace's own directory: the checkout copy, its state, its
kubeconfig files, the provider mirror and the CLI configuration. The user's checkout, state,
kubeconfigs and Terraform configuration are never read or written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from constructs_lib.paths import PROJECT_ROOT
from synthesis.inputs import copy_app_code
from synthesis.quiet_jsii import QUIET_JSII_ENV
from tools.rehearsal import mirror
from tools.rehearsal.standin import CLUSTER_OBJECTS_ENV, JOURNAL_ENV

#: Any single CLI or engine command; a rehearsal that hangs is a failure, not a wait.
COMMAND_TIMEOUT_S: Final = 600

_REMOTE_OUTPUT = re.compile(r"\$\{data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)")

INSTALL_OPENTOFU: Final = 'tenv tofu install "$(cat .tenv.tofu.version)"'


class RehearsalError(Exception):
    """A command of the rehearsal failed; the message carries its output."""


@dataclass(frozen=True, slots=True)
class Engine:
    name: str
    """`OpenTofu` or `Terraform`."""
    binary: str

    @property
    def version(self) -> str:
        result = subprocess.run(
            [self.binary, "version", "-json"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env=_without_user_cli_config(os.environ),
        )
        try:
            return str(json.loads(result.stdout)["terraform_version"])
        except (json.JSONDecodeError, KeyError):
            return "unknown"


def find_engine() -> Engine | None:
    """OpenTofu (what users run) when it is on PATH, else Terraform, else nothing."""
    for name, binary in (("OpenTofu", "tofu"), ("Terraform", "terraform")):
        path = shutil.which(binary)
        if path:
            return Engine(name, path)
    return None


def _without_user_cli_config(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k != "TF_CLI_CONFIG_FILE"}


@dataclass(frozen=True, slots=True)
class Change:
    """One change a stand-in applied: in which stack, to which type, create/update/delete."""

    stack: str
    type: str
    action: str
    cluster: str | None = None
    """For a Kubernetes object or Helm release: the API server its provider talked to."""
    object_name: str | None = None
    """For a Kubernetes object or Helm release: `namespace/name`, or `name`."""


def read_journal(journal: Path) -> list[Change]:
    """The changes the stand-ins recorded in `journal`, in the order they applied them."""
    if not journal.exists():
        return []
    lines = journal.read_text(encoding="utf-8").splitlines()
    return [Change(**json.loads(line)) for line in lines if line]


class Workspace:
    """A scratch checkout whose stacks deploy against stand-in providers."""

    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = root
        self.engine = engine
        self.checkout = root / "checkout"
        self.journal = root / "journal.jsonl"
        #: The objects each cluster already has, once `list_cluster_objects` wrote them.
        self.cluster_objects: Path | None = None
        # The app, and the tools for restore-kubeconfigs.
        copy_app_code(self.checkout, extra=("tools",))
        self.cli_config = mirror.install(root / "providers")

    # --- the environment every command of the rehearsal runs in ---------------------

    @property
    def env(self) -> dict[str, str]:
        env = _without_user_cli_config(os.environ)
        env.pop("PLATFORM_CONFIG", None)
        env.pop("CDKTF_OUTDIR", None)
        tools = PROJECT_ROOT / ".tools" / "bin"
        env.update(
            PATH=os.pathsep.join([str(tools), env.get("PATH", "")]),
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TERRAFORM_BINARY_NAME=self.engine.binary,
            TF_IN_AUTOMATION="true",
            CHECKPOINT_DISABLE="1",
            CI="true",
            # The checkout copy has no Pipfile: `pipenv run` in cdktf.json uses the project's.
            PIPENV_PIPFILE=str(PROJECT_ROOT / "Pipfile"),
            PIPENV_VERBOSITY="-1",
            PIPENV_DONT_LOAD_ENV="1",
            **QUIET_JSII_ENV,
        )
        env[JOURNAL_ENV] = str(self.journal)
        env.pop(CLUSTER_OBJECTS_ENV, None)
        if self.cluster_objects is not None:
            env[CLUSTER_OBJECTS_ENV] = str(self.cluster_objects)
        return env

    def _run(self, argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMAND_TIMEOUT_S,
        )

    def _must(self, argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        result = self._run(argv, cwd=cwd)
        if result.returncode != 0:
            raise RehearsalError(
                f"`{' '.join(argv)}` failed (exit {result.returncode}):\n"
                + _plain(result.stdout + result.stderr)[-4000:]
            )
        return result

    # --- what users run ---------------------------------------------------------------

    def use_catalog(self, text: str) -> None:
        (self.checkout / "platform.yaml").write_text(text, encoding="utf-8")

    def list_cluster_objects(self, objects: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """The objects each cluster (by API server) already has, as the stand-ins'
        `data.kubernetes_resource` finds them from now on (`standin.cluster_object`); any
        other object it reads is not there."""
        self.cluster_objects = self.root / "cluster-objects.json"
        listing = {server: list(found) for server, found in objects.items()}
        self.cluster_objects.write_text(json.dumps(listing, indent=2), encoding="utf-8")

    def cdktf(self, verb: str, stacks: tuple[str, ...] = ("*",)) -> list[Change]:
        """`cdktf <verb> <stacks> --auto-approve` (every stack unless named); return the
        changes the providers applied."""
        cdktf = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
        before = len(self.changes())
        # cdktf would run `providers lock` against the public registry after each init; the
        # rehearsal has no network, and init already locks what the mirror installed.
        self._must(
            [str(cdktf), verb, *stacks, "--auto-approve", "--skip-provider-lock", "--no-color"],
            cwd=self.checkout,
        )
        return self.changes()[before:]

    def deploy(self) -> list[Change]:
        return self.cdktf("deploy")

    def destroy(self, *stacks: str) -> list[Change]:
        """Destroy the named stacks, or every stack."""
        return self.cdktf("destroy", stacks or ("*",))

    def restore_kubeconfigs(self) -> str:
        return self._must(
            [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "tools.kubeconfigs"],
            cwd=self.checkout,
        ).stdout

    # --- what the engine says about each stack ----------------------------------------

    def stack_dir(self, stack: str) -> Path:
        return self.checkout / "cdktf.out" / "stacks" / stack

    def validate(self, stack: str) -> subprocess.CompletedProcess[str]:
        return self._run([self.engine.binary, "validate", "-no-color"], cwd=self.stack_dir(stack))

    def plan(self, stack: str) -> subprocess.CompletedProcess[str]:
        """`plan -detailed-exitcode` of the stack: exit 0, no changes; 2, changes; 1, error."""
        return self._run(
            [self.engine.binary, "plan", "-input=false", "-no-color", "-detailed-exitcode"],
            cwd=self.stack_dir(stack),
        )

    def plan_exit_code(self, stack: str) -> int:
        """0: no changes, 2: changes (the engine's -detailed-exitcode), 1: error."""
        return self.plan(stack).returncode

    def saved_plan(self, stack: str) -> Path:
        """`plan -out` of the stack as its JSON stands, then `show -json` of that plan, as
        Atlantis runs them; returns the JSON's path (the plan file lies next to it)."""
        plans = self.root / "plans"
        plans.mkdir(exist_ok=True)
        plan_file = plans / f"{stack}.tfplan"
        cwd = self.stack_dir(stack)
        self._must(
            [self.engine.binary, "plan", "-input=false", "-no-color", f"-out={plan_file}"], cwd=cwd
        )
        shown = self._must([self.engine.binary, "show", "-json", str(plan_file)], cwd=cwd)
        plan_json = plan_file.with_suffix(".json")
        plan_json.write_text(shown.stdout, encoding="utf-8")
        return plan_json

    def apply_saved_plan(self, stack: str) -> list[Change]:
        """`apply` of the plan `saved_plan` wrote (what `atlantis apply` runs); return the
        changes the providers applied."""
        before = len(self.changes())
        plan_file = self.root / "plans" / f"{stack}.tfplan"
        self._must(
            [self.engine.binary, "apply", "-input=false", "-no-color", str(plan_file)],
            cwd=self.stack_dir(stack),
        )
        return self.changes()[before:]

    def plan_guard(
        self, plan_json: Path, stack: str, catalog: Path
    ) -> subprocess.CompletedProcess[str]:
        """`python -m tools.plan_guard` on a saved plan's JSON, as Atlantis' policy check does."""
        return self._run(
            [
                str(PROJECT_ROOT / ".venv" / "bin" / "python"),
                "-m",
                "tools.plan_guard",
                str(plan_json),
                "--stack",
                stack,
                "--catalog",
                str(catalog),
            ],
            cwd=self.checkout,
        )

    # --- what is on disk afterwards ---------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        path = self.checkout / "cdktf.out" / "manifest.json"
        return dict(json.loads(path.read_text(encoding="utf-8"))["stacks"])

    def stack_json(self, stack: str) -> dict[str, Any]:
        return dict(json.loads((self.stack_dir(stack) / "cdk.tf.json").read_text("utf-8")))

    def state_path(self, stack: str) -> Path:
        """Where the stack's local backend keeps its state (the path in its JSON)."""
        backend: str = self.stack_json(stack)["terraform"]["backend"]["local"]["path"]
        return (self.stack_dir(stack) / backend).resolve()

    def state(self, stack: str) -> dict[str, Any]:
        return dict(json.loads(self.state_path(stack).read_text(encoding="utf-8")))

    def changes(self) -> list[Change]:
        return read_journal(self.journal)


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --- checks: each returns the problems it found, empty when all is well -------------------


def _addresses_in_json(stack: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for mode, key in (("managed", "resource"), ("data", "data")):
        for type_, instances in stack.get(key, {}).items():
            found.update((mode, type_, name) for name in instances)
    return found


def _addresses_in_state(state: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["mode"], r["type"], r["name"]) for r in state.get("resources", [])}


def state_matches_json(workspace: Workspace, stack: str) -> list[str]:
    """The stack's state holds exactly the resources and data sources of its JSON."""
    expected = _addresses_in_json(workspace.stack_json(stack))
    actual = _addresses_in_state(workspace.state(stack))
    return [f"{stack}: in JSON, not in state: {a}" for a in sorted(expected - actual)] + [
        f"{stack}: in state, not in JSON: {a}" for a in sorted(actual - expected)
    ]


def cross_stack_outputs_read(workspace: Workspace, stack: str) -> list[str]:
    """Every `terraform_remote_state` output the stack's JSON references was read into state."""
    text = json.dumps(workspace.stack_json(stack))
    state = workspace.state(stack)
    read: dict[str, set[str]] = {}
    for resource in state.get("resources", []):
        if resource["type"] == "terraform_remote_state":
            outputs = resource["instances"][0]["attributes"].get("outputs", {}).get("value", {})
            read[resource["name"]] = set(outputs)
    return [
        f"{stack}: output {output!r} of {source} was not read"
        for source, output in sorted(set(_REMOTE_OUTPUT.findall(text)))
        if output not in read.get(source, set())
    ]


def dependencies(workspace: Workspace) -> dict[str, set[str]]:
    return {name: set(entry["dependencies"]) for name, entry in workspace.manifest().items()}


def applied_in_dependency_order(
    changes: list[Change], deps: Mapping[str, set[str]], *, reverse: bool = False
) -> list[str]:
    """Every stack's changes come after its producers' (before them, for a destroy)."""
    positions: dict[str, list[int]] = {}
    for index, change in enumerate(changes):
        positions.setdefault(change.stack, []).append(index)
    problems = []
    for consumer, producers in sorted(deps.items()):
        for producer in sorted(producers):
            if consumer not in positions or producer not in positions:
                continue
            first, then = (consumer, producer) if reverse else (producer, consumer)
            if max(positions[first]) > min(positions[then]):
                problems.append(f"{then} changed before {first} had finished")
    return problems


def files_written_by(workspace: Workspace, stack: str) -> list[Path]:
    """The kubeconfig files a stack's JSON says it writes on the deploy machine."""
    stack_json = workspace.stack_json(stack)
    paths = []
    for type_, attribute in (
        ("kind_cluster", "kubeconfig_path"),
        ("local_sensitive_file", "filename"),
    ):
        for resource in stack_json.get("resource", {}).get(type_, {}).values():
            paths.append((workspace.stack_dir(stack) / resource[attribute]).resolve())
    return paths


def private_files(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path.name} does not exist")
        elif path.stat().st_mode & 0o777 != 0o600:
            problems.append(f"{path.name} has mode {oct(path.stat().st_mode & 0o777)}, not 0o600")
    return problems


def resources_left(workspace: Workspace, stack: str) -> list[str]:
    return [
        f"{stack}: {r['type']}.{r['name']} is still in state"
        for r in workspace.state(stack).get("resources", [])
        if r["mode"] == "managed"
    ]


def stacks_changed(changes: list[Change]) -> set[str]:
    return {c.stack for c in changes}


def host_of(cluster: str, servers: Mapping[str, str]) -> str:
    """The host (by name) whose API server is `cluster`, or through which it is reached (a
    vcluster on it); the cluster itself when it is none of the hosts'."""
    for host, server in servers.items():
        if cluster == server or cluster.startswith(f"{server}/"):
            return host
    return cluster


def hosts_holding(changes: list[Change], servers: Mapping[str, str]) -> dict[str, set[str]]:
    """Stack -> the hosts that still hold a Kubernetes object or release it applied, replaying
    every create and delete the stand-ins recorded (`servers`: host name -> API server)."""
    held: dict[tuple[str, str, str], str] = {}
    for change in changes:
        if change.cluster is None or change.object_name is None:
            continue
        key = (change.cluster, change.type, change.object_name)
        if change.action == "delete":
            held.pop(key, None)
        else:
            held[key] = change.stack
    hosts: dict[str, set[str]] = {}
    for (cluster, _, _), stack in held.items():
        hosts.setdefault(stack, set()).add(host_of(cluster, servers))
    return hosts


def placement_problems(held: Mapping[str, set[str]], placed: Mapping[str, str]) -> list[str]:
    """Every stack in `placed` (stack -> the host it is placed on) is held by that host alone."""
    problems = []
    for stack, host in sorted(placed.items()):
        where = held.get(stack, set())
        if where != {host}:
            found = ", ".join(sorted(where)) or "no host"
            problems.append(f"{stack}: placed on {host}, held by {found}")
    return problems


def iter_stacks(workspace: Workspace) -> Iterator[str]:
    yield from sorted(workspace.manifest())
