"""`pipenv run create-team <name> [--database] [--cache] …`: add a team to the catalog.

The entry is appended to `teams:` with a stable port slot (KIND host). The file keeps its
comments, order and formatting (round-trip YAML); the result is validated as a whole catalog
before anything is written, and written atomically.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from catalog.loader import CatalogError, catalog_path, load_catalog, parse_catalog
from catalog.model import default_node_port
from catalog.platform import KindHost


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode: comments, order and quoting survive
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _flow(items: dict[str, object] | list[str]) -> CommentedMap | CommentedSeq:
    node = CommentedMap(items) if isinstance(items, dict) else CommentedSeq(items)
    node.fa.set_flow_style()
    return node


def add_team(
    text: str,
    name: str,
    *,
    database: bool = False,
    cache: bool = False,
    owners: tuple[str, ...] = (),
    cost_center: str | None = None,
    source: str = "platform.yaml",
) -> str:
    """The catalog text with the new team appended; raises CatalogError on any problem."""
    catalog = parse_catalog(text, source=source)
    if any(t.name == name for t in catalog.teams):
        raise CatalogError(f"{source}: team {name!r} already exists; choose another name")
    entry = CommentedMap()
    entry["name"] = name
    if owners:
        entry["owners"] = _flow(list(owners))
    if cost_center:
        entry["cost_center"] = cost_center
    host = catalog.platform.host
    if isinstance(host, KindHost):
        taken = {catalog.node_port_of(t) for t in catalog.teams}
        derived = default_node_port(name, host.port_pool)
        free = [p for p in host.port_pool.ports if p not in taken]
        if not free:
            raise CatalogError(
                f"{source}: the port pool ({host.port_pool.size} ports) is full; raise "
                "platform.host.port_pool.size (this recreates the KIND cluster) or move to an "
                "existing host"
            )
        entry["node_port"] = derived if derived in free else free[0]
    if database:
        entry["database"] = _flow({})
    if cache:
        entry["cache"] = _flow({})

    yaml = _yaml()
    try:
        document = yaml.load(text)
    except YAMLError as err:  # parse_catalog accepted it, so this is unexpected
        raise CatalogError(f"{source}: cannot edit the catalog: {err}") from None
    document["teams"].append(entry)
    out = io.StringIO()
    yaml.dump(document, out)
    updated = out.getvalue()
    parse_catalog(updated, source=source)  # the whole result must be a valid catalog
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="create-team", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="team name: a DNS-1123 label such as team-c")
    parser.add_argument("--database", action="store_true", help="give the team PostgreSQL")
    parser.add_argument("--cache", action="store_true", help="give the team a Valkey cache")
    parser.add_argument("--owner", action="append", default=[], help="owner e-mail (repeatable)")
    parser.add_argument("--cost-center", help="cost-center label (default: the platform's)")
    args = parser.parse_args(argv)
    path = catalog_path()
    try:
        load_catalog(path)  # one clear error for a missing or broken catalog
        text = path.read_text(encoding="utf-8")
        updated = add_team(
            text,
            args.name,
            database=args.database,
            cache=args.cache,
            owners=tuple(args.owner),
            cost_center=args.cost_center,
            source=str(path),
        )
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(updated, encoding="utf-8")
    os.replace(temporary, path)
    print(f"added team {args.name!r} to {path}; run `pipenv run generate` and open a pull request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
