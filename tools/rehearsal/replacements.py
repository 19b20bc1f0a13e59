"""What makes each real provider replace a resource rather than update it in place.

One table, `REPLACING`: for every resource type the app deploys, the arguments the pinned
provider flags as forcing a new resource (`ForceNew` in the plugin SDK v2, a
`RequiresReplace` plan modifier in the plugin framework), each with the line of the provider's
source that says so, read at the tag we pin. A stand-in reports such an argument to the
engine only when its value changed (or is unknown until apply), as the real providers do; the
engine then plans a delete and a create, and shows the argument in `replace_paths`.

Paths have the engine's shape: attribute names, and list indices into nested blocks
(`metadata.0.name` is `("metadata", 0, "name")`). A rule may name a whole nested block
(`spec.0.selector`): the SDK reports the changed attributes inside it, trimmed to attribute
steps (a changed map key or list element reports the attribute that holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, Final

from tools.rehearsal.values import UNKNOWN

Step = str | int
AttributePath = tuple[Step, ...]
#: (value in state, planned value) -> whether the provider replaces the resource for it.
Condition = Callable[[Any, Any], bool]


def changed(prior: Any, planned: Any) -> bool:
    """`ForceNew` / `RequiresReplace`: any change, an unknown value included."""
    return bool(planned != prior)


def changed_unless_values_null(prior: Any, planned: Any) -> bool:
    """random's `RequiresReplaceIfValuesNotNull` (internal/planmodifiers/map/
    mapplanmodifiers.go): a changed map, except for keys whose new value is null (the SDK the
    provider came from never stored those). An unknown map has no keys yet: it replaces a
    resource whose map had some."""
    if planned == prior:
        return False
    if planned is UNKNOWN:
        return bool(prior)
    new = planned or {}
    if prior is None:
        return any(value is not None for value in new.values())
    added_or_changed = any(
        (key in prior or value is not None) and prior.get(key) != value
        for key, value in new.items()
    )
    return added_or_changed or any(key not in new for key in prior)


def changed_unless_empty_to_null(prior: Any, planned: Any) -> bool:
    """random's `RequiresReplaceUnlessEmptyStringToNull` (internal/planmodifiers/string/
    stringplanmodifier.go): a change, except "" to null; an unknown value replaces nothing."""
    if planned == prior or planned is UNKNOWN:
        return False
    return not (planned is None and prior == "")


@dataclass(frozen=True, slots=True)
class Replacing:
    """An argument (or nested block) whose change makes the provider replace the resource."""

    path: AttributePath
    source: str
    """Where the provider's source at the pinned tag says so."""
    when: Condition = changed


# --- hashicorp/kubernetes 2.38.0 (plugin SDK v2: ForceNew) --------------------------------

_METADATA_NAME: Final = "kubernetes/schema_metadata.go:37 (metadataFields: name ForceNew)"
_GENERATE_NAME: Final = "kubernetes/schema_metadata.go:62 (metadataSchema: generate_name)"
_NAMESPACED_GENERATE_NAME: Final = (
    "kubernetes/schema_metadata.go:103 (namespacedMetadataSchema: generate_name)"
)
_NAMESPACE: Final = "kubernetes/schema_metadata.go:95 (namespacedMetadataSchema: namespace)"


def _namespaced_metadata(*at: Step) -> tuple[Replacing, ...]:
    """`metadata.0.{name,generate_name,namespace}` of a namespaced kind, under `at`."""
    return (
        Replacing((*at, "metadata", 0, "name"), _METADATA_NAME),
        Replacing((*at, "metadata", 0, "generate_name"), _NAMESPACED_GENERATE_NAME),
        Replacing((*at, "metadata", 0, "namespace"), _NAMESPACE),
    )


_DEPLOYMENT: Final = "kubernetes/resource_kubernetes_deployment_v1.go:104-142"
_SERVICE: Final = "kubernetes/resource_kubernetes_service_v1.go"

# --- the table ----------------------------------------------------------------------------

REPLACING: Final[dict[str, tuple[Replacing, ...]]] = {
    # hashicorp/helm 3.1.1 (framework): `stringplanmodifier.RequiresReplace()` on these two
    # alone; chart, repository, version and values are a `helm upgrade` in place.
    "helm_release": (
        Replacing(("name",), "helm/resource_helm_release.go:414-418"),
        Replacing(("namespace",), "helm/resource_helm_release.go:424-430"),
    ),
    "kubernetes_namespace_v1": (
        Replacing(("metadata", 0, "name"), _METADATA_NAME),
        Replacing(("metadata", 0, "generate_name"), _GENERATE_NAME),
    ),
    "kubernetes_config_map_v1": _namespaced_metadata(),
    "kubernetes_limit_range_v1": _namespaced_metadata(),
    # Labels, annotations and the policy's selectors and rules update in place.
    "kubernetes_network_policy_v1": _namespaced_metadata(),
    "kubernetes_secret_v1": (
        *_namespaced_metadata(),
        Replacing(("type",), "kubernetes/resource_kubernetes_secret_v1.go:118-123"),
    ),
    "kubernetes_deployment_v1": (
        *_namespaced_metadata(),
        # The selector block and everything in it (match_labels, match_expressions).
        Replacing(("spec", 0, "selector"), _DEPLOYMENT),
        *(
            Replacing(("spec", 0, "template", 0, "metadata", 0, name), f"{source}, pod template")
            for name, source in (
                ("name", _METADATA_NAME),
                ("generate_name", _NAMESPACED_GENERATE_NAME),
                ("namespace", _NAMESPACE),
            )
        ),
    ),
    "kubernetes_service_v1": (
        *_namespaced_metadata(),
        Replacing(("spec", 0, "cluster_ip"), f"{_SERVICE}:69"),
        Replacing(("spec", 0, "cluster_ips"), f"{_SERVICE}:80"),
        Replacing(("spec", 0, "load_balancer_class"), f"{_SERVICE}:154"),
        Replacing(("spec", 0, "health_check_node_port"), f"{_SERVICE}:288"),
    ),
    "kubernetes_resource_quota_v1": (
        *_namespaced_metadata(),
        Replacing(("spec", 0, "scopes"), "kubernetes/resource_kubernetes_resource_quota_v1.go:60"),
    ),
    # tehcyx/kind 0.11.0 (SDK v2): every argument is ForceNew, and `forceNewAll` marks every
    # field inside kind_config; the resource has no Update.
    "kind_cluster": (
        *(
            Replacing((name,), "kind/resource_cluster.go:18, 32-61")
            for name in ("name", "node_image", "wait_for_ready", "kubeconfig_path")
        ),
        Replacing(("kind_config",), "kind/resource_cluster.go:32-61, schema_kind_config.go"),
    ),
    # hashicorp/local 2.6.1 (framework): `RequiresReplace` on every argument; a changed
    # kubeconfig is written anew (its digests unknown until then), never edited in place.
    "local_sensitive_file": tuple(
        Replacing((name,), "internal/provider/resource_local_sensitive_file.go")
        for name in (
            "content",
            "content_base64",
            "source",
            "filename",
            "file_permission",
            "directory_permission",
        )
    ),
    "local_file": tuple(
        Replacing((name,), "internal/provider/resource_local_file.go")
        for name in (
            "content",
            "content_base64",
            "sensitive_content",
            "source",
            "filename",
            "file_permission",
            "directory_permission",
        )
    ),
    # hashicorp/random 3.7.2 (framework), internal/provider/resource_password.go:577-714.
    "random_password": (
        *(
            Replacing((name,), "internal/provider/resource_password.go:577-714, RequiresReplace")
            for name in (
                "length",
                "special",
                "upper",
                "lower",
                "number",
                "numeric",
                "min_numeric",
                "min_upper",
                "min_lower",
                "min_special",
            )
        ),
        Replacing(
            ("keepers",),
            "internal/provider/resource_password.go:577-714, RequiresReplaceIfValuesNotNull",
            changed_unless_values_null,
        ),
        Replacing(
            ("override_special",),
            "internal/provider/resource_password.go:577-714, RequiresReplaceIf "
            "(RequiresReplaceUnlessEmptyStringToNull)",
            changed_unless_empty_to_null,
        ),
    ),
    # hashicorp/time 0.13.1 (framework): create_duration and destroy_duration update in place.
    "time_sleep": (Replacing(("triggers",), "internal/provider/resource_time_sleep.go:101"),),
}


# --- which rules a change meets -------------------------------------------------------------


def _each(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _changed_leaves(
    block: dict[str, Any], prior: Any, planned: Any, at: AttributePath = ()
) -> Iterator[AttributePath]:
    """The path of every attribute that differs between two objects of `block`, through
    nested list and single blocks (a set or map of blocks counts as one attribute)."""
    prior = prior if isinstance(prior, dict) else {}
    planned = planned if isinstance(planned, dict) else {}
    for name in sorted(block.get("attributes", {})):
        if planned.get(name) != prior.get(name):
            yield (*at, name)
    for name, nested in sorted(block.get("block_types", {}).items()):
        before, after = prior.get(name), planned.get(name)
        if nested["nesting_mode"] == "single":
            yield from _changed_leaves(nested["block"], before, after, (*at, name))
        elif nested["nesting_mode"] == "list" and after is not UNKNOWN:
            pairs = zip_longest(_each(before), _each(after), fillvalue=None)
            for index, (old, new) in enumerate(pairs):
                yield from _changed_leaves(nested["block"], old, new, (*at, name, index))
        elif after != before:
            yield (*at, name)


def _at(value: Any, path: AttributePath) -> Any:
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def replaced_paths(
    type_name: str, block: dict[str, Any], prior: Any, planned: dict[str, Any]
) -> list[AttributePath]:
    """The paths the provider reports as forcing a replacement, for this change: the rules'
    arguments whose value changed (the changed attributes inside a rule's block)."""
    if prior is None:
        return []
    leaves = list(_changed_leaves(block, prior, planned))
    found: list[AttributePath] = []
    for rule in REPLACING.get(type_name, ()):
        if not rule.when(_at(prior, rule.path), _at(planned, rule.path)):
            continue
        inside = [leaf for leaf in leaves if leaf[: len(rule.path)] == rule.path]
        found.extend(p for p in inside or [rule.path] if p not in found)
    return found
