"""The first command installs only what it needs: `make synth` is Python alone.

`pipenv run synth` runs the app command of cdktf.json without the Node CLI around it, so a
newcomer's first `make synth` installs neither the cdktf CLI nor the development packages nor
the CDK Terrain twin (docs/benchmarks.md has what it took on a fresh machine).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command, synthesized_bytes
from tools.synth_command import run_app


def makefile() -> str:
    return (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")


def prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:([^\n]*)$", makefile(), flags=re.MULTILINE)
    assert match, f"no target {target!r}"
    return match.group(1).replace("|", " ").split()


def test_make_synth_installs_the_apps_packages_alone() -> None:
    assert prerequisites("synth") == ["app"]
    assert prerequisites("app") == [".venv/.synced-app"]
    recipe = makefile().split(".venv/.synced-app:", 1)[1].split("\n\n", 1)[0]
    assert "sync --dev" not in recipe
    for target in ("watch", "generate"):
        assert prerequisites(target) == ["app"], target


def test_the_cli_the_twin_and_the_dev_packages_come_with_the_targets_that_use_them() -> None:
    assert prerequisites("test") == ["setup"]
    assert set(prerequisites("setup")) == {"dev", "cli", "twin"}
    assert prerequisites("cli") == ["node_modules/.synced"]


def test_pipenv_run_synth_writes_what_the_app_command_writes(tmp_path: Path) -> None:
    entry = run_command(
        [sys.executable, "-m", "tools.synth_command", "--output", str(tmp_path / "entry")],
        cwd=PROJECT_ROOT,
    )
    assert entry.returncode == 0, entry.stderr
    direct = run_app(PROJECT_ROOT, outdir=tmp_path / "direct")
    assert direct.returncode == 0, direct.stderr
    assert synthesized_bytes(tmp_path / "entry") == synthesized_bytes(tmp_path / "direct")
