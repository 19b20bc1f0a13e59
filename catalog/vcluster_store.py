"""Which store a synthesized vcluster stack deploys, read back from its chart values.

The data guard compares it with the catalog (a store change starts the virtual cluster empty);
review names it when it changes. Store names are vcluster's own (`config/default_extra_values.go`
at 0.36.1), so an earlier output that used a store the catalog no longer offers still reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from constructs_lib.vcluster_props import VCLUSTER_CHART

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Store:
    """A vcluster's backing store and, for a deployed etcd, its number of members."""

    name: str
    etcd_members: int = 0

    def __str__(self) -> str:
        return f"{self.name} ({self.etcd_members} members)" if self.etcd_members else self.name


def _enabled(section: Mapping[str, Any], *path: str) -> bool:
    for key in path:
        section = section.get(key) or {}
    return section.get("enabled") is True


def store_of_values(values: Mapping[str, Any]) -> Store:
    """The store `controlPlane.backingStore` selects (the embedded database when none is on)."""
    backing = (values.get("controlPlane") or {}).get("backingStore") or {}
    if _enabled(backing, "etcd", "deploy"):
        stateful_set = backing["etcd"]["deploy"].get("statefulSet") or {}
        members = (stateful_set.get("highAvailability") or {}).get("replicas", 1)
        return Store("deployed-etcd", int(members))
    for name, path in (
        ("embedded-etcd", ("etcd", "embedded")),
        ("external-etcd", ("etcd", "external")),
        ("external-database", ("database", "external")),
    ):
        if _enabled(backing, *path):
            return Store(name)
    return Store("embedded-sqlite")


def store_of(stack: Mapping[str, Any]) -> Store | None:
    """The store of the vcluster a stack deploys, or None for a stack without one."""
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if release.get("chart") == VCLUSTER_CHART:
            values = yaml.load(release.get("values", [""])[0] or "{}", Loader=_Loader)
            return store_of_values(values or {})
    return None
