"""checkov finds nothing in any synthesized stack but the skips justified in .checkov.yaml."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Synthesized, run_command

CONFIG = PROJECT_ROOT / ".checkov.yaml"
EVERYTHING = """\
platform:
  production: true
  host: {type: existing, kubeconfig_path: ~/.kube/prod, domain: vc.example.com,
         exposure: load_balancer}
  state: {backend: s3, bucket: tf-state, region: eu-west-1}
teams:
  - {name: full, database: {instances: 3}, cache: {},
     vcluster: {replicas: 3, backing_store: deployed-etcd}, quota: {cpu_limits: "12"}}
  - {name: ingress-only}
"""


def checkov(directory: Path) -> dict[str, Any]:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    result = run_command(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "--config-file",
            str(CONFIG),
            "--directory",
            str(directory),
            "--output",
            "json",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    first: dict[str, Any] = report[0] if isinstance(report, list) else report
    return first


def failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]


def test_the_committed_stacks_pass_the_policy_scan() -> None:
    report = checkov(PROJECT_ROOT / "cdktf.out" / "stacks")
    assert report["summary"]["passed"] > 0
    assert failures(report) == []


def test_a_catalog_using_every_option_passes_the_policy_scan(
    catalog_from: Callable[[str], Catalog],
    synth: Callable[[Catalog], Synthesized],
    tmp_path: Path,
) -> None:
    stacks = synth(catalog_from(EVERYTHING))
    for name, content in stacks.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "cdk.tf.json").write_text(json.dumps(content))
    report = checkov(tmp_path)
    assert report["summary"]["passed"] > 0
    assert failures(report) == []


def test_every_skipped_check_has_a_one_line_justification() -> None:
    lines = CONFIG.read_text().splitlines()
    skipped = yaml.safe_load(CONFIG.read_text())["skip-check"]
    assert skipped, "no skips: delete the list rather than leave it empty"
    for check in skipped:
        index = lines.index(f"  - {check}")
        justification = lines[index - 1].strip()
        assert justification.startswith("# ") and len(justification) > 30, check


@pytest.mark.parametrize("check", ["CKV_K8S_35", "CKV_K8S_15", "CKV_K8S_20", "CKV_K8S_22"])
def test_checks_we_fixed_rather_than_skipped_stay_unskipped(check: str) -> None:
    assert check not in yaml.safe_load(CONFIG.read_text())["skip-check"]


def test_the_scan_does_catch_an_insecure_deployment(tmp_path: Path) -> None:
    insecure = {
        "resource": {
            "kubernetes_deployment_v1": {
                "bad": {
                    "metadata": {"name": "bad", "namespace": "default"},
                    "spec": {
                        "selector": {"match_labels": {"a": "b"}},
                        "template": {
                            "metadata": {"labels": {"a": "b"}},
                            "spec": {
                                "container": [
                                    {
                                        "name": "c",
                                        "image": "nginx",
                                        "security_context": {"privileged": True},
                                    }
                                ]
                            },
                        },
                    },
                }
            }
        }
    }
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "cdk.tf.json").write_text(json.dumps(insecure))
    assert any(f.startswith("CKV_K8S_16 ") for f in failures(checkov(tmp_path)))


def test_the_review_workflow_runs_the_same_scan_offline() -> None:
    scripts = tomllib.loads((PROJECT_ROOT / "Pipfile").read_text())["scripts"]
    assert scripts["policy"] == (
        "env BC_SKIP_MAPPING=TRUE checkov --config-file .checkov.yaml --directory cdktf.out/stacks"
    )
    assert "pipenv run policy" in (PROJECT_ROOT / "README.md").read_text()
