"""Reading synthesized stacks back: the one place that knows where a stack's JSON lies.

The data guard reads the earlier output to compare the catalog with it; review reads both
sides of a change; the tests read what they synthesized.
"""

from __future__ import annotations

import json
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


def read_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every stack's JSON, parsed; a file that is not JSON raises `UnreadableStackError`."""
    stacks = {}
    for name, path in stack_files(outdir).items():
        try:
            stacks[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise UnreadableStackError(path) from None
    return stacks
