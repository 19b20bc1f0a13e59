"""Building the stacks of some teams: in this process, or in worker processes, one shard each.

Every team's stacks depend on the platform and on that team alone, so any subset of teams
builds the same JSON for them as the whole catalog does. The KIND host stack is built with
each subset (it is one small stack, and its cross-stack outputs need a consumer to exist).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from catalog.model import Catalog
from catalog.team import Team
from constructs_lib.paths import PROJECT_ROOT
from synthesis.errors import SynthesisError

#: Teams per worker at the most: peak memory follows the shard, not the catalog.
SHARD_TEAMS: Final = 250
#: Below this many teams to build, one process is faster than starting workers.
PARALLEL_MIN_TEAMS: Final = 200
WORKER_TIMEOUT_S: Final = 1800


@dataclass(slots=True)
class Built:
    """Stacks as the app wrote them: `cdk.tf.json` bytes and `manifest.json` entries."""

    stacks: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    version: str = ""

    def add(self, outdir: Path) -> None:
        manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
        self.version = manifest["version"]
        for name, entry in manifest["stacks"].items():
            self.manifest[name] = entry
            self.stacks[name] = (outdir / entry["synthesizedStackPath"]).read_bytes()


def subset(catalog: Catalog, teams: Sequence[Team]) -> Catalog:
    return catalog.model_copy(update={"teams": tuple(teams)})


def build_in_process(catalog: Catalog, teams: Sequence[Team]) -> Built:
    # Importing the app starts the jsii runtime: only when something is to be built.
    from stacks.app import synthesize  # noqa: PLC0415

    built = Built()
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        built.add(synthesize(subset(catalog, teams), Path(tmp) / "out"))
    return built


def shards(teams: Sequence[Team], workers: int) -> list[list[Team]]:
    """Contiguous slices, at least one per worker, none over SHARD_TEAMS."""
    count = max(workers, -(-len(teams) // SHARD_TEAMS))
    size = -(-len(teams) // count)
    return [list(teams[i : i + size]) for i in range(0, len(teams), size)]


def _interpreter() -> list[str]:
    """This interpreter with the flags the app runs with (`-O` skips the bindings' checks)."""
    return [sys.executable, *(["-O"] if sys.flags.optimize else [])]


def build_in_workers(catalog: Catalog, teams: Sequence[Team], workers: int) -> Built:
    built = Built()
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        pending = []
        for index, shard in enumerate(shards(teams, workers)):
            shard_file = Path(tmp) / f"shard-{index}.json"
            shard_file.write_text(subset(catalog, shard).model_dump_json(), encoding="utf-8")
            pending.append((shard_file, Path(tmp) / f"out-{index}"))
        running: list[tuple[subprocess.Popen[bytes], Path]] = []
        while pending or running:
            while pending and len(running) < workers:
                shard_file, out = pending.pop(0)
                process = subprocess.Popen(
                    [*_interpreter(), "-m", "synthesis.worker", str(shard_file), str(out)],
                    cwd=PROJECT_ROOT,
                    env=os.environ.copy(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                running.append((process, out))
            process, out = running.pop(0)
            _, stderr = process.communicate(timeout=WORKER_TIMEOUT_S)
            if process.returncode != 0:
                for other, _ in running:
                    other.kill()
                detail = stderr.decode("utf-8", "replace").strip().splitlines()
                raise SynthesisError(f"a synthesis worker failed: {detail[-1] if detail else '?'}")
            built.add(out)
    return built
