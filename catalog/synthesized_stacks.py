"""Reading synthesized stacks back: the one place that knows where a stack's JSON lies.

The data guard reads the earlier output to compare the catalog with it; review reads both
sides of a change; the tests read what they synthesized.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

#: The file cdktf writes for each stack, under `<outdir>/stacks/<stack>/`.
STACK_FILE: Final = "cdk.tf.json"


class UnreadableStackError(ValueError):
    """A stack file that is not JSON: whoever reads it must not guess what it held."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: not a readable stack")
        self.path = path


def stack_files(outdir: Path) -> dict[str, Path]:
    """Stack name -> its JSON file, for every stack under `outdir`, sorted by name."""
    return {p.parent.name: p for p in sorted((outdir / "stacks").glob(f"*/{STACK_FILE}"))}


def read_stack_bytes(outdir: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in stack_files(outdir).items()}


def _whole(stack: dict[str, Any]) -> dict[str, Any]:
    return stack


def read_stacks(
    outdir: Path,
    *,
    only: Callable[[str], bool] = lambda _: True,
    keep: Callable[[dict[str, Any]], dict[str, Any]] = _whole,
) -> dict[str, dict[str, Any]]:
    """Every stack's JSON (those `only` accepts), parsed, and of each what `keep` keeps (the
    rest is dropped at once: a thousand parsed stacks weigh hundreds of MiB); not JSON:
    `UnreadableStackError`."""
    stacks = {}
    for name, path in stack_files(outdir).items():
        if not only(name):
            continue
        try:
            stacks[name] = keep(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise UnreadableStackError(path) from None
    return stacks


class RevisionError(ValueError):
    """The named revision cannot be read: not a git checkout, or not a commit of it."""


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """A git command's output; a failure raises `RevisionError` with git's own words."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False, timeout=300
    )
    if result.returncode != 0:
        raise RevisionError(result.stderr.decode("utf-8", "replace").strip() or "git failed")
    return result.stdout


def checkout_root(outdir: Path) -> Path | None:
    """The git checkout `outdir` belongs to, or None (no git, or not a checkout)."""
    start = outdir.resolve().parent
    while not start.exists():
        start = start.parent
    try:
        return Path(git(start, "rev-parse", "--show-toplevel").decode().strip())
    except (RevisionError, OSError):
        return None


def has_revision(root: Path, revision: str) -> bool:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except RevisionError:
        return False
    return True


def committed_files(root: Path, revision: str, prefix: str) -> dict[str, str]:
    """Path -> blob id of every file under `prefix` at `revision` (nothing read yet)."""
    listing = git(root, "ls-tree", "-r", "-z", revision, "--", prefix).decode()
    files = {}
    for line in filter(None, listing.split("\0")):
        meta, path = line.split("\t", 1)
        files[path] = meta.split()[2]
    return files


def stacks_at_revision(
    root: Path,
    outdir: Path,
    revision: str,
    *,
    only: Callable[[str], bool] = lambda _: True,
    keep: Callable[[dict[str, Any]], dict[str, Any]] = _whole,
) -> dict[str, dict[str, Any]]:
    """The stacks committed under `outdir` at `revision` (those `only` accepts), parsed.

    One `git cat-file --batch` reads them all; nothing in the working tree is consulted.
    """
    prefix = outdir.resolve().relative_to(root).as_posix()
    blobs: dict[str, str] = {}
    for path, blob in committed_files(root, revision, f"{prefix}/stacks").items():
        parts = path.split("/")
        if parts[-1] == STACK_FILE and only(parts[-2]):
            blobs[parts[-2]] = blob
    if not blobs:
        return {}
    batch = git(
        root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs.values()).encode()
    )
    stacks: dict[str, dict[str, Any]] = {}
    position = 0
    for name in blobs:
        header_end = batch.index(b"\n", position)
        size = int(batch[position:header_end].split()[2])
        content = batch[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
        try:
            stacks[name] = keep(json.loads(content))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise UnreadableStackError(
                Path(f"{revision}:{prefix}/stacks/{name}/{STACK_FILE}")
            ) from None
    return stacks
