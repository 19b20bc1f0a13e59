"""The app command of cdktf.json, as an argv that runs with a given Python.

cdktf.json is the one place that says how the app runs (`pipenv run python -O main.py`); tools
that synthesize directly (review, bench) run the same command, flags included, in their own
interpreter instead of going through pipenv again.
"""

from __future__ import annotations

import json
import shlex
import sys

from constructs_lib.paths import PROJECT_ROOT

_LAUNCHER = ["pipenv", "run"]


def synth_command(python: str = sys.executable) -> list[str]:
    app = json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"]
    argv = shlex.split(app)
    if argv[: len(_LAUNCHER)] == _LAUNCHER:
        argv = argv[len(_LAUNCHER) :]
    if not argv or argv[0] not in ("python", "python3"):
        raise ValueError(f"cdktf.json app {app!r} does not run python; tools cannot mirror it")
    return [python, *argv[1:]]
