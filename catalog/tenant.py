"""Tenants: a team in one environment, the unit that gets a vcluster and a team stack.

A team without `environments:` is one tenant under the team's own name, in the default
environment, with the stack and state names of a single-environment platform (nothing is
renamed when a platform grows into a fleet). A team with `environments:` is one tenant per
environment, named `<team>-<environment>`, whose settings are the team's with that
environment's merged over them (mappings merge key by key, anything else is replaced).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from catalog.team import Team

#: Fields of a team entry that describe the entry, not one tenant's settings.
_ENTRY_ONLY = frozenset({"environments", "host", "node_port"})


@dataclass(frozen=True, slots=True)
class Tenant:
    """A team in one environment, with the settings it runs with and where they came from."""

    name: str
    """Names its stacks, state and everything in them: the team's name, or `<team>-<env>`."""
    team: str
    environment: str
    settings: Team
    """The effective entry, validated; `settings.name == name`."""
    source: str
    """Where the catalog says it: `teams[2]` or `teams[2].environments.prod`."""
    host: str | None = None
    """The host the entry pins it to, if any; where it runs is the placement's business."""
    node_port: int | None = None
    """The host port the entry pins, if any (KIND hosts)."""
    per_environment: bool = False
    """True for a tenant of a team with `environments:` (its name carries the environment)."""


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _first_problem(err: ValidationError, source: str) -> str:
    error = err.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (see README.md, 'Catalog reference')"
    return f"{source}.{where}: {message}" if where else f"{source}: {message}"


def tenant_name(team: str, environment: str) -> str:
    return f"{team}-{environment}"


def tenants_of(team: Team, index: int, *, default_environment: str) -> list[Tenant]:
    """The tenants of `teams[index]`; a setting that is wrong only once merged raises
    ValueError naming the environment and the field."""
    source = f"teams[{index}]"
    if not team.environments:
        return [
            Tenant(
                name=team.name,
                team=team.name,
                environment=default_environment,
                settings=team,
                source=source,
                host=team.host,
                node_port=team.node_port,
            )
        ]
    if team.host is not None or team.node_port is not None:
        field = "host" if team.host is not None else "node_port"
        raise ValueError(
            f"{source}.{field}: a team with environments: sets it per environment "
            f"(environments.<name>.{field}); move it there"
        )
    entry = team.model_dump(exclude_unset=True)
    for key in _ENTRY_ONLY:
        entry.pop(key, None)
    tenants = []
    for environment, overrides in team.environments.items():
        where = f"{source}.environments.{environment}"
        changes = overrides.model_dump(exclude_none=True)
        settings = _merged(entry, {k: v for k, v in changes.items() if k not in _ENTRY_ONLY})
        settings["name"] = tenant_name(team.name, environment)
        try:
            effective = Team.model_validate(settings)
        except ValidationError as err:
            raise ValueError(_first_problem(err, where)) from None
        tenants.append(
            Tenant(
                name=effective.name,
                team=team.name,
                environment=environment,
                settings=effective,
                source=where,
                host=overrides.host,
                node_port=overrides.node_port,
                per_environment=True,
            )
        )
    return tenants
