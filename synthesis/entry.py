"""One synthesis as the app command runs it: the data guard, then the build, one exit code.

`main.py` runs it cold; the warm process (`synthesis/warm.py`) runs the same function for each
request, so both say the same lines and exit the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalog.data_guard import load_catalog_for_synth
from catalog.loader import CatalogError
from synthesis.errors import SynthesisError
from synthesis.run import Progress, synthesize

#: A line for the user's stderr.
Say = Callable[[str], None]


def synthesize_catalog(
    catalog_path: Path,
    outdir: Path,
    *,
    base: str | None,
    say: Say,
    progress: Progress | None = None,
) -> int:
    """0 when `outdir` holds the catalog's output; 2, with one line said, when it cannot."""
    try:
        catalog = load_catalog_for_synth(catalog_path, outdir, base=base, notify=say)
    except CatalogError as err:
        say(f"error: {err}")
        return 2
    try:
        synthesize(catalog, outdir, base=base, progress=progress)
    except SynthesisError as err:
        say(f"error: {err}")
        return 2
    return 0
