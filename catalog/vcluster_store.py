"""Which store a synthesized vcluster stack deploys, read back from its chart values.

The data guard compares it with the catalog (a store change starts the virtual cluster empty);
review names it when it changes. Stores the catalog offers carry its names (`embedded-sqlite` is
vcluster's "embedded-database"); the others vcluster's own (`config/default_extra_values.go` at
0.36.1), so an earlier output that used a store the catalog no longer offers still reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from constructs_lib.vcluster_props import VCLUSTER_CHART

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Store:
    """A vcluster's backing store and, for a deployed etcd, its number of members."""

    name: str
    etcd_members: int = 0

    def __str__(self) -> str:
        if not self.etcd_members:
            return self.name
        return f"{self.name} ({self.etcd_members} member{'s' if self.etcd_members > 1 else ''})"


def _enabled(section: Mapping[str, Any], *path: str) -> bool:
    for key in path:
        section = section.get(key) or {}
    return section.get("enabled") is True


def store_of_values(values: Mapping[str, Any]) -> Store:
    """The store `controlPlane.backingStore` selects, ranked as the binary ranks them
    (`config/config.go` `BackingStoreType`, 0.36.1): the embedded database when none is on."""
    backing = (values.get("controlPlane") or {}).get("backingStore") or {}
    for name, path in (
        ("embedded-etcd", ("etcd", "embedded")),
        ("external-etcd", ("etcd", "external")),
        ("deployed-etcd", ("etcd", "deploy")),
        ("external-database", ("database", "external")),
    ):
        if not _enabled(backing, *path):
            continue
        if name != "deployed-etcd":
            return Store(name)
        stateful_set = backing["etcd"]["deploy"].get("statefulSet") or {}
        return Store(name, int((stateful_set.get("highAvailability") or {}).get("replicas", 1)))
    return Store("embedded-sqlite")


#: The embedded store exactly as our values writer puts it (sorted keys, block style): most
#: stacks say this, and recognising it spares parsing a thousand values documents in a pull
#: request. Any other text is parsed in full.
_EMBEDDED_AS_WRITTEN: Final = (
    "controlPlane:\n  backingStore:\n    database:\n      embedded:\n        enabled: true\n"
    "  distro:\n"
)


def store_of_text(values: str) -> Store:
    """The store a values document selects (see `store_of_values`)."""
    if values.startswith(_EMBEDDED_AS_WRITTEN):
        return Store("embedded-sqlite")
    parsed = yaml.load(values or "{}", Loader=_Loader)
    return store_of_values(parsed if isinstance(parsed, Mapping) else {})


def store_of(stack: Mapping[str, Any]) -> Store | None:
    """The store of the vcluster a stack deploys, or None for a stack without one."""
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if release.get("chart") == VCLUSTER_CHART:
            return store_of_text(release.get("values", [""])[0])
    return None
