"""The names of the app's stacks, in one place and without the CDK runtime.

The catalog reserves these names (no team may take one), orchestration, Atlantis and the
tools need them without building anything, and the stacks are created under them; importing
this module does not start jsii.
"""

from __future__ import annotations

from typing import Final

#: The host `platform.host:` describes (or none at all): `hosts:` may name it too.
DEFAULT_HOST: Final = "default"
#: Layer 1, a KIND host; absent on an existing host. The default host's stack keeps the name
#: of a single-host platform; any other KIND host's is `kind-cluster-<host>`.
KIND_STACK: Final = "kind-cluster"
KIND_STACK_PREFIX: Final = f"{KIND_STACK}-"
#: Layer 1½, a host's platform services (gateway, certificates, …): `host-services-<host>`,
#: on every host whose catalog entry turns one on.
HOST_SERVICES_STACK_PREFIX: Final = "host-services-"
#: Layer 2 is one stack per team, `vcluster-<team>`: a team named `vcluster-x` would take the
#: stack name of team `x`'s vcluster.
VCLUSTER_STACK_PREFIX: Final = "vcluster-"
#: The single layer-2 stack of earlier releases; reserved so old state never meets a team.
LEGACY_VCLUSTER_STACK: Final = "vcluster"
#: Stacks the platform itself owns; a team may not take one of these names.
PLATFORM_STACK_NAMES: Final = frozenset({KIND_STACK, LEGACY_VCLUSTER_STACK})


def vcluster_stack(team: str) -> str:
    return f"{VCLUSTER_STACK_PREFIX}{team}"


def kind_stack(host: str) -> str:
    return KIND_STACK if host == DEFAULT_HOST else f"{KIND_STACK_PREFIX}{host}"


def host_services_stack(host: str) -> str:
    return f"{HOST_SERVICES_STACK_PREFIX}{host}"


def is_host_stack(name: str) -> bool:
    """A stack of a host itself (its KIND cluster, its services), not of a tenant."""
    return (
        name == KIND_STACK
        or name.startswith(KIND_STACK_PREFIX)
        or name.startswith(HOST_SERVICES_STACK_PREFIX)
    )


def team_stacks(tenant: str) -> tuple[str, ...]:
    """The stacks the app creates for one tenant (a team, or a team in one environment),
    producer first."""
    return (vcluster_stack(tenant), tenant)
