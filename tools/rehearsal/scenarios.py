"""The rehearsal's scenarios: what users do with `cdktf deploy`, and what must hold after each step.

Each scenario runs in its own workspace and returns a report: one named check per property,
with the problems found (none when it holds). `pipenv run rehearse` prints the reports; the
test suite asserts every check by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from catalog.data_guard import (
    check_host_moves,
    check_stateful_removals,
    check_store_changes,
    previous_stacks,
)
from catalog.loader import CatalogError, load_catalog, parse_catalog
from catalog.model import Catalog
from catalog.platform import ExistingHost, KindHost
from catalog.stack_names import KIND_STACK, is_host_stack, kind_stack, team_stacks
from constructs_lib.postgres_props import DATABASE_CHART
from tools.rehearsal.run import (
    Change,
    Engine,
    Workspace,
    applied_in_dependency_order,
    cross_stack_outputs_read,
    dependencies,
    files_written_by,
    hosts_holding,
    iter_stacks,
    placement_problems,
    private_files,
    resources_left,
    stacks_changed,
    state_matches_json,
)
from tools.rehearsal.standin import cluster_of

#: A team added in a later pull request (KIND host: its port is pinned inside the pool).
ADDED_TEAM: Final = """
  - name: team-c
    owners: [carol@example.com]
    node_port: 30019
    database: {}
    cache: {}
"""


def kubeconfig(servers: Mapping[str, str], *, current: str) -> str:
    """A kubeconfig with a context per name -> API server, as an existing host's admin hands
    it over (credentials are placeholders)."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": n, "cluster": {"server": s}} for n, s in servers.items()],
            "users": [{"name": n, "user": {"token": "stand-in"}} for n in servers],
            "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in servers],
            "current-context": current,
        },
        sort_keys=False,
    )


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


#: The existing host's API server, and the cluster its kubeconfig's current context reaches: a
#: vcluster stack that dropped the catalog's `context` would deploy there.
PROD_EU_SERVER: Final = "https://prod-eu.example.com:6443"
STAGING_SERVER: Final = "https://staging.example.com:6443"


def fleet_catalog(prod_kubeconfig: Path) -> str:
    """tests/fixtures/fleet.yaml, with the existing host reached through `prod_kubeconfig`."""
    return f"""\
platform:
  project: kube-platform
  cost_center: platform-eng
  default_environment: dev
  hosts:
    dev-a:
      type: kind
      environment: dev
      port_pool: {{first_port: 30000, size: 30}}
      capacity: {{cpu: 16, memory: 64Gi, storage: 500Gi, pods: 400}}
    dev-b:
      type: kind
      environment: dev
      workers: 1
      port_pool: {{first_port: 30040, size: 30}}
      capacity: {{cpu: 12, memory: 48Gi, storage: 250Gi, pods: 200}}
    prod-eu:
      type: existing
      environment: prod
      kubeconfig_path: {prod_kubeconfig}
      context: prod-eu
      exposure: load_balancer
      domain: vc.prod-eu.example.com
      capacity: {{cpu: 256, memory: 1Ti, storage: 20Ti, pods: 5000}}
teams:
  - name: team-a
    owners: [alice@example.com]
    database: {{storage_gib: 1}}
  - name: team-b
    host: dev-b
    cache: {{}}
  - name: team-c
    owners: [carol@example.com]
    database: {{storage_gib: 1}}
    environments:
      dev: {{}}
      prod:
        database: {{instances: 3, storage_gib: 20}}
        vcluster: {{replicas: 3, backing_store: deployed-etcd}}
        quota: {{cpu_requests: "8", memory_requests: 16Gi, cpu_limits: "16", memory_limits: 32Gi,
                storage_requests: 200Gi, pods: 60}}
"""


#: A team added to the fleet, pinned to the KIND host the other pinned team is not on.
ADDED_TENANT: Final = """
  - name: team-d
    host: dev-a
    cache: {}
"""
ADDED_TENANT_NAME: Final = "team-d"
#: The tenant the fleet scenario moves (it has no database, so the data guard lets it), and
#: the one it tries to move (it has one, so the data guard refuses).
MOVED_TENANT: Final = "team-b"
GUARDED_TENANT: Final = "team-a"


def pinned(catalog: str, team: str, host: str) -> str:
    """The catalog with `team` pinned to `host`: the pull request that moves it."""
    data = yaml.safe_load(catalog)
    next(t for t in data["teams"] if t["name"] == team)["host"] = host
    return yaml.safe_dump(data, sort_keys=False)


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
        kubeconfig({"stand-in": "https://existing.example.com:6443"}, current="stand-in"), "utf-8"
    )
    ws.use_catalog(existing_host_catalog(host_kubeconfig))
    _first_deploy(ws, report, progress, "deploy three teams on an existing host")
    _deploy_again(ws, report, progress)
    _destroy(ws, report, progress)
    return report


# --- the fleet: which host holds each tenant ---------------------------------------------


def _api_servers(ws: Workspace, catalog: Catalog) -> dict[str, str]:
    """Host name -> its API server: what a KIND host's cluster reported into its stack's
    state, an existing host's context in its kubeconfig."""
    servers = {}
    for name, host in catalog.platform.named_hosts.items():
        if isinstance(host, ExistingHost):
            settings = {"config_path": host.kubeconfig_path, "config_context": host.context}
            servers[name] = str(cluster_of(settings))
            continue
        resources = ws.state(kind_stack(name)).get("resources", [])
        (cluster,) = (r for r in resources if r["type"] == "kind_cluster")
        servers[name] = str(cluster["instances"][0]["attributes"]["endpoint"])
    return servers


def _on_their_hosts(ws: Workspace, catalog: Catalog, servers: Mapping[str, str]) -> list[str]:
    """What the stand-ins applied for each tenant (on its host, and inside its vcluster) is
    held by the host the catalog places it on, and by no other."""
    placed = {s: h for s, h in catalog.stack_hosts().items() if not is_host_stack(s)}
    return placement_problems(hosts_holding(ws.changes(), servers), placed)


def _only_stacks_of(tenant: str, changes: list[Change]) -> list[str]:
    expected = set(team_stacks(tenant))
    changed = stacks_changed(changes)
    return [f"{s} changed too" for s in sorted(changed - expected)] + [
        f"{s} did not change" for s in sorted(expected - changed)
    ]


def _guard_refusal(previous: Mapping[str, Any], catalog: str) -> str | None:
    """What the data guard says of `catalog` against the previous output: None, or its refusal."""
    try:
        check_host_moves(previous, parse_catalog(catalog), source="platform.yaml")
    except CatalogError as err:
        return str(err)
    return None


def _refused_as_a_move(refusal: str | None) -> list[str]:
    if refusal is None:
        return [f"moving {GUARDED_TENANT} to another host was accepted"]
    if "moving it from" not in refusal:
        return [f"refused, but not as a move: {refusal}"]
    return []


def _other_kind_host(catalog: Catalog, host: str) -> str:
    return next(
        n for n, h in catalog.platform.named_hosts.items() if isinstance(h, KindHost) and n != host
    )


def _add_a_tenant(
    ws: Workspace, report: Report, progress: Progress, catalog: str, servers: Mapping[str, str]
) -> str:
    """A pull request that adds a tenant: only its stacks change, the others plan nothing."""
    others = list(iter_stacks(ws))
    grown = catalog.rstrip("\n") + "\n" + ADDED_TENANT
    ws.use_catalog(grown)
    with _Timed(progress, f"deploy with {ADDED_TENANT_NAME} added") as step:
        added = ws.deploy()
        step.detail = f": {len(added)} changes"
    report.check(
        "adding a tenant deploys its two stacks and no other",
        _only_stacks_of(ADDED_TENANT_NAME, added),
    )
    with _Timed(progress, f"plan the {len(others)} other stacks") as step:
        # Plans only read: they run side by side, as Atlantis plans projects.
        with ThreadPoolExecutor(max_workers=4) as pool:
            codes = dict(zip(others, pool.map(ws.plan_exit_code, others), strict=True))
        pending = [s for s, code in codes.items() if code != 0]
        step.detail = f": {len(pending)} with changes"
    report.check(
        "after adding a tenant: a plan of every other stack shows no changes",
        [f"{s} plans changes" for s in pending],
    )
    report.check(
        "after adding a tenant: every tenant is on the host it is placed on",
        _on_their_hosts(ws, parse_catalog(grown), servers),
    )
    return grown


def _data_guard_on_moves(report: Report, ws: Workspace, catalog: str, moved: str) -> None:
    """The data guard, against the output deployed so far: the move at hand passes (the deploy's
    own synthesis runs the guard too), moving a tenant with a database is refused."""
    previous = previous_stacks(ws.checkout / "cdktf.out")
    refusal = _guard_refusal(previous, moved)
    report.check(
        "the data guard lets a tenant without a database move",
        [f"refused: {refusal}"] if refusal else [],
    )
    before = parse_catalog(catalog)
    elsewhere = _other_kind_host(before, before.placement_of(GUARDED_TENANT).host)
    refusal = _guard_refusal(previous, pinned(catalog, GUARDED_TENANT, elsewhere))
    report.check(
        "the data guard refuses moving a tenant with a database", _refused_as_a_move(refusal)
    )


def _move_a_tenant(
    ws: Workspace, report: Report, progress: Progress, catalog: str, servers: Mapping[str, str]
) -> None:
    """The documented move (README, 'Moving a tenant to another host'): destroy the tenant's
    stacks with the catalog as it is, then apply the catalog that moves it."""
    before = parse_catalog(catalog)
    old_host = before.placement_of(MOVED_TENANT).host
    new_host = _other_kind_host(before, old_host)
    moved = pinned(catalog, MOVED_TENANT, new_host)
    _data_guard_on_moves(report, ws, catalog, moved)

    stacks = team_stacks(MOVED_TENANT)
    with _Timed(progress, f"move {MOVED_TENANT}: destroy its stacks on {old_host}") as step:
        gone = ws.destroy(*stacks)
        step.detail = f": {len(gone)} deletions"
    held = hosts_holding(ws.changes(), servers)
    report.check(
        "moving a tenant: destroying its stacks on the old host leaves nothing of it there",
        [p for s in stacks for p in resources_left(ws, s)]
        + [f"{s}: still held by {', '.join(sorted(held[s]))}" for s in stacks if held.get(s)],
    )
    ws.use_catalog(moved)
    with _Timed(progress, f"move {MOVED_TENANT}: deploy it on {new_host}") as step:
        arrived = ws.deploy()
        step.detail = f": {len(arrived)} changes"
    report.check(
        "moving a tenant deploys its two stacks and no other",
        _only_stacks_of(MOVED_TENANT, arrived),
    )
    report.check(
        "after the move: the new host holds the moved tenant, the old host nothing of it",
        placement_problems(hosts_holding(ws.changes(), servers), dict.fromkeys(stacks, new_host)),
    )
    _deploy_checks(ws, report, arrived, "after the move")


def rehearse_fleet(root: Path, engine: Engine, progress: Progress = quiet) -> Report:
    """Two KIND hosts and an existing one: deploy, add a tenant, move one, destroy."""
    report = Report("fleet, two KIND hosts and an existing one")
    ws = Workspace(root, engine)
    prod_kubeconfig = root / "prod-eu-kubeconfig.yaml"
    prod_kubeconfig.write_text(
        kubeconfig({"staging": STAGING_SERVER, "prod-eu": PROD_EU_SERVER}, current="staging"),
        "utf-8",
    )
    catalog = fleet_catalog(prod_kubeconfig)
    ws.use_catalog(catalog)
    _first_deploy(ws, report, progress, "deploy the fleet")
    fleet = parse_catalog(catalog)
    servers = _api_servers(ws, fleet)
    report.check(
        "first deploy: every tenant is on the host it is placed on",
        _on_their_hosts(ws, fleet, servers),
    )
    catalog = _add_a_tenant(ws, report, progress, catalog, servers)
    _move_a_tenant(ws, report, progress, catalog, servers)
    _destroy(ws, report, progress)
    report.check(
        "destroy leaves nothing on any host",
        [
            f"{stack}: still held by {', '.join(sorted(hosts))}"
            for stack, hosts in sorted(hosts_holding(ws.changes(), servers).items())
        ],
    )
    return report


# --- team data: backups, a restore, and a replacement only the plan guard sees -------------

BACKUP_BUCKET: Final = "team-backups"
BACKUP_PREFIX: Final = "platform/"
#: The tenant whose database is backed up, and the one added later that starts from it.
BACKED_UP_TENANT: Final = "team-a"
RESTORING_TENANT_NAME: Final = "team-d"
POINT_IN_TIME: Final = "2026-11-29T12:00:00Z"
RESTORING_TENANT: Final = f"""
  - name: {RESTORING_TENANT_NAME}
    database: {{restore: {{from: {BACKED_UP_TENANT}, point_in_time: "{POINT_IN_TIME}"}}}}
"""
#: What the rename appends to the database release's name in the synthesized JSON.
RENAMED_SUFFIX: Final = "-renamed"


def team_data_catalog(host_kubeconfig: Path) -> str:
    """One team with a database on an existing host, on a platform that backs databases up."""
    return f"""\
platform:
  host:
    type: existing
    kubeconfig_path: {host_kubeconfig}
    context: stand-in
    exposure: ingress
    domain: vc.example.com
  backups:
    s3: {{bucket: {BACKUP_BUCKET}, region: eu-west-1, path: {BACKUP_PREFIX}}}
    credentials_secret: backup-credentials
teams:
  - name: {BACKED_UP_TENANT}
    database: {{}}
"""


def decommissioned(catalog: str, team: str) -> str:
    """The catalog with `team` marked `decommission: true`: the pull request that lets it go."""
    data = yaml.safe_load(catalog)
    next(t for t in data["teams"] if t["name"] == team)["decommission"] = True
    return yaml.safe_dump(data, sort_keys=False)


def backup_path(tenant: str) -> str:
    """Where a tenant's database is backed up, as the README says: `<path><tenant>` in the
    platform's bucket (written out here, not asked of the app)."""
    return f"s3://{BACKUP_BUCKET}/{BACKUP_PREFIX}{tenant}"


def database_release(ws: Workspace, stack: str) -> tuple[str, dict[str, Any]] | None:
    """The address and attributes of the stack's database release in its state, if any."""
    for resource in ws.state(stack).get("resources", []):
        if resource["mode"] != "managed" or resource["type"] != "helm_release":
            continue
        attributes = resource["instances"][0]["attributes"]
        if attributes.get("chart") == DATABASE_CHART:
            return f"helm_release.{resource['name']}", dict(attributes)
    return None


def release_values(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A release's values as Helm reads them: each document of `values` over the ones before."""
    merged: dict[str, Any] = {}
    for document in attributes.get("values") or []:
        merged |= yaml.safe_load(document) or {}
    return merged


def _database_values(ws: Workspace, tenant: str) -> dict[str, Any] | None:
    release = database_release(ws, tenant)
    return release_values(release[1]) if release else None


def _backed_up_to_its_path(ws: Workspace, tenant: str) -> list[str]:
    values = _database_values(ws, tenant)
    if values is None:
        return [f"{tenant}: no database release in its state"]
    backups = values.get("backups") or {}
    problems = [] if backups.get("enabled") is True else [f"{tenant}: backups are not enabled"]
    if backups.get("destinationPath") != backup_path(tenant):
        problems.append(
            f"{tenant}: backed up to {backups.get('destinationPath')!r}, "
            f"not {backup_path(tenant)!r}"
        )
    return problems


def _recovering_from(ws: Workspace, tenant: str, source: str) -> list[str]:
    values = _database_values(ws, tenant)
    if values is None:
        return [f"{tenant}: no database release in its state"]
    recovery = values.get("recovery") or {}
    problems = [] if values.get("mode") == "recovery" else [f"{tenant}: mode is not recovery"]
    if recovery.get("destinationPath") != backup_path(source):
        problems.append(
            f"{tenant}: recovers from {recovery.get('destinationPath')!r}, "
            f"not {backup_path(source)!r}"
        )
    if (recovery.get("pitrTarget") or {}).get("time") != POINT_IN_TIME:
        problems.append(f"{tenant}: does not recover up to {POINT_IN_TIME}")
    # From then on it backs up to its own path, never into its source's.
    return problems + _backed_up_to_its_path(ws, tenant)


def rename_database_release(ws: Workspace, stack: str) -> str:
    """Rename the database release in the stack's synthesized JSON (as a code change that
    renamed it would): the catalog is unchanged, so the data guard sees nothing. Returns the
    release's address, which stays the same."""
    stack_json = ws.stack_json(stack)
    releases = stack_json["resource"]["helm_release"]
    key = next(k for k, release in releases.items() if release["chart"] == DATABASE_CHART)
    releases[key]["name"] += RENAMED_SUFFIX
    (ws.stack_dir(stack) / "cdk.tf.json").write_text(json.dumps(stack_json, indent=2), "utf-8")
    return f"helm_release.{key}"


def planned_actions(plan_json: Path, address: str) -> list[str]:
    """The actions a saved plan's JSON plans for `address` (none when it is not in the plan)."""
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    for change in plan.get("resource_changes") or []:
        if change["address"] == address and "deposed" not in change:
            return list(change["change"]["actions"])
    return []


def _replaced_in_the_plan(plan_json: Path, address: str) -> list[str]:
    actions = planned_actions(plan_json, address)
    if actions == ["delete", "create"]:
        return []
    return [f"the plan has {'/'.join(actions) or 'nothing'} for {address}, not delete/create"]


def _refused(guard: subprocess.CompletedProcess[str], address: str) -> list[str]:
    """The plan guard's exit 1, with a `fail:` line for the renamed release and why."""
    said = (guard.stdout + guard.stderr).strip()
    if guard.returncode != 1:
        return [f"the plan guard exited {guard.returncode}, not 1: {said}"]
    fails = [line for line in guard.stdout.splitlines() if line.startswith("fail:")]
    if not any(address in line and "because name changed" in line for line in fails):
        return [f"no fail: line names {address} replaced because name changed: {said}"]
    return []


def _allowed(guard: subprocess.CompletedProcess[str]) -> list[str]:
    said = (guard.stdout + guard.stderr).strip()
    if guard.returncode != 0:
        return [f"the plan guard exited {guard.returncode}, not 0: {said}"]
    if "allowed: the tenant is marked for decommissioning" not in guard.stdout:
        return [f"the plan guard passed, but allowed nothing: {said}"]
    return []


def _data_guard_refusal(ws: Workspace) -> list[str]:
    """What the data guard says of the catalog against the output as it now stands, renamed
    release included: the checks `load_catalog_for_synth` runs against each reviewed output
    (called here directly, so a scratch directory inside a git checkout compares with nothing
    else)."""
    previous = previous_stacks(ws.checkout / "cdktf.out")
    catalog = load_catalog(ws.checkout / "platform.yaml")
    try:
        for check in (check_stateful_removals, check_store_changes, check_host_moves):
            check(previous, catalog, source="platform.yaml")
    except CatalogError as err:
        return [f"the data guard refused it: {err}"]
    return []


def _still_holds(ws: Workspace, stack: str, held: list[Any], since: int) -> list[str]:
    """The stack's state has exactly the resources it held, and the stand-ins deleted nothing."""
    before = {f"{r['type']}.{r['name']}": r for r in held}
    after = {f"{r['type']}.{r['name']}": r for r in ws.state(stack).get("resources", [])}
    problems = [f"{stack}: {a} is gone from the state" for a in sorted(before.keys() - after)]
    problems += [f"{stack}: {a} is new in the state" for a in sorted(after.keys() - before)]
    problems += [
        f"{stack}: {a} changed in the state"
        for a in sorted(before.keys() & after.keys())
        if before[a] != after[a]
    ]
    deleted = [c for c in ws.changes()[since:] if c.action == "delete"]
    return problems + [f"{c.stack}: {c.type} {c.object_name} was deleted" for c in deleted]


def _release_replaced(ws: Workspace, stack: str, applied: list[Change], address: str) -> list[str]:
    """The apply deleted the release and created it anew, under its new name, and did nothing
    else."""
    done = [(c.type, c.action) for c in applied]
    expected = [("helm_release", "delete"), ("helm_release", "create")]
    problems = [] if done == expected else [f"applied {done}, not {expected}"]
    release = database_release(ws, stack)
    if release is None or release[0] != address:
        return [*problems, f"{stack}: {address} is not in the state after the apply"]
    if not str(release[1].get("name", "")).endswith(RENAMED_SUFFIX):
        problems.append(f"{stack}: {address} in the state does not have its new name")
    return problems


def _rename_a_database_release(
    ws: Workspace, report: Report, progress: Progress, catalog: str
) -> None:
    """A change the catalog does not show: the database release renamed in the reviewed JSON.
    The engine plans its replacement; the plan guard, run on the saved plan as Atlantis runs
    it, refuses it, so nothing is applied; once the tenant is marked for decommissioning, the
    guard lets the same change through, and the apply replaces the release."""
    tenant = BACKED_UP_TENANT
    catalog_file = ws.checkout / "platform.yaml"
    held = list(ws.state(tenant).get("resources", []))
    since = len(ws.changes())
    address = rename_database_release(ws, tenant)
    with _Timed(progress, f"plan {tenant} with its database release renamed, and guard it"):
        plan_json = ws.saved_plan(tenant)
        guard = ws.plan_guard(plan_json, tenant, catalog_file)
    report.check(
        "a replacing change is refused by the plan guard before apply",
        _replaced_in_the_plan(plan_json, address) + _refused(guard, address),
    )
    report.check(
        "the data guard passes the renamed release (it cannot see it)", _data_guard_refusal(ws)
    )
    report.check(
        "the state after a refused apply still holds every resource",
        _still_holds(ws, tenant, held, since),
    )

    ws.use_catalog(decommissioned(catalog, tenant))
    with _Timed(progress, f"mark {tenant} for decommissioning: plan, guard, apply") as step:
        plan_json = ws.saved_plan(tenant)
        guard = ws.plan_guard(plan_json, tenant, catalog_file)
        applied = ws.apply_saved_plan(tenant) if guard.returncode == 0 else []
        step.detail = f": {len(applied)} changes"
    report.check(
        "a decommissioned tenant passes",
        _allowed(guard) + _release_replaced(ws, tenant, applied, address),
    )


def rehearse_team_data(root: Path, engine: Engine, progress: Progress = quiet) -> Report:
    """A team's data on an existing host: backed up, restored into a new tenant, and a renamed
    release the plan guard refuses until the team is marked for decommissioning; destroy."""
    report = Report("team data: backups, a restore and the plan guard")
    ws = Workspace(root, engine)
    host_kubeconfig = root / "host-kubeconfig.yaml"
    host_kubeconfig.write_text(
        kubeconfig({"stand-in": "https://existing.example.com:6443"}, current="stand-in"), "utf-8"
    )
    catalog = team_data_catalog(host_kubeconfig)
    ws.use_catalog(catalog)
    with _Timed(progress, "deploy a team with backups") as step:
        changes = ws.deploy()
        step.detail = f": {len(changes)} changes"
    report.check(
        "a team with backups deploys",
        [p for s in iter_stacks(ws) for p in state_matches_json(ws, s)]
        + _backed_up_to_its_path(ws, BACKED_UP_TENANT),
    )

    catalog = catalog.rstrip("\n") + "\n" + RESTORING_TENANT
    ws.use_catalog(catalog)
    with _Timed(progress, f"deploy with {RESTORING_TENANT_NAME} restoring from it") as step:
        added = ws.deploy()
        step.detail = f": {len(added)} changes"
    report.check(
        "a new tenant restores from it",
        _only_stacks_of(RESTORING_TENANT_NAME, added)
        + _recovering_from(ws, RESTORING_TENANT_NAME, BACKED_UP_TENANT),
    )
    _rename_a_database_release(ws, report, progress, catalog)
    _destroy(ws, report, progress)
    return report
