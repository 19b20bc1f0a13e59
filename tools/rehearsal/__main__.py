"""`pipenv run rehearse`: `cdktf deploy '*'` of the catalog through the real engine, offline.

Runs six scenarios in a scratch directory, each against stand-in providers: the catalog
(`platform.yaml`, or $PLATFORM_CONFIG) on its host, with a redeploy, a kubeconfig restore, a
team added and a destroy (`kind`); three teams on an existing host (`existing`); a fleet (two
KIND hosts and an existing one) with a tenant added, a tenant moved to another host and a
destroy (`fleet`); a team's data (backups, a tenant restored from them, a renamed database
release that the plan guard refuses until the team is marked for decommissioning, and a
destroy: `team-data`); host services (tests/fixtures/host-services.yaml: services installed
on a KIND host and an existing one, provided by another, tenants routed through their host's
gateway, a provided object missing, and a destroy: `host-services`); and day two
(tests/fixtures/day-two.yaml: a team with identity, exposure, monitoring, GitOps and backup
keys, each checked in the states against negative controls, and a destroy: `day-two`).
`--scenario NAME` runs only the named ones. Prints one line per check and exits 0 when every
check holds, 1 when one does not, 2 when it cannot run. Progress goes to stderr on a terminal,
or always with --progress.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

from catalog.loader import CatalogError, catalog_path, load_catalog
from tools.rehearsal.run import INSTALL_OPENTOFU, Engine, RehearsalError, find_engine
from tools.rehearsal.scenarios import (
    Progress,
    Report,
    quiet,
    rehearse_day_two,
    rehearse_existing_host,
    rehearse_fleet,
    rehearse_host_services,
    rehearse_kind_host,
    rehearse_team_data,
    to_stderr,
)

#: A scenario, run in its own directory: (directory, engine, the catalog's text, progress).
Scenario = Callable[[Path, Engine, str, Progress], Report]

#: Every scenario by the name `--scenario` takes, in the order they run.
SCENARIOS: Final[dict[str, Scenario]] = {
    "kind": rehearse_kind_host,
    "existing": lambda root, engine, _, progress: rehearse_existing_host(root, engine, progress),
    "fleet": lambda root, engine, _, progress: rehearse_fleet(root, engine, progress),
    "team-data": lambda root, engine, _, progress: rehearse_team_data(root, engine, progress),
    "host-services": lambda root, engine, _, progress: rehearse_host_services(
        root, engine, progress
    ),
    "day-two": lambda root, engine, _, progress: rehearse_day_two(root, engine, progress),
}


def _print(report: Report) -> None:
    print(f"{report.scenario}:")
    for name, problems in report.checks.items():
        print(f"  {'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"         {problem}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rehearse", description=__doc__.splitlines()[0])
    parser.add_argument("--progress", action="store_true", help="progress lines on stderr")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeat for more); default: every one",
    )
    args = parser.parse_args(argv)
    chosen = [name for name in SCENARIOS if name in (args.scenario or SCENARIOS)]
    engine = find_engine()
    if engine is None:
        print(
            f"error: neither tofu nor terraform is on PATH; install OpenTofu: {INSTALL_OPENTOFU}",
            file=sys.stderr,
        )
        return 2
    path = catalog_path()
    try:
        load_catalog(path)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    progress = to_stderr if args.progress or sys.stderr.isatty() else quiet
    print(f"engine: {engine.name} {engine.version}")
    with tempfile.TemporaryDirectory(prefix="rehearsal-") as tmp:
        root = args.keep or Path(tmp)
        catalog = path.read_text("utf-8")
        try:
            reports = [SCENARIOS[name](root / name, engine, catalog, progress) for name in chosen]
        except RehearsalError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    for report in reports:
        _print(report)
    failed = sum(len(r.failed) for r in reports)
    total = sum(len(r.checks) for r in reports)
    print(f"rehearsal: {total - failed} of {total} checks hold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
