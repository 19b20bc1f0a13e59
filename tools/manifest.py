"""The stacks of a synthesized app and how they depend on each other, from `manifest.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True, slots=True)
class StackInfo:
    name: str
    directory: str
    """Working directory of the stack, relative to the checkout root."""
    dependencies: tuple[str, ...]


def read_manifest(outdir: Path, *, checkout_root: Path) -> list[StackInfo]:
    """Stacks in dependency order (producers first), then by name."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    relative_outdir = outdir.resolve().relative_to(checkout_root.resolve())
    stacks = [
        StackInfo(
            name=name,
            directory=(relative_outdir / entry["workingDirectory"]).as_posix(),
            dependencies=tuple(sorted(entry["dependencies"])),
        )
        for name, entry in manifest["stacks"].items()
    ]
    depth = dependency_depths(stacks)
    return sorted(stacks, key=lambda s: (depth[s.name], s.name))


def dependency_depths(stacks: list[StackInfo]) -> dict[str, int]:
    """0 for stacks that depend on nothing, else one more than their deepest dependency."""
    by_name = {s.name: s for s in stacks}
    depths: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in depths:
            deps = by_name[name].dependencies
            depths[name] = 1 + max(depth(d) for d in deps) if deps else 0
        return depths[name]

    for s in stacks:
        depth(s.name)
    return depths


def by_host(stacks: list[StackInfo], stack_hosts: dict[str, str]) -> list[StackInfo]:
    """The stacks grouped by their host, hosts in catalog order, dependency order within."""
    order = {host: index for index, host in enumerate(dict.fromkeys(stack_hosts.values()))}
    depths = dependency_depths(stacks)
    return sorted(
        stacks,
        key=lambda s: (order.get(stack_hosts.get(s.name, ""), -1), depths[s.name], s.name),
    )
