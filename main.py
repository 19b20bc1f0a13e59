"""Synthesizes the platform from the team catalog (`platform.yaml`, or $PLATFORM_CONFIG)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from synthesis.quiet_jsii import quiet_jsii

quiet_jsii()


def main() -> int:
    from catalog.data_guard import load_catalog_for_synth
    from catalog.loader import CatalogError, catalog_path

    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    try:
        catalog = load_catalog_for_synth(catalog_path(), outdir)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    from synthesis.errors import SynthesisError
    from synthesis.run import BASE_ENV, synthesize

    try:
        synthesize(catalog, outdir, base=os.environ.get(BASE_ENV) or None)
    except SynthesisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
