"""`main.py` as users run it: output on success; one clear error and nothing written on failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog.synthesized_stacks import read_stacks
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_main


def test_synthesizes_every_stack_without_noise(tmp_path: Path) -> None:
    result = run_main(PROJECT_ROOT, PROJECT_ROOT / "platform.yaml", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""  # in particular, no jsii end-of-life banner
    assert sorted(read_stacks(tmp_path / "out")) == [
        "kind-cluster",
        "team-a",
        "team-b",
        "vcluster-team-a",
        "vcluster-team-b",
    ]


def test_reads_the_catalog_named_by_platform_config(tmp_path: Path) -> None:
    catalog = tmp_path / "other.yaml"
    catalog.write_text("teams: [{name: solo}]\n")
    result = run_main(PROJECT_ROOT, catalog, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert sorted(read_stacks(tmp_path / "out")) == ["kind-cluster", "solo", "vcluster-solo"]


def test_a_bad_catalog_exits_non_zero_with_one_message_and_no_traceback(tmp_path: Path) -> None:
    catalog = tmp_path / "bad.yaml"
    catalog.write_text("teams: [{name: Team_A}]\n")
    result = run_main(PROJECT_ROOT, catalog, tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {catalog}: teams[0] (Team_A).name:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_catalog_leaves_an_earlier_output_untouched(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    assert run_main(PROJECT_ROOT, PROJECT_ROOT / "platform.yaml", outdir).returncode == 0
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    catalog = tmp_path / "bad.yaml"
    catalog.write_text("teams: [{name: a1}, {name: a1}]\n")
    assert run_main(PROJECT_ROOT, catalog, outdir).returncode == 2
    after = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("missing", ["nope.yaml"])
def test_a_missing_catalog_says_how_to_point_at_one(tmp_path: Path, missing: str) -> None:
    result = run_main(tmp_path, tmp_path / missing)
    assert result.returncode == 2
    assert "catalog file not found; create it or point PLATFORM_CONFIG at one" in result.stderr


def test_runs_from_any_working_directory(tmp_path: Path) -> None:
    shutil.copy(PROJECT_ROOT / "platform.yaml", tmp_path / "platform.yaml")
    result = run_main(tmp_path, None, tmp_path / "out")
    assert result.returncode == 0, result.stderr
