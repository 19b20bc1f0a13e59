"""The real `cdktf synth` CLI (pinned in package.json) on the default catalog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command

pytestmark = pytest.mark.cli


@pytest.fixture(scope="module")
def cli_synth(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    cdktf = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
    assert cdktf.exists(), "run `make test` (it installs the pinned cdktf CLI with npm ci)"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(PROJECT_ROOT / ".tools" / "bin"), env["PATH"]])
    assert shutil.which("pipenv", path=env["PATH"]), "cdktf.json runs the app with pipenv"
    env.update(CI="true", CHECKPOINT_DISABLE="1", PIPENV_VERBOSITY="-1", PIPENV_DONT_LOAD_ENV="1")
    env.pop("PLATFORM_CONFIG", None)
    outdir = tmp_path_factory.mktemp("cli") / "cdktf.out"
    result = run_command(
        [str(cdktf), "synth", "--output", str(outdir)],
        cwd=PROJECT_ROOT,
        env=env,
    )
    return result, outdir


def test_cli_synth_succeeds_and_lists_the_stacks(
    cli_synth: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = cli_synth
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = "kind-cluster, team-a, team-b, vcluster-team-a, vcluster-team-b"
    # The CLI wraps long lines to the terminal width.
    assert f"Generated Terraform code for the stacks: {stacks}" in " ".join(result.stdout.split())
    assert "end-of-life" not in result.stdout + result.stderr


def test_manifest_records_every_stack_with_its_dependencies(
    cli_synth: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, outdir = cli_synth
    manifest = json.loads((outdir / "manifest.json").read_text())
    dependencies = {name: s["dependencies"] for name, s in manifest["stacks"].items()}
    assert dependencies == {
        "kind-cluster": [],
        "vcluster-team-a": ["kind-cluster"],
        "vcluster-team-b": ["kind-cluster"],
        "team-a": ["vcluster-team-a"],
        "team-b": ["vcluster-team-b"],
    }


def test_cli_and_direct_synth_give_the_same_json(
    cli_synth: tuple[subprocess.CompletedProcess[str], Path], synthesized: dict[str, object]
) -> None:
    _, outdir = cli_synth
    for stack, content in synthesized.items():
        on_disk = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
        assert on_disk == content, f"{stack} differs between `cdktf synth` and build_app()"
