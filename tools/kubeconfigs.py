"""`pipenv run restore-kubeconfigs [TENANT ...]`: write tenant kubeconfig files back from state.

A team stack reads its kubeconfig from a file its `vcluster-<team>` apply wrote. In Atlantis
every pull request has a fresh workspace, so a team stack planned in a later pull request
would not find that file. Its content is in the `vcluster-<team>` state
(`local_sensitive_file.content`), so this command reads `tofu show -json` in that stack and
writes the file again, mode 0600, where the stacks expect it. With no team named it restores
every team's. It reads state only: no cluster access, no apply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from catalog.stack_names import VCLUSTER_STACK_PREFIX, vcluster_stack
from constructs_lib.paths import KUBECONFIG_DIR, PROJECT_ROOT

STACKS_DIR: Final = PROJECT_ROOT / "cdktf.out" / "stacks"


class RestoreError(Exception):
    pass


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def kubeconfigs_in_state(show: dict[str, Any]) -> dict[str, str]:
    """filename (relative to the stack directory) -> content, from `tofu show -json`."""
    root = show.get("values", {}).get("root_module", {})
    return {
        r["values"]["filename"]: r["values"]["content"]
        for r in _resources(root)
        if r.get("type") == "local_sensitive_file" and r.get("values", {}).get("content")
    }


def write_kubeconfigs(files: dict[str, str], stack_dir: Path) -> list[Path]:
    allowed = (stack_dir / KUBECONFIG_DIR).resolve()
    written = []
    for filename, content in sorted(files.items()):
        target = (stack_dir / filename).resolve()
        if target.parent != allowed:
            raise RestoreError(f"refusing to write {filename}: not under {KUBECONFIG_DIR}")
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(target, 0o600)
        written.append(target)
    return written


def _tofu(*args: str, stack_dir: Path) -> str:
    binary = os.environ.get("TERRAFORM_BINARY_NAME", "tofu")
    result = subprocess.run(
        [binary, f"-chdir={stack_dir}", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RestoreError(f"{binary} {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def vcluster_stack_dirs(teams: list[str]) -> list[Path]:
    """The `vcluster-<team>` stacks of the named teams, or of every team."""
    if teams:
        return [STACKS_DIR / vcluster_stack(team) for team in teams]
    return sorted(STACKS_DIR.glob(f"{VCLUSTER_STACK_PREFIX}*"))


def restore(stack_dir: Path) -> list[Path]:
    if not (stack_dir / "cdk.tf.json").is_file():
        raise RestoreError(f"no stack {stack_dir.name} in cdktf.out/ (run `make synth` first)")
    _tofu("init", "-input=false", "-no-color", stack_dir=stack_dir)
    show = json.loads(_tofu("show", "-json", stack_dir=stack_dir) or "{}")
    return write_kubeconfigs(kubeconfigs_in_state(show), stack_dir)


def main(argv: list[str]) -> int:
    written: list[Path] = []
    try:
        for stack_dir in vcluster_stack_dirs(argv):
            written += restore(stack_dir)
    except (RestoreError, OSError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"restored {len(written)} kubeconfig files from the vcluster state")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
