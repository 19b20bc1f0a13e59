"""Builds the whole app from a catalog: the one function `main.py` and the tests call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdktf import App

from catalog.model import Catalog
from catalog.platform import ExistingHost
from constructs_lib.paths import PROJECT_ROOT
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


def synthesize(catalog: Catalog, outdir: Path) -> Path:
    """Synthesize `catalog` into `outdir` exactly as `cdktf synth` would; return `outdir`."""
    build_app(catalog, new_app(outdir=str(outdir))).synth()
    return outdir


def build_app(catalog: Catalog, app: App) -> App:
    host = catalog.platform.host
    if isinstance(host, ExistingHost):
        host_kubeconfig_path, host_context = host.kubeconfig_path, host.context
    else:
        kind = KindClusterStack(app, catalog, host)
        # A cross-stack reference: each vcluster stack reads kind-cluster's state.
        host_kubeconfig_path, host_context = kind.host.kubeconfig_path, kind.kubeconfig_context
    for team in catalog.teams:
        vcluster = VClusterStack(
            app,
            catalog,
            team,
            host_kubeconfig_path=host_kubeconfig_path,
            host_context=host_context,
        )
        TeamStack(app, catalog, team, kubeconfig_path=vcluster.vcluster.kubeconfig_path)
    return app
