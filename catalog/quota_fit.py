"""Does a team's own platform fit its quota? Computed from the catalog, before anything deploys.

The quota (`policies.resourceQuota` of the vcluster chart) covers every pod of the team's host
namespace: the vcluster control plane and its CoreDNS as well as the team's app, database
(with CloudNativePG's operator and its one-off init job) and cache. A team whose own parts need
more pods, CPU, memory or storage than that would deploy into a wait that times out; it is
refused here instead, with the numbers and the field to raise.

Figures the catalog does not hold come from the pinned charts' defaults (vcluster 0.36.1:
CoreDNS requests 20m/64Mi, limits 1000m/170Mi, a 5Gi volume per control-plane replica with the
embedded store, a deployed etcd's 5Gi per member and its requests 20m/150Mi;
cloudnative-pg 0.29.0: no resources of its own, so the team's LimitRange defaults apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from catalog.team import Team
from constructs_lib.resources import CACHE_RESOURCES, POSTGRES_RESOURCES, Resources
from constructs_lib.vcluster_props import COREDNS_RESOURCES, ETCD_RESOURCES, ETCD_VOLUME_GIB

_SUFFIXES: Final = {
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}


def quantity(text: str) -> Decimal:
    """A Kubernetes quantity as a number ('500m' -> 0.5, '1Gi' -> 1073741824)."""
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return Decimal(text)


@dataclass(frozen=True)
class Part:
    """Pods of one kind that the team's platform runs in its host namespace."""

    what: str
    pods: int
    resources: Resources
    storage_gib: int = 0


def parts_of(team: Team) -> list[Part]:
    vcluster = team.vcluster
    parts = [
        Part(
            "vcluster control plane",
            vcluster.replicas,
            vcluster.resources,
            vcluster.control_plane_volume_gib * vcluster.replicas,
        ),
        Part("CoreDNS", 1, COREDNS_RESOURCES),
        Part("app", team.app.replicas, team.app.resources),
    ]
    if vcluster.etcd_members:
        members = vcluster.etcd_members
        parts.append(Part("etcd", members, ETCD_RESOURCES, ETCD_VOLUME_GIB * members))
    if team.wants_database and team.database is not None:
        db = team.database
        parts += [
            Part("PostgreSQL", db.instances, POSTGRES_RESOURCES, db.storage_gib * db.instances),
            Part("PostgreSQL init job", 1, POSTGRES_RESOURCES),
            Part("CloudNativePG operator", 1, team.container_defaults),
        ]
    if team.wants_cache and team.cache is not None:
        parts.append(Part("cache", 1, CACHE_RESOURCES, team.cache.storage_gib))
    return parts


def _in(unit: Decimal | int, suffix: str) -> Callable[[Decimal], str]:
    """Writes an amount in `unit`s, rounded: `_in(Decimal("0.001"), "m")` gives millicores."""

    def write(value: Decimal) -> str:
        return f"{int((value / unit).to_integral_value())}{suffix}"

    return write


_cpu, _memory, _gib = _in(Decimal("0.001"), "m"), _in(2**20, "Mi"), _in(2**30, "Gi")


def _per_pod(attribute: str) -> Callable[[Part], Decimal]:
    def need(part: Part) -> Decimal:
        return part.pods * quantity(getattr(part.resources, attribute))

    return need


#: Each quota field: what one part needs of it, and how to write the amount.
MEASURES: Final[tuple[tuple[str, Callable[[Part], Decimal], Callable[[Decimal], str]], ...]] = (
    ("pods", lambda p: Decimal(p.pods), lambda d: str(int(d))),
    ("cpu_requests", _per_pod("cpu_request"), _cpu),
    ("memory_requests", _per_pod("memory_request"), _memory),
    ("cpu_limits", _per_pod("cpu_limit"), _cpu),
    ("memory_limits", _per_pod("memory_limit"), _memory),
    ("storage_requests", lambda p: Decimal(p.storage_gib) * 2**30, _gib),
)


def shortfalls(team: Team) -> list[str]:
    """One line per quota field the team's own parts do not fit: `quota.<field>: …`."""
    parts = parts_of(team)
    lines = []
    for field, need, write in MEASURES:
        needed = sum((need(p) for p in parts), Decimal(0))
        allowed = quantity(str(getattr(team.quota, field)))
        if needed <= allowed:
            continue
        detail = ", ".join(f"{p.what} {write(need(p))}" for p in parts if need(p))
        lines.append(
            f"quota.{field}: the team's own platform needs {write(needed)} ({detail}); the "
            f"quota allows {write(allowed)}; raise quota.{field} to at least {write(needed)}"
        )
    return lines
