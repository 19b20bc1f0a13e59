"""The previous output a synthesis may reuse: the output directory, or a reviewed git revision.

On a laptop the previous output is whatever `cdktf.out/` holds. On a shared server the working
tree is the pull request's, so it cannot be trusted: in base mode the previous output is the
one committed at the base revision, and a stack is reusable only if the working tree's JSON
for it is byte-identical to that revision's. A hand-edited `cdk.tf.json` is therefore rebuilt,
and the stale-output check that follows fails on it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.synthesized_stacks import (
    STACK_FILE,
    RevisionError,
    checkout_root,
    committed_files,
    git,
    has_revision,
)
from synthesis.errors import SynthesisError
from synthesis.inputs import RECORD_NAME, InputRecord


@dataclass(frozen=True, slots=True)
class Previous:
    source: str
    """Where it came from, for the progress line: an output directory or a revision."""
    record: InputRecord | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    """`manifest.json`'s `stacks` entries."""
    stacks: dict[str, bytes] = field(default_factory=dict)
    """Stack name -> its `cdk.tf.json`, for every stack that may be reused."""
    version: str = ""
    """The cdktf version `manifest.json` records."""


def _manifest(text: str | bytes | None) -> tuple[dict[str, Any], str]:
    """`manifest.json`'s stack entries and version; nothing when it is missing or broken."""
    try:
        manifest = json.loads(text or "{}")
        stacks, version = manifest.get("stacks", {}), manifest.get("version", "")
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        return {}, ""
    if not isinstance(stacks, dict) or not isinstance(version, str):
        return {}, ""
    return stacks, version


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def from_directory(outdir: Path) -> Previous:
    record_bytes = _read(outdir / RECORD_NAME)
    manifest, version = _manifest(_read(outdir / "manifest.json"))
    stacks = {}
    for name in manifest:
        content = _read(outdir / "stacks" / name / STACK_FILE)
        if content is not None:
            stacks[name] = content
    record = InputRecord.parse(record_bytes.decode("utf-8", "replace")) if record_bytes else None
    return Previous(f"{outdir.name}/", record, manifest, stacks, version)


def _blob_id(content: bytes) -> str:
    """The id git gives a file with this content (so nothing has to be read from git)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def from_revision(outdir: Path, revision: str) -> Previous:
    """The output committed at `revision`, as far as the working tree still matches it."""
    outdir = outdir.resolve()
    top = checkout_root(outdir)
    if top is None:
        raise SynthesisError(f"{outdir.parent} is not in a git checkout; base mode needs one")
    if not has_revision(top, revision):
        raise SynthesisError(
            f"base revision {revision!r} is not a commit of this repository; fetch it or name "
            "another (SYNTH_BASE)"
        )
    prefix = outdir.relative_to(top).as_posix()
    try:
        blobs = committed_files(top, revision, prefix)
    except RevisionError as err:
        raise SynthesisError(f"git ls-tree failed: {err}") from None

    def committed(relative: str) -> bytes | None:
        blob = blobs.get(f"{prefix}/{relative}")
        if not blob:
            return None
        try:
            return git(top, "cat-file", "blob", blob)
        except RevisionError as err:
            raise SynthesisError(f"git cat-file failed: {err}") from None

    record_bytes = committed(RECORD_NAME)
    manifest, version = _manifest(committed("manifest.json"))
    stacks = {}
    for name in manifest:
        relative = f"stacks/{name}/{STACK_FILE}"
        content = _read(outdir / relative)
        if content is not None and blobs.get(f"{prefix}/{relative}") == _blob_id(content):
            stacks[name] = content
    record = InputRecord.parse(record_bytes.decode("utf-8", "replace")) if record_bytes else None
    return Previous(revision, record, manifest, stacks, version)
