"""Synthesis reuses what did not change, and its output is always byte-identical to a full one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catalog.model import Catalog
from stacks.app import synthesize as full_synthesis
from synthesis import build, run
from synthesis.errors import SynthesisError
from synthesis.inputs import RECORD_NAME, InputRecord, output_digest
from synthesis.output import render_manifest
from synthesis.run import Summary, synthesize
from tests.conftest import Parse, git, synthesized_bytes

BASE = """\
teams:
  - {name: team-a, database: {}}
  - {name: team-b, cache: {}}
  - {name: team-c}
"""


def full(catalog: Catalog, tmp_path: Path) -> dict[str, bytes]:
    """What a plain synthesis of the whole catalog writes."""
    return synthesized_bytes(full_synthesis(catalog, tmp_path / "full"))


def again(catalog: Catalog, outdir: Path, **kwargs: object) -> tuple[Summary, dict[str, bytes]]:
    summary = synthesize(catalog, outdir, progress=lambda _: None, **kwargs)  # type: ignore[arg-type]
    return summary, synthesized_bytes(outdir)


@pytest.fixture
def outdir(catalog_from: Parse, tmp_path: Path) -> Path:
    """An output directory holding the synthesis of BASE."""
    out = tmp_path / "cdktf.out"
    synthesize(catalog_from(BASE), out, progress=lambda _: None)
    return out


def edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


CHANGES = {
    "unchanged": (BASE, 0),
    "team added": (BASE + "  - {name: team-d}\n", 1),
    "team removed": (edited(BASE, "  - {name: team-c}\n", ""), 0),
    "team renamed": (edited(BASE, "team-c}", "team-e}"), 1),
    "team changed": (edited(BASE, "{name: team-b, cache: {}}", "{name: team-b}"), 1),
    "teams reordered": (
        "teams:\n  - {name: team-c}\n" + BASE.split("\n", 1)[1].replace("  - {name: team-c}\n", ""),
        0,
    ),
    "platform changed": ("platform: {project: other}\n" + BASE, 3),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_output_is_byte_identical_to_a_full_synthesis_and_builds_only_what_changed(
    catalog_from: Parse, outdir: Path, tmp_path: Path, change: str
) -> None:
    text, expected_built = CHANGES[change]
    catalog = catalog_from(text)
    summary, written = again(catalog, outdir)
    assert written == full(catalog, tmp_path)
    assert summary.built == expected_built


def test_a_code_change_rebuilds_everything(
    catalog_from: Parse, outdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "code_digest", lambda: "another version of the code")
    summary, written = again(catalog_from(BASE), outdir)
    assert summary.built == 3
    assert written == full(catalog_from(BASE), tmp_path)


@pytest.mark.parametrize(
    "damage",
    ["record missing", "record corrupt", "output missing", "stack hand-edited", "stack deleted"],
)
def test_damage_to_the_previous_output_is_rebuilt(
    catalog_from: Parse, outdir: Path, tmp_path: Path, damage: str
) -> None:
    stack = outdir / "stacks" / "team-b" / "cdk.tf.json"
    if damage == "record missing":
        (outdir / RECORD_NAME).unlink()
    elif damage == "record corrupt":
        (outdir / RECORD_NAME).write_text('{"version": 1, "teams": [')
    elif damage == "output missing":
        shutil.rmtree(outdir)
    elif damage == "stack hand-edited":
        stack.write_text(edited(stack.read_text(), '"replicas": "2"', '"replicas": "9"'))
    else:
        shutil.rmtree(stack.parent)
    summary, written = again(catalog_from(BASE), outdir)
    assert written == full(catalog_from(BASE), tmp_path)
    assert summary.built == (1 if damage.startswith("stack") else 3)


def test_the_record_is_deterministic_and_names_no_machine(
    catalog_from: Parse, outdir: Path, tmp_path: Path
) -> None:
    first = (outdir / RECORD_NAME).read_text()
    other = tmp_path / "elsewhere" / "cdktf.out"
    synthesize(catalog_from(BASE), other, progress=lambda _: None)
    assert (other / RECORD_NAME).read_text() == first
    assert str(tmp_path) not in first
    record = InputRecord.parse(first)
    assert record is not None and sorted(record.tenants) == ["team-a", "team-b", "team-c"]
    assert sorted(record.hosts) == ["default"]


def test_what_other_tools_keep_in_a_stack_directory_survives(
    catalog_from: Parse, outdir: Path
) -> None:
    kept = outdir / "stacks" / "team-a" / ".terraform" / "providers.txt"
    kept.parent.mkdir()
    kept.write_text("installed")
    again(catalog_from(BASE + "  - {name: team-d}\n"), outdir)
    assert kept.read_text() == "installed"
    assert not list(outdir.parent.glob(".cdktf.out.*-*"))


def test_the_manifest_is_written_as_cdktf_writes_it() -> None:
    committed = (Path(__file__).parent.parent / "cdktf.out" / "manifest.json").read_text()
    manifest = json.loads(committed)
    assert render_manifest(manifest["stacks"], manifest["version"]) == committed


def test_worker_processes_write_the_same_bytes_as_one_process(
    catalog_from: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "teams:\n" + "".join(f"  - {{name: t{i}, cache: {{}}}}\n" for i in range(5))
    catalog = catalog_from(text)
    monkeypatch.setattr(build, "PARALLEL_MIN_TEAMS", 2)
    monkeypatch.setattr(build, "SHARD_TEAMS", 2)
    summary, written = again(catalog, tmp_path / "cdktf.out", workers=2)
    assert summary.workers == 2
    assert written == full(catalog, tmp_path)


def test_shards_are_bounded_and_cover_every_team(catalog_from: Parse) -> None:
    teams = list(
        catalog_from("teams:\n" + "".join(f"  - {{name: t{i}}}\n" for i in range(7))).tenants
    )
    for workers in (1, 2, 8):
        parts = build.shards(teams, workers)
        assert [t for part in parts for t in part] == teams
        assert len(parts) >= min(workers, len(teams))
    assert max(len(p) for p in build.shards(teams * 100, 2)) <= build.SHARD_TEAMS


# --- a fleet: several hosts, tenants per environment ---------------------------------------

FLEET = """\
platform:
  hosts:
    dev-a: {environment: dev, port_pool: {first_port: 30000, size: 20},
            capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000}}
    dev-b: {environment: dev, port_pool: {first_port: 30040, size: 20},
            capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000}}
    prod: {type: existing, environment: prod, kubeconfig_path: ~/.kube/prod, domain: vc.example.com,
           capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000}}
teams:
  - {name: team-a, host: dev-a, database: {}}
  - {name: team-b, host: dev-b, cache: {}}
  - name: team-c
    environments:
      dev: {host: dev-a}
      prod: {database: {instances: 2}, vcluster: {replicas: 3, backing_store: deployed-etcd},
             quota: {cpu_limits: "12"}}
"""

FLEET_CHANGES = {
    "unchanged": (FLEET, 0),
    "tenant added on one host": (FLEET + "  - {name: team-d, host: dev-b}\n", 1),
    "environments added to a team": (
        edited(
            FLEET,
            "{name: team-b, host: dev-b, cache: {}}",
            "{name: team-b, cache: {}, environments: {dev: {host: dev-b}, prod: {}}}",
        ),
        2,
    ),
    "one host's settings changed": (
        edited(FLEET, "dev-b: {environment: dev,", "dev-b: {environment: dev, workers: 1,"),
        1,
    ),
    "existing host's domain changed": (
        edited(FLEET, "domain: vc.example.com", "domain: vc2.example.com"),
        1,
    ),
    "services turned on for an existing host": (
        edited(
            FLEET,
            "domain: vc.example.com,",
            "domain: vc.example.com,\n           services: {gateway: {}, metrics: {}},",
        ),
        1,
    ),
    "services turned on for a KIND host": (
        edited(
            FLEET, "dev-b: {environment: dev,", "dev-b: {environment: dev, services: {policy: {}},"
        ),
        1,
    ),
    "teams reordered": (
        edited(FLEET, "  - {name: team-a, host: dev-a, database: {}}\n", "")
        + "  - {name: team-a, host: dev-a, database: {}}\n",
        0,
    ),
    "platform-wide setting changed": (
        edited(FLEET, "platform:\n", "platform:\n  project: other\n"),
        4,
    ),
}


@pytest.mark.parametrize("change", list(FLEET_CHANGES))
def test_a_fleet_output_is_byte_identical_to_a_full_synthesis_and_builds_only_what_changed(
    catalog_from: Parse, tmp_path: Path, change: str
) -> None:
    out = tmp_path / "cdktf.out"
    synthesize(catalog_from(FLEET), out, progress=lambda _: None)
    text, expected_built = FLEET_CHANGES[change]
    catalog = catalog_from(text)
    summary, written = again(catalog, out)
    assert written == full(catalog, tmp_path)
    assert summary.built == expected_built


def test_worker_processes_write_the_same_bytes_as_one_process_for_a_fleet(
    catalog_from: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four more tenants, two per KIND host, named so that their derived ports are free.
    more = {"w0": "dev-a", "y0": "dev-b", "w2": "dev-a", "w3": "dev-b"}
    text = FLEET + "".join(f"  - {{name: {n}, host: {h}}}\n" for n, h in more.items())
    catalog = catalog_from(text)
    monkeypatch.setattr(build, "PARALLEL_MIN_TEAMS", 2)
    monkeypatch.setattr(build, "SHARD_TEAMS", 2)
    summary, written = again(catalog, tmp_path / "cdktf.out", workers=3)
    assert summary.workers == 3
    assert written == full(catalog, tmp_path)


def test_worker_processes_write_the_same_bytes_as_one_process_with_host_services(
    catalog_from: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = edited(
        FLEET,
        "domain: vc.example.com,",
        "domain: vc.example.com, services: {gateway: {}, delivery: {provided: true}},",
    )
    text = edited(
        text, "dev-b: {environment: dev,", "dev-b: {environment: dev, services: {policy: {}},"
    )
    text += "".join(
        f"  - {{name: {n}, host: {h}}}\n" for n, h in {"w0": "dev-a", "y0": "dev-b"}.items()
    )
    text += "  - {name: p1, environments: {prod: {}}}\n  - {name: p2, environments: {prod: {}}}\n"
    catalog = catalog_from(text)
    monkeypatch.setattr(build, "PARALLEL_MIN_TEAMS", 2)
    monkeypatch.setattr(build, "SHARD_TEAMS", 2)
    summary, written = again(catalog, tmp_path / "cdktf.out", workers=3)
    assert summary.workers == 3
    assert any("host-services-prod" in name for name in written)
    assert written == full(catalog, tmp_path)


# --- base mode: only the reviewed output is reused --------------------------------------


@pytest.fixture
def repo(outdir: Path) -> Path:
    """A repository whose last commit holds the synthesis of BASE."""
    git(outdir.parent, "init", "-q")
    git(outdir.parent, "add", "-A")
    git(outdir.parent, "commit", "-qm", "base")
    return outdir.parent


def test_base_mode_rebuilds_a_stack_that_differs_from_the_base_revision(
    catalog_from: Parse, repo: Path, tmp_path: Path
) -> None:
    stack = repo / "cdktf.out" / "stacks" / "team-b" / "cdk.tf.json"
    honest = stack.read_bytes()
    # A hand edit that also updates the record's digest: trusted in directory mode...
    stack.write_text(edited(stack.read_text(), '"replicas": "2"', '"replicas": "9"'))
    record = InputRecord.parse((repo / "cdktf.out" / RECORD_NAME).read_text())
    assert record is not None
    outputs = dict(record.outputs)
    outputs["team-b"] = output_digest(
        [
            (repo / "cdktf.out" / "stacks" / n / "cdk.tf.json").read_bytes()
            for n in ("vcluster-team-b", "team-b")
        ]
    )
    (repo / "cdktf.out" / RECORD_NAME).write_text(record.with_outputs(outputs).render())
    # ...but not against the reviewed base: it is rebuilt, and the committed bytes come back.
    summary, written = again(catalog_from(BASE), repo / "cdktf.out", base="HEAD")
    assert summary.built == 1
    assert stack.read_bytes() == honest
    assert written == full(catalog_from(BASE), tmp_path)


def test_base_mode_reuses_what_matches_the_base_revision(catalog_from: Parse, repo: Path) -> None:
    summary, _ = again(catalog_from(BASE + "  - {name: team-d}\n"), repo / "cdktf.out", base="HEAD")
    assert (summary.reused, summary.built) == (3, 1)


def test_base_mode_names_a_revision_that_does_not_exist(catalog_from: Parse, repo: Path) -> None:
    with pytest.raises(SynthesisError, match="'nope' is not a commit of this repository"):
        again(catalog_from(BASE), repo / "cdktf.out", base="nope")
