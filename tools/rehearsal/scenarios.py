"""The rehearsal's scenarios: what users do with `cdktf deploy`, and what must hold after each step.

Each scenario runs in its own workspace and returns a report: one named check per property,
with the problems found (none when it holds). `pipenv run rehearse` prints the reports; the
test suite asserts every check by name.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from catalog.stack_names import KIND_STACK
from tools.rehearsal.run import (
    Change,
    Engine,
    Workspace,
    applied_in_dependency_order,
    cross_stack_outputs_read,
    dependencies,
    files_written_by,
    iter_stacks,
    private_files,
    resources_left,
    stacks_changed,
    state_matches_json,
)

#: A team added in a later pull request (KIND host: its port is pinned inside the pool).
ADDED_TEAM: Final = """
  - name: team-c
    owners: [carol@example.com]
    node_port: 30019
    database: {}
    cache: {}
"""


def existing_host_catalog(host_kubeconfig: Path) -> str:
    """Three teams on an existing host, published by ingress, with every service mix."""
    return f"""\
platform:
  host:
    type: existing
    kubeconfig_path: {host_kubeconfig}
    context: stand-in
    exposure: ingress
    domain: vc.example.com
teams:
  - name: team-a
    database: {{instances: 3}}
  - name: team-b
    cache: {{}}
  - name: team-c
    vcluster: {{replicas: 3, backing_store: deployed-etcd}}
    database: {{}}
    cache: {{}}
    quota: {{cpu_limits: "10"}}
"""


Progress = Callable[[str], None]


def quiet(_: str) -> None:
    pass


def to_stderr(line: str) -> None:
    print(f"rehearsal: {line}", file=sys.stderr, flush=True)


@dataclass(slots=True)
class Report:
    scenario: str
    checks: dict[str, list[str]] = field(default_factory=dict)

    def check(self, name: str, problems: list[str]) -> None:
        self.checks[name] = problems

    @property
    def failed(self) -> list[str]:
        return [name for name, problems in self.checks.items() if problems]


class _Timed:
    def __init__(self, progress: Progress, phase: str) -> None:
        self.progress, self.phase = progress, phase

    def __enter__(self) -> _Timed:
        self.start = time.monotonic()
        self.detail = ""
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self.start
        self.progress(f"{self.phase}{self.detail} ({seconds:.1f} s)")


def _first_deploy(ws: Workspace, report: Report, progress: Progress, what: str) -> None:
    with _Timed(progress, what) as step:
        changes = ws.deploy()
        step.detail = f": {len(set(ws.manifest()))} stacks, {len(changes)} changes"
    _deploy_checks(ws, report, changes, "first deploy")


def _deploy_checks(ws: Workspace, report: Report, changes: list[Change], label: str) -> None:
    stacks = list(iter_stacks(ws))
    report.check(
        f"{label}: every stack's state holds exactly its JSON's resources",
        [p for s in stacks for p in state_matches_json(ws, s)],
    )
    report.check(
        f"{label}: every cross-stack output was read",
        [p for s in stacks for p in cross_stack_outputs_read(ws, s)],
    )
    report.check(
        f"{label}: stacks applied in dependency order",
        applied_in_dependency_order(changes, dependencies(ws)),
    )
    report.check(
        f"{label}: kubeconfig files exist with mode 0600",
        private_files([p for s in stacks for p in files_written_by(ws, s)]),
    )


def _validate_and_replan(ws: Workspace, report: Report, progress: Progress) -> None:
    stacks = list(iter_stacks(ws))
    with _Timed(progress, f"validate and plan {len(stacks)} stacks") as step:
        invalid = []
        for stack in stacks:
            result = ws.validate(stack)
            if result.returncode != 0:
                invalid.append(f"{stack}: {result.stdout}{result.stderr}".strip())
        pending = [s for s in stacks if ws.plan_exit_code(s) != 0]
        step.detail = f": {len(invalid)} invalid, {len(pending)} with changes"
    report.check("validate passes on every stack", invalid)
    report.check(
        "a plan after the deploy shows no changes", [f"{s} plans changes" for s in pending]
    )


def _deploy_again(ws: Workspace, report: Report, progress: Progress) -> None:
    with _Timed(progress, "deploy again") as step:
        again = ws.deploy()
        step.detail = f": {len(again)} changes"
    report.check(
        "a second deploy changes nothing", [f"{c.stack}: {c.action} {c.type}" for c in again]
    )


def _restore(ws: Workspace, report: Report, progress: Progress) -> None:
    written = [p for s in iter_stacks(ws) if s != KIND_STACK for p in files_written_by(ws, s)]
    before = {p: p.read_text(encoding="utf-8") for p in written}
    for path in written:
        path.unlink()
    with _Timed(progress, f"restore-kubeconfigs ({len(written)} files)"):
        ws.restore_kubeconfigs()
    problems = private_files(written) or [
        f"{p.name} differs from what the deploy wrote"
        for p, text in before.items()
        if p.read_text(encoding="utf-8") != text
    ]
    report.check("restore-kubeconfigs rebuilds every team kubeconfig from state", problems)


def _destroy(ws: Workspace, report: Report, progress: Progress) -> None:
    deps = dependencies(ws)
    stacks = list(iter_stacks(ws))
    written = [p for s in stacks for p in files_written_by(ws, s)]
    with _Timed(progress, f"destroy {len(stacks)} stacks") as step:
        changes = ws.destroy()
        step.detail = f": {len(changes)} deletions"
    report.check("destroy empties every state", [p for s in stacks for p in resources_left(ws, s)])
    report.check(
        "destroy runs in reverse dependency order",
        applied_in_dependency_order(changes, deps, reverse=True),
    )
    report.check(
        "destroy removes the kubeconfig files",
        [f"{p.name} is still there" for p in written if p.exists()],
    )


def rehearse_kind_host(
    root: Path, engine: Engine, catalog: str, progress: Progress = quiet
) -> Report:
    """The default catalog on a KIND host: deploy, redeploy, restore, add a team, destroy."""
    report = Report("KIND host, the default catalog")
    ws = Workspace(root, engine)
    ws.use_catalog(catalog)
    _first_deploy(ws, report, progress, "deploy the default catalog")
    _validate_and_replan(ws, report, progress)
    _deploy_again(ws, report, progress)
    _restore(ws, report, progress)

    before = {s: ws.stack_json(s) for s in iter_stacks(ws)}
    ws.use_catalog(catalog.rstrip("\n") + "\n" + ADDED_TEAM)
    with _Timed(progress, "deploy with team-c added") as step:
        added = ws.deploy()
        step.detail = f": {len(added)} changes"
    after = {s: ws.stack_json(s) for s in iter_stacks(ws)}
    changed_json = {s for s in after if before.get(s) != after[s]}
    report.check(
        "adding a team deploys only the stacks whose JSON changed",
        [f"{s} changed, its JSON did not" for s in sorted(stacks_changed(added) - changed_json)]
        + [
            f"{s}: JSON changed, nothing deployed"
            for s in sorted(changed_json - stacks_changed(added))
        ],
    )
    _deploy_checks(ws, report, added, "after adding a team")
    _destroy(ws, report, progress)
    return report


def rehearse_existing_host(root: Path, engine: Engine, progress: Progress = quiet) -> Report:
    """Three teams on an existing host: deploy, redeploy, destroy."""
    report = Report("existing host, three teams")
    ws = Workspace(root, engine)
    host_kubeconfig = root / "host-kubeconfig.yaml"
    host_kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", "utf-8"
    )
    ws.use_catalog(existing_host_catalog(host_kubeconfig))
    _first_deploy(ws, report, progress, "deploy three teams on an existing host")
    _deploy_again(ws, report, progress)
    _destroy(ws, report, progress)
    return report
