"""The same app under CDK Terrain: byte-identical JSON except the listed differences.

The twin environment (`twin/`, built by `make setup`) has `cdktn` and the cdktn bindings of our
provider versions instead of cdktf; the app runs in it unchanged, through the one seam
`bindings/cdk_terrain.py`. Every listed difference (tools/twin.py) is asserted to occur,
exactly as listed, and nothing else may differ.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from bindings.cdk_terrain import terrain_name
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_command
from tools.synth_command import synth_command
from tools.twin import (
    MANIFEST_DIFFERENCES,
    STACK_DIFFERENCES,
    TWIN_BIN,
    TWIN_PYTHON,
    explain,
    twin_environment,
    unexplained,
)

pytestmark = [pytest.mark.cli, pytest.mark.twin]

PRODUCTION = """\
platform:
  production: true
  host: {type: existing, kubeconfig_path: ~/.kube/prod, domain: vc.example.com,
         exposure: load_balancer}
  state: {backend: s3, bucket: tf-state, region: eu-west-1, key_prefix: platform/prod}
teams:
  - name: payments
    database: {instances: 3}
    vcluster: {replicas: 3, backing_store: deployed-etcd}
    egress: {allow: [{cidr: 203.0.113.0/24, ports: [443]}]}
    quota: {cpu_limits: "12", memory_limits: 24Gi}
  - name: search
    cache: {}
"""


@pytest.fixture(scope="module")
def twin() -> None:
    if not TWIN_PYTHON.exists():
        pytest.fail("the twin environment is missing: `make setup` builds it (twin/)")


def synth(catalog: Path, outdir: Path, *, terrain: bool) -> None:
    """`catalog` synthesized as cdktf.json runs the app, under cdktf or CDK Terrain."""
    env = twin_environment() if terrain else dict(os.environ)
    env |= {"PLATFORM_CONFIG": str(catalog), "CDKTF_OUTDIR": str(outdir)}
    python = str(TWIN_PYTHON) if terrain else sys.executable
    result = run_command(synth_command(python), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("catalog", ["default", "production"])
def test_cdk_terrain_writes_the_same_json_but_the_listed_differences(
    twin: None, catalog: str, tmp_path: Path
) -> None:
    source = PROJECT_ROOT / "platform.yaml"
    if catalog == "production":
        source = tmp_path / "production.yaml"
        source.write_text(PRODUCTION, encoding="utf-8")
    synth(source, tmp_path / "cdktf", terrain=False)
    synth(source, tmp_path / "cdktn", terrain=True)
    problems, seen = unexplained(tmp_path / "cdktf", tmp_path / "cdktn")
    assert problems == []
    assert seen == set(STACK_DIFFERENCES) | set(MANIFEST_DIFFERENCES)  # each one occurs


def test_a_difference_that_is_not_listed_is_reported() -> None:
    ours = b'{\n  "resource": {\n    "x": {\n      "a": "1"\n    }\n  }\n}\n'
    theirs = b'{\n  "resource": {\n    "x": {\n      "a": "2"\n    }\n  }\n}\n'
    problems, _ = explain("stacks/s", ours, theirs, STACK_DIFFERENCES)
    assert problems == ["stacks/s: differs beyond the listed differences"]


def test_a_listed_difference_with_other_values_is_reported() -> None:
    ours = b'{\n  "//": {\n    "metadata": {\n      "version": "0.21.0"\n    }\n  }\n}\n'
    theirs = b'{\n  "//": {\n    "metadata": {\n      "version": "9.9.9"\n    }\n  }\n}\n'
    problems, _ = explain("stacks/s", ours, theirs, STACK_DIFFERENCES)
    assert len(problems) == 1 and "not the listed" in problems[0]


def test_the_seam_renames_exactly_the_cdk_packages() -> None:
    assert terrain_name("cdktf") == "cdktn"
    assert terrain_name("cdktf.x") == "cdktn.x"
    assert terrain_name("cdktf_cdktf_provider_helm.release") == "cdktn_provider_helm.release"
    assert terrain_name("cdktfx") is None
    assert terrain_name("constructs") is None


def test_the_seam_stays_out_of_the_way_where_cdktf_is_installed() -> None:
    probe = "from bindings.cdk_terrain import use_cdk_terrain_if_installed as use\nprint(use())"
    assert run_command([sys.executable, "-c", probe]).stdout.strip() == "False"
    assert run_command([str(TWIN_PYTHON), "-c", probe]).stdout.strip() == "True"


def test_the_cdk_terrain_cli_synthesizes_the_app_with_the_same_manifest(
    twin: None, tmp_path: Path
) -> None:
    synth(PROJECT_ROOT / "platform.yaml", tmp_path / "cdktf", terrain=False)
    env = twin_environment()
    env.pop("PLATFORM_CONFIG", None)
    result = run_command(
        [str(TWIN_BIN / "cdktn"), "synth", "--output", str(tmp_path / "cli")], env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    problems, seen = unexplained(tmp_path / "cdktf", tmp_path / "cli")
    assert problems == []
    assert set(MANIFEST_DIFFERENCES) <= seen


def test_the_readmes_package_swaps_are_the_locked_versions() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    swaps = dict(
        re.findall(r"^\| `(cdktf[\w-]*==[\d.]+)`[^|]*\| `(cdktn[\w-]*==[\d.]+)`", readme, re.M)
    )
    assert len(swaps) == 6

    def locked(lock: Path) -> set[str]:
        packages = json.loads(lock.read_text(encoding="utf-8"))["default"]
        return {f"{name}{p['version']}" for name, p in packages.items()}

    assert set(swaps) <= locked(PROJECT_ROOT / "Pipfile.lock")
    assert set(swaps.values()) <= locked(PROJECT_ROOT / "twin" / "Pipfile.lock")
