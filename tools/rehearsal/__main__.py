"""`pipenv run rehearse`: `cdktf deploy '*'` of the catalog through the real engine, offline.

Runs four scenarios in a scratch directory, each against stand-in providers: the catalog
(`platform.yaml`, or $PLATFORM_CONFIG) on its host, with a redeploy, a kubeconfig restore, a
team added and a destroy; three teams on an existing host; a fleet (two KIND hosts and an
existing one) with a tenant added, a tenant moved to another host and a destroy; and a team's
data (backups, a tenant restored from them, a renamed database release that the plan guard
refuses until the team is marked for decommissioning, and a destroy). Prints one line per
check and exits 0 when every check holds, 1 when one does not, 2 when it cannot run.
Progress goes to stderr on a terminal, or always with --progress.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from catalog.loader import CatalogError, catalog_path, load_catalog
from tools.rehearsal.run import INSTALL_OPENTOFU, RehearsalError, find_engine
from tools.rehearsal.scenarios import (
    Report,
    quiet,
    rehearse_existing_host,
    rehearse_fleet,
    rehearse_kind_host,
    rehearse_team_data,
    to_stderr,
)


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
    args = parser.parse_args(argv)
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
        try:
            reports = [
                rehearse_kind_host(root / "kind", engine, path.read_text("utf-8"), progress),
                rehearse_existing_host(root / "existing", engine, progress),
                rehearse_fleet(root / "fleet", engine, progress),
                rehearse_team_data(root / "team-data", engine, progress),
            ]
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
