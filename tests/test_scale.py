"""A thousand teams synthesize correctly, and everything derived from them stays usable."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.loader import CatalogError, parse_catalog
from catalog.synthesized_stacks import read_stacks
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Synthesized
from tools.atlantis_config import atlantis_config, render
from tools.bench import TITLE, generated_catalog, generated_fleet_catalog, splice
from tools.manifest import read_manifest
from tools.review import compare
from tools.review import render as render_review
from tools.synth_command import run_app

pytestmark = pytest.mark.slow

TEAMS = 1000
#: GitHub refuses pull-request comments longer than this.
COMMENT_LIMIT = 65_536


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Synthesized, Path]:
    """1000 teams, synthesized by the app command users run (`python -O main.py`)."""
    work = tmp_path_factory.mktemp("large")
    catalog = work / "platform.yaml"
    catalog.write_text(generated_catalog(TEAMS))
    outdir = work / "cdktf.out"
    result = run_app(PROJECT_ROOT, outdir=outdir, catalog=catalog, timeout=1200)
    assert result.returncode == 0, result.stderr
    return read_stacks(outdir), outdir


def vcluster_releases(stacks: Synthesized) -> list[dict[str, Any]]:
    return [
        release
        for name, stack in stacks.items()
        if name.startswith("vcluster-")
        for release in stack["resource"]["helm_release"].values()
    ]


def test_every_team_gets_its_stack_and_its_vcluster_stack(
    large: tuple[Synthesized, Path],
) -> None:
    stacks, _ = large
    assert len(stacks) == 2 * TEAMS  # no kind-cluster on an existing host
    assert len({r["name"] for r in vcluster_releases(stacks)}) == TEAMS
    assert all(f"vcluster-{name}" in stacks for name in stacks if name.startswith("team-"))


def test_each_team_stack_reads_its_own_kubeconfig(large: tuple[Synthesized, Path]) -> None:
    stacks, _ = large
    for name in ("team-0000", "team-0500", "team-0999"):
        outputs = stacks[f"vcluster-{name}"]["output"]
        reference = stacks[name]["provider"]["kubernetes"][0]["config_path"]
        output_name = reference.split(".outputs.")[1].rstrip("}")
        assert output_name in outputs
        assert f"local_sensitive_file.{name}_Kubeconfig_" in outputs[output_name]["value"]


def test_every_team_gets_its_own_api_host(large: tuple[Synthesized, Path]) -> None:
    stacks, _ = large
    hosts = {
        yaml.safe_load(r["values"][0])["controlPlane"]["ingress"]["host"]
        for r in vcluster_releases(stacks)
    }
    assert len(hosts) == TEAMS
    assert all(len(h.split(".")[0]) <= 63 for h in hosts)


def test_atlantis_config_lists_every_stack_in_order_and_stays_small(
    large: tuple[Synthesized, Path],
) -> None:
    _, outdir = large
    stacks = read_manifest(outdir, checkout_root=outdir.parent)
    config = atlantis_config(stacks)
    assert len(config["projects"]) == 2 * TEAMS
    groups = {p["name"]: p["execution_order_group"] for p in config["projects"]}
    assert {g for n, g in groups.items() if n.startswith("vcluster-")} == {0}
    assert {g for n, g in groups.items() if not n.startswith("vcluster-")} == {1}
    assert len(render(config).encode()) < 512 * 1024


def test_review_of_one_change_fits_a_pull_request_comment(large: tuple[Synthesized, Path]) -> None:
    stacks, _ = large
    head = copy.deepcopy(stacks)
    del head["team-0999"]
    del head["vcluster-team-0999"]
    report = render_review(compare(stacks, head, base_label="main"))
    assert len(report) < COMMENT_LIMIT
    assert "1998 stacks unchanged." in report
    assert "`team-0999`: the whole team stack is **removed**" in report
    assert "| `vcluster-team-0999` | removed |" in report


def test_a_kind_host_refuses_a_thousand_teams_with_a_way_out() -> None:
    catalog = yaml.safe_load(generated_catalog(TEAMS))
    del catalog["platform"]["host"]
    with pytest.raises(
        CatalogError, match=r"1000 teams do not fit the port pool .* host type 'existing'"
    ):
        parse_catalog(json.dumps(catalog))


def test_the_bench_fleet_spreads_a_thousand_tenants_over_its_twenty_hosts() -> None:
    catalog = parse_catalog(generated_fleet_catalog())
    assert len(catalog.tenants) == 1000
    assert {t.environment for t in catalog.tenants} == {"dev", "prod"}
    hosts = {catalog.placement_of(t).host for t in catalog.tenants}
    assert hosts == set(catalog.platform.named_hosts)
    assert len(hosts) == 20
    assert len(catalog.host_stacks()) == 2  # two KIND hosts, each with a few tenants


def test_a_bench_run_of_some_rows_keeps_the_other_sections_of_the_report() -> None:
    document = TITLE + "\n- one-host rows\n\n## Fleet\n\nold fleet\n\n## Notes\n\nby hand\n"
    updated = splice(document, {"## Fleet": "## Fleet\n\nnew fleet\n", "## New": "## New\n"})
    assert updated == (
        TITLE + "\n- one-host rows\n\n## Fleet\n\nnew fleet\n\n## Notes\n\nby hand\n\n## New\n"
    )
