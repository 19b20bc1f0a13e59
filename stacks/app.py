"""Builds the whole app from a catalog: the one function `main.py` and the tests call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdktf import App

from catalog.model import Catalog
from catalog.platform import ExistingHost
from catalog.tenant import Tenant
from constructs_lib.paths import PROJECT_ROOT
from stacks.host_services_stack import HostServicesStack
from stacks.kind_cluster_stack import KindClusterStack
from stacks.team_stack import TeamStack
from stacks.vcluster_stack import VClusterStack


def cdktf_context() -> dict[str, Any]:
    """The feature flags of cdktf.json, so direct runs and tests name resources like the CLI."""
    config = json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))
    context: dict[str, Any] = config.get("context", {})
    return context


def new_app(outdir: str | None = None) -> App:
    return App(outdir=outdir, context=cdktf_context()) if outdir else App(context=cdktf_context())


def synthesize(catalog: Catalog, outdir: Path, *, tenants: Sequence[Tenant] | None = None) -> Path:
    """Synthesize `catalog` (or only `tenants` of it) into `outdir` exactly as `cdktf synth`
    would; return `outdir`."""
    build_app(catalog, new_app(outdir=str(outdir)), tenants=tenants).synth()
    return outdir


def build_app(catalog: Catalog, app: App, *, tenants: Sequence[Tenant] | None = None) -> App:
    """Every host's stacks (its KIND cluster, its services) and every tenant's two; with
    `tenants`, only those tenants' stacks and their hosts' (and the stacks of hosts no tenant
    uses), each exactly as the whole app has it.
    """
    chosen = catalog.tenants if tenants is None else tuple(tenants)
    used = {catalog.placement_of(t).host for t in catalog.tenants}
    wanted = {catalog.placement_of(t).host for t in chosen}
    access: dict[str, tuple[str, str | None]] = {}
    services: dict[str, HostServicesStack] = {}
    for name, host in catalog.platform.named_hosts.items():
        if isinstance(host, ExistingHost):
            access[name] = (host.kubeconfig_path, host.context)
        elif name in wanted or name not in used:
            kind = KindClusterStack(app, catalog, name, host)
            # A cross-stack reference: each vcluster stack on it reads the host stack's state.
            access[name] = (kind.host.kubeconfig_path, kind.kubeconfig_context)
        if host.services.turned_on() and (name in wanted or name not in used):
            kubeconfig_path, context = access[name]
            services[name] = HostServicesStack(
                app, catalog, name, host, kubeconfig_path=kubeconfig_path, context=context
            )
    for tenant in chosen:
        placed_on = catalog.placement_of(tenant).host
        host_kubeconfig_path, host_context = access[placed_on]
        vcluster = VClusterStack(
            app,
            catalog,
            tenant,
            host_kubeconfig_path=host_kubeconfig_path,
            host_context=host_context,
            host_services=services.get(placed_on),
        )
        if placed_on in services:
            # Every tenant deploys after its host's services (the policy engine that checks
            # its pods, the gateway it is routed through), referenced or not.
            vcluster.add_dependency(services[placed_on])
        TeamStack(app, catalog, tenant, kubeconfig_path=vcluster.vcluster.kubeconfig_path)
    return app
