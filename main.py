"""Synthesizes the platform from the team catalog (`platform.yaml`, or $PLATFORM_CONFIG)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

from bindings.cdk_terrain import use_cdk_terrain_if_installed
from synthesis.quiet_jsii import quiet_jsii

quiet_jsii()
use_cdk_terrain_if_installed()

#: The exit status of a run stopped by Ctrl-C, as shells report it (128 + SIGINT).
INTERRUPTED = 128 + signal.SIGINT
_interrupted: list[int] = []


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    _interrupted.append(signum)
    raise KeyboardInterrupt


def main() -> int:
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        return _synthesize(outdir)
    except BaseException:
        # Ctrl-C reaches jsii's Node process too, which may fail first: either way, one line.
        if not _interrupted:
            raise
        print(
            f"error: interrupted; {outdir}/ holds the previous output or the complete new one, "
            "never a mix",
            file=sys.stderr,
        )
        return INTERRUPTED


def _synthesize(outdir: Path) -> int:
    from catalog.data_guard import load_catalog_for_synth
    from catalog.loader import CatalogError, catalog_path
    from synthesis.run import BASE_ENV

    base = os.environ.get(BASE_ENV) or None
    try:
        catalog = load_catalog_for_synth(catalog_path(), outdir, base=base)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    from synthesis.errors import SynthesisError
    from synthesis.run import synthesize

    try:
        synthesize(catalog, outdir, base=base)
    except SynthesisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    status = main()
    if status == INTERRUPTED:
        # jsii's exit hook would try to stop a Node process Ctrl-C already stopped, and print
        # a traceback about it; everything of ours is cleaned up by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
