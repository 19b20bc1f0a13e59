"""Refuses a catalog change that would destroy a team's database without an explicit decision.

The previous synthesized output (the committed `cdktf.out/`) is the record of what is
deployed. Dropping a database — removing its team, or removing its `database:` block — is
allowed only for a team marked `decommission: true`; that mark is also written into the team
stack's output, so the entry can be deleted in a later change. See README, "Decommissioning".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from catalog.loader import CatalogError, load_catalog
from catalog.model import Catalog
from catalog.synthesized_stacks import UnreadableStackError, read_stacks
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
        return read_stacks(outdir)
    except UnreadableStackError as err:
        # The guard cannot tell what this stack deploys: never guess that it is nothing.
        raise CatalogError(
            f"{err.path}: the earlier output is not valid JSON, so the data guard cannot check "
            "it; restore it (git checkout -- cdktf.out) and synthesize again"
        ) from None


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


def load_catalog_for_synth(path: Path, outdir: Path) -> Catalog:
    """The catalog at `path`, refused if it drops data that the output in `outdir` deploys."""
    catalog = load_catalog(path)
    check_stateful_removals(previous_stacks(outdir), catalog, source=str(path))
    return catalog
