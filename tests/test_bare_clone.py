"""A clone without `../shared` beside it: the suite collects, and the reference tests skip
with one line of reason — except in CI, where skipping them would hide a missing check."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_checkout, run_command


@pytest.fixture(scope="module")
def bare_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bare") / "clone"
    copy_checkout(root, extra=("tests", "tools", "pyproject.toml"))
    assert not (root.parent / "shared").exists()
    return root


def pytest_in(root: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return run_command(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root,
        env=env,
    )


def test_a_bare_clone_collects_every_test_without_errors(bare_clone: Path) -> None:
    result = pytest_in(bare_clone, "--collect-only", "-q", "--snapshot-warn-unused", ci=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"^\d+ tests collected", result.stdout, flags=re.M), result.stdout[-2000:]
    assert not re.search(r"^ERROR|\d+ errors?\b", result.stdout, flags=re.M)


def test_reference_tests_skip_with_a_reason_in_a_bare_clone(bare_clone: Path) -> None:
    result = pytest_in(bare_clone, "-m", "reference", "-q", "-rs", ci=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "needs ../shared/reference" in result.stdout
    assert " passed" not in result.stdout and " failed" not in result.stdout


def test_ci_refuses_to_skip_the_reference_tests(bare_clone: Path) -> None:
    result = pytest_in(bare_clone, "-m", "reference", "-q", ci=True)
    assert result.returncode == 1
    assert "CI must run with shared/ beside the checkout" in result.stdout
