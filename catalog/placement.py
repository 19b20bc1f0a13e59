"""Placement: which host each tenant runs on, and its port there; computed once, here.

A tenant runs on the host its entry pins. One that pins none runs on a host of its
environment chosen from its own name and those hosts alone (rendezvous hashing, weighted by
each host's declared CPU): adding, removing or reordering other teams never moves it, as
with ports. `create-team` goes further and writes the host with the most free capacity into
the new entry, so what a reviewer reads is where it runs. A host's tenants must fit its
declared capacity: each counts for its whole quota (requests, storage, pods), the most it can
claim, so a full host is refused before anything deploys, with the numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from catalog.platform import ExistingHost, KindHost, Platform, PortPool
from catalog.quota_fit import quantity
from catalog.tenant import Tenant


def host_path(platform: Platform, host: str) -> str:
    """Where a host is written in the catalog: `platform.host` or `platform.hosts.<name>`."""
    return f"platform.hosts.{host}" if platform.hosts else "platform.host"


def default_node_port(tenant_name: str, pool: PortPool) -> int:
    """A port derived from the tenant's name alone, so it never shifts as others come and go."""
    digest = hashlib.sha256(tenant_name.encode()).digest()
    return pool.first_port + int.from_bytes(digest[:8], "big") % pool.size


def _weight(host: KindHost | ExistingHost) -> float:
    return float(quantity(host.capacity.cpu)) if host.capacity else 1.0


def rendezvous_host(tenant_name: str, candidates: Mapping[str, KindHost | ExistingHost]) -> str:
    """The candidate with the highest weighted score for this tenant (stable: only the
    tenant's name and the candidates decide; a new host takes only tenants it now wins)."""

    def score(host: str) -> float:
        digest = hashlib.sha256(f"{host}\0{tenant_name}".encode()).digest()
        unit = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
        return -_weight(candidates[host]) / math.log(unit)

    return max(candidates, key=lambda host: (score(host), host))


@dataclass(frozen=True, slots=True)
class Placed:
    """A tenant on its host, with its host port when the host is a KIND cluster."""

    tenant: Tenant
    host: str
    node_port: int | None = None


def _hosts_by_environment(platform: Platform) -> dict[str, dict[str, KindHost | ExistingHost]]:
    grouped: dict[str, dict[str, KindHost | ExistingHost]] = {}
    for name, host in platform.named_hosts.items():
        grouped.setdefault(platform.environment_of(name), {})[name] = host
    return grouped


def _choose_host(
    platform: Platform, tenant: Tenant, by_env: Mapping[str, Mapping[str, KindHost | ExistingHost]]
) -> str:
    hosts = platform.named_hosts
    candidates = by_env.get(tenant.environment, {})
    if tenant.host is not None:
        if tenant.host not in hosts:
            raise ValueError(
                f"{tenant.source}.host: no host {tenant.host!r} in platform.hosts; name one of "
                f"{', '.join(hosts)}"
            )
        if tenant.host not in candidates:
            serves = platform.environment_of(tenant.host)
            choice = f"one of {', '.join(candidates)}" if candidates else "a host of it"
            raise ValueError(
                f"{tenant.source}.host: host {tenant.host!r} serves environment {serves!r}, "
                f"the tenant is in {tenant.environment!r}; pin {choice}"
            )
        return tenant.host
    if not candidates:
        served = ", ".join(f"{n} ({platform.environment_of(n)})" for n in hosts)
        raise ValueError(
            f"{tenant.source}: no host serves environment {tenant.environment!r} (hosts: "
            f"{served}); add a host with environment: {tenant.environment}, or set "
            "platform.default_environment"
        )
    if len(candidates) == 1:
        return next(iter(candidates))
    return rendezvous_host(tenant.name, candidates)


def _ports(
    platform: Platform, name: str, host: KindHost, tenants: Sequence[Tenant]
) -> dict[str, int]:
    pool = host.port_pool
    last = pool.ports[-1]
    where = host_path(platform, name)
    if len(tenants) > pool.size:
        noun = "tenants" if any(t.per_environment for t in tenants) else "teams"
        raise ValueError(
            f"teams: {len(tenants)} {noun} do not fit the port pool of {pool.size} ports "
            f"({pool.first_port}-{last}){'' if not platform.hosts else f' of host {name!r}'}; "
            f"raise {where}.port_pool.size (this recreates the KIND cluster) or move to host "
            "type 'existing'"
        )
    ports: dict[str, int] = {}
    taken: dict[int, Tenant] = {}
    for tenant in tenants:
        port = (
            tenant.node_port
            if tenant.node_port is not None
            else default_node_port(tenant.name, pool)
        )
        if port not in pool.ports:
            raise ValueError(
                f"{tenant.source}.node_port: {port} is outside the port pool "
                f"{pool.first_port}-{last}; pick a free port in it"
            )
        if port in taken:
            other = taken[port]
            how = "sets" if tenant.node_port is not None else "derives from its name"
            claimed = {
                t.node_port if t.node_port is not None else default_node_port(t.name, pool)
                for t in tenants
            }
            free = next(p for p in pool.ports if p not in claimed)
            raise ValueError(
                f"{tenant.source}.node_port: {_called(tenant)} {how} port {port}, already "
                f"used by {other.source} ({other.name!r}); set node_port: {free} (free) on "
                f"{_called(tenant)}"
            )
        taken[port] = tenant
        ports[tenant.name] = port
    return ports


def _called(tenant: Tenant) -> str:
    return f"tenant {tenant.name!r}" if tenant.per_environment else f"team {tenant.name!r}"


def place(platform: Platform, tenants: Sequence[Tenant]) -> dict[str, Placed]:
    """Tenant name -> where it runs; a tenant that cannot be placed raises ValueError."""
    by_env = _hosts_by_environment(platform)
    chosen = {t.name: _choose_host(platform, t, by_env) for t in tenants}
    placed: dict[str, Placed] = {}
    for name, host in platform.named_hosts.items():
        on_host = [t for t in tenants if chosen[t.name] == name]
        if isinstance(host, ExistingHost):
            pinned = next((t for t in on_host if t.node_port is not None), None)
            if pinned is not None:
                raise ValueError(
                    f"{pinned.source}.node_port: only applies to host type 'kind'; remove it "
                    "(an existing host publishes vclusters by ingress or load balancer)"
                )
            placed.update({t.name: Placed(t, name) for t in on_host})
            continue
        ports = _ports(platform, name, host, on_host)
        placed.update({t.name: Placed(t, name, ports[t.name]) for t in on_host})
    return {t.name: placed[t.name] for t in tenants}


# --- capacity ----------------------------------------------------------------------------

#: Each capacity field, the quota field every tenant counts for against it, and how to write it.
CAPACITY_MEASURES: Final[tuple[tuple[str, str, Callable[[Decimal], str]], ...]] = (
    ("cpu", "cpu_requests", lambda d: f"{d.normalize():f}"),
    ("memory", "memory_requests", lambda d: f"{int(d / 2**30)}Gi"),
    ("storage", "storage_requests", lambda d: f"{int(d / 2**30)}Gi"),
    ("pods", "pods", lambda d: str(int(d))),
)


@dataclass(frozen=True, slots=True)
class Usage:
    """Of one resource on one host: what its tenants' quotas add up to, and what it offers."""

    resource: str
    used: Decimal
    capacity: Decimal
    write: Callable[[Decimal], str]

    @property
    def headroom(self) -> Decimal:
        return self.capacity - self.used

    def describe(self) -> str:
        return f"{self.resource} {self.write(self.used)} of {self.write(self.capacity)}"


def usage(platform: Platform, placed: Mapping[str, Placed]) -> dict[str, list[Usage]]:
    """Host name -> its usage per resource, for every host that declares a capacity."""
    result: dict[str, list[Usage]] = {}
    for name, host in platform.named_hosts.items():
        if host.capacity is None:
            continue
        tenants = [p.tenant for p in placed.values() if p.host == name]
        rows = []
        for resource, quota_field, write in CAPACITY_MEASURES:
            used = sum(
                (quantity(str(getattr(t.settings.quota, quota_field))) for t in tenants),
                Decimal(0),
            )
            rows.append(
                Usage(resource, used, quantity(str(getattr(host.capacity, resource))), write)
            )
        result[name] = rows
    return result


def capacity_problems(platform: Platform, placed: Mapping[str, Placed]) -> list[str]:
    """One line per host and resource its tenants' quotas overrun, with the numbers."""
    problems = []
    table = usage(platform, placed)
    for name, rows in table.items():
        count = sum(1 for p in placed.values() if p.host == name)
        for row in rows:
            if row.used <= row.capacity:
                continue
            quota_field = next(q for r, q, _ in CAPACITY_MEASURES if r == row.resource)
            roomier = [
                other
                for other, other_rows in table.items()
                if other != name
                and platform.environment_of(other) == platform.environment_of(name)
                and next(r for r in other_rows if r.resource == row.resource).headroom > 0
            ]
            move = f", or pin some of them to {' or '.join(roomier)}" if roomier else ""
            problems.append(
                f"{host_path(platform, name)}.capacity.{row.resource}: the {count} tenants on "
                f"it count for {row.write(row.used)} (the sum of their quota.{quota_field}) "
                f"of the {row.write(row.capacity)} it offers; raise it{move}, or add a host"
            )
    return problems
