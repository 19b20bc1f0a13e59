"""A Mermaid picture of the stacks and their dependencies, kept in README.md between markers."""

from __future__ import annotations

import re
from typing import Final

from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.stack_names import HOST_SERVICES_STACK_PREFIX, VCLUSTER_STACK_PREFIX, is_host_stack
from tools.manifest import StackInfo, by_host

START: Final = "<!-- stack-graph:start -->"
END: Final = "<!-- stack-graph:end -->"


def _node_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name)


def _describe(stack: StackInfo, catalog: Catalog, host: str | None) -> str:
    spec = catalog.platform.named_hosts.get(host or "")
    if stack.name.startswith(HOST_SERVICES_STACK_PREFIX) and spec is not None:
        services = spec.services.turned_on().items()
        return "services: " + ", ".join(
            f"{name} (provided)" if service.provided else name for name, service in services
        )
    if is_host_stack(stack.name) and isinstance(spec, KindHost):
        return f"KIND host: 1 control plane + {spec.workers} workers"
    if stack.name.startswith(VCLUSTER_STACK_PREFIX):
        return f"vcluster of {stack.name.removeprefix(VCLUSTER_STACK_PREFIX)}"
    tenants = {t.name: t for t in catalog.tenants}
    tenant = tenants.get(stack.name)
    if tenant is None:
        return ""
    parts = ["app"]
    if tenant.settings.wants_database:
        parts.append("PostgreSQL")
    if tenant.settings.wants_cache:
        parts.append("cache")
    return ", ".join(parts)


def _host_title(catalog: Catalog, host: str) -> str:
    spec = catalog.platform.named_hosts[host]
    kind = "KIND" if isinstance(spec, KindHost) else "existing cluster"
    return f"host {host}: {kind}, environment {catalog.platform.environment_of(host)}"


def mermaid(stacks: list[StackInfo], catalog: Catalog) -> str:
    """The stacks, one box per host holding its stacks, and an arrow per dependency."""
    stack_hosts = catalog.stack_hosts()
    lines = ["```mermaid", "flowchart LR"]
    current: str | None = None
    for stack in by_host(stacks, stack_hosts):
        host = stack_hosts.get(stack.name)
        if host != current:
            if current is not None:
                lines.append("  end")
            lines.append(
                f'  subgraph {_node_id("host " + str(host))}["{_host_title(catalog, str(host))}"]'
            )
            current = host
        label = f"{stack.name}<br/>{_describe(stack, catalog, host)}"
        lines.append(f'    {_node_id(stack.name)}["{label}"]')
    if current is not None:
        lines.append("  end")
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
