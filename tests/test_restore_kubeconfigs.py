"""`restore-kubeconfigs` writes the team kubeconfigs back from the vcluster state, and only them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command
from tools.kubeconfigs import (
    STACKS_DIR,
    RestoreError,
    kubeconfigs_in_state,
    vcluster_stack_dirs,
    write_kubeconfigs,
)

SHOW: dict[str, Any] = {
    "values": {
        "root_module": {
            "resources": [
                {
                    "type": "local_sensitive_file",
                    "values": {
                        "filename": "../../../.kubeconfigs/vcluster-team-a.yaml",
                        "content": "apiVersion: v1\nkind: Config\n",
                    },
                },
                {"type": "helm_release", "values": {"name": "team-a"}},
            ]
        }
    }
}


def test_reads_only_kubeconfig_files_from_the_state() -> None:
    assert kubeconfigs_in_state(SHOW) == {
        "../../../.kubeconfigs/vcluster-team-a.yaml": "apiVersion: v1\nkind: Config\n"
    }
    assert kubeconfigs_in_state({}) == {}


def test_writes_them_private_where_the_stacks_expect_them(tmp_path: Path) -> None:
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "vcluster-team-a"
    stack_dir.mkdir(parents=True)
    (written,) = write_kubeconfigs(kubeconfigs_in_state(SHOW), stack_dir)
    assert written == (tmp_path / ".kubeconfigs" / "vcluster-team-a.yaml").resolve()
    assert written.read_text() == "apiVersion: v1\nkind: Config\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_refuses_to_write_outside_the_kubeconfig_directory(tmp_path: Path) -> None:
    with pytest.raises(RestoreError, match="not under"):
        write_kubeconfigs({"../../../etc/passwd": "x"}, tmp_path / "a" / "b" / "c")


def run_restore(tofu: Path, *teams: str) -> subprocess.CompletedProcess[str]:
    return run_command(
        [sys.executable, "-m", "tools.kubeconfigs", *teams],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, TERRAFORM_BINARY_NAME=str(tofu)),
    )


def fake_tofu(tmp_path: Path) -> tuple[Path, Path]:
    """A tofu that records the stack directory of every call and shows an empty state."""
    fake, calls = tmp_path / "fake-tofu", tmp_path / "calls"
    fake.write_text(
        f'#!/bin/sh\necho "${{1##*/}} $2" >> {calls}\n'
        "case \"$2\" in show) cat <<'EOF'\n" + json.dumps({}) + "\nEOF\n;; esac\n"
    )
    fake.chmod(0o755)
    return fake, calls


def test_command_reads_every_teams_vcluster_stack(tmp_path: Path) -> None:
    fake, calls = fake_tofu(tmp_path)
    result = run_restore(fake)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "restored 0 kubeconfig files from the vcluster state\n"
    assert calls.read_text().splitlines() == [
        "vcluster-team-a init",
        "vcluster-team-a show",
        "vcluster-team-b init",
        "vcluster-team-b show",
    ]


def test_command_reads_only_the_named_teams_vcluster_stack(tmp_path: Path) -> None:
    fake, calls = fake_tofu(tmp_path)
    result = run_restore(fake, "team-b")
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == ["vcluster-team-b init", "vcluster-team-b show"]


def test_command_names_a_team_without_a_vcluster_stack(tmp_path: Path) -> None:
    fake, _ = fake_tofu(tmp_path)
    result = run_restore(fake, "team-z")
    assert result.returncode == 2
    assert result.stderr == (
        "error: no stack vcluster-team-z in cdktf.out/ (run `make synth` first)\n"
    )


def test_command_fails_clearly_without_tofu(tmp_path: Path) -> None:
    result = run_restore(tmp_path / "no-such-tofu")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_a_tenant_of_a_team_with_environments_is_restored_on_its_own() -> None:
    # Atlantis passes the project's name: the tenant's stack, `team-c-prod`.
    assert vcluster_stack_dirs(["team-c-prod"]) == [STACKS_DIR / "vcluster-team-c-prod"]
