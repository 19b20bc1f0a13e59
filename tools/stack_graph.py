"""A Mermaid picture of the stacks and their dependencies, kept in README.md between markers."""

from __future__ import annotations

import re
from typing import Final

from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.stack_names import KIND_STACK, VCLUSTER_STACK_PREFIX
from tools.manifest import StackInfo

START: Final = "<!-- stack-graph:start -->"
END: Final = "<!-- stack-graph:end -->"


def _node_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name)


def _describe(stack: StackInfo, catalog: Catalog) -> str:
    host = catalog.platform.host
    if stack.name == KIND_STACK and isinstance(host, KindHost):
        return f"KIND host: 1 control plane + {host.workers} workers"
    if stack.name.startswith(VCLUSTER_STACK_PREFIX):
        return f"vcluster of {stack.name.removeprefix(VCLUSTER_STACK_PREFIX)}"
    team = next((t for t in catalog.teams if t.name == stack.name), None)
    if team is None:
        return ""
    parts = ["app"]
    if team.wants_database:
        parts.append("PostgreSQL")
    if team.wants_cache:
        parts.append("cache")
    return ", ".join(parts)


def mermaid(stacks: list[StackInfo], catalog: Catalog) -> str:
    lines = ["```mermaid", "flowchart LR"]
    for stack in stacks:
        label = f"{stack.name}<br/>{_describe(stack, catalog)}"
        lines.append(f'  {_node_id(stack.name)}["{label}"]')
    for stack in stacks:
        for dependency in stack.dependencies:
            lines.append(f"  {_node_id(dependency)} --> {_node_id(stack.name)}")
    lines.append("```")
    return "\n".join(lines)


def replace_graph(readme: str, graph: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README.md has no {START} … {END} block")
    return pattern.sub(lambda _: f"{START}\n{graph}\n{END}", readme)
