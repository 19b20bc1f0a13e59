"""The names of the app's stacks, in one place and without the CDK runtime.

Orchestration, Atlantis and the tools need the names (which stacks belong to a team) without
building anything; importing this module does not start jsii.
"""

from __future__ import annotations

from typing import Final

from constructs_lib.catalog import VCLUSTER_STACK_PREFIX, Catalog, KindHost

KIND_STACK: Final = "kind-cluster"


def vcluster_stack(team: str) -> str:
    return f"{VCLUSTER_STACK_PREFIX}{team}"


def platform_stacks(catalog: Catalog) -> tuple[str, ...]:
    """The stacks every team's stacks depend on: the KIND host, when there is one."""
    return (KIND_STACK,) if isinstance(catalog.platform.host, KindHost) else ()


def team_stacks(team: str) -> tuple[str, ...]:
    """The stacks the app creates for one team, producer first."""
    return (vcluster_stack(team), team)
