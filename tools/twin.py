"""The same app under CDK Terrain (the twin), and what may differ from cdktf's output.

`pipenv run twin-synth OUTDIR` synthesizes the current catalog (or `PLATFORM_CONFIG`) in the
twin environment (`twin/`) into OUTDIR, then compares it with `cdktf.out/` (or `--against`):
anything beyond the listed differences is reported, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from catalog.synthesized_stacks import stack_files
from constructs_lib import versions
from constructs_lib.paths import PROJECT_ROOT
from synthesis.quiet_jsii import QUIET_JSII_ENV
from tools.synth_command import run_app, synth_command

TWIN: Final = PROJECT_ROOT / "twin"
TWIN_PYTHON: Final = TWIN / ".venv" / "bin" / "python"
TWIN_BIN: Final = TWIN / "node_modules" / ".bin"


def _locked(lock: Path, package: str) -> str:
    data = json.loads(lock.read_text(encoding="utf-8"))
    return str(data["default"][package]["version"]).removeprefix("==")


CDKTF_VERSION: Final = _locked(PROJECT_ROOT / "Pipfile.lock", "cdktf")
CDKTN_VERSION: Final = _locked(TWIN / "Pipfile.lock", "cdktn")


@dataclass(frozen=True)
class Difference:
    where: tuple[str, ...]
    cdktf: str
    cdktn: str
    why: str


#: Everything CDK Terrain writes differently in a stack, each with its reason (README).
STACK_DIFFERENCES: Final = (
    Difference(
        ("//", "metadata", "version"),
        CDKTF_VERSION,
        CDKTN_VERSION,
        "the library's own version stamp in its metadata comment",
    ),
    Difference(
        ("terraform", "required_providers", "kubernetes", "source"),
        "kubernetes",
        "hashicorp/kubernetes",
        "cdktf's prebuilt kubernetes binding writes the short source; both mean "
        "registry.terraform.io/hashicorp/kubernetes",
    ),
    Difference(
        ("terraform", "required_providers", "local", "version"),
        versions.LOCAL_PROVIDER_VERSION,
        "2.7.0",
        "no cdktn binding of local 2.6.1 exists; cdktn-provider-local 12.0.0 binds 2.7.0",
    ),
    Difference(
        ("terraform", "required_providers", "random", "version"),
        versions.RANDOM_PROVIDER_VERSION,
        "3.8.1",
        "no cdktn binding of random 3.7.2 exists; cdktn-provider-random 13.0.0 binds 3.8.1",
    ),
)
MANIFEST_DIFFERENCES: Final = (
    Difference(("version",), CDKTF_VERSION, CDKTN_VERSION, "the library's version stamp"),
)


def _get(data: Any, where: tuple[str, ...]) -> Any:
    for key in where:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _put(data: dict[str, Any], where: tuple[str, ...], value: str) -> None:
    for key in where[:-1]:
        data = data[key]
    data[where[-1]] = value


def _changed_lines(a: bytes, b: bytes) -> int:
    left, right = a.splitlines(), b.splitlines()
    if len(left) != len(right):
        return -1
    return sum(x != y for x, y in zip(left, right, strict=True))


def explain(
    name: str, cdktf: bytes, cdktn: bytes, differences: Sequence[Difference]
) -> tuple[list[str], set[Difference]]:
    """What differs in one file beyond `differences`, and which of them it showed."""
    ours, theirs = json.loads(cdktf), json.loads(cdktn)
    seen = set()
    for difference in differences:
        found = (_get(ours, difference.where), _get(theirs, difference.where))
        if found == (difference.cdktf, difference.cdktn):
            _put(theirs, difference.where, difference.cdktf)
            seen.add(difference)
        elif found[0] != found[1]:
            path = ".".join(difference.where)
            return [
                f"{name}: {path} is {found[0]!r} under cdktf and {found[1]!r} under CDK Terrain, "
                f"not the listed {difference.cdktf!r} / {difference.cdktn!r}"
            ], seen
    if ours != theirs:
        return [f"{name}: differs beyond the listed differences"], seen
    if _changed_lines(cdktf, cdktn) != len(seen):
        return [f"{name}: the same JSON, written differently (lines moved or reformatted)"], seen
    return [], seen


def unexplained(cdktf_dir: Path, cdktn_dir: Path) -> tuple[list[str], set[Difference]]:
    """Every difference between two outputs that the lists above do not explain."""
    problems: list[str] = []
    seen: set[Difference] = set()
    ours, theirs = stack_files(cdktf_dir), stack_files(cdktn_dir)
    if sorted(ours) != sorted(theirs):
        problems.append(f"stacks differ: {sorted(ours)} under cdktf, {sorted(theirs)} under cdktn")
    pairs: list[tuple[str, Path, Path, Sequence[Difference]]] = [
        (f"stacks/{n}", ours[n], theirs[n], STACK_DIFFERENCES)
        for n in sorted(set(ours) & set(theirs))
    ]
    pairs.append(
        (
            "manifest.json",
            cdktf_dir / "manifest.json",
            cdktn_dir / "manifest.json",
            MANIFEST_DIFFERENCES,
        )
    )
    for name, a, b, differences in pairs:
        found, showed = explain(name, a.read_bytes(), b.read_bytes(), differences)
        problems += found
        seen |= showed
    return problems, seen


def twin_environment() -> dict[str, str]:
    """The environment the twin runs in: its Python via pipenv, its Node and CLI first on PATH."""
    env = dict(os.environ) | QUIET_JSII_ENV
    env.update(
        PIPENV_PIPFILE=str(TWIN / "Pipfile"),
        PIPENV_VENV_IN_PROJECT="1",
        PIPENV_VERBOSITY="-1",
        PIPENV_DONT_LOAD_ENV="1",
        CI="true",
        CHECKPOINT_DISABLE="1",
    )
    tools = PROJECT_ROOT / ".tools" / "bin"
    env["PATH"] = os.pathsep.join([str(TWIN_BIN), str(tools), env.get("PATH", "")])
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipenv run twin-synth", description=__doc__)
    parser.add_argument("outdir", type=Path, help="where the twin writes its output")
    parser.add_argument(
        "--against", type=Path, default=PROJECT_ROOT / "cdktf.out", help="cdktf's output"
    )
    args = parser.parse_args(argv)
    if not TWIN_PYTHON.exists():
        print("error: the twin environment is missing; run `make setup`", file=sys.stderr)
        return 2
    os.environ.update(twin_environment())
    result = run_app(
        PROJECT_ROOT, outdir=args.outdir.resolve(), command=synth_command(str(TWIN_PYTHON))
    )
    if result.returncode != 0:
        print(result.stderr.strip(), file=sys.stderr)
        return result.returncode
    problems, seen = unexplained(args.against, args.outdir)
    for line in problems:
        print(f"unexplained: {line}")
    listed = [d for d in (*STACK_DIFFERENCES, *MANIFEST_DIFFERENCES) if d in seen]
    print(
        f"{args.outdir}: {len(listed)} listed differences from {args.against}"
        + ("" if problems else ", nothing else")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
