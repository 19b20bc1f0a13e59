"""Which host a synthesized vcluster stack deploys to, read back from its provider settings.

The data guard compares it with the catalog's placement (a tenant on another host starts
empty there, and its old vcluster stays behind, unmanaged); review names moves. The stack says
where it deploys by its providers' kubeconfig: a KIND host's is read from that host's stack by
cross-stack reference, so the host stack's name is in it; an existing host's is a path and a
context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.stack_names import kind_stack
from catalog.tenant import Tenant
from constructs_lib.vcluster_props import VCLUSTER_CHART

_REMOTE_STATE: Final = re.compile(
    r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([^.]+)\."
)


@dataclass(frozen=True)
class HostRecord:
    """Where a vcluster stack deploys: a KIND host's stack, or a kubeconfig and context."""

    kubeconfig: str
    """`stack:<host stack>` for a KIND host, else the kubeconfig path as written."""
    context: str | None

    def name_in(self, catalog: Catalog) -> str | None:
        """The catalog's host reached this way, if it has one."""
        return next(
            (n for n in catalog.platform.named_hosts if host_record(catalog, n) == self), None
        )

    def describe(self, catalog: Catalog | None = None) -> str:
        """The host's name when the catalog has one so reached, else how it is reached."""
        name = self.name_in(catalog) if catalog is not None else None
        if name is not None:
            return f"host {name!r}"
        if self.kubeconfig.startswith("stack:"):
            return f"the KIND host of stack {self.kubeconfig.removeprefix('stack:')}"
        context = f", context {self.context}" if self.context else ""
        return f"the cluster of kubeconfig {self.kubeconfig}{context}"


def host_record_of(stack: Mapping[str, Any]) -> HostRecord | None:
    """Where a vcluster stack's JSON (or what `essentials` kept of it) deploys; None when it
    is not a vcluster stack."""
    kept = stack.get("host")
    if isinstance(kept, Mapping):
        return HostRecord(str(kept["kubeconfig"]), kept.get("context"))
    providers = stack.get("provider", {}).get("kubernetes") or []
    releases = stack.get("resource", {}).get("helm_release", {}).values()
    if not providers or not any(r.get("chart") == VCLUSTER_CHART for r in releases):
        return None
    config = providers[0]
    path = str(config.get("config_path", ""))
    match = _REMOTE_STATE.match(path)
    kubeconfig = f"stack:{match.group(1)}" if match else path
    return HostRecord(kubeconfig, config.get("config_context"))


def host_record(catalog: Catalog, host: str) -> HostRecord:
    """Where the catalog's host `host` is reached, as a vcluster stack on it would say."""
    spec = catalog.platform.named_hosts[host]
    if isinstance(spec, KindHost):
        return HostRecord(f"stack:{kind_stack(host)}", f"kind-{spec.cluster_name}")
    return HostRecord(spec.kubeconfig_path, spec.context)


def placed_record(catalog: Catalog, tenant: Tenant) -> HostRecord:
    return host_record(catalog, catalog.placement_of(tenant).host)
