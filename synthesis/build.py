"""Building the stacks of some tenants: in this process, or in worker processes, one shard each.

Every tenant's stacks depend on the platform, its host and that tenant alone, so any subset of
tenants builds the same JSON for them as the whole catalog does. A KIND host's stack is built
with each subset that has a tenant on it (its cross-stack outputs need a consumer to exist),
and a host no tenant uses with every subset (`stacks.app.build_app`).
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
from catalog.tenant import Tenant
from constructs_lib.paths import PROJECT_ROOT
from synthesis.errors import SynthesisError

#: Tenants per worker at the most: peak memory follows the shard, not the catalog.
SHARD_TEAMS: Final = 250
#: Below this many tenants to build, one process is faster than starting workers.
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


def build_in_process(catalog: Catalog, tenants: Sequence[Tenant]) -> Built:
    # Importing the app starts the jsii runtime: only when something is to be built.
    from stacks.app import synthesize  # noqa: PLC0415

    built = Built()
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        built.add(synthesize(catalog, Path(tmp) / "out", tenants=tenants))
    return built


def shards(teams: Sequence[Tenant], workers: int) -> list[list[Tenant]]:
    """Contiguous slices, at least one per worker, none over SHARD_TEAMS."""
    count = max(workers, -(-len(teams) // SHARD_TEAMS))
    size = -(-len(teams) // count)
    return [list(teams[i : i + size]) for i in range(0, len(teams), size)]


def _interpreter() -> list[str]:
    """This interpreter with the flags the app runs with (`-O` skips the bindings' checks)."""
    return [sys.executable, *(["-O"] if sys.flags.optimize else [])]


def shard_file_text(catalog: Catalog, shard: Sequence[Tenant]) -> str:
    """What a worker reads: the whole validated catalog (placement needs every tenant) and the
    names of the tenants it builds."""
    return json.dumps(
        {"catalog": catalog.model_dump(mode="json"), "tenants": [t.name for t in shard]}
    )


def build_in_workers(catalog: Catalog, tenants: Sequence[Tenant], workers: int) -> Built:
    built = Built()
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        pending = []
        for index, shard in enumerate(shards(tenants, workers)):
            shard_file = Path(tmp) / f"shard-{index}.json"
            shard_file.write_text(shard_file_text(catalog, shard), encoding="utf-8")
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
