"""`pipenv run generate`: rewrite every file derived from the catalog.

- `cdktf.out/` (manifest, each stack's cdk.tf.json and the record of their inputs), committed
  for review and for Atlantis;
- `atlantis.yaml`, one project per stack;
- the stack picture in README.md;
- `catalog-info.yaml`, the developer portal's entities for every team.

Tests fail when any of them is out of date with `platform.yaml`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from synthesis.quiet_jsii import quiet_jsii

quiet_jsii()

from catalog.data_guard import load_catalog_for_synth
from catalog.loader import CatalogError, catalog_path
from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from synthesis.errors import SynthesisError
from synthesis.run import BASE_ENV, synthesize
from tools.atlantis_config import atlantis_config, render
from tools.manifest import read_manifest
from tools.portal import render_portal
from tools.stack_graph import mermaid, replace_graph

OUTDIR = PROJECT_ROOT / "cdktf.out"


def companion_files(catalog: Catalog, outdir: Path) -> dict[Path, str]:
    """`atlantis.yaml` and the README picture, from the synthesized output in `outdir`."""
    stacks = read_manifest(outdir, checkout_root=outdir.parent)
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return {
        Path("atlantis.yaml"): render(atlantis_config(stacks, catalog.stack_hosts())),
        Path("README.md"): replace_graph(readme, mermaid(stacks, catalog)),
        Path("catalog-info.yaml"): render_portal(catalog),
    }


def derived_files(catalog: Catalog, outdir: Path) -> dict[Path, str]:
    """Everything derived from `catalog`, keyed by path relative to the checkout root."""
    synthesize(catalog, outdir)  # into an empty directory: every stack is built
    files = {
        Path("cdktf.out") / p.relative_to(outdir): p.read_text(encoding="utf-8")
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }
    return files | companion_files(catalog, outdir)


def main() -> int:
    base = os.environ.get(BASE_ENV) or None
    try:
        catalog = load_catalog_for_synth(catalog_path(), OUTDIR, base=base)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # The same write path as `make synth` (built beside, swapped in), then its companions.
    try:
        synthesize(catalog, OUTDIR, base=base)
    except SynthesisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for relative, text in companion_files(catalog, OUTDIR).items():
        (PROJECT_ROOT / relative).write_text(text, encoding="utf-8")
    hosts = len(catalog.platform.named_hosts)
    print(
        "wrote cdktf.out/, atlantis.yaml, catalog-info.yaml and the README picture for "
        f"{len(catalog.teams)} teams "
        f"({len(catalog.tenants)} tenants) on {hosts} host{'s' if hosts > 1 else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
