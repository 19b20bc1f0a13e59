"""`pipenv run review --base <rev>`: what a change does to the synthesized stacks, offline.

Synthesizes the catalog at the base revision (with that revision's code) and in the working
tree, compares the two, and prints a Markdown report fit for a pull-request comment. It shouts
about changes that destroy data: replacing the KIND cluster, removing a database or a team,
changing a vcluster's store (its virtual cluster starts empty), moving a tenant to another host.
In a fleet whose hosts declare capacity it shows each host's headroom after the change.

Exit code: 0 nothing changed, 1 something changed, 2 the review could not run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from catalog.loader import CatalogError, load_catalog
from catalog.model import Catalog
from catalog.placement import usage
from catalog.stack_names import HOST_SERVICES_STACK_PREFIX, VCLUSTER_STACK_PREFIX
from catalog.synthesized_stacks import read_stack_bytes
from catalog.vcluster_host import host_record_of
from catalog.vcluster_store import store_of
from constructs_lib.cache_props import CACHE_CHART
from constructs_lib.identity import MEMBERS_BINDING
from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.postgres_props import DATABASE_CHART
from constructs_lib.vcluster_network import BACKUP_EGRESS_POLICY_NAME, EGRESS_POLICY_NAME
from tools.synth_command import run_app

#: Resource types whose every argument is ForceNew: any change replaces them.
REPLACED_ON_ANY_CHANGE: Final = {"kind_cluster": "the KIND host cluster and everything on it"}
#: Unchanged stacks are named up to this many; beyond, only counted.
MAX_LISTED: Final = 20

Stacks = dict[str, dict[str, Any]]


class ReviewError(Exception):
    pass


@dataclass(kw_only=True)
class StackChange:
    name: str
    status: str  # added, removed, changed, unchanged
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Review:
    base: str
    stacks: list[StackChange]
    dangers: list[str]
    egress: list[str] = field(default_factory=list)
    """Every change to what a team's workloads may reach beyond their vcluster."""
    backups: list[str] = field(default_factory=list)
    """Every change to what is backed up, where, how often, and what a database starts from."""
    hosts: list[str] = field(default_factory=list)
    """Table rows: each host's tenants and headroom after the change (fleets with capacity)."""
    services: list[str] = field(default_factory=list)
    """Every change to a host's services: installed, removed, bumped, its objects, provided."""
    access: list[str] = field(default_factory=list)
    """Every change to who may sign in to a tenant's vcluster, and with which role."""
    delivery: list[str] = field(default_factory=list)
    """Every change to what Argo CD delivers into a tenant's vcluster, from where."""
    exposure: list[str] = field(default_factory=list)
    """Every hostname a tenant's app is published at, or no longer."""

    @property
    def changed(self) -> bool:
        return any(s.status != "unchanged" for s in self.stacks)


def _addresses(stack: dict[str, Any]) -> dict[str, str]:
    """Each resource and data source, by Terraform address, as comparable JSON."""
    found: dict[str, str] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for kind, items in stack.get(section, {}).items():
            for name, body in items.items():
                content = {k: v for k, v in body.items() if k != "//"}
                found[f"{prefix}{kind}.{name}"] = json.dumps(content, sort_keys=True)
    for name, body in stack.get("output", {}).items():
        found[f"output.{name}"] = json.dumps(body, sort_keys=True)
    for name, body in stack.get("provider", {}).items():
        found[f"provider.{name}"] = json.dumps(body, sort_keys=True)
    return found


def _chart(stack: dict[str, Any], address: str) -> str | None:
    kind, _, name = address.partition(".")
    if kind != "helm_release":
        return None
    release = stack.get("resource", {}).get(kind, {}).get(name, {})
    chart = release.get("chart")
    return chart if isinstance(chart, str) else None


def compare(base: Stacks, head: Stacks, *, base_label: str) -> Review:
    changes: list[StackChange] = []
    dangers: list[str] = []
    egress: list[str] = []
    backups: list[str] = []
    services: list[str] = []
    access: list[str] = []
    delivery: list[str] = []
    exposure: list[str] = []
    for name in sorted(set(base) | set(head)):
        before = _addresses(base.get(name, {}))
        after = _addresses(head.get(name, {}))
        change = StackChange(
            name=name,
            status="added" if name not in base else "removed" if name not in head else "changed",
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
            changed=sorted(a for a in set(before) & set(after) if before[a] != after[a]),
        )
        if change.status == "changed" and not (change.added or change.removed or change.changed):
            change.status = "unchanged"
        changes.append(change)
        dangers.extend(_dangers(change, base.get(name, {})))
        dangers.extend(_store_change(name, base.get(name, {}), head.get(name, {})))
        dangers.extend(_host_move(name, base.get(name, {}), head.get(name, {})))
        egress.extend(_egress_change(name, base.get(name, {}), head.get(name, {})))
        backups.extend(_backup_change(name, base.get(name, {}), head.get(name, {})))
        services.extend(_services_change(name, base.get(name, {}), head.get(name, {})))
        access.extend(_access_change(name, base.get(name, {}), head.get(name, {})))
        delivery.extend(_delivery_change(name, base.get(name, {}), head.get(name, {})))
        exposure.extend(_exposure_change(name, base.get(name, {}), head.get(name, {})))
    return Review(
        base=base_label,
        stacks=changes,
        dangers=dangers,
        egress=egress,
        backups=backups,
        services=services,
        access=access,
        delivery=delivery,
        exposure=exposure,
    )


def _egress_of(stack: dict[str, Any], policy_name: str = EGRESS_POLICY_NAME) -> list[str]:
    """The destinations a stack's egress policy opens, as `cidr` or `cidr:ports`."""
    for policy in stack.get("resource", {}).get("kubernetes_network_policy_v1", {}).values():
        if policy.get("metadata", {}).get("name") != policy_name:
            continue
        found = []
        for rule in policy["spec"].get("egress", []):
            ports = ",".join(p["port"] for p in rule.get("ports", []))
            for peer in rule.get("to", []):
                cidr = peer["ip_block"]["cidr"]
                label = "public addresses" if cidr == "0.0.0.0/0" else cidr
                found.append(f"{label}:{ports}" if ports else label)
        return found
    return []


def _egress_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    """What a team's workloads, and its database for its backups, may reach beyond it."""
    for who, policy_name in (
        ("workloads", EGRESS_POLICY_NAME),
        ("the database (backups)", BACKUP_EGRESS_POLICY_NAME),
    ):
        before, after = _egress_of(base, policy_name), _egress_of(head, policy_name)
        opened = [d for d in after if d not in before]
        closed = [d for d in before if d not in after]
        if opened:
            yield f"`{name}`: {who} may now reach **{', '.join(opened)}**."
        if closed:
            yield f"`{name}`: {who} may no longer reach {', '.join(closed)}."


def _database_values(stack: dict[str, Any]) -> dict[str, Any] | None:
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if release.get("chart") == DATABASE_CHART:
            parsed = yaml.safe_load((release.get("values") or [""])[0] or "{}")
            return parsed if isinstance(parsed, dict) else {}
    return None


def _backup_of(values: dict[str, Any]) -> str | None:
    """`to <where>, <cron> (UTC), kept <n>`, or None when the database is not backed up."""
    backups = values.get("backups") or {}
    if not backups.get("enabled"):
        return None
    schedules = [b["schedule"].split(" ", 1)[1] for b in backups.get("scheduledBackups", [])]
    retention = str(backups.get("retentionPolicy", "")).removesuffix("d")
    return (
        f"to `{backups.get('destinationPath')}`, base backups at `{', '.join(schedules)}` "
        f"(cron, UTC) and every WAL segment, kept {retention} days"
    )


def _recovery_of(values: dict[str, Any]) -> str | None:
    if values.get("mode") != "recovery":
        return None
    recovery = values.get("recovery") or {}
    until = (recovery.get("pitrTarget") or {}).get("time")
    return f"`{recovery.get('destinationPath')}`" + (f" up to {until}" if until else " (latest)")


def _keys_from(stack: dict[str, Any]) -> str | None:
    """Where a tenant's backup keys are read from in its host's store, if the platform
    delivers them (the ExternalSecret of its vcluster stack)."""
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if str(release.get("name", "")).endswith("-backup-credentials"):
            for item in yaml.safe_load(release["values"][0]).get("objects", []):
                if item.get("kind") == "ExternalSecret":
                    return str(item["spec"]["dataFrom"][0]["extract"]["key"])
    return None


def _backup_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    """What is backed up, where and how often, what a new database starts from, and where
    its keys come from."""
    if name.startswith(VCLUSTER_STACK_PREFIX):
        tenant = name.removeprefix(VCLUSTER_STACK_PREFIX)
        before_keys, after_keys = _keys_from(base), _keys_from(head)
        if after_keys != before_keys and after_keys is not None:
            yield f"`{tenant}`: its backup keys come from the host's store at `{after_keys}`."
        elif after_keys != before_keys:
            yield (
                f"`{tenant}`: its backup keys are no longer delivered from `{before_keys}`; the "
                "Secret in its vcluster stays as last pushed."
            )
    before_values, after_values = _database_values(base), _database_values(head)
    if after_values is None and before_values is None:
        return
    before = _backup_of(before_values or {})
    after = _backup_of(after_values or {})
    if after_values is not None and after != before:
        if after is None:
            yield f"`{name}`: its database is **no longer backed up** (was {before})."
        else:
            yield f"`{name}`: backed up {after}" + (f" (was {before})." if before else ".")
    restored = _recovery_of(after_values or {})
    if restored and restored != _recovery_of(before_values or {}):
        yield f"`{name}`: its database starts from the backups in {restored}."


@dataclass(frozen=True)
class _Service:
    """One service of a host as its stack has it: the chart it installs, the platform's
    objects with it, or the objects a provided service must have."""

    chart: str | None = None
    objects: tuple[tuple[str, str], ...] = ()
    """(kind/name, the object as JSON) of the platform's objects."""
    provided: tuple[str, ...] = ()


def _services_of(stack: dict[str, Any]) -> dict[str, _Service]:
    """Service (its construct id: Gateway, Certificates, …) -> what the stack does for it."""
    charts: dict[str, str] = {}
    objects: dict[str, list[tuple[str, str]]] = {}
    provided: dict[str, list[str]] = {}
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        _, service, part = release["//"]["metadata"]["path"].split("/")[:3]
        if part == "Chart":
            charts[service] = f"{release['chart']} {release.get('version', '')}".strip()
        else:
            for item in yaml.safe_load(release["values"][0]).get("objects", []):
                key = f"{item['kind']}/{item['metadata']['name']}"
                objects.setdefault(service, []).append((key, json.dumps(item, sort_keys=True)))
    for read in stack.get("data", {}).get("kubernetes_resource", {}).values():
        service = read["//"]["metadata"]["path"].split("/")[1]
        where = read["metadata"].get("namespace")
        name = f"{where}/{read['metadata']['name']}" if where else read["metadata"]["name"]
        provided.setdefault(service, []).append(f"{read['kind']} {name}")
    return {
        name: _Service(
            chart=charts.get(name),
            objects=tuple(sorted(objects.get(name, []))),
            provided=tuple(sorted(provided.get(name, []))),
        )
        for name in sorted(set(charts) | set(objects) | set(provided))
    }


def _services_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    if not name.startswith(HOST_SERVICES_STACK_PREFIX):
        return
    host = name.removeprefix(HOST_SERVICES_STACK_PREFIX)
    before, after = _services_of(base), _services_of(head)
    for service in sorted(set(before) | set(after)):
        old, new = before.get(service, _Service()), after.get(service, _Service())
        label = f"host `{host}`, {service.lower()}"
        if old.chart != new.chart:
            if old.chart is None:
                brings = ", ".join(f"`{key}`" for key, _ in new.objects)
                yield f"{label}: installed (`{new.chart}`)" + (f" with {brings}" if brings else "")
            elif new.chart is None:
                yield (
                    f"{label}: **uninstalled** (`{old.chart}`); its CRDs stay (kept by the "
                    "chart), the objects made from them go with the release"
                )
            else:
                yield f"{label}: `{old.chart}` → `{new.chart}`"
        old_objects, new_objects = dict(old.objects), dict(new.objects)
        for key in sorted(set(old_objects) | set(new_objects)):
            if key not in old_objects and old.chart is not None:
                yield f"{label}: adds `{key}`"
            elif key not in new_objects and new.chart is not None:
                yield f"{label}: removes `{key}`"
            elif key in old_objects and key in new_objects and old_objects[key] != new_objects[key]:
                yield f"{label}: changes `{key}`"
        if old.provided != new.provided and new.provided:
            yield f"{label}: provided by the host; checked: " + ", ".join(
                f"`{p}`" for p in new.provided
            )
        elif old.provided != new.provided and not new.chart:
            yield f"{label}: no longer named for this host"


def _published_at(stack: dict[str, Any]) -> list[str]:
    """The hostnames the platform's route publishes a tenant's app at."""
    hosts: list[str] = []
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if str(release.get("name", "")).endswith("-app-route"):
            for item in yaml.safe_load(release["values"][0]).get("objects", []):
                spec = item.get("spec", {})
                hosts += spec.get("hostnames", [])
                hosts += [r["host"] for r in spec.get("rules", []) if "host" in r]
    return hosts


def _exposure_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    if not name.startswith(VCLUSTER_STACK_PREFIX):
        return
    tenant = name.removeprefix(VCLUSTER_STACK_PREFIX)
    before, after = _published_at(base), _published_at(head)
    for host in before:
        if host not in after:
            yield f"`{tenant}`: https://{host} is no longer published"
    for host in after:
        if host not in before:
            yield f"`{tenant}`: its app is published at https://{host}"


def _delivered_from(stack: dict[str, Any]) -> str | None:
    """`repo` at `path` @ `revision` of the tenant's Argo CD Application, if it has one."""
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if not str(release.get("name", "")).endswith("-gitops"):
            continue
        for item in yaml.safe_load(release["values"][0]).get("objects", []):
            if item.get("kind") == "Application":
                source = item["spec"]["source"]
                return f"{source['repoURL']} at `{source['path']}` @ `{source['targetRevision']}`"
    return None


def _delivery_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    if not name.startswith(VCLUSTER_STACK_PREFIX):
        return
    tenant = name.removeprefix(VCLUSTER_STACK_PREFIX)
    before, after = _delivered_from(base), _delivered_from(head)
    if before == after:
        return
    if after is None:
        yield (
            f"`{tenant}`: Argo CD stops delivering {before} (its Application is removed; what "
            "it deployed stays in the vcluster)"
        )
    elif before is None:
        yield f"`{tenant}`: Argo CD delivers {after} into its vcluster"
    else:
        yield f"`{tenant}`: Argo CD delivers {after} (was {before})"


def _members_of(stack: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(role, subjects) of the team's people in its vcluster, from the team stack."""
    for binding in stack.get("resource", {}).get("kubernetes_cluster_role_binding_v1", {}).values():
        if binding["metadata"]["name"] == MEMBERS_BINDING:
            subjects = [f"{s['kind'].lower()} {s['name']}" for s in binding.get("subject", [])]
            return binding["role_ref"]["name"], subjects
    return None


def _access_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    before, after = _members_of(base), _members_of(head)
    if before == after:
        return
    if after is None:
        was = ", ".join(before[1]) if before else ""
        yield f"`{name}`: nobody signs in with the issuer any more (was {was})"
        return
    role, subjects = after
    if before is None:
        yield f"`{name}`: {', '.join(subjects)} may sign in as `{role}`"
        return
    if before[0] != role:
        yield f"`{name}`: role `{before[0]}` → `{role}`"
    for subject in subjects:
        if subject not in before[1]:
            yield f"`{name}`: {subject} may sign in as `{role}`"
    for subject in before[1]:
        if subject not in subjects:
            yield f"`{name}`: {subject} may no longer sign in"


def _dangers(change: StackChange, base_stack: dict[str, Any]) -> Iterable[str]:
    for address in change.changed + change.removed:
        kind = address.split(".", 1)[0]
        if kind in REPLACED_ON_ANY_CHANGE:
            verb = (
                "removed" if address in change.removed else "replaced (every argument is ForceNew)"
            )
            yield (
                f"`{change.name}`: `{address}` would be **{verb}**: this destroys "
                f"{REPLACED_ON_ANY_CHANGE[kind]}."
            )
    databases = [a for a in change.removed if _chart(base_stack, a) == DATABASE_CHART]
    if change.status == "removed":
        has_data = bool(databases)
        yield (
            f"`{change.name}`: the whole team stack is **removed**"
            + (", including its PostgreSQL database." if has_data else ".")
        )
    else:
        for address in databases:
            yield f"`{change.name}`: the database `{address}` is **removed**."
        for address in change.removed:
            if _chart(base_stack, address) == CACHE_CHART:
                yield (
                    f"`{change.name}`: the cache `{address}` is **removed**, with its volume "
                    "(not guarded: a cache holds no data of record)."
                )


def _store_change(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    """A vcluster whose store changes starts empty: all of its team's stack is replaced."""
    before, after = store_of(base), store_of(head)
    if before is None or after is None or before == after:
        return
    team = name.removeprefix(VCLUSTER_STACK_PREFIX)
    yield (
        f"`{name}`: backing store {before} → {after}: the virtual cluster **starts empty**; "
        f"everything inside it is **replaced** (the resources of stack `{team}`, data included)."
    )


def _host_move(name: str, base: dict[str, Any], head: dict[str, Any]) -> Iterable[str]:
    """A vcluster on another host starts empty there; the old one stays unless destroyed."""
    before, after = host_record_of(base), host_record_of(head)
    if before is None or after is None or before == after:
        return
    yield (
        f"`{name}`: **moves** from {before.describe()} to {after.describe()}: its vcluster is "
        "created empty there, and the old one keeps running on the old host unless its stacks "
        "are destroyed there first (README.md, 'Moving a tenant to another host')."
    )


def host_rows(base: Catalog | None, head: Catalog) -> list[str]:
    """Markdown rows: per host with a declared capacity, its tenants (before → after) and
    what its tenants' quotas take of each resource after the change, with the headroom."""
    after = usage(head.platform, {t.name: head.placement_of(t) for t in head.tenants})
    rows = []
    for name, resources in after.items():
        count = len(head.tenants_on(name))
        was = len(base.tenants_on(name)) if base and name in base.platform.named_hosts else 0
        cells = " | ".join(
            f"{r.write(r.used)} of {r.write(r.capacity)} ({r.write(r.headroom)} free)"
            for r in resources
        )
        tenants = f"{was} → {count}" if was != count else str(count)
        rows.append(f"| `{name}` | {head.platform.environment_of(name)} | {tenants} | {cells} |")
    return rows


HOST_TABLE_HEAD: Final = (
    "| host | environment | tenants | cpu | memory | storage | pods |",
    "|---|---|---|---|---|---|---|",
)


def render(review: Review) -> str:
    out = io.StringIO()
    out.write(f"## Platform review: `{review.base}` → working tree\n\n")
    if not review.changed:
        out.write("No stack changes.\n")
        return out.getvalue()
    for title, lines in (
        ("⚠️ Dangerous changes", [f"- {line}" for line in review.dangers]),
        ("🌐 Egress beyond the vcluster changes", [f"- {line}" for line in review.egress]),
        ("📣 Exposure changes", [f"- {line}" for line in review.exposure]),
        ("💾 Backups", [f"- {line}" for line in review.backups]),
        ("🧰 Host services", [f"- {line}" for line in review.services]),
        ("🔑 Who may sign in", [f"- {line}" for line in review.access]),
        ("🚚 GitOps delivery", [f"- {line}" for line in review.delivery]),
        ("🖥️ Hosts after the change", [*HOST_TABLE_HEAD, *review.hosts] if review.hosts else []),
    ):
        if lines:
            out.write(f"### {title}\n\n" + "".join(f"{line}\n" for line in lines) + "\n")
    touched = [s for s in review.stacks if s.status != "unchanged"]
    out.write("| stack | status | added | changed | removed |\n|---|---|---:|---:|---:|\n")
    for s in touched:
        out.write(
            f"| `{s.name}` | {s.status} | {len(s.added)} | {len(s.changed)} | {len(s.removed)} |\n"
        )
    unchanged = [s.name for s in review.stacks if s.status == "unchanged"]
    if unchanged:
        # A platform of a thousand teams must still fit a pull-request comment.
        listed = len(unchanged) <= MAX_LISTED
        names = ": " + ", ".join(f"`{n}`" for n in unchanged) if listed else ""
        out.write(f"\n{len(unchanged)} stacks unchanged{names}.\n")
    for s in touched:
        out.write(f"\n<details><summary><code>{s.name}</code>: {s.status}</summary>\n\n")
        for label, addresses in (
            ("added", s.added),
            ("changed", s.changed),
            ("removed", s.removed),
        ):
            for address in addresses:
                out.write(f"- {label}: `{address}`\n")
        out.write("\n</details>\n")
    return out.getvalue()


# --- synthesizing the two sides ---------------------------------------------------------


def _synth_tree(root: Path, outdir: Path) -> dict[str, bytes]:
    result = run_app(root, outdir=outdir)
    if result.returncode != 0:
        raise ReviewError(f"synthesis failed in {root}:\n{result.stderr.strip()}")
    return read_stack_bytes(outdir)


def _parsed_where_different(
    base: dict[str, bytes], head: dict[str, bytes]
) -> tuple[Stacks, Stacks]:
    """Both sides parsed; a stack with the same bytes on both sides is compared as empty."""

    def parse(side: dict[str, bytes], other: dict[str, bytes]) -> Stacks:
        return {
            name: {} if other.get(name) == content else json.loads(content)
            for name, content in side.items()
        }

    return parse(base, head), parse(head, base)


def _export_revision(repo: Path, revision: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", revision],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise ReviewError(f"cannot read revision {revision!r}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def review_against(base: str, repo: Path = PROJECT_ROOT) -> Review:
    """Both sides synthesized from scratch as far as their inputs changed: the base over its
    own committed output, the working tree over the base's (only changed teams are built)."""
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        _export_revision(repo, base, base_tree)
        base_out = base_tree / "cdktf.out"
        base_stacks = _synth_tree(base_tree, base_out)
        head_out = Path(tmp) / "head.out"
        # Hard links, not copies: synthesis never writes into a file, it swaps directories.
        shutil.copytree(base_out, head_out, copy_function=os.link)
        head_stacks = _synth_tree(repo, head_out)
        base_catalog = _catalog_or_none(base_tree / "platform.yaml")
    review = compare(*_parsed_where_different(base_stacks, head_stacks), base_label=base)
    head_catalog = _catalog_or_none(repo / "platform.yaml")
    if head_catalog is not None and review.changed:
        review.hosts = host_rows(base_catalog, head_catalog)
    return review


def _catalog_or_none(path: Path) -> Catalog | None:
    """The catalog at `path`; None when this code cannot read it (a base from long ago)."""
    try:
        return load_catalog(path)
    except CatalogError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="review", description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--repo", type=Path, default=PROJECT_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        review = review_against(args.base, args.repo)
    except ReviewError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(render(review), end="")
    return 1 if review.changed else 0


if __name__ == "__main__":
    sys.exit(main())
