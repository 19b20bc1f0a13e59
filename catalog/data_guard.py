"""Refuses a catalog change that would destroy a team's database without an explicit decision.

The reviewed synthesized output is the record of what is deployed. Dropping a database —
removing its team, or removing its `database:` block — is allowed only for a team marked
`decommission: true`; that mark is also written into the team stack's output, so the entry can
be deleted in a later change. See README, "Decommissioning".

So is starting a team's virtual cluster empty: a change of its vcluster's backing store (the
open-source vcluster moves nothing between stores, and its syncer then deletes the host side of
everything the empty cluster lacks: pods, and the volumes of the database and cache), for a
team with a database or cache; and a change of a deployed etcd's members, for any team (the
chart starts every member as a new cluster, so the members split). README, "HA".

And so is moving a tenant with a database to another host: its stacks would create it empty
on the new host and leave the old vcluster, with the data, running unmanaged on the old one.
README, "Moving a tenant to another host".

The record is the output committed at a base revision, which a working tree cannot lose:
`SYNTH_BASE` (the pull request's base in the Atlantis hook and in CI), else `origin/main` when
the checkout has it. The working tree's `cdktf.out/` is checked too; alone, only when there is
no base, and the guard says so. A cache is not guarded: it holds no data of record (README).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from catalog.loader import CatalogError, load_catalog
from catalog.model import Catalog
from catalog.stack_names import PLATFORM_STACK_NAMES, is_host_stack, vcluster_stack
from catalog.synthesized_stacks import (
    UnreadableStackError,
    checkout_root,
    has_revision,
    read_stacks,
    stacks_at_revision,
)
from catalog.vcluster_host import host_record_of, placed_record
from catalog.vcluster_store import Store, store_of
from constructs_lib.cache_props import CACHE_CHART
from constructs_lib.postgres_props import DATABASE_CHART

#: Output a team stack carries while its team is marked for decommissioning.
DECOMMISSION_OUTPUT: Final = "decommissioning"

HOW: Final = (
    "take a backup, set `decommission: true` on the team and apply, destroy what is to go, "
    "then remove it (README.md, 'Decommissioning')"
)


def previous_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """The stacks of an earlier synthesis in `outdir`, or nothing if there is none."""
    try:
        return read_stacks(outdir, only=_is_tenant_stack, keep=essentials)
    except UnreadableStackError as err:
        # The guard cannot tell what this stack deploys: never guess that it is nothing.
        raise CatalogError(
            f"{err.path}: the earlier output is not valid JSON, so the data guard cannot check "
            "it; restore it (git checkout -- cdktf.out) and synthesize again"
        ) from None


_DATA_CHARTS: Final = {DATABASE_CHART: "PostgreSQL database", CACHE_CHART: "cache"}


def essentials(stack: Mapping[str, Any]) -> dict[str, Any]:
    """Of a stack, only what the guard reads: its database and cache releases, its decommission
    mark, and the store and host of its vcluster."""
    releases = stack.get("resource", {}).get("helm_release", {})
    data = {k: {"chart": v["chart"]} for k, v in releases.items() if v.get("chart") in _DATA_CHARTS}
    outputs = stack.get("output", {})
    kept: dict[str, Any] = {
        "resource": {"helm_release": data},
        "output": {k: True for k in outputs if k == DECOMMISSION_OUTPUT},
    }
    store = store_of(stack)
    if store is not None:
        kept["store"] = {"name": store.name, "etcd_members": store.etcd_members}
    host = host_record_of(stack)
    if host is not None:
        kept["host"] = {"kubeconfig": host.kubeconfig, "context": host.context}
    return kept


def _has_database(stack: Mapping[str, Any]) -> bool:
    releases = stack.get("resource", {}).get("helm_release", {}).values()
    return any(r.get("chart") == DATABASE_CHART for r in releases)


def _was_marked(stack: Mapping[str, Any]) -> bool:
    return DECOMMISSION_OUTPUT in stack.get("output", {})


def _data_of(stack: Mapping[str, Any]) -> list[str]:
    """What of record a team stack deploys: 'PostgreSQL database', 'cache'."""
    charts = {r.get("chart") for r in stack.get("resource", {}).get("helm_release", {}).values()}
    return [what for chart, what in _DATA_CHARTS.items() if chart in charts]


def _recorded_store(stack: Mapping[str, Any]) -> Store | None:
    """The store of an earlier vcluster stack, whole or as `essentials` kept it."""
    kept = stack.get("store")
    return Store(**kept) if kept is not None else store_of(stack)


STORE_HOW: Final = (
    "take a backup, set `decommission: true` on the team and apply the change, then restore "
    "into the new store (README.md, 'HA: what runs on the open-source build')"
)


def check_store_changes(
    previous: Mapping[str, Mapping[str, Any]], catalog: Catalog, *, source: str
) -> None:
    """Refuses a change that starts a team's virtual cluster empty (module docstring)."""
    for tenant in catalog.tenants:
        team = tenant.settings
        before = _recorded_store(previous.get(vcluster_stack(tenant.name), {}))
        if before is None or team.decommission:
            continue
        after = Store(team.vcluster.backing_store.value, team.vcluster.etcd_members)
        where = f"{source}: {tenant.source} ({tenant.name}).vcluster"
        data = _data_of(previous.get(tenant.name, {}))
        if before.name != after.name and data:
            raise CatalogError(
                f"{where}.backing_store: changing it from {before.name} to {after.name} starts "
                "the team's virtual cluster empty (the open-source vcluster moves nothing "
                "between stores), and the vcluster then deletes its pods and the volumes of "
                f"its {' and '.join(data)} on the host; to do it on purpose, {STORE_HOW}"
            )
        if before.name == after.name and before.etcd_members != after.etcd_members:
            raise CatalogError(
                f"{where}.replicas: the deployed etcd's members are fixed once it runs (the "
                "chart starts every member as a new cluster), so changing "
                f"{before.etcd_members} to {after.etcd_members} splits it and loses the team's "
                f"virtual cluster; keep replicas: {before.etcd_members}, or to rebuild it on "
                f"purpose, {STORE_HOW}"
            )


def _removed(name: str, catalog: Catalog) -> str:
    """How the catalog lost the tenant `name`: a team removed, or one environment of a team."""
    for team in catalog.teams:
        for environment in team.environments or {}:
            if name == f"{team.name}-{environment}":
                return f"removing environment {environment!r} of team {team.name!r}"
        if team.environments and name.startswith(f"{team.name}-"):
            environment = name.removeprefix(f"{team.name}-")
            return f"removing environment {environment!r} of team {team.name!r}"
    return f"removing team {name!r}"


def check_stateful_removals(
    previous: Mapping[str, Mapping[str, Any]], catalog: Catalog, *, source: str
) -> None:
    tenants = {t.name: t for t in catalog.tenants}
    for name, stack in sorted(previous.items()):
        if not _has_database(stack):
            continue
        if name not in tenants:
            if _was_marked(stack):
                continue
            raise CatalogError(
                f"{source}: teams: {_removed(name, catalog)} would destroy its PostgreSQL "
                f"database; to do it on purpose, keep the entry, {HOW}"
            )
        tenant = tenants[name]
        if not tenant.settings.wants_database and not tenant.settings.decommission:
            raise CatalogError(
                f"{source}: {tenant.source} ({name}).database: removing it destroys the team's "
                f"PostgreSQL data; to do it on purpose, {HOW}"
            )


MOVE_HOW: Final = (
    "restore its backups into a new tenant on the new host (database: {restore: {from: "
    "<this tenant>}}), check it, then decommission this one (README.md, 'Moving a tenant to "
    "another host')"
)


def check_host_moves(
    previous: Mapping[str, Mapping[str, Any]], catalog: Catalog, *, source: str
) -> None:
    """Refuses moving a tenant with a database to another host (module docstring)."""
    for tenant in catalog.tenants:
        before = host_record_of(previous.get(vcluster_stack(tenant.name), {}))
        after = placed_record(catalog, tenant)
        if before is None or before == after or tenant.settings.decommission:
            continue
        if not _has_database(previous.get(tenant.name, {})):
            continue
        old_name = before.name_in(catalog)
        keep = (
            f"; or keep it where it is with `host: {old_name}` on {tenant.source} (it is placed "
            "by capacity, and the hosts of its environment changed)"
            if tenant.host is None and old_name is not None
            else ""
        )
        raise CatalogError(
            f"{source}: {tenant.source} ({tenant.name}).host: moving it from "
            f"{before.describe(catalog)} to {after.describe(catalog)} would start its vcluster "
            "empty there and leave the old one, with its PostgreSQL data, running unmanaged; "
            f"to move it on purpose, {MOVE_HOW}{keep}"
        )


#: The base revision when none is named: what a pull request is reviewed against.
DEFAULT_BASE: Final = "origin/main"


def _is_tenant_stack(name: str) -> bool:
    return name not in PLATFORM_STACK_NAMES and not is_host_stack(name)


def reference_stacks(
    outdir: Path, base: str | None
) -> tuple[list[dict[str, dict[str, Any]]], str | None]:
    """What the guard compares with — the base revision's output and the working tree's — and
    a one-line note when there is no base to compare with."""
    working = previous_stacks(outdir)
    root = checkout_root(outdir)
    revision = base or DEFAULT_BASE
    if root is None and not base:
        # Output outside any checkout (a scratch directory) has no reviewed record to lose.
        return [working], None
    if root is None or not has_revision(root, revision):
        if base:
            raise CatalogError(
                f"SYNTH_BASE={base!r} is not a commit of this checkout; fetch it or name "
                "another, so the data guard can compare with the reviewed output"
            )
        return [working], (
            f"note: data guard: no base revision ({DEFAULT_BASE} not found, SYNTH_BASE not "
            f"set); comparing with the working tree's {outdir.name}/ only"
        )
    try:
        committed = stacks_at_revision(
            root, outdir, revision, only=_is_tenant_stack, keep=essentials
        )
    except UnreadableStackError as err:
        raise CatalogError(
            f"{err.path}: the committed output is not valid JSON, so the data guard cannot "
            "check it; fix that revision's output"
        ) from None
    return [committed, working], None


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def load_catalog_for_synth(
    path: Path,
    outdir: Path,
    *,
    base: str | None = None,
    notify: Callable[[str], None] = _to_stderr,
) -> Catalog:
    """The catalog at `path`, refused if it drops data that the reviewed output deploys.

    When there is no base revision to compare with, `notify` hears so first, in one line.
    """
    catalog = load_catalog(path)
    references, note = reference_stacks(outdir, base)
    if note:
        notify(note)
    for stacks in references:
        check_stateful_removals(stacks, catalog, source=str(path))
        check_store_changes(stacks, catalog, source=str(path))
        check_host_moves(stacks, catalog, source=str(path))
    return catalog
