"""ruff and mypy (strict) are part of the suite, so `make test` keeps the code honest."""

from __future__ import annotations

import subprocess
import sys

from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command


def run(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_command(
        [sys.executable, "-m", *command],
        cwd=PROJECT_ROOT,
        stdin=stdin,
    )


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    result = run("mypy", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_app_code_may_not_rely_on_assert() -> None:
    """The app runs as `python -O`, which strips asserts: ruff rejects them outside tests."""
    probe = "def port_of(team: object) -> None:\n    assert team\n"
    for path, flagged in (("constructs_lib/probe.py", True), ("tests/test_probe.py", False)):
        result = run("ruff", "check", "--stdin-filename", path, "-", stdin=probe)
        assert ("S101" in result.stdout) is flagged, result.stdout
