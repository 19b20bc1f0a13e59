"""`python -m synthesis.worker SHARD.json OUTDIR`: synthesize one shard of a catalog.

The shard is the validated catalog and the names of the tenants to build, written by `build`;
nothing here re-reads `platform.yaml` or runs the data guard, which ran once on the whole
catalog.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bindings.cdk_terrain import use_cdk_terrain_if_installed
from synthesis.quiet_jsii import quiet_jsii

quiet_jsii()
use_cdk_terrain_if_installed()


def main(argv: list[str]) -> int:
    import json

    from catalog.model import Catalog
    from stacks.app import synthesize

    shard_file, outdir = argv
    shard = json.loads(Path(shard_file).read_text(encoding="utf-8"))
    catalog = Catalog.model_validate_json(json.dumps(shard["catalog"]))
    synthesize(catalog, Path(outdir), tenants=[catalog.tenant(n) for n in shard["tenants"]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
