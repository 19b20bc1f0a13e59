"""Refuses a catalog change that would destroy a team's database without an explicit decision.

The reviewed synthesized output is the record of what is deployed. Dropping a database —
removing its team, or removing its `database:` block — is allowed only for a team marked
`decommission: true`; that mark is also written into the team stack's output, so the entry can
be deleted in a later change. See README, "Decommissioning".

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
from catalog.stack_names import PLATFORM_STACK_NAMES, VCLUSTER_STACK_PREFIX
from catalog.synthesized_stacks import (
    UnreadableStackError,
    checkout_root,
    has_revision,
    read_stacks,
    stacks_at_revision,
)
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
        return read_stacks(outdir, only=_is_team_stack, keep=essentials)
    except UnreadableStackError as err:
        # The guard cannot tell what this stack deploys: never guess that it is nothing.
        raise CatalogError(
            f"{err.path}: the earlier output is not valid JSON, so the data guard cannot check "
            "it; restore it (git checkout -- cdktf.out) and synthesize again"
        ) from None


def essentials(stack: Mapping[str, Any]) -> dict[str, Any]:
    """Of a stack, only what the guard reads: its database releases and its decommission mark."""
    releases = stack.get("resource", {}).get("helm_release", {})
    databases = {
        k: {"chart": v["chart"]} for k, v in releases.items() if v.get("chart") == DATABASE_CHART
    }
    outputs = stack.get("output", {})
    return {
        "resource": {"helm_release": databases},
        "output": {k: True for k in outputs if k == DECOMMISSION_OUTPUT},
    }


def _has_database(stack: Mapping[str, Any]) -> bool:
    releases = stack.get("resource", {}).get("helm_release", {}).values()
    return any(r.get("chart") == DATABASE_CHART for r in releases)


def _was_marked(stack: Mapping[str, Any]) -> bool:
    return DECOMMISSION_OUTPUT in stack.get("output", {})


def check_stateful_removals(
    previous: Mapping[str, Mapping[str, Any]], catalog: Catalog, *, source: str
) -> None:
    teams = {t.name: (i, t) for i, t in enumerate(catalog.teams)}
    for name, stack in sorted(previous.items()):
        if not _has_database(stack):
            continue
        if name not in teams:
            if _was_marked(stack):
                continue
            raise CatalogError(
                f"{source}: teams: removing team {name!r} would destroy its PostgreSQL "
                f"database; to do it on purpose, keep the entry, {HOW}"
            )
        index, team = teams[name]
        if not team.wants_database and not team.decommission:
            raise CatalogError(
                f"{source}: teams[{index}] ({name}).database: removing it destroys the team's "
                f"PostgreSQL data; to do it on purpose, {HOW}"
            )


#: The base revision when none is named: what a pull request is reviewed against.
DEFAULT_BASE: Final = "origin/main"


def _is_team_stack(name: str) -> bool:
    return name not in PLATFORM_STACK_NAMES and not name.startswith(VCLUSTER_STACK_PREFIX)


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
        committed = stacks_at_revision(root, outdir, revision, only=_is_team_stack, keep=essentials)
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
    return catalog
