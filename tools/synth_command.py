"""The app command of cdktf.json, run directly with a given Python.

cdktf.json is the one place that says how the app runs (`pipenv run python -O main.py`); tools
and tests that synthesize directly (review, bench, the suite) run the same command, flags
included, in their own interpreter instead of going through pipenv again.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from constructs_lib.paths import PROJECT_ROOT

_LAUNCHER = ["pipenv", "run"]


def app_python(python: str = sys.executable) -> list[str]:
    """`python` with the interpreter flags the app runs with (e.g. `-O`), without the script."""
    return synth_command(python)[:-1]


def synth_command(python: str = sys.executable) -> list[str]:
    app = json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"]
    argv = shlex.split(app)
    if argv[: len(_LAUNCHER)] == _LAUNCHER:
        argv = argv[len(_LAUNCHER) :]
    if len(argv) < 2 or argv[0] not in ("python", "python3"):
        raise ValueError(f"cdktf.json app {app!r} does not run a python script; cannot mirror it")
    return [python, *argv[1:]]


def run_app(
    root: Path,
    *,
    outdir: Path | None = None,
    catalog: Path | None = None,
    command: Sequence[str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Synthesize the checkout at `root` as `cdktf synth` runs it, with the output captured.

    `outdir` defaults to the app's own (`cdktf.out`), `catalog` to the checkout's
    `platform.yaml`; `command` replaces the app command (e.g. to run it type-checked).
    """
    env = {k: v for k, v in os.environ.items() if k not in {"CDKTF_OUTDIR", "PLATFORM_CONFIG"}}
    if outdir is not None:
        env["CDKTF_OUTDIR"] = str(outdir)
    if catalog is not None:
        env["PLATFORM_CONFIG"] = str(catalog)
    return subprocess.run(
        list(command or synth_command()),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    """`pipenv run synth [--output DIR]`: the app command of cdktf.json, without the CLI.

    What `cdktf synth` runs, minus the Node CLI around it (the app reads cdktf.json's context
    itself, and the suite proves both write the same bytes): synthesis needs Python alone.
    """
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="synth", description="the app command of cdktf.json")
    parser.add_argument("--output", type=Path, default=None, help="default: cdktf.out")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.output is not None:
        env["CDKTF_OUTDIR"] = str(args.output)
    command = synth_command()
    os.execve(command[0], command, env)
    return 1  # not reached: the app takes over this process


if __name__ == "__main__":
    sys.exit(main())
