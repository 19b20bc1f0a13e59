"""The names of the app's stacks, in one place and without the CDK runtime.

The catalog reserves these names (no team may take one), orchestration, Atlantis and the
tools need them without building anything, and the stacks are created under them; importing
this module does not start jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from catalog.model import Catalog

#: Layer 1, the KIND host; absent on an existing host.
KIND_STACK: Final = "kind-cluster"
#: Layer 2 is one stack per team, `vcluster-<team>`: a team named `vcluster-x` would take the
#: stack name of team `x`'s vcluster.
VCLUSTER_STACK_PREFIX: Final = "vcluster-"
#: The single layer-2 stack of earlier releases; reserved so old state never meets a team.
LEGACY_VCLUSTER_STACK: Final = "vcluster"
#: Stacks the platform itself owns; a team may not take one of these names.
PLATFORM_STACK_NAMES: Final = frozenset({KIND_STACK, LEGACY_VCLUSTER_STACK})


def vcluster_stack(team: str) -> str:
    return f"{VCLUSTER_STACK_PREFIX}{team}"


def platform_stacks(catalog: Catalog) -> tuple[str, ...]:
    """The stacks every team's stacks depend on: the KIND host, when there is one."""
    return (KIND_STACK,) if catalog.platform.host.type == "kind" else ()


def team_stacks(team: str) -> tuple[str, ...]:
    """The stacks the app creates for one team, producer first."""
    return (vcluster_stack(team), team)
