"""The rehearsal's scenarios: what users do with `cdktf deploy`, and what must hold after each step.

Each scenario runs in its own workspace and returns a report: one named check per property,
with the problems found (none when it holds). `pipenv run rehearse` prints the reports; the
test suite asserts every check by name.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
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
from catalog.stack_names import (
    KIND_STACK,
    host_services_stack,
    is_host_stack,
    kind_stack,
    team_stacks,
    vcluster_stack,
)
from constructs_lib import versions
from constructs_lib.host_services.plans import HostFacts, service_plans
from constructs_lib.host_services.settings import HostServices
from constructs_lib.paths import PROJECT_ROOT
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
from tools.rehearsal.standin import cluster_object, cluster_of, vcluster_api_server

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


def _destroy_everywhere(
    ws: Workspace, report: Report, progress: Progress, servers: dict[str, str]
) -> None:
    """Destroy every stack, then check that no cluster still holds anything of them."""
    _destroy(ws, report, progress)
    report.check(
        "destroy leaves nothing on any host",
        [
            f"{stack}: still held by {', '.join(sorted(hosts))}"
            for stack, hosts in sorted(hosts_holding(ws.changes(), servers).items())
        ],
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
    _destroy_everywhere(ws, report, progress, servers)
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


# --- host services: installed, provided, and the tenants routed through them ----------------

#: The catalog the scenario deploys, with its existing hosts' kubeconfigs made in the scratch
#: directory.
HOST_SERVICES_CATALOG: Final = PROJECT_ROOT / "tests" / "fixtures" / "host-services.yaml"
PROD_US_SERVER: Final = "https://prod-us.example.com:6443"
#: The host that installs every service, and the one that provides every service itself.
INSTALLING_HOST: Final = "prod-eu"
PROVIDING_HOST: Final = "prod-us"
#: Each service's pinned chart (constructs_lib/versions.py): repository, chart, version.
SERVICE_CHARTS: Final = {
    "gateway": (
        versions.ENVOY_GATEWAY_CHART_REPOSITORY,
        "gateway-helm",
        versions.ENVOY_GATEWAY_CHART_VERSION,
    ),
    "certificates": (
        versions.CERT_MANAGER_CHART_REPOSITORY,
        "cert-manager",
        versions.CERT_MANAGER_CHART_VERSION,
    ),
    "metrics": (
        versions.KUBE_PROMETHEUS_STACK_CHART_REPOSITORY,
        "kube-prometheus-stack",
        versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
    ),
    "policy": (versions.KYVERNO_CHART_REPOSITORY, "kyverno", versions.KYVERNO_CHART_VERSION),
    "secrets": (
        versions.EXTERNAL_SECRETS_CHART_REPOSITORY,
        "external-secrets",
        versions.EXTERNAL_SECRETS_CHART_VERSION,
    ),
    "delivery": (versions.ARGO_CD_CHART_REPOSITORY, "argo-cd", versions.ARGO_CD_CHART_VERSION),
}
#: Our own chart of the platform's objects, in a checkout; and the kinds of the objects its
#: release holds for each service that has some (metrics and delivery have none).
PLATFORM_OBJECTS_DIR: Final = Path("constructs_lib", "host_services", "platform-objects")
PLATFORM_OBJECT_KINDS: Final = {
    "gateway": {"EnvoyProxy", "GatewayClass", "Gateway"},
    "certificates": {"ClusterIssuer"},
    "policy": {"ValidatingPolicy"},
    "secrets": {"ClusterSecretStore"},
}
#: The Gateway each host's tenants route their API server through: name, namespace, listener
#: (prod-eu: the one the platform installs; prod-us: the one the catalog names).
TENANT_GATEWAYS: Final = {
    INSTALLING_HOST: ("platform", "envoy-gateway-system", "vcluster-api"),
    PROVIDING_HOST: ("shared", "ingress", "tls"),
}
#: The provided object the negative control takes off its cluster.
MISSING_OBJECT: Final = cluster_object(
    "gateway.networking.k8s.io/v1", "Gateway", "shared", namespace="ingress"
)


def host_services_catalog(kubeconfigs: Mapping[str, Path]) -> str:
    """tests/fixtures/host-services.yaml, each existing host reached through its kubeconfig
    in `kubeconfigs` (host -> file)."""
    data = yaml.safe_load(HOST_SERVICES_CATALOG.read_text(encoding="utf-8"))
    for host, path in kubeconfigs.items():
        data["platform"]["hosts"][host]["kubeconfig_path"] = str(path)
    return yaml.safe_dump(data, sort_keys=False)


def provided_objects(services: HostServices) -> list[dict[str, str | None]]:
    """What a host that runs these services itself has: exactly what the plans of its
    provided services read back (the Gateway, the ClusterIssuer, the ClusterSecretStore, the
    CRDs and namespaces of Prometheus and Argo CD; a provided policy engine is named by
    nothing)."""
    plans = service_plans(services.provided_only(), HostFacts(domain=None, labels={}))
    return [
        cluster_object(r.api_version, r.kind, r.name, r.namespace)
        for plan in plans.values()
        for r in plan.references
    ]


def _state_resources(ws: Workspace, stack: str) -> list[dict[str, Any]]:
    return list(ws.state(stack).get("resources", []))


def _releases(ws: Workspace, stack: str) -> list[dict[str, Any]]:
    """The attributes of every Helm release in the stack's state."""
    return [
        dict(r["instances"][0]["attributes"])
        for r in _state_resources(ws, stack)
        if r["mode"] == "managed" and r["type"] == "helm_release"
    ]


def _object_name(release: Mapping[str, Any]) -> str:
    """How the stand-ins' journal names a release: `namespace/name`."""
    return f"{release['namespace']}/{release['name']}"


def _of_platform_objects(ws: Workspace, stack: str, release: Mapping[str, Any]) -> bool:
    """The release's chart is our platform-objects chart, as its path leads from the stack's
    directory (where the engine and the helm provider run) in the checkout."""
    chart = (ws.stack_dir(stack) / str(release["chart"])).resolve()
    return (
        chart == (ws.checkout / PLATFORM_OBJECTS_DIR).resolve() and (chart / "Chart.yaml").is_file()
    )


def _installed_services(ws: Workspace, catalog: Catalog, changes: list[Change]) -> list[str]:
    """On every host, each service it installs is its pinned chart's release, and the
    platform's objects (for the services that have some) a release of our own chart in the
    same namespace, created after the chart's release."""
    created = {
        (c.stack, c.object_name): i
        for i, c in enumerate(changes)
        if c.type == "helm_release" and c.action == "create"
    }
    problems = []
    for host_name, host in catalog.platform.named_hosts.items():
        installed = host.services.installed()
        if not installed:
            continue
        stack = host_services_stack(host_name)
        releases = _releases(ws, stack)
        ours = [r for r in releases if _of_platform_objects(ws, stack, r)]
        charts = [r for r in releases if r not in ours]
        problems += [
            f"{stack}: {_object_name(r)}: chart {r['chart']} is not our platform-objects chart"
            for r in charts
            if Path(str(r["chart"])).name == PLATFORM_OBJECTS_DIR.name
        ]
        expected = {SERVICE_CHARTS[s][1] for s in installed}
        problems += [
            f"{stack}: a release of {r['chart']} no installed service asked for"
            for r in charts
            if r["chart"] not in expected
        ]
        for service in installed:
            repository, chart, version = SERVICE_CHARTS[service]
            found = [r for r in charts if r["chart"] == chart]
            if len(found) != 1:
                problems.append(f"{stack}: {len(found)} releases of {chart}, not 1 ({service})")
                continue
            (release,) = found
            if (release.get("repository"), release.get("version")) != (repository, version):
                problems.append(
                    f"{stack}: {chart} from {release.get('repository')} "
                    f"{release.get('version')}, not {repository} {version}"
                )
            objects = [r for r in ours if r["namespace"] == release["namespace"]]
            kinds = PLATFORM_OBJECT_KINDS.get(service)
            if kinds is None:
                problems += [
                    f"{stack}: {_object_name(r)}: {service} has no objects" for r in objects
                ]
                continue
            if len(objects) != 1:
                problems.append(f"{stack}: {len(objects)} platform-objects releases for {service}")
                continue
            held = {o.get("kind") for o in release_values(objects[0]).get("objects") or []}
            if not kinds <= held:
                problems.append(
                    f"{stack}: {_object_name(objects[0])} lacks {', '.join(sorted(kinds - held))}"
                )
            chart_at = created.get((stack, _object_name(release)))
            objects_at = created.get((stack, _object_name(objects[0])))
            if chart_at is None or objects_at is None or objects_at < chart_at:
                problems.append(
                    f"{stack}: {_object_name(objects[0])} was not created after "
                    f"{_object_name(release)}"
                )
    return problems


def _reads(ws: Workspace, stack: str) -> list[dict[str, str | None]]:
    """The objects the stack's `data.kubernetes_resource` reads found, from its state."""
    found = []
    for resource in _state_resources(ws, stack):
        if resource["mode"] == "data" and resource["type"] == "kubernetes_resource":
            attributes = resource["instances"][0]["attributes"]
            (metadata,) = attributes["metadata"]
            found.append(
                cluster_object(
                    attributes["api_version"],
                    attributes["kind"],
                    metadata["name"],
                    metadata.get("namespace"),
                )
            )
    return found


def _sorted_objects(objects: list[dict[str, str | None]]) -> list[str]:
    return sorted(json.dumps(o, sort_keys=True) for o in objects)


def _provided_services(ws: Workspace, catalog: Catalog, changes: list[Change]) -> list[str]:
    """A host's provided services are reads of the objects it must have and nothing else: on
    a host that provides every service, the stack has no resource at all and applied nothing.
    The stand-ins find those objects on the host's own API server alone (the listing names no
    other), so the reads went there."""
    problems = []
    for host_name, host in catalog.platform.named_hosts.items():
        if not host.services.turned_on():
            continue
        stack = host_services_stack(host_name)
        expected, read = provided_objects(host.services), _reads(ws, stack)
        if _sorted_objects(read) != _sorted_objects(expected):
            problems.append(
                f"{stack}: read {_sorted_objects(read)}, not {_sorted_objects(expected)}"
            )
        if host.services.installed():
            continue
        problems += [
            f"{stack}: {r['mode']} {r['type']}.{r['name']} is in its state"
            for r in _state_resources(ws, stack)
            if not (r["mode"] == "data" and r["type"] == "kubernetes_resource")
        ]
        problems += [
            f"{stack}: applied {c.action} {c.type} {c.object_name}"
            for c in changes
            if c.stack == stack
        ]
    return problems


def _gateway_tenants(catalog: Catalog) -> list[tuple[str, str, str]]:
    """(tenant, host, the host's domain) for every tenant whose API server is a route on its
    host's gateway."""
    found = []
    for tenant in catalog.tenants:
        host_name = catalog.placement_of(tenant).host
        host = catalog.platform.named_hosts[host_name]
        if isinstance(host, ExistingHost) and host.exposure == "gateway":
            found.append((tenant.name, host_name, host.domain))
    return found


def _remote_outputs(ws: Workspace, stack: str, producer: str) -> dict[str, Any] | None:
    """The outputs of `producer` the stack's `terraform_remote_state` read, from its state."""
    for resource in _state_resources(ws, stack):
        if resource["type"] != "terraform_remote_state":
            continue
        attributes = resource["instances"][0]["attributes"]
        path = (ws.stack_dir(stack) / attributes["config"]["value"]["path"]).resolve()
        if path == ws.state_path(producer):
            return dict(attributes.get("outputs", {}).get("value") or {})
    return None


def _after_their_hosts_services(
    ws: Workspace, catalog: Catalog, changes: list[Change]
) -> list[str]:
    """Each tenant's vcluster stack changed nothing before its host's services stack had
    finished; where that stack applies nothing (every service provided), the vcluster stack
    read the outputs that stack's state holds, which only its apply writes, so it was planned
    after that apply."""
    positions: dict[str, list[int]] = {}
    for index, change in enumerate(changes):
        positions.setdefault(change.stack, []).append(index)
    routed = {tenant for tenant, _, _ in _gateway_tenants(catalog)}
    problems = []
    for tenant in catalog.tenants:
        host = catalog.placement_of(tenant).host
        if not catalog.platform.named_hosts[host].services.turned_on():
            continue
        services, vcluster = host_services_stack(host), vcluster_stack(tenant.name)
        if vcluster not in positions:
            problems.append(f"{vcluster} applied nothing")
            continue
        if services in positions and max(positions[services]) > min(positions[vcluster]):
            problems.append(f"{vcluster} changed before {services} had finished")
        if tenant.name not in routed:
            if services not in positions:
                problems.append(f"{services} applied nothing, and {vcluster} reads nothing of it")
            continue
        read = _remote_outputs(ws, vcluster, services)
        written = {k: v["value"] for k, v in ws.state(services).get("outputs", {}).items()}
        if read is None:
            problems.append(f"{vcluster} did not read the state of {services}")
        elif not written or read != written:
            problems.append(f"{vcluster} read {read} of {services}, whose state holds {written}")
    return problems


def _vcluster_release(ws: Workspace, stack: str) -> dict[str, Any] | None:
    return next((r for r in _releases(ws, stack) if r["chart"] == "vcluster"), None)


def _installed_gateway(ws: Workspace, host: str) -> dict[str, Any] | None:
    """The Gateway the host's platform-objects release holds, if any."""
    stack = host_services_stack(host)
    for release in _releases(ws, stack):
        if _of_platform_objects(ws, stack, release):
            for item in release_values(release).get("objects") or []:
                if item.get("kind") == "Gateway":
                    return dict(item)
    return None


def _json_parent_refs(ws: Workspace, stack: str) -> list[Any]:
    """The tlsRoute parentRefs of the vcluster release in the stack's synthesized JSON."""
    for release in ws.stack_json(stack)["resource"]["helm_release"].values():
        if release["chart"] == "vcluster":
            route = release_values(release).get("controlPlane", {}).get("tlsRoute", {})
            return list(route.get("parentRefs") or [])
    return []


def _routed_through_state(ws: Workspace, catalog: Catalog) -> list[str]:
    """Each routed tenant's applied vcluster values attach its TLS route to its host's Gateway
    by the names resolved from the services stack's state: in the JSON they are references to
    it, in the state the names themselves; on a host that installs the gateway, they name the
    Gateway and listener its platform-objects release holds."""
    problems = []
    tenants = _gateway_tenants(catalog)
    for host in sorted(TENANT_GATEWAYS.keys() - {h for _, h, _ in tenants}):
        problems.append(f"no tenant on {host} is routed through its gateway")
    for tenant, host, domain in tenants:
        stack = vcluster_stack(tenant)
        name, namespace, listener = TENANT_GATEWAYS[host]
        expected = [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": name,
                "namespace": namespace,
                "sectionName": listener,
            }
        ]
        release = _vcluster_release(ws, stack)
        if release is None:
            problems.append(f"{stack}: no vcluster release in its state")
            continue
        route = release_values(release).get("controlPlane", {}).get("tlsRoute") or {}
        if route.get("parentRefs") != expected:
            problems.append(f"{stack}: parentRefs {route.get('parentRefs')}, not {expected}")
        if route.get("host") != f"{tenant}.{domain}":
            problems.append(f"{stack}: the route's host is {route.get('host')!r}")
        references = [
            str(ref.get(key, ""))
            for ref in _json_parent_refs(ws, stack)
            for key in ("name", "namespace", "sectionName")
        ]
        if not references or not all(
            r.startswith("${") and "terraform_remote_state" in r for r in references
        ):
            problems.append(f"{stack}: its JSON's parentRefs are not cross-stack references")
        if host != INSTALLING_HOST:
            continue
        gateway = _installed_gateway(ws, host)
        listeners = {
            item.get("name"): item for item in (gateway or {}).get("spec", {}).get("listeners", [])
        }
        metadata = (gateway or {}).get("metadata", {})
        if (metadata.get("name"), metadata.get("namespace")) != (name, namespace):
            problems.append(f"{host}: the installed Gateway is {metadata}, not {namespace}/{name}")
        elif (listeners.get(listener) or {}).get("tls", {}).get("mode") != "Passthrough":
            problems.append(f"{host}: the installed Gateway has no passthrough listener {listener}")
    return problems


def _stacks_on_clusters(ws: Workspace) -> set[str]:
    """The stacks whose JSON applies Kubernetes objects or Helm releases."""
    return {
        stack
        for stack in iter_stacks(ws)
        if any(
            t == "helm_release" or t.startswith("kubernetes_")
            for t in ws.stack_json(stack).get("resource", {})
        )
    }


def _data_source_reading(ws: Workspace, stack: str, wanted: Mapping[str, Any]) -> str | None:
    """The address of the stack's `data.kubernetes_resource` that reads `wanted`."""
    for key, read in ws.stack_json(stack).get("data", {}).get("kubernetes_resource", {}).items():
        metadata = read["metadata"]
        found = cluster_object(
            read["api_version"], read["kind"], metadata["name"], metadata.get("namespace")
        )
        if found == wanted:
            return f"data.kubernetes_resource.{key}"
    return None


def _a_provided_object_missing(
    ws: Workspace, report: Report, progress: Progress, catalog: Catalog, server: str
) -> None:
    """Take one provided object off the providing host's cluster: the plan of its services
    stack fails, naming the read of that object (and no other); with it back, the plan shows
    no changes."""
    stack = host_services_stack(PROVIDING_HOST)
    listed = provided_objects(catalog.platform.named_hosts[PROVIDING_HOST].services)
    address = _data_source_reading(ws, stack, MISSING_OBJECT)
    others = [_data_source_reading(ws, stack, o) for o in listed if o != MISSING_OBJECT]
    with _Timed(progress, f"plan {stack} without {MISSING_OBJECT['kind']} on its cluster"):
        ws.list_cluster_objects({server: [o for o in listed if o != MISSING_OBJECT]})
        missing = ws.plan(stack)
        ws.list_cluster_objects({server: listed})
        back = ws.plan(stack)
    errors = " ".join(missing.stderr.split())
    problems = [] if MISSING_OBJECT in listed else [f"the catalog provides no {MISSING_OBJECT}"]
    if address is None:
        problems.append(f"{stack} reads no {MISSING_OBJECT}")
    elif missing.returncode != 1:
        problems.append(f"the plan exited {missing.returncode}, not 1: {errors}")
    elif address not in errors:
        problems.append(f"the plan's errors do not name {address}: {errors}")
    problems += [f"the plan's errors name {a} too" for a in others if a and a in errors]
    report.check("a provided object that is not there fails the plan, naming it", problems)
    report.check(
        "with the object back, the plan shows no changes",
        [] if back.returncode == 0 else [f"the plan exited {back.returncode}: {back.stderr}"],
    )


def rehearse_host_services(root: Path, engine: Engine, progress: Progress = quiet) -> Report:
    """tests/fixtures/host-services.yaml: a KIND host and an existing one that install their
    services, an existing one that provides every service; deploy, a provided object taken
    away, destroy."""
    report = Report("host services: installed, provided, and the tenants routed through them")
    ws = Workspace(root, engine)
    kubeconfigs = {INSTALLING_HOST: root / "prod-eu-kubeconfig.yaml"}
    kubeconfigs[PROVIDING_HOST] = root / "prod-us-kubeconfig.yaml"
    kubeconfigs[INSTALLING_HOST].write_text(
        kubeconfig({"staging": STAGING_SERVER, "prod-eu": PROD_EU_SERVER}, current="staging"),
        "utf-8",
    )
    kubeconfigs[PROVIDING_HOST].write_text(
        kubeconfig({"prod-us": PROD_US_SERVER}, current="prod-us"), "utf-8"
    )
    text = host_services_catalog(kubeconfigs)
    catalog = parse_catalog(text)
    ws.use_catalog(text)
    # The providing host's cluster has the objects its catalog entry names, and nothing else
    # anywhere is found by a read.
    provided = provided_objects(catalog.platform.named_hosts[PROVIDING_HOST].services)
    ws.list_cluster_objects({PROD_US_SERVER: provided})
    with _Timed(progress, "deploy hosts with services") as step:
        changes = ws.deploy()
        step.detail = f": {len(set(ws.manifest()))} stacks, {len(changes)} changes"
    _deploy_checks(ws, report, changes, "first deploy")
    report.check(
        "installed services: each pinned chart, and the platform's objects applied after it",
        _installed_services(ws, catalog, changes),
    )
    report.check(
        "provided services: no release, only reads of the named objects on their host",
        _provided_services(ws, catalog, changes),
    )
    report.check(
        "tenants: their vcluster applied after their host's services",
        _after_their_hosts_services(ws, catalog, changes),
    )
    report.check(
        "tenants: the TLS route names the Gateway read through the services stack's state",
        _routed_through_state(ws, catalog),
    )
    servers = _api_servers(ws, catalog)
    placed = {s: h for s, h in catalog.stack_hosts().items() if s in _stacks_on_clusters(ws)}
    report.check(
        "every object reached its host's API server",
        placement_problems(hosts_holding(ws.changes(), servers), placed),
    )
    _a_provided_object_missing(ws, report, progress, catalog, PROD_US_SERVER)
    _destroy_everywhere(ws, report, progress, servers)
    return report


# --- day two: identity, exposure, monitoring, GitOps and backup keys ----------------------

#: The catalog the scenario deploys, with its host's kubeconfig made in the scratch directory.
DAY_TWO_CATALOG: Final = PROJECT_ROOT / "tests" / "fixtures" / "day-two.yaml"
DAY_TWO_HOST: Final = "prod-eu"
DAY_TWO_TEAM: Final = "team-a"
#: What the fixture asks for and the names the README gives, written out here (not asked of
#: the code under test).
MEMBERS_BINDING: Final = "platform-members"
MEMBERS_ROLE: Final = "edit"
MEMBERS_GROUP: Final = "oidc:team-a-devs"
ISSUER_ARGS: Final = (
    "--oidc-issuer-url=https://login.example.com",
    "--oidc-client-id=kube-platform",
    "--oidc-username-prefix=oidc:",
    "--oidc-groups-prefix=oidc:",
)
APP_HOST: Final = "shop.team-a.vc.prod-eu.example.com"
APP_LISTENER: Final = "app-team-a"
APP_ROUTE_RELEASE: Final = "team-a-app-route"
#: The app's Service on the host, as vcluster 0.36.1 names what it syncs.
APP_BACKEND: Final = "app-x-team-a-apps-x-team-a"
GATEWAY_TO_APP: Final = "gateway-to-app"
MONITORS_RELEASE: Final = "team-a-monitors"
POD_MONITORS: Final = ("team-a-cache", "team-a-database")
#: The platform's own Gateway (name, namespace), Argo CD's namespace, the ClusterSecretStore.
INSTALLED_GATEWAY: Final = ("platform", "envoy-gateway-system")
ARGOCD_NAMESPACE: Final = "argocd"
ARGOCD_CLUSTER_SECRET: Final = "cluster-team-a"
GITOPS_RELEASE: Final = "team-a-gitops"
GITOPS_SOURCE: Final = {
    "repoURL": "https://git.example.com/team-a/deploy.git",
    "path": "envs/prod",
    "targetRevision": "main",
}
#: Argo CD's tlsClientConfig field -> the key of the vcluster's own Secret it comes from.
ARGOCD_TLS: Final = {
    "caData": "certificate-authority",
    "certData": "client-certificate",
    "keyData": "client-key",
}
BACKUP_CREDENTIALS_RELEASE: Final = "team-a-backup-credentials"
SECRET_STORE: Final = "platform"
BACKUP_KEYS: Final = "backups/team-a"
#: The vcluster's kubeconfig Secret on the host (namespace, name): the team stack talks to
#: the API server its kubeconfig names.
VCLUSTER_SECRET: Final = ("vcluster-team-a", "vc-team-a")

#: Every stack's state, by stack name; a negative control edits a copy of it.
States = dict[str, dict[str, Any]]
Find = Callable[[States], dict[str, Any] | None]
Edit = Callable[[States], None]


def day_two_catalog(host_kubeconfig: Path) -> str:
    """tests/fixtures/day-two.yaml, its host reached through `host_kubeconfig`."""
    data = yaml.safe_load(DAY_TWO_CATALOG.read_text(encoding="utf-8"))
    data["platform"]["hosts"][DAY_TWO_HOST]["kubeconfig_path"] = str(host_kubeconfig)
    return yaml.safe_dump(data, sort_keys=False)


def _in_state(states: States, stack: str, type_: str, mode: str = "managed") -> list[Any]:
    """The attributes of the stack's resources of `type_`: the state's own dictionaries."""
    return [
        r["instances"][0]["attributes"]
        for r in states.get(stack, {}).get("resources", [])
        if r["mode"] == mode and r["type"] == type_
    ]


def _release(stack: str, key: str, value: str) -> Find:
    """The stack's Helm release whose `key` (name, chart) is `value`."""

    def find(states: States) -> dict[str, Any] | None:
        releases = _in_state(states, stack, "helm_release")
        return next((r for r in releases if r.get(key) == value), None)

    return find


def _kubernetes_object(stack: str, type_: str, name: str) -> Find:
    """The stack's Kubernetes object of `type_` named `name`."""

    def find(states: States) -> dict[str, Any] | None:
        found = _in_state(states, stack, type_)
        return next((a for a in found if (a.get("metadata") or [{}])[0].get("name") == name), None)

    return find


def _holding(stack: str, kind: str) -> Find:
    """The stack's platform-objects release that holds an object of `kind`."""

    def find(states: States) -> dict[str, Any] | None:
        releases = _in_state(states, stack, "helm_release")
        return next((r for r in releases if _of_kind(_held(r), kind)), None)

    return find


def _held(release: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The objects a platform-objects release holds, as Helm reads its values."""
    return list(release_values(release).get("objects") or []) if release else []


def _of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _object(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The object of `kind` named `name` (empty when there is none)."""
    named = [o for o in _of_kind(objects, kind) if o.get("metadata", {}).get("name") == name]
    return named[0] if named else {}


def _values(find: Find, states: States) -> dict[str, Any]:
    release = find(states)
    return release_values(release) if release else {}


def _edited(find: Find, edit: Callable[[dict[str, Any]], None]) -> Edit:
    """A negative control: `edit` applied to what `find` finds."""

    def apply(states: States) -> None:
        found = find(states)
        if found is not None:
            edit(found)

    return apply


def _values_edited(find: Find, edit: Callable[[dict[str, Any]], None]) -> Edit:
    """A negative control: `edit` applied to a release's values, written back as one document."""

    def rewrite(release: dict[str, Any]) -> None:
        values = release_values(release)
        edit(values)
        release["values"] = [yaml.safe_dump(values)]

    return _edited(find, rewrite)


def _as_synthesized(ws: Workspace, stack: str, type_: str, name: str) -> dict[str, Any]:
    """The resource of `type_` named `name` (a release's or an object's name) as the stack's
    JSON has it: its cross-stack values are still references."""
    for resource in ws.stack_json(stack).get("resource", {}).get(type_, {}).values():
        where = resource if type_ == "helm_release" else resource.get("metadata", {})
        if where.get("name") == name:
            return dict(resource)
    return {}


def _not_caught(
    check: Callable[[States], list[str]], states: States, controls: Mapping[str, Edit]
) -> list[str]:
    """Each negative control (what it is -> how it edits the states) breaks a copy of the
    states as a wrong deploy would have left them: the check must find a problem in each."""
    problems = []
    for what, breaks in controls.items():
        broken = copy.deepcopy(states)
        breaks(broken)
        if not check(broken):
            problems.append(f"not caught: {what}")
    return problems


# identity


def _identity(states: States) -> list[str]:
    """The team stack binds the team's group, with the issuer's prefix, to its role; the
    vcluster's API server trusts the issuer, with the prefix on users and groups."""
    problems = []
    find = _kubernetes_object(DAY_TWO_TEAM, "kubernetes_cluster_role_binding_v1", MEMBERS_BINDING)
    binding = find(states)
    if binding is None:
        problems.append(f"{DAY_TWO_TEAM}: no ClusterRoleBinding {MEMBERS_BINDING} in its state")
    else:
        roles = [(r.get("kind"), r.get("name")) for r in binding.get("role_ref") or []]
        subjects = [(s.get("kind"), s.get("name")) for s in binding.get("subject") or []]
        if roles != [("ClusterRole", MEMBERS_ROLE)]:
            problems.append(f"{MEMBERS_BINDING} binds to {roles}, not ClusterRole {MEMBERS_ROLE}")
        if subjects != [("Group", MEMBERS_GROUP)]:
            problems.append(f"{MEMBERS_BINDING} binds {subjects}, not Group {MEMBERS_GROUP}")
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    distro = _values(_release(vcluster, "chart", "vcluster"), states)
    api_server = distro.get("controlPlane", {}).get("distro", {}).get("k8s", {}).get("apiServer")
    args = (api_server or {}).get("extraArgs") or []
    return problems + [
        f"{vcluster}: the API server is not started with {a}" for a in ISSUER_ARGS if a not in args
    ]


def _identity_controls() -> dict[str, Edit]:
    binding = _kubernetes_object(
        DAY_TWO_TEAM, "kubernetes_cluster_role_binding_v1", MEMBERS_BINDING
    )

    def without_issuer(values: dict[str, Any]) -> None:
        values["controlPlane"]["distro"]["k8s"]["apiServer"]["extraArgs"] = []

    return {
        "the group bound to admin": _edited(
            binding, lambda b: b["role_ref"][0].update(name="admin")
        ),
        "the group bound without the issuer's prefix": _edited(
            binding, lambda b: b["subject"][0].update(name=MEMBERS_GROUP.removeprefix("oidc:"))
        ),
        "another binding": _edited(binding, lambda b: b["metadata"][0].update(name="other")),
        "an API server that does not trust the issuer": _values_edited(
            _release(vcluster_stack(DAY_TWO_TEAM), "chart", "vcluster"), without_issuer
        ),
    }


# exposure


def _exposure(states: States) -> list[str]:
    """The app's listener (its hostname, its own certificate, routes from the tenant's host
    namespace only) and its Certificate in the gateway's platform objects; the tenant's
    HTTPRoute attached to that Gateway and listener by the names read from the services
    stack's state, to the app's Service as vcluster syncs it; the gateway let in to the app."""
    services, vcluster = host_services_stack(DAY_TWO_HOST), vcluster_stack(DAY_TWO_TEAM)
    objects = _held(_holding(services, "Gateway")(states))
    gateways = _of_kind(objects, "Gateway")
    if len(gateways) != 1:
        return [f"{services}: {len(gateways)} Gateways in its state, not 1"]
    metadata = gateways[0].get("metadata", {})
    problems = []
    if (metadata.get("name"), metadata.get("namespace")) != INSTALLED_GATEWAY:
        problems.append(f"{services}: the Gateway is {metadata}, not {INSTALLED_GATEWAY}")
    listeners = gateways[0].get("spec", {}).get("listeners") or []
    listener: dict[str, Any] = next(
        (item for item in listeners if item.get("name") == APP_LISTENER), {}
    )
    if (listener.get("hostname"), listener.get("protocol")) != (APP_HOST, "HTTPS"):
        problems.append(
            f"{services}: the Gateway has no HTTPS listener {APP_LISTENER} for {APP_HOST}"
        )
    served = [ref.get("name") for ref in listener.get("tls", {}).get("certificateRefs") or []]
    certificate = _object(objects, "Certificate", APP_LISTENER)
    spec = certificate.get("spec", {})
    if (
        spec.get("dnsNames") != [APP_HOST]
        or served != [spec.get("secretName")]
        or certificate.get("metadata", {}).get("namespace") != metadata.get("namespace")
    ):
        problems.append(
            f"{services}: no Certificate {APP_LISTENER} for {APP_HOST} beside the Gateway, "
            "in the Secret its listener serves"
        )
    problems += _app_route(states, metadata, listener)
    if _kubernetes_object(vcluster, "kubernetes_network_policy_v1", GATEWAY_TO_APP)(states) is None:
        problems.append(f"{vcluster}: no NetworkPolicy {GATEWAY_TO_APP} in its state")
    return problems


def _app_route(
    states: States, gateway: Mapping[str, Any], listener: Mapping[str, Any]
) -> list[str]:
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    routes = _of_kind(_held(_release(vcluster, "name", APP_ROUTE_RELEASE)(states)), "HTTPRoute")
    if len(routes) != 1:
        return [f"{vcluster}: {len(routes)} HTTPRoutes in {APP_ROUTE_RELEASE}, not 1"]
    spec = routes[0].get("spec", {})
    expected = [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": gateway.get("name"),
            "namespace": gateway.get("namespace"),
            "sectionName": APP_LISTENER,
        }
    ]
    problems = []
    if spec.get("parentRefs") != expected:
        problems.append(f"{vcluster}: the route's parentRefs are {spec.get('parentRefs')}")
    if spec.get("hostnames") != [APP_HOST]:
        problems.append(f"{vcluster}: the route's hostnames are {spec.get('hostnames')}")
    backends = [b.get("name") for rule in spec.get("rules") or [] for b in rule.get("backendRefs")]
    if backends != [APP_BACKEND]:
        problems.append(f"{vcluster}: the route goes to {backends}, not [{APP_BACKEND!r}]")
    admitted = listener.get("allowedRoutes", {}).get("namespaces", {}).get("selector", {})
    namespace = routes[0].get("metadata", {}).get("namespace")
    if admitted.get("matchLabels") != {"kubernetes.io/metadata.name": namespace}:
        problems.append(
            f"the listener {APP_LISTENER} admits {admitted}, not the route's {namespace}"
        )
    return problems


def _exposure_controls(ws: Workspace) -> dict[str, Edit]:
    services, vcluster = host_services_stack(DAY_TWO_HOST), vcluster_stack(DAY_TWO_TEAM)
    route = _release(vcluster, "name", APP_ROUTE_RELEASE)
    synthesized = _as_synthesized(ws, vcluster, "helm_release", APP_ROUTE_RELEASE)

    def without_listener(values: dict[str, Any]) -> None:
        for gateway in _of_kind(values["objects"], "Gateway"):
            listeners = gateway["spec"]["listeners"]
            gateway["spec"]["listeners"] = [i for i in listeners if i["name"] != APP_LISTENER]

    def elsewhere(values: dict[str, Any]) -> None:
        values["objects"][0]["spec"]["rules"][0]["backendRefs"][0]["name"] = "app"

    return {
        "the route's parentRefs as the JSON has them (references)": _edited(
            route, lambda r: r.update(values=synthesized.get("values"))
        ),
        "a Gateway without the app's listener": _values_edited(
            _holding(services, "Gateway"), without_listener
        ),
        "the route to another Service": _values_edited(route, elsewhere),
        "no gateway-to-app policy": _edited(
            _kubernetes_object(vcluster, "kubernetes_network_policy_v1", GATEWAY_TO_APP),
            lambda p: p["metadata"][0].update(name="other"),
        ),
    }


# monitoring


def _monitoring(states: States) -> list[str]:
    """The vcluster's own ServiceMonitor on, a PodMonitor on the host for the database's and
    the cache's pods as the vcluster syncs them, and the cache running its exporter."""
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    problems = []
    values = _values(_release(vcluster, "chart", "vcluster"), states)
    if values.get("controlPlane", {}).get("serviceMonitor", {}).get("enabled") is not True:
        problems.append(f"{vcluster}: the vcluster's ServiceMonitor is not enabled")
    monitors = _of_kind(_held(_release(vcluster, "name", MONITORS_RELEASE)(states)), "PodMonitor")
    selected = {
        m.get("metadata", {}).get("name"): m.get("spec", {}).get("selector", {}).get("matchLabels")
        for m in monitors
    }
    if tuple(sorted(selected)) != POD_MONITORS:
        problems.append(f"{vcluster}: PodMonitors {sorted(selected)}, not {list(POD_MONITORS)}")
    for name, labels in selected.items():
        if (labels or {}).get("vcluster.loft.sh/managed-by") != DAY_TWO_TEAM:
            problems.append(f"{vcluster}: PodMonitor {name} selects {labels}")
    cache = _values(_release(DAY_TWO_TEAM, "chart", "valkey"), states)
    if cache.get("metrics", {}).get("enabled") is not True:
        problems.append(f"{DAY_TWO_TEAM}: the valkey release runs no exporter")
    return problems


def _monitoring_controls() -> dict[str, Edit]:
    vcluster = vcluster_stack(DAY_TWO_TEAM)

    def unwatched(values: dict[str, Any]) -> None:
        values["controlPlane"]["serviceMonitor"]["enabled"] = False

    def database_only(values: dict[str, Any]) -> None:
        values["objects"] = [o for o in values["objects"] if "cache" not in o["metadata"]["name"]]

    def another_tenant(values: dict[str, Any]) -> None:
        values["objects"][0]["spec"]["selector"]["matchLabels"]["vcluster.loft.sh/managed-by"] = (
            "team-b"
        )

    return {
        "a vcluster without its ServiceMonitor": _values_edited(
            _release(vcluster, "chart", "vcluster"), unwatched
        ),
        "no PodMonitor for the cache": _values_edited(
            _release(vcluster, "name", MONITORS_RELEASE), database_only
        ),
        "a PodMonitor selecting another tenant's pods": _values_edited(
            _release(vcluster, "name", MONITORS_RELEASE), another_tenant
        ),
        "a cache without its exporter": _values_edited(
            _release(DAY_TWO_TEAM, "chart", "valkey"), lambda v: v["metrics"].update(enabled=False)
        ),
    }


# GitOps


def _gitops(states: States) -> list[str]:
    """Argo CD's cluster Secret for the vcluster in Argo CD's namespace (read from the services
    stack's state), holding the vcluster's own credentials; the team's AppProject and its
    Application there, for that cluster and the team's repository."""
    services, vcluster = host_services_stack(DAY_TWO_HOST), vcluster_stack(DAY_TWO_TEAM)
    find = _kubernetes_object(vcluster, "kubernetes_secret_v1", ARGOCD_CLUSTER_SECRET)
    secret = find(states)
    if secret is None:
        return [f"{vcluster}: no Secret {ARGOCD_CLUSTER_SECRET} in its state"]
    metadata = secret["metadata"][0]
    argocd = _release(services, "chart", "argo-cd")(states) or {}
    problems = []
    if not metadata.get("namespace") == argocd.get("namespace") == ARGOCD_NAMESPACE:
        problems.append(
            f"{vcluster}: {ARGOCD_CLUSTER_SECRET} is in {metadata.get('namespace')!r}, Argo CD "
            f"in {argocd.get('namespace')!r}, not {ARGOCD_NAMESPACE!r}"
        )
    labels = metadata.get("labels") or {}
    if labels.get("argocd.argoproj.io/secret-type") != "cluster":
        problems.append(f"{vcluster}: {ARGOCD_CLUSTER_SECRET} is not labelled a cluster Secret")
    data = secret.get("data") or {}
    problems += _own_credentials(states, data.get("config"))
    objects = _held(_release(vcluster, "name", GITOPS_RELEASE)(states))
    project = _object(objects, "AppProject", DAY_TWO_TEAM)
    application = _object(objects, "Application", DAY_TWO_TEAM)
    if not project or not application:
        return [*problems, f"{vcluster}: {GITOPS_RELEASE} lacks the AppProject or the Application"]
    spec = application.get("spec", {})
    destinations = project.get("spec", {}).get("destinations") or []
    if spec.get("source") != GITOPS_SOURCE or spec.get("project") != DAY_TWO_TEAM:
        problems.append(f"{vcluster}: the Application delivers {spec.get('source')}")
    if [d.get("server") for d in destinations] != [data.get("server")] or spec.get(
        "destination", {}
    ).get("server") != data.get("server"):
        problems.append(f"{vcluster}: the project or Application names another cluster")
    namespaces = {o.get("metadata", {}).get("namespace") for o in (project, application)}
    if namespaces != {ARGOCD_NAMESPACE}:
        problems.append(f"{vcluster}: the AppProject and Application are in {namespaces}")
    return problems


def _own_credentials(states: States, config: Any) -> list[str]:
    """Argo CD's `config`: JSON whose tlsClientConfig holds, base64, the CA, certificate and
    key of the vcluster's own Secret as the stack read it (verifying the server)."""
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    try:
        tls = json.loads(config)["tlsClientConfig"]
    except (TypeError, ValueError, KeyError):
        return [f"{vcluster}: {ARGOCD_CLUSTER_SECRET}'s config is not JSON: {str(config)[:80]}"]
    read: dict[str, Any] = next(
        iter(_in_state(states, vcluster, "kubernetes_secret_v1", mode="data")), {}
    )
    own = read.get("data") or {}
    problems = [] if tls.get("insecure") is False else [f"{vcluster}: Argo CD skips TLS checks"]
    for field_, key in ARGOCD_TLS.items():
        try:
            value = base64.b64decode(str(tls.get(field_)), validate=True).decode()
        except ValueError:
            value = None
        if not own.get(key) or value != own[key]:
            problems.append(f"{vcluster}: {field_} is not the vcluster's own {key}")
    return problems


def _gitops_controls(ws: Workspace) -> dict[str, Edit]:
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    secret = _kubernetes_object(vcluster, "kubernetes_secret_v1", ARGOCD_CLUSTER_SECRET)
    synthesized = _as_synthesized(ws, vcluster, "kubernetes_secret_v1", ARGOCD_CLUSTER_SECRET)

    def as_synthesized(found: dict[str, Any]) -> None:
        found["metadata"][0]["namespace"] = synthesized.get("metadata", {}).get("namespace")
        found["data"]["config"] = synthesized.get("data", {}).get("config")

    def swapped(found: dict[str, Any]) -> None:
        config = json.loads(found["data"]["config"])
        tls = config["tlsClientConfig"]
        tls["certData"], tls["keyData"] = tls["keyData"], tls["certData"]
        found["data"]["config"] = json.dumps(config)

    def another_revision(values: dict[str, Any]) -> None:
        _object(values["objects"], "Application", DAY_TWO_TEAM)["spec"]["source"][
            "targetRevision"
        ] = "HEAD"

    return {
        "the cluster Secret as the JSON has it (references)": _edited(secret, as_synthesized),
        "the client certificate and key swapped": _edited(secret, swapped),
        "a Secret without Argo CD's label": _edited(
            secret, lambda s: s["metadata"][0]["labels"].pop("argocd.argoproj.io/secret-type")
        ),
        "an Application following another revision": _values_edited(
            _release(vcluster, "name", GITOPS_RELEASE), another_revision
        ),
    }


# backup keys


def _backup_keys(states: States) -> list[str]:
    """The tenant's keys read from the host's ClusterSecretStore (its name read from the
    services stack's state) at the tenant's path, and pushed into the vcluster through a
    SecretStore of its own."""
    services, vcluster = host_services_stack(DAY_TWO_HOST), vcluster_stack(DAY_TWO_TEAM)
    stores = _of_kind(_held(_holding(services, "ClusterSecretStore")(states)), "ClusterSecretStore")
    names = [s.get("metadata", {}).get("name") for s in stores]
    problems = [] if names == [SECRET_STORE] else [f"{services}: ClusterSecretStores {names}"]
    objects = _held(_release(vcluster, "name", BACKUP_CREDENTIALS_RELEASE)(states))
    found = {
        kind: _of_kind(objects, kind) for kind in ("ExternalSecret", "SecretStore", "PushSecret")
    }
    missing = [kind for kind, items in found.items() if len(items) != 1]
    if missing:
        return [*problems, f"{vcluster}: {BACKUP_CREDENTIALS_RELEASE} lacks {', '.join(missing)}"]
    external = found["ExternalSecret"][0].get("spec", {})
    if external.get("secretStoreRef") != {"kind": "ClusterSecretStore", "name": SECRET_STORE}:
        problems.append(f"{vcluster}: the ExternalSecret reads {external.get('secretStoreRef')}")
    if external.get("dataFrom") != [{"extract": {"key": BACKUP_KEYS}}]:
        problems.append(f"{vcluster}: the ExternalSecret reads {external.get('dataFrom')}")
    own = found["SecretStore"][0].get("metadata", {}).get("name")
    pushed = found["PushSecret"][0].get("spec", {}).get("secretStoreRefs")
    if pushed != [{"kind": "SecretStore", "name": own}]:
        problems.append(f"{vcluster}: the PushSecret writes through {pushed}, not {own}")
    return problems


def _backup_keys_controls(ws: Workspace) -> dict[str, Edit]:
    vcluster = vcluster_stack(DAY_TWO_TEAM)
    release = _release(vcluster, "name", BACKUP_CREDENTIALS_RELEASE)
    synthesized = _as_synthesized(ws, vcluster, "helm_release", BACKUP_CREDENTIALS_RELEASE)

    def another_tenants(values: dict[str, Any]) -> None:
        external = _of_kind(values["objects"], "ExternalSecret")[0]
        external["spec"]["dataFrom"][0]["extract"]["key"] = "backups/team-b"

    return {
        "the store's name as the JSON has it (a reference)": _edited(
            release, lambda r: r.update(values=synthesized.get("values"))
        ),
        "another tenant's keys": _values_edited(release, another_tenants),
    }


# where every object went


def _state_object(type_: str, attributes: Mapping[str, Any]) -> str | None:
    """`namespace/name` (or `name`) of the Kubernetes object or Helm release, as the
    stand-ins' journal names it; None for anything else."""
    if type_ == "helm_release":
        where = attributes
    elif type_.startswith("kubernetes_") and attributes.get("metadata"):
        where = attributes["metadata"][0]
    else:
        return None
    name, namespace = where.get("name"), where.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def _on_their_clusters(changes: list[Change], states: States, server: str) -> list[str]:
    """Every Kubernetes object and release in each stack's state is held, by the journal, on
    its cluster alone (the host's API server `server` for the host's stacks, the vcluster's
    through it for the team stack), and nothing else of the stack is held anywhere."""
    vcluster = vcluster_api_server(server, *VCLUSTER_SECRET)
    expected = {host_services_stack(DAY_TWO_HOST): server, vcluster_stack(DAY_TWO_TEAM): server}
    expected[DAY_TWO_TEAM] = vcluster
    held: dict[tuple[str, str, str], set[str]] = {}
    for change in changes:
        if change.cluster is None or change.object_name is None:
            continue
        where = held.setdefault((change.stack, change.type, change.object_name), set())
        if change.action == "delete":
            where.discard(change.cluster)
        else:
            where.add(change.cluster)
    problems = []
    for stack, cluster in expected.items():
        in_state = {
            (stack, r["type"], name)
            for r in states.get(stack, {}).get("resources", [])
            if r["mode"] == "managed"
            and (name := _state_object(r["type"], r["instances"][0]["attributes"]))
        }
        problems += [
            f"{stack}: {t} {n} is held by {sorted(held.get((s, t, n), set()))}, not {cluster}"
            for s, t, n in sorted(in_state)
            if held.get((s, t, n)) != {cluster}
        ]
        problems += [
            f"{stack}: {t} {n} is held by {sorted(where)}, and not in its state"
            for (s, t, n), where in sorted(held.items())
            if s == stack and where and (s, t, n) not in in_state
        ]
    return problems


def _placement_controls(changes: list[Change], states: States) -> list[str]:
    """The check fails where the team stack had been given the host's kubeconfig, and where
    everything had gone to the cluster of the kubeconfig's current context."""
    on_the_host = [
        replace(c, cluster=PROD_EU_SERVER) if c.stack == DAY_TWO_TEAM and c.cluster else c
        for c in changes
    ]
    problems = []
    if not _on_their_clusters(on_the_host, states, PROD_EU_SERVER):
        problems.append("not caught: the team's objects on the host instead of its vcluster")
    if not _on_their_clusters(changes, states, STAGING_SERVER):
        problems.append("not caught: every object on the current context's cluster")
    return problems


def _day_two_checks(ws: Workspace, report: Report, catalog: Catalog) -> None:
    states: States = {s: ws.state(s) for s in iter_stacks(ws)}
    areas: list[tuple[str, Callable[[States], list[str]], Mapping[str, Edit]]] = [
        (
            "identity: the team's group bound to its role, the vcluster's API server trusting "
            "the issuer",
            _identity,
            _identity_controls(),
        ),
        (
            "exposure: the app's listener and certificate on the Gateway, its route through "
            "the Gateway read from state, the gateway let in",
            _exposure,
            _exposure_controls(ws),
        ),
        (
            "monitoring: the vcluster's ServiceMonitor, PodMonitors for the database and the "
            "cache, the cache's exporter",
            _monitoring,
            _monitoring_controls(),
        ),
        (
            "GitOps: the vcluster registered in Argo CD with its own credentials, its "
            "AppProject and Application",
            _gitops,
            _gitops_controls(ws),
        ),
        (
            "backup keys: ExternalSecret, SecretStore and PushSecret through the host's store",
            _backup_keys,
            _backup_keys_controls(ws),
        ),
    ]
    for name, check, controls in areas:
        report.check(name, check(states))
        area = name.split(":", 1)[0]
        report.check(
            f"{area}: every negative control is caught", _not_caught(check, states, controls)
        )
    changes = ws.changes()
    servers = _api_servers(ws, catalog)
    placed = {s: h for s, h in catalog.stack_hosts().items() if s in _stacks_on_clusters(ws)}
    report.check(
        "every object reached its host's API server, the team's its vcluster's",
        placement_problems(hosts_holding(changes, servers), placed)
        + _on_their_clusters(changes, states, servers[DAY_TWO_HOST]),
    )
    report.check(
        "placement: every negative control is caught", _placement_controls(changes, states)
    )


def rehearse_day_two(root: Path, engine: Engine, progress: Progress = quiet) -> Report:
    """tests/fixtures/day-two.yaml: a team with identity, exposure, monitoring, GitOps and
    backup keys on an existing host that installs every service they need; deploy, check
    each in the states, destroy."""
    report = Report("day two: identity, exposure, monitoring, GitOps and backup keys")
    ws = Workspace(root, engine)
    host_kubeconfig = root / "prod-eu-kubeconfig.yaml"
    host_kubeconfig.write_text(
        kubeconfig({"staging": STAGING_SERVER, "prod-eu": PROD_EU_SERVER}, current="staging"),
        "utf-8",
    )
    text = day_two_catalog(host_kubeconfig)
    catalog = parse_catalog(text)
    ws.use_catalog(text)
    _first_deploy(ws, report, progress, "deploy a team on day two")
    _day_two_checks(ws, report, catalog)
    servers = _api_servers(ws, catalog)
    _destroy_everywhere(ws, report, progress, servers)
    return report
