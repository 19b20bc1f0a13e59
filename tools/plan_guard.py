"""`pipenv run plan-guard PLAN_JSON`: refuses a saved plan that destroys a tenant's data.

The data guard (catalog/data_guard.py) compares the catalog with the reviewed JSON, so it
cannot see what the engine makes of that JSON: a renamed database release, a changed namespace
or chart name, a changed storage class all pass it, and the provider then replaces the release,
which deletes the old one and its data. This reads the plan itself (`tofu show -json
plan.tfplan`, the same from Terraform) and refuses every delete or replace of a stateful
resource: a Helm release of the database or cache chart, the namespaces that hold them (the
tenant's `<tenant>-apps` and its host namespace `vcluster-<tenant>`), a persistent volume
claim, and the vcluster release, whose backing store lives inside it. A tenant marked
`decommission: true` may lose them (README.md, "Decommissioning").

The stack names the tenant (`--stack`, by default the current directory's name, as in
`cdktf.out/stacks/<stack>`): a team stack is named after it, its vcluster stack `vcluster-<it>`.
The mark comes from the catalog with `--catalog`, else from the plan (the team stack's
`decommissioning` output; a vcluster stack's plan does not carry it).

Only addresses and attribute names are printed, never a value from the plan: a plan holds
passwords and kubeconfigs. Atlantis runs this as its custom policy check
(tools/atlantis_config.py) and reads any "fail" in the output as a failure, so a passing run
prints one line with no names in it (a tenant may be called `failover`).

Exit code: 0 nothing refused, 1 something refused (lines start with `fail:`), 2 the plan or
the catalog could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from catalog.data_guard import DECOMMISSION_OUTPUT
from catalog.loader import CatalogError, load_catalog
from catalog.stack_names import PLATFORM_STACK_NAMES, VCLUSTER_STACK_PREFIX, is_host_stack
from catalog.vcluster_store import store_of_text
from constructs_lib.cache_props import CACHE_CHART
from constructs_lib.placement import apps_namespace
from constructs_lib.postgres_props import DATABASE_CHART
from constructs_lib.vcluster_props import VCLUSTER_CHART

NAMESPACE_TYPES: Final = frozenset({"kubernetes_namespace_v1", "kubernetes_namespace"})
CLAIM_TYPES: Final = frozenset(
    {"kubernetes_persistent_volume_claim_v1", "kubernetes_persistent_volume_claim"}
)
#: What each chart of record is, as a reviewer reads it.
DATA_CHARTS: Final = {DATABASE_CHART: "PostgreSQL database", CACHE_CHART: "cache"}
#: Where each store keeps the virtual cluster (catalog/vcluster_store.py).
STORE_PLACES: Final = {
    "embedded-sqlite": "in the control plane's volume",
    "deployed-etcd": "in its etcd members' volumes",
}
#: The engine's `action_reason`, as the end of "would be replaced/destroyed ...".
REASONS: Final = {
    "replace_because_cannot_update": "because it cannot be updated in place",
    "replace_because_tainted": "because it is tainted",
    "replace_by_request": "because the plan was asked to replace it (-replace)",
    "replace_by_triggers": "because its replace_triggered_by changed",
    "delete_because_no_resource_config": "because the configuration no longer has it",
    "delete_because_no_module": "because its module is gone from the configuration",
    "delete_because_wrong_repetition": "because its count or for_each changed",
    "delete_because_count_index": "because its count index is gone",
    "delete_because_each_key": "because its for_each key is gone",
    "delete_because_no_move_target": "because its moved block's target is gone",
}
SHOW_HOW: Final = "write it with `tofu show -json plan.tfplan > plan.json`"


class PlanError(Exception):
    """The plan cannot be checked; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One entry of the plan's `resource_changes`, as the guard reads it."""

    address: str
    type: str
    actions: tuple[str, ...]
    reason: str | None = None
    """The engine's `action_reason`, when it gives one."""
    replaced_because: tuple[str, ...] = ()
    """The attributes whose change forces the replacement (`replace_paths`), names only."""
    deposed: bool = False
    before: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The object as it is now; read, never printed (it holds secrets)."""
    after: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The object as planned; read, never printed."""

    @property
    def switches_chart(self) -> bool:
        """A release upgraded in place to another chart: the helm provider 3.1.1 replaces a
        release only for `name` and `namespace` (`helm/resource_helm_release.go`), so a new
        `chart` is a `helm upgrade`, and Helm deletes every object the old chart made."""
        if self.type != "helm_release" or "update" not in self.actions:
            return False
        before, after = self.before.get("chart"), self.after.get("chart")
        if not isinstance(before, str) or not isinstance(after, str):
            return False
        return before.rsplit("/", 1)[-1] != after.rsplit("/", 1)[-1]

    @property
    def destroys(self) -> bool:
        """Deletes the object, alone or to replace it (either order loses what it holds), or
        upgrades a release to another chart."""
        return "delete" in self.actions or self.switches_chart

    @property
    def outcome(self) -> str:
        """`destroyed` or `replaced`, with the engine's reason when it gives one."""
        if self.switches_chart:
            return "upgraded in place to another chart (Helm deletes what the old one made)"
        verb = "replaced" if "create" in self.actions else "destroyed"
        if self.replaced_because:
            why = f"because {_spoken(self.replaced_because)} changed"
        else:
            why = REASONS.get(self.reason or "", "")
        deposed = " (a deposed object)" if self.deposed else ""
        return " ".join(filter(None, (verb + deposed, why)))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _spoken(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def attribute_path(path: Sequence[object], before: object) -> str:
    """A `replace_paths` entry as attribute names and list indices (`metadata[0].name`).

    It stops at any other step: the index of a set element is the element itself, which can
    be a secret (`set_sensitive`). Steps are checked against the object as it is now, which is
    what tells an attribute name or map key (a key of an object) from a set element.
    """
    shown = ""
    node: object = before
    for step in path:
        if isinstance(step, str) and isinstance(node, Mapping) and step in node:
            shown += f".{step}" if shown else step
            node = node[step]
        elif isinstance(node, list) and type(step) is int and 0 <= step < len(node):
            shown += f"[{step}]"
            node = node[step]
        else:
            break
    return shown


def _change_of(index: int, entry: object, *, source: str) -> PlannedChange:
    item = _mapping(entry)
    change = _mapping(item.get("change"))
    actions = change.get("actions")
    address = item.get("address")
    if not isinstance(address, str) or not isinstance(actions, list) or not actions:
        raise PlanError(
            f"{source}: resource_changes[{index}] has no address or change.actions; {SHOW_HOW}"
        )
    before = _mapping(change.get("before"))
    after = _mapping(change.get("after"))
    paths = [p for p in change.get("replace_paths") or () if isinstance(p, list)]
    # An attribute that is new in the schema is in the after object alone.
    names = [max(attribute_path(p, before), attribute_path(p, after), key=len) for p in paths]
    return PlannedChange(
        address=address,
        type=str(item.get("type", "")),
        actions=tuple(str(a) for a in actions),
        reason=item.get("action_reason") if isinstance(item.get("action_reason"), str) else None,
        replaced_because=tuple(dict.fromkeys(n for n in names if n)),
        deposed="deposed" in item,
        before=before,
        after=after,
    )


def read_plan(path: Path) -> dict[str, Any]:
    """The JSON of a saved plan; PlanError for anything else."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: no such file; {SHOW_HOW}") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not text"
        raise PlanError(f"{path}: cannot be read ({reason}); {SHOW_HOW}") from None
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(f"{path}: not JSON (line {err.lineno}); {SHOW_HOW}") from None
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise PlanError(f"{path}: JSON, but not of a plan; {SHOW_HOW}")
    if "planned_values" not in plan and "resource_changes" not in plan:
        raise PlanError(
            f"{path}: JSON of state, not of a plan (it has no planned_values); show the saved "
            f"plan, not the state: {SHOW_HOW}"
        )
    if plan.get("errored") is True:
        raise PlanError(
            f"{path}: the plan errored, so it is incomplete; fix the plan and run again"
        )
    return plan


def planned_changes(plan: Mapping[str, Any], *, source: str = "plan") -> list[PlannedChange]:
    """Every entry of the plan's `resource_changes`, no-ops included."""
    entries = plan.get("resource_changes") or []
    if not isinstance(entries, list):
        raise PlanError(f"{source}: resource_changes is not a list; {SHOW_HOW}")
    return [_change_of(index, entry, source=source) for index, entry in enumerate(entries)]


def marked_in_plan(plan: Mapping[str, Any]) -> bool:
    """Whether the plan carries the team stack's `decommissioning` output."""
    planned = _mapping(_mapping(plan.get("planned_values")).get("outputs"))
    if _mapping(planned.get(DECOMMISSION_OUTPUT)).get("value") is True:
        return True
    configured = _mapping(_mapping(plan.get("configuration")).get("root_module")).get("outputs")
    expression = _mapping(_mapping(_mapping(configured).get(DECOMMISSION_OUTPUT)).get("expression"))
    return expression.get("constant_value") is True


def tenant_of(stack: str) -> str | None:
    """The tenant a stack serves: a team stack's own name, a vcluster stack's without its
    prefix; None for the platform's and hosts' stacks."""
    if stack in PLATFORM_STACK_NAMES or is_host_stack(stack):
        return None
    return stack.removeprefix(VCLUSTER_STACK_PREFIX)


def tenant_namespaces(tenant: str) -> dict[str, str]:
    """The tenant's namespaces that hold its data, by name: `apps_namespace` and the name
    `VClusterProps.host_namespace` derives (a test pins them to the synthesized JSON)."""
    return {
        apps_namespace(tenant): f"tenant {tenant}'s apps namespace",
        f"vcluster-{tenant}": f"tenant {tenant}'s host namespace",
    }


def _chart(change: PlannedChange) -> str:
    chart = change.before.get("chart")
    # A chart may be named by a path or URL (`oci://…/cluster`): its last segment names it.
    return chart.rsplit("/", 1)[-1] if isinstance(chart, str) else ""


def _metadata(change: PlannedChange) -> Mapping[str, Any]:
    blocks = change.before.get("metadata")
    return _mapping(blocks[0]) if isinstance(blocks, list) and blocks else _mapping(blocks)


def _vcluster_store(change: PlannedChange) -> str:
    """` (embedded-sqlite, in the control plane's volume)`, or nothing when unreadable."""
    values = change.before.get("values")
    if not isinstance(values, list) or not values or not isinstance(values[0], str):
        return ""
    try:
        store = store_of_text(values[0]).name
    except (yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError):
        return ""  # values the app never writes: the refusal stands, without the store's name
    place = STORE_PLACES.get(store)
    return f" ({store}, {place})" if place else f" ({store})"


def _held(change: PlannedChange) -> tuple[str, str] | None:
    """The namespace a stateful object lives in, and what it is; None for anything else."""
    if change.type == "helm_release":
        what = DATA_CHARTS.get(_chart(change))
        if what is None and _chart(change) == VCLUSTER_CHART:
            what = "virtual cluster"
        namespace = change.before.get("namespace")
        return (namespace, what) if what and isinstance(namespace, str) else None
    if change.type in CLAIM_TYPES:
        namespace = _metadata(change).get("namespace")
        return (namespace, "persistent volume claim") if isinstance(namespace, str) else None
    return None


def _release_loss(change: PlannedChange, whose: str) -> str:
    chart = _chart(change)
    if chart in DATA_CHARTS:
        return f"{whose} {DATA_CHARTS[chart]}, and its data goes with it"
    if chart == VCLUSTER_CHART:
        return (
            f"{whose} virtual cluster, and its backing store{_vcluster_store(change)} is inside "
            "it: every object of the virtual cluster, the database's and cache's included, goes "
            "with it"
        )
    return ""


def _namespace_loss(
    change: PlannedChange, whose: str, tenant: str | None, holders: Mapping[str, list[str]]
) -> str:
    name = _metadata(change).get("name")
    if not isinstance(name, str):
        return ""
    if holders.get(name):
        return (
            f"the namespace that holds {whose} {_spoken(holders[name])}, and everything in it "
            "goes with it"
        )
    named = tenant_namespaces(tenant) if tenant else {}
    return f"{named[name]}, and everything in it goes with it" if name in named else ""


def what_is_lost(
    change: PlannedChange, *, tenant: str | None, holders: Mapping[str, list[str]]
) -> str:
    """What destroying this loses, for a stateful resource; "" for any other."""
    whose = f"tenant {tenant}'s" if tenant else "this stack's"
    if change.type == "helm_release":
        return _release_loss(change, whose)
    if change.type in CLAIM_TYPES:
        return "a persistent volume claim, and its volume's data goes with it"
    if change.type in NAMESPACE_TYPES:
        return _namespace_loss(change, whose, tenant, holders)
    return ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guard says of a plan: the lines it prints, and whether it refuses it."""

    checked: int
    """Resource changes that change something (not no-op or read)."""
    refused: list[str]
    """One `fail:` line per refused change."""
    allowed: int = 0
    """Stateful changes let through because the tenant is marked for decommissioning."""

    @property
    def lines(self) -> list[str]:
        checked = f"plan guard: {self.checked} change{'' if self.checked == 1 else 's'} checked"
        if self.refused:
            return [
                *self.refused,
                f"{checked}, {len(self.refused)} refused: stateful resources destroyed or replaced",
            ]
        if self.allowed:
            return [
                f"{checked}; {self.allowed} stateful resource(s) destroyed or replaced, allowed: "
                "the tenant is marked for decommissioning"
            ]
        return [f"{checked}, no stateful resource destroyed or replaced"]


def check(
    changes: Sequence[PlannedChange],
    *,
    tenant: str | None,
    decommissioning: bool,
    mark_from_plan: bool = False,
) -> Verdict:
    """Refuses each delete or replace of a stateful resource, unless `decommissioning`."""
    holders: dict[str, list[str]] = {}
    for change in changes:
        held = _held(change)
        if held and held[1] not in holders.setdefault(held[0], []):
            holders[held[0]].append(held[1])
    checked = sum(1 for c in changes if set(c.actions) - {"no-op", "read"})
    lost = [
        (change, what)
        for change in changes
        if change.destroys and (what := what_is_lost(change, tenant=tenant, holders=holders))
    ]
    if decommissioning:
        return Verdict(checked=checked, refused=[], allowed=len(lost))
    fix = _fix(tenant, mark_from_plan=mark_from_plan)
    refused = [f"fail: {c.address} would be {c.outcome}: it is {what}; {fix}" for c, what in lost]
    return Verdict(checked=checked, refused=refused)


def _fix(tenant: str | None, *, mark_from_plan: bool) -> str:
    if tenant is None:
        return (
            "this stack serves no one tenant, so no mark lifts this: if it is meant, a policy "
            "owner approves it (`atlantis approve_policies`)"
        )
    hint = (
        " (a vcluster stack's plan does not carry the mark: run with --catalog platform.yaml)"
        if mark_from_plan
        else ""
    )
    return (
        f"if this is meant, set `decommission: true` on tenant {tenant} and apply that first "
        f"(README.md, 'Decommissioning'){hint}"
    )


def is_marked(tenant: str | None, plan: Mapping[str, Any], catalog: Path | None) -> bool:
    """The tenant's decommission mark: the catalog's when given and it names the tenant, else
    the plan's (a tenant already removed from the catalog keeps the mark its stack recorded)."""
    if tenant is None:
        return False
    if catalog is not None:
        for candidate in load_catalog(catalog).tenants:
            if candidate.name == tenant:
                return candidate.settings.decommission
    return marked_in_plan(plan)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plan-guard", description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path, help="JSON of a saved plan (`tofu show -json`)")
    parser.add_argument("--catalog", type=Path, help="read the decommission mark from this catalog")
    parser.add_argument(
        "--stack",
        default=Path.cwd().name,
        help="the stack the plan is of (default: the current directory's name)",
    )
    args = parser.parse_args(argv)
    tenant = tenant_of(args.stack)
    try:
        plan = read_plan(args.plan)
        changes = planned_changes(plan, source=str(args.plan))
        marked = is_marked(tenant, plan, args.catalog)
    except (PlanError, CatalogError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from_plan = args.catalog is None and args.stack.startswith(VCLUSTER_STACK_PREFIX)
    verdict = check(changes, tenant=tenant, decommissioning=marked, mark_from_plan=from_plan)
    print("\n".join(verdict.lines))
    return 1 if verdict.refused else 0


if __name__ == "__main__":
    sys.exit(main())
