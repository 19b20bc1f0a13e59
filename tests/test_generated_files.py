"""Files derived from the catalog are committed current: cdktf.out/, atlantis.yaml, README."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tools.generate import derived_files


@pytest.fixture(scope="module")
def derived(default_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    return derived_files(default_catalog, tmp_path_factory.mktemp("generate") / "cdktf.out")


@pytest.mark.parametrize(
    "relative",
    [
        "atlantis.yaml",
        "README.md",
        "catalog-info.yaml",
        "cdktf.out/manifest.json",
        "cdktf.out/synth-inputs.json",
        "cdktf.out/stacks/kind-cluster/cdk.tf.json",
        "cdktf.out/stacks/vcluster-team-a/cdk.tf.json",
        "cdktf.out/stacks/vcluster-team-b/cdk.tf.json",
        "cdktf.out/stacks/team-a/cdk.tf.json",
        "cdktf.out/stacks/team-b/cdk.tf.json",
    ],
)
def test_committed_file_is_current_with_the_catalog(
    derived: dict[Path, str], relative: str
) -> None:
    committed = (PROJECT_ROOT / relative).read_text(encoding="utf-8")
    assert committed == derived[Path(relative)], (
        f"{relative} is out of date with platform.yaml: run `pipenv run generate` and commit"
    )


def test_nothing_else_is_derived(derived: dict[Path, str]) -> None:
    committed = {
        p.relative_to(PROJECT_ROOT) for p in (PROJECT_ROOT / "cdktf.out").rglob("cdk.tf.json")
    } | {
        Path("cdktf.out/manifest.json"),
        Path("cdktf.out/synth-inputs.json"),
        Path("atlantis.yaml"),
        Path("README.md"),
        Path("catalog-info.yaml"),
    }
    assert set(derived) == committed, "stale stack directories in cdktf.out: run generate"


def test_readme_picture_shows_every_stack_and_dependency(derived: dict[Path, str]) -> None:
    readme = derived[Path("README.md")]
    for line in (
        'kind_cluster["kind-cluster<br/>KIND host: 1 control plane + 2 workers"]',
        "kind_cluster --> vcluster_team_a",
        "kind_cluster --> vcluster_team_b",
        "vcluster_team_a --> team_a",
        "vcluster_team_b --> team_b",
        'team_a["team-a<br/>app, PostgreSQL"]',
    ):
        assert line in readme
