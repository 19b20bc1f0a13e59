"""Writing the merged output: always the old output or the complete new one, never a mix.

The new output is assembled beside the old one and swapped in by renaming directories, under
a lock, so an interrupted run leaves the previous output and two runs never interleave. What
other tools keep inside a stack's directory (`.terraform/`, lock files, plans) moves over.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from synthesis.inputs import RECORD_NAME

_OWN_FILES = frozenset({"manifest.json", RECORD_NAME, "stacks"})


def render_manifest(entries: Mapping[str, Any], version: str) -> str:
    """`manifest.json` exactly as cdktf writes it: sorted keys, indent 2, `[` and `]` apart."""
    text = json.dumps({"stacks": dict(entries), "version": version}, indent=2, sort_keys=True)
    return re.sub(
        r"^( *)(.*)\[\](,?)$", lambda m: f"{m[1]}{m[2]}[\n{m[1]}]{m[3]}", text, flags=re.M
    )


@contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """One synthesis at a time per output directory (a second one waits)."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with (outdir.parent / f".{outdir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _carry_over(old: Path, new: Path) -> None:
    """Move what is not ours (a stack's `.terraform/`, extra files) into the new output."""
    if not old.is_dir():
        return
    for entry in old.iterdir():
        if entry.name not in _OWN_FILES:
            entry.rename(new / entry.name)
    for stack_dir in (old / "stacks").glob("*"):
        target = new / "stacks" / stack_dir.name
        if not target.is_dir():
            continue
        for entry in stack_dir.iterdir():
            if entry.name != "cdk.tf.json":
                entry.rename(target / entry.name)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), f"cannot swap {a} and {b}")


def recover(outdir: Path) -> None:
    """After a run killed between two renames (where no exchange exists): put the old back."""
    retired = sorted(outdir.parent.glob(f".{outdir.name}.old-*"))
    if not outdir.exists() and retired:
        retired[-1].rename(outdir)
    for leftover in outdir.parent.glob(f".{outdir.name}.[no][el][wd]-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_output(
    outdir: Path,
    *,
    stacks: Mapping[str, bytes],
    manifest: Mapping[str, Any],
    version: str,
    record: str,
) -> None:
    """Build the new output beside `outdir`, then swap it in: killed or interrupted at any
    point, `outdir` is the previous output or the complete new one, never a mix."""
    recover(outdir)
    staging = outdir.parent / f".{outdir.name}.new-{os.getpid()}"
    try:
        for name, content in stacks.items():
            path = staging / manifest[name]["synthesizedStackPath"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (staging / "manifest.json").write_text(render_manifest(manifest, version), "utf-8")
        (staging / RECORD_NAME).write_text(record, encoding="utf-8")
        _carry_over(outdir, staging)
        if not outdir.exists():
            staging.rename(outdir)
        elif not _exchange(staging, outdir):
            retired = outdir.parent / f".{outdir.name}.old-{os.getpid()}"
            outdir.rename(retired)
            staging.rename(outdir)
    finally:
        # After the exchange `staging` holds the previous output; after a failure, a partial one.
        shutil.rmtree(staging, ignore_errors=True)
        recover(outdir)
