"""`create-team` adds one validated entry and leaves every other byte of the catalog alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.loader import CatalogError, parse_catalog
from catalog.placement import default_node_port
from catalog.platform import PortPool
from constructs_lib.paths import PROJECT_ROOT
from tools.create_team import add_team

COMMENTED = """\
# Our platform catalog.
platform:
  project: demo   # the project label
  host:
    type: kind
    port_pool: {first_port: 30000, size: 20}

teams:
  # The first team.
  - name: team-a
    owners: [alice@example.com]   # she runs it
    database: {instances: 1}

  - name: team-b
    cache: {}
"""


def test_appends_the_team_and_keeps_comments_order_and_layout() -> None:
    updated = add_team(COMMENTED, "team-c", database=True, cache=True, owners=("c@example.com",))
    assert updated.startswith(COMMENTED)
    port = default_node_port("team-c", PortPool())
    assert updated[len(COMMENTED) :] == (
        "  - name: team-c\n"
        "    owners: [c@example.com]\n"
        f"    node_port: {port}\n"
        "    database: {}\n"
        "    cache: {}\n"
    )
    catalog = parse_catalog(updated)
    team_c = catalog.teams[-1]
    assert team_c.wants_database and team_c.wants_cache


def test_pins_a_free_port_when_the_derived_one_is_taken() -> None:
    derived = default_node_port("team-c", PortPool())
    text = COMMENTED.replace("cache: {}\n", f"cache: {{}}\n    node_port: {derived}\n")
    updated = add_team(text, "team-c")
    catalog = parse_catalog(updated)
    ports = [catalog.node_port_of(t) for t in catalog.teams]
    assert len(set(ports)) == len(ports)
    assert catalog.teams[-1].node_port != derived


def test_refuses_a_duplicate_with_a_clear_message() -> None:
    with pytest.raises(CatalogError, match="team 'team-a' already exists"):
        add_team(COMMENTED, "team-a")


def test_refuses_an_invalid_name_naming_the_field() -> None:
    with pytest.raises(CatalogError, match=r"teams\[2\] \(Team_C\)\.name: must be a DNS-1123"):
        add_team(COMMENTED, "Team_C")


def test_refuses_when_the_port_pool_is_full() -> None:
    text = (
        COMMENTED.replace("size: 20", "size: 2")
        .replace("- name: team-b", "- name: team-b\n    node_port: 30001")
        .replace("database: {instances: 1}", "database: {instances: 1}\n    node_port: 30000")
    )
    with pytest.raises(CatalogError, match=r"port pool .* is full"):
        add_team(text, "team-c")


def test_command_edits_the_catalog_named_by_platform_config(tmp_path: Path) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(COMMENTED)
    env = dict(os.environ, PLATFORM_CONFIG=str(catalog))
    command = [sys.executable, "-m", "tools.create_team", "team-c", "--cache"]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert catalog.read_text().startswith(COMMENTED)
    again = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert again.returncode == 2
    assert again.stderr == f"error: {catalog}: team 'team-c' already exists; choose another name\n"
    assert "Traceback" not in again.stderr


FLEET = """\
platform:
  default_environment: dev
  hosts:
    small:
      environment: dev
      port_pool: {first_port: 30000, size: 20}
      capacity: {cpu: 10, memory: 40Gi, storage: 500Gi, pods: 300}
    large:
      environment: dev
      port_pool: {first_port: 30040, size: 20}
      capacity: {cpu: 40, memory: 160Gi, storage: 2Ti, pods: 1200}
    prod:
      type: existing
      environment: prod
      kubeconfig_path: k
      domain: p.example.com
      capacity: {cpu: 400, memory: 1600Gi, storage: 20Ti, pods: 12000}
teams:
  - {name: team-a, host: large}
"""


def test_in_a_fleet_the_new_team_is_pinned_to_the_host_with_the_most_room() -> None:
    # small: 10 CPU, none used; large: 40 CPU, 4 used. After the newcomer (4 CPU): small has
    # 60% of its CPU left, large 80%: large wins, and the entry says so.
    updated = add_team(FLEET, "team-b")
    entry = updated[len(FLEET) :]
    assert entry.startswith("  - name: team-b\n    host: large\n    node_port: ")
    catalog = parse_catalog(updated)
    assert catalog.placement_of("team-b").host == "large"
    assert catalog.node_port_of(catalog.tenant("team-b")) in range(30040, 30060)


def test_in_a_fleet_a_named_host_is_written_as_asked() -> None:
    updated = add_team(FLEET, "team-b", host="small")
    assert "  - name: team-b\n    host: small\n" in updated


def test_a_host_that_does_not_exist_is_refused() -> None:
    with pytest.raises(CatalogError, match="--host nowhere: no such host; name one of small"):
        add_team(FLEET, "team-b", host="nowhere")


def test_when_no_host_of_the_environment_has_room_the_numbers_are_shown() -> None:
    full = FLEET.replace("cpu: 10,", "cpu: 3,").replace("cpu: 40,", "cpu: 6,")
    with pytest.raises(CatalogError) as refused:
        add_team(full, "team-b")
    assert str(refused.value) == (
        "platform.yaml: no host of environment 'dev' has room for another tenant with the "
        "default quota (small: cpu 3 free of 3, a tenant needs 4; large: cpu 2 free of 6, a "
        "tenant needs 4); add a host, or raise a host's capacity"
    )
