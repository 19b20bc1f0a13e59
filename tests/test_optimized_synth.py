"""The app runs as `python -O main.py`: faster, and byte-for-byte the same output.

`-O` skips the provider bindings' runtime type checks (typeguard), about half of the per-team
build time. Those checks still run in this test suite (pytest runs without -O) and mypy checks
every call statically; these tests pin that the flag changes nothing in what we ship.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import synthesized_bytes
from tools.synth_command import app_python, run_app, synth_command

pytestmark = pytest.mark.cli

KIND_CATALOG = """\
platform: {project: demo, production: true}
teams:
  - name: team-a
    owners: [alice@example.com]
    database: {instances: 3, storage_gib: 5}
    cache: {}
  - name: team-b
    quota: {cpu_limits: "8", memory_limits: 16Gi, pods: 40}
    cache: {storage_gib: 2}
  - name: team-c
    decommission: true
"""

EXISTING_HOST_CATALOG = """\
platform:
  host: {type: existing, kubeconfig_path: ~/.kube/config, exposure: load_balancer,
         domain: vc.example.com}
teams:
  - name: team-a
    database: {}
    vcluster: {replicas: 3, backing_store: deployed-etcd}
    quota: {cpu_limits: "10"}
  - name: team-b
"""


def synth_with(command: list[str], catalog: Path, outdir: Path) -> dict[str, bytes]:
    result = run_app(PROJECT_ROOT, outdir=outdir, catalog=catalog, command=command, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return synthesized_bytes(outdir)


def test_tools_run_the_app_exactly_as_cdktf_json_says() -> None:
    app = json.loads((PROJECT_ROOT / "cdktf.json").read_text())["app"]
    assert app == "pipenv run python -O main.py"
    assert synth_command() == [sys.executable, "-O", "main.py"]
    assert synth_command("/opt/python") == ["/opt/python", "-O", "main.py"]
    assert app_python("/opt/python") == ["/opt/python", "-O"]


@pytest.mark.parametrize(
    "catalog_text", [KIND_CATALOG, EXISTING_HOST_CATALOG], ids=["kind-host", "existing-host"]
)
def test_optimized_and_type_checked_runs_write_identical_bytes(
    catalog_text: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(catalog_text)
    optimized = synth_with(synth_command(), catalog, tmp_path / "optimized")
    checked = synth_with([sys.executable, "main.py"], catalog, tmp_path / "checked")
    assert sorted(optimized) == sorted(checked)
    assert len(optimized) >= 4  # the manifest and at least three stacks
    for name, content in checked.items():
        assert optimized[name] == content, f"{name} differs between -O and type-checked runs"
