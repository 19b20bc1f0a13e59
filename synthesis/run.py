"""`synthesize`: build what changed, reuse what did not, and write one output.

The result is byte-identical to a full synthesis of the catalog, always; the tests prove it
for teams added, removed, renamed, changed and reordered, platform and code changes, a missing
or corrupt record, a missing output, and stacks hand-edited or deleted.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from catalog.model import Catalog
from catalog.stack_names import team_stacks
from catalog.tenant import Tenant
from synthesis import build
from synthesis.inputs import InputRecord, code_digest, host_key, output_digest
from synthesis.output import locked, write_output
from synthesis.previous import Previous, from_directory, from_revision

#: Environment: a git revision whose committed output is the only one reused (base mode).
BASE_ENV: Final = "SYNTH_BASE"
#: Environment: worker processes for a large build (default: one per CPU).
WORKERS_ENV: Final = "SYNTH_WORKERS"
#: Environment: progress lines on stderr even when it is not a terminal.
PROGRESS_ENV: Final = "SYNTH_PROGRESS"

Progress = Callable[[str], None]


def default_progress() -> Progress:
    if sys.stderr.isatty() or os.environ.get(PROGRESS_ENV):
        return lambda line: print(f"synth: {line}", file=sys.stderr, flush=True)
    return lambda _: None


def worker_count() -> int:
    configured = os.environ.get(WORKERS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Summary:
    reused: int
    """Tenants whose stacks were taken from the previous output."""
    built: int
    """Tenants whose stacks were built."""
    workers: int
    """Processes that built them (0: nothing was built)."""


def _reusable(record: InputRecord, previous: Previous) -> set[str]:
    """Tenants with unchanged inputs whose stacks the previous output still has, as written."""
    written = previous.record.outputs if previous.record else {}
    return {
        name
        for name in record.unchanged_tenants(previous.record)
        if _still_as_written(team_stacks(name), previous, written.get(name))
    }


def _reusable_hosts(catalog: Catalog, record: InputRecord, previous: Previous) -> set[str]:
    """Hosts with stacks of their own (a KIND cluster, services) and unchanged inputs whose
    stacks the previous output still has, as written."""
    written = previous.record.outputs if previous.record else {}
    return {
        name
        for name in record.unchanged_hosts(previous.record)
        if catalog.stacks_of_host(name)
        and _still_as_written(catalog.stacks_of_host(name), previous, written.get(host_key(name)))
    }


def _to_build(catalog: Catalog, reusable: set[str], reusable_hosts: set[str]) -> list[Tenant]:
    """The tenants to build: those not reusable, and one tenant of each host whose stacks are
    not reusable either (a host stack's cross-stack outputs need a consumer to be built)."""
    to_build = [t for t in catalog.tenants if t.name not in reusable]
    covered = {catalog.placement_of(t).host for t in to_build}
    stale = [
        name
        for name in catalog.platform.named_hosts
        if catalog.stacks_of_host(name) and name not in reusable_hosts
    ]
    for name in stale:
        if name not in covered:
            to_build += catalog.tenants_on(name)[:1]
    stale_unused = [name for name in stale if not catalog.tenants_on(name)]
    if not to_build and stale_unused:
        # A host no tenant uses is built with any tenant's stacks (build_app builds it always).
        to_build = [catalog.tenants[0]]
    order = {t.name: i for i, t in enumerate(catalog.tenants)}
    return sorted(to_build, key=lambda t: order[t.name])


def _still_as_written(names: tuple[str, ...], previous: Previous, digest: str | None) -> bool:
    if not all(n in previous.stacks and n in previous.manifest for n in names):
        return False
    return digest == output_digest([previous.stacks[n] for n in names])


def synthesize(
    catalog: Catalog,
    outdir: Path,
    *,
    base: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Summary:
    """Write the output of `catalog` into `outdir`, building only what its inputs require."""
    say = progress or default_progress()
    started = time.monotonic()
    record = InputRecord.of(catalog, code_digest())
    tenants = catalog.tenants
    with locked(outdir):
        previous = from_revision(outdir, base) if base else from_directory(outdir)
        reusable = _reusable(record, previous)
        reusable_hosts = _reusable_hosts(catalog, record, previous)
        to_build = _to_build(catalog, reusable, reusable_hosts)
        say(
            f"{len(tenants)} tenants: {len(tenants) - len(to_build)} reused from "
            f"{previous.source}, {len(to_build)} to build ({time.monotonic() - started:.1f} s)"
        )
        processes = min(workers or worker_count(), len(to_build))
        built = build.Built()
        if to_build:
            step = time.monotonic()
            if len(to_build) >= build.PARALLEL_MIN_TEAMS and processes > 1:
                built = build.build_in_workers(catalog, to_build, processes)
            else:
                processes = 1
                built = build.build_in_process(catalog, to_build)
            say(
                f"built {len(to_build)} tenants in {processes} process(es) "
                f"({time.monotonic() - step:.1f} s)"
            )
        step = time.monotonic()
        hosts = catalog.host_stacks()
        names = [*hosts, *(s for t in tenants for s in team_stacks(t.name))]
        stacks = {n: built.stacks[n] if n in built.stacks else previous.stacks[n] for n in names}
        outputs = {t.name: output_digest([stacks[n] for n in team_stacks(t.name)]) for t in tenants}
        for name in catalog.platform.named_hosts:
            if catalog.stacks_of_host(name):
                outputs[host_key(name)] = output_digest(
                    [stacks[s] for s in catalog.stacks_of_host(name)]
                )
        write_output(
            outdir,
            stacks=stacks,
            manifest={n: built.manifest.get(n) or previous.manifest[n] for n in names},
            version=built.version or previous.version,
            record=record.with_outputs(outputs).render(),
        )
        say(f"wrote {len(names)} stacks to {outdir.name}/ ({time.monotonic() - step:.1f} s)")
    return Summary(reused=len(tenants) - len(to_build), built=len(to_build), workers=processes)
