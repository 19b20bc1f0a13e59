"""`pipenv run create-team <name> [--database] [--cache] …`: add a team to the catalog.

The entry is appended to `teams:` with its host (in a fleet: the host of its environment with
the most free capacity, unless `--host` names one) and a stable port slot (KIND host), so the
entry says where it runs and nothing else can move it. The file keeps its comments, order and
formatting (round-trip YAML); the result is validated as a whole catalog before anything is
written, and written atomically.
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
from catalog.model import Catalog
from catalog.placement import CAPACITY_MEASURES, default_node_port, host_path, usage
from catalog.platform import KindHost
from catalog.quota_fit import quantity
from constructs_lib.resources import Quota


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


#: Capacity resource -> the quota field each tenant counts for against it.
QUOTA_FIELD_OF = {resource: field for resource, field, _ in CAPACITY_MEASURES}


def roomiest_host(catalog: Catalog, quota: Quota, *, source: str) -> str:
    """The host of the default environment with the most capacity left once a tenant with
    `quota` joins it: the largest share free of its scarcest resource."""
    platform = catalog.platform
    environment = platform.team_environment
    candidates = [n for n in platform.named_hosts if platform.environment_of(n) == environment]
    if len(candidates) == 1:
        return candidates[0]
    table = usage(platform, {t.name: catalog.placement_of(t) for t in catalog.tenants})
    scores: dict[str, float] = {}
    full: list[str] = []
    for name in candidates:
        shares = []
        for row in table[name]:
            quota_field = QUOTA_FIELD_OF[row.resource]
            need = quantity(str(getattr(quota, quota_field)))
            shares.append(float((row.headroom - need) / row.capacity))
            if need > row.headroom:
                full.append(
                    f"{name}: {row.resource} {row.write(row.headroom)} free of "
                    f"{row.write(row.capacity)}, a tenant needs {row.write(need)}"
                )
        scores[name] = min(shares)
    best = max(candidates, key=lambda n: (scores[n], -candidates.index(n)))
    if scores[best] < 0:
        raise CatalogError(
            f"{source}: no host of environment {environment!r} has room for another tenant "
            f"with the default quota ({'; '.join(full)}); add a host, or raise a host's capacity"
        )
    return best


def add_team(
    text: str,
    name: str,
    *,
    database: bool = False,
    cache: bool = False,
    owners: tuple[str, ...] = (),
    cost_center: str | None = None,
    host: str | None = None,
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
    platform = catalog.platform
    if host is not None and host not in platform.named_hosts:
        raise CatalogError(
            f"{source}: --host {host}: no such host; name one of {', '.join(platform.named_hosts)}"
        )
    chosen = host or roomiest_host(catalog, Quota(), source=source)
    if platform.hosts:
        entry["host"] = chosen
    spec = platform.named_hosts[chosen]
    if isinstance(spec, KindHost):
        taken = {catalog.node_port_of(t) for t in catalog.tenants_on(chosen)}
        derived = default_node_port(name, spec.port_pool)
        free = [p for p in spec.port_pool.ports if p not in taken]
        if not free:
            raise CatalogError(
                f"{source}: the port pool ({spec.port_pool.size} ports) of host {chosen!r} is "
                f"full; raise {host_path(platform, chosen)}.port_pool.size (this recreates the "
                "KIND cluster), or place the team on another host"
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
    parser.add_argument(
        "--host", help="the host to run on (default: the one with the most free capacity)"
    )
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
            host=args.host,
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
