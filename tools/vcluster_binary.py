"""What the vcluster 0.36.1 binary refuses or treats specially, transcribed from its source.

The chart's schema accepts values the binary then refuses: the binary is the real consumer of
our vcluster values. Each rule names the file (at tag v0.36.1 of loft-sh/vcluster) it was read
from; the tests check every values document we synthesize against this table, as they check
the chart's schema, and each rule against an example that trips it.

Pro features: `config/config.go` `IsProFeatureEnabled()` (lines 1052-1131) lists them; the CLI
refuses them without a platform login, and the open-source build's stubs in `pkg/pro/` fail
at start-up ("you are trying to use a vCluster pro feature …", `pkg/pro/error.go`) or ignore
them. Either way nothing of it runs on `vcluster-oss`, so no values document may ask for one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from catalog.vcluster_store import store_of_values

Values = Mapping[str, Any]


def _at(values: Values, path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _on(path: str) -> Callable[[Values], bool]:
    return lambda values: _at(values, path) is True


def _listed(*paths: str) -> Callable[[Values], bool]:
    return lambda values: any(bool(_at(values, p)) for p in paths)


def _present(path: str) -> Callable[[Values], bool]:
    return lambda values: _at(values, path) is not None


def _patches(values: Values) -> bool:
    """Any `sync.<direction>.<kind>.patches`: the syncers call the Pro patch stub."""
    sync = values.get("sync") or {}
    return any(
        bool((kind or {}).get("patches"))
        for direction in sync.values()
        if isinstance(direction, Mapping)
        for kind in direction.values()
        if isinstance(kind, Mapping)
    )


def _stores_enabled(values: Values) -> int:
    backing = _at(values, "controlPlane.backingStore") or {}
    return sum(
        _at(backing, f"{group}.{kind}.enabled") is True
        for group, kinds in (
            ("etcd", ("embedded", "deploy", "external")),
            ("database", ("embedded", "external")),
        )
        for kind in kinds
    )


def _sqlite_with_replicas(values: Values) -> bool:
    """The binary's store type is the embedded database when no other store is on
    (`config/config.go` `BackingStoreType`, lines 929-943)."""
    replicas = _at(values, "controlPlane.statefulSet.highAvailability.replicas") or 1
    return replicas > 1 and store_of_values(values).name == "embedded-sqlite"


@dataclass(frozen=True)
class BinaryRule:
    """One thing the binary refuses: where it is written, and an example that trips it."""

    what: str
    source: str
    trips: Callable[[Values], bool]
    example: Values


def _nested(path: str, value: Any) -> dict[str, Any]:
    node: Any = value
    for key in reversed(path.split(".")):
        node = {key: node}
    result: dict[str, Any] = node
    return result


def _pro(path: str, line: int, trips: Callable[[Values], bool], value: Any = True) -> BinaryRule:
    return BinaryRule(
        f"Pro feature `{path}`", f"config/config.go:{line}", trips, _nested(path, value)
    )


RULES: Final[tuple[BinaryRule, ...]] = (
    _pro("networking.resolveDNS", 1057, _listed("networking.resolveDNS"), [{"hostname": "x"}]),
    _pro("controlPlane.coredns.embedded", 1061, _on("controlPlane.coredns.embedded")),
    _pro(
        "controlPlane.backingStore.database.external.enabled",
        1065,
        _on("controlPlane.backingStore.database.external.enabled"),
    ),
    _pro(
        "controlPlane.backingStore.etcd.embedded.enabled",
        1069,
        _on("controlPlane.backingStore.etcd.embedded.enabled"),
    ),
    _pro(
        "policies.centralAdmission.validatingWebhooks",
        1073,
        _listed(
            "policies.centralAdmission.validatingWebhooks",
            "policies.centralAdmission.mutatingWebhooks",
        ),
        [{"name": "x"}],
    ),
    _pro("controlPlane.hostPathMapper.central", 1077, _on("controlPlane.hostPathMapper.central")),
    _pro(
        "experimental.denyProxyRequests",
        1081,
        _listed("experimental.denyProxyRequests"),
        [{"name": "x"}],
    ),
    _pro(
        "sync.toHost.customResources",
        1085,
        _listed("sync.toHost.customResources", "sync.fromHost.customResources"),
        {"x.example.com": {"enabled": True}},
    ),
    _pro("sync.toHost.namespaces.enabled", 1089, _on("sync.toHost.namespaces.enabled")),
    _pro(
        "sync.toHost.pods.hybridScheduling.enabled",
        1093,
        _on("sync.toHost.pods.hybridScheduling.enabled"),
    ),
    BinaryRule(
        "Pro feature `privateNodes.enabled` (outside standalone mode)",
        "config/config.go:1098",
        lambda v: (
            _at(v, "privateNodes.enabled") is True
            and _at(v, "controlPlane.standalone.enabled") is not True
        ),
        {"privateNodes": {"enabled": True}},
    ),
    _pro(
        "sync.toHost.resourceClaimTemplates.enabled",
        1102,
        _on("sync.toHost.resourceClaimTemplates.enabled"),
    ),
    _pro("sync.toHost.resourceClaims.enabled", 1106, _on("sync.toHost.resourceClaims.enabled")),
    _pro("sync.fromHost.deviceClasses.enabled", 1110, _on("sync.fromHost.deviceClasses.enabled")),
    _pro("sleep", 1114, _present("sleep"), {}),
    _pro("snapshots", 1118, _present("snapshots"), {}),
    _pro("deletion", 1122, _present("deletion"), {}),
    _pro("platform", 1126, _present("platform"), {}),
    # Pro at start-up or sync time, though not in IsProFeatureEnabled.
    BinaryRule(
        "Pro feature `controlPlane.advanced.kubeVip.enabled`",
        "cmd/vcluster/cmd/start.go:183 (pkg/pro/embedded_kubevip.go)",
        _on("controlPlane.advanced.kubeVip.enabled"),
        _nested("controlPlane.advanced.kubeVip.enabled", True),
    ),
    BinaryRule(
        "Pro feature `experimental.proxy.customResources`",
        "cmd/vcluster/cmd/start.go:190 (pkg/pro/proxy.go)",
        _listed("experimental.proxy.customResources"),
        _nested("experimental.proxy.customResources", {"x.example.com": {"enabled": True}}),
    ),
    BinaryRule(
        "Pro feature `sync.*.*.patches`",
        "pkg/controllers/resources/pods/syncer.go:252 (pkg/pro/patches.go)",
        _patches,
        _nested("sync.toHost.pods.patches", [{"path": "metadata.labels.x"}]),
    ),
    # Stores and HA.
    BinaryRule(
        "the embedded database (SQLite) with more than one control-plane replica",
        "pkg/config/validation.go:79",
        _sqlite_with_replicas,
        _nested("controlPlane.statefulSet.highAvailability.replicas", 3),
    ),
    BinaryRule(
        "more than one backing store enabled",
        "chart/templates/_backingstore.tpl:5",
        lambda v: _stores_enabled(v) > 1,
        {
            "controlPlane": {
                "backingStore": {
                    "database": {"embedded": {"enabled": True}},
                    "etcd": {"deploy": {"enabled": True}},
                }
            }
        },
    ),
)


def violations(values: Values) -> list[str]:
    """What the binary would refuse in `values`, one line per rule with its source."""
    return [f"{r.what} ({r.source})" for r in RULES if r.trips(values)]


#: `config/config.go` `ValidateStoreChanges` (lines 990-1015): the store changes the binary
#: lets through. None of them moves data in the open-source build: each starts the virtual
#: cluster empty (the only migration, from a deployed to an embedded etcd, is Pro).
BINARY_ALLOWS_STORE_CHANGE: Final = frozenset(
    {
        ("external-etcd", "deployed-etcd"),
        ("embedded-database", "deployed-etcd"),
        ("external-etcd", "embedded-etcd"),
        ("embedded-database", "embedded-etcd"),
        ("deployed-etcd", "embedded-etcd"),
        ("embedded-database", "external-database"),
    }
)
#: Our store names for vcluster's (`config/default_extra_values.go`): SQLite is its embedded
#: database.
VCLUSTER_STORE_NAME: Final = {"embedded-sqlite": "embedded-database"}


def binary_allows_store_change(previous: str, current: str) -> bool:
    previous = VCLUSTER_STORE_NAME.get(previous, previous)
    current = VCLUSTER_STORE_NAME.get(current, current)
    return previous == current or (previous, current) in BINARY_ALLOWS_STORE_CHANGE
