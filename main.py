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
    from catalog.loader import catalog_path
    from synthesis.run import BASE_ENV
    from synthesis.warm import synthesize_warm

    base = os.environ.get(BASE_ENV) or None
    catalog = catalog_path()
    # A warm process (`make watch`) with exactly this code does it without starting jsii.
    served = synthesize_warm(catalog, outdir, base=base)
    if served is not None:
        return served

    from synthesis.entry import synthesize_catalog

    return synthesize_catalog(catalog, outdir, base=base, say=_to_stderr)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    status = main()
    if status == INTERRUPTED:
        # jsii's exit hook would try to stop a Node process Ctrl-C already stopped, and print
        # a traceback about it; everything of ours is cleaned up by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
