"""`pipenv run bench`: how synthesis scales with the catalog, measured in one run.

Measures wall time and peak RSS (the whole process tree: Python and the jsii Node process) of
synthesizing generated catalogs of 2, 10, 100 and 1000 teams on one host, the import floor
(importing the provider packages alone), and the `cdktf synth` CLI against `python main.py`
(rows `one-host`); a fleet of 1000 tenants on 20 hosts, synthesized whole and by a one-team
pull request (rows `fleet`); and validating and placing that fleet's catalog (rows
`placement`). `--rows` runs some of them; each writes its own section of docs/benchmarks.md
and leaves the others as they are. Progress lines go to stderr. The tests assert nothing
about time (machines are noisy): this is the instrument.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Final

import yaml

from catalog.loader import parse_catalog
from catalog.model import Catalog
from catalog.placement import Placed, place
from constructs_lib.paths import PROJECT_ROOT
from synthesis.inputs import copy_app_code
from synthesis.quiet_jsii import QUIET_JSII_ENV
from synthesis.warm import WARM_DIR_ENV, WARM_ENV
from tools.synth_command import app_python, synth_command

SIZES: Final = (2, 10, 100, 1000)
#: What `--rows` can pick; each group writes its own section of the report.
ROW_GROUPS: Final = ("one-host", "fleet", "placement")
REPORT: Final = PROJECT_ROOT / "docs" / "benchmarks.md"
TITLE: Final = (
    "# Synthesis benchmarks\n\n"
    "Written by `pipenv run bench` (tools/bench.py); numbers from one run on one machine.\n"
)
FLEET_TENANTS: Final = 1000
#: Hosts of the generated fleet per environment: (`existing` hosts, KIND hosts). KIND hosts
#: share the 30000-30085 band, 86 tenants at most between them, so a fleet is mostly existing.
FLEET_HOSTS: Final = {"dev": (10, 2), "prod": (8, 0)}
FLEET_HEADING: Final = "## Fleet: 1000 tenants on 20 hosts"
PLACEMENT_HEADING: Final = "## Placement: validating and placing the fleet's catalog"
IMPORT_FLOOR: Final = (
    "import cdktf, cdktf_cdktf_provider_kubernetes, cdktf_cdktf_provider_helm, "
    "cdktf_cdktf_provider_local, cdktf_cdktf_provider_random, cdktf_cdktf_provider_time"
)


def generated_catalog(teams: int) -> str:
    """`teams` teams on an existing host: every third has a database, every other a cache."""
    entries = []
    for i in range(teams):
        entry: dict[str, object] = {"name": f"team-{i:04d}"}
        if i % 3 == 0:
            entry["database"] = {}
        if i % 2 == 0:
            entry["cache"] = {}
        entries.append(entry)
    return yaml.safe_dump(
        {
            "platform": {
                "host": {
                    "type": "existing",
                    "kubeconfig_path": "~/.kube/config",
                    "exposure": "ingress",
                    "domain": "vc.example.com",
                }
            },
            "teams": entries,
        },
        sort_keys=False,
    )


def generated_fleet_catalog(tenants: int = FLEET_TENANTS) -> str:
    """`tenants` tenants on the hosts of FLEET_HOSTS, placed by capacity-weighted rendezvous.

    Of every three teams, two run in dev and prod (prod with two app replicas, and three
    PostgreSQL instances where the team has a database) and one in dev alone; every 3rd team
    has PostgreSQL, every 2nd a cache, and every 50th that has prod pins it to `prod-01`. An
    existing host declares room for 250 tenants; a KIND host, for 10 and a 25th of the CPU
    weight, so it draws only a handful of tenants and their ports stay few in its pool.
    """
    hosts: dict[str, dict[str, object]] = {}
    pool = 86 // max(sum(kind for _, kind in FLEET_HOSTS.values()), 1)
    first_ports = iter(range(30000, 30086 - pool + 1, pool))
    for environment, (existing, kind) in FLEET_HOSTS.items():
        for n in range(1, existing + 1):
            name = f"{environment}-{n:02d}"
            hosts[name] = {
                "type": "existing",
                "environment": environment,
                "kubeconfig_path": f"~/.kube/{name}",
                "context": name,
                "exposure": "ingress",
                "domain": f"vc.{name}.example.com",
                "capacity": {"cpu": 1000, "memory": "2000Gi", "storage": "20Ti", "pods": 10000},
            }
        for n in range(1, kind + 1):
            hosts[f"{environment}-kind-{n}"] = {
                "type": "kind",
                "environment": environment,
                "port_pool": {"first_port": next(first_ports), "size": pool},
                "capacity": {"cpu": 40, "memory": "80Gi", "storage": "500Gi", "pods": 300},
            }
    entries: list[dict[str, object]] = []
    counted = 0
    while counted < tenants:
        i = len(entries)
        entry: dict[str, object] = {"name": f"team-{i:04d}"}
        if i % 3 == 0:
            entry["database"] = {}
        if i % 2 == 0:
            entry["cache"] = {}
        if i % 3 != 2 and tenants - counted >= 2:
            prod: dict[str, object] = {"app": {"replicas": 2}}
            if i % 3 == 0:
                prod["database"] = {"instances": 3}
            if i % 50 == 0:
                prod["host"] = "prod-01"
            entry["environments"] = {"dev": {}, "prod": prod}
            counted += 2
        else:
            counted += 1
        entries.append(entry)
    return yaml.safe_dump(
        {"platform": {"default_environment": "dev", "hosts": hosts}, "teams": entries},
        sort_keys=False,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Measurement:
    wall_s: float
    peak_rss_bytes: int


def say(line: str) -> None:
    """A progress line on stderr: the bench runs for many minutes."""
    print(f"bench: {line}", file=sys.stderr, flush=True)


def _tree_rss(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            parent, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(
    command: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    repeat: int = 1,
    fresh: Callable[[], None] | None = None,
    ok_codes: tuple[int, ...] = (0,),
    label: str = "",
) -> Measurement:
    """The median wall time and the highest peak RSS of `repeat` runs (machines are noisy).

    `fresh` puts the output back as it was before each run (outside the measured time);
    `label` names the row in the progress lines."""
    runs = []
    say(f"{label or _shown(command)}: {repeat} run(s)")
    for number in range(1, repeat + 1):
        if fresh:
            fresh()
        runs.append(_measure_once(command, env=env, cwd=cwd, ok_codes=ok_codes))
        say(f"  run {number}: {runs[-1].wall_s:.1f} s, {runs[-1].peak_rss_bytes / 1024**2:.0f} MiB")
    return Measurement(
        wall_s=statistics.median(m.wall_s for m in runs),
        peak_rss_bytes=max(m.peak_rss_bytes for m in runs),
    )


def _measure_once(
    command: Sequence[str], *, env: dict[str, str], cwd: Path, ok_codes: tuple[int, ...] = (0,)
) -> Measurement:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if process.returncode not in ok_codes:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr}")
    return Measurement(wall_s=wall, peak_rss_bytes=peak)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        **QUIET_JSII_ENV,
        CI="true",
        CHECKPOINT_DISABLE="1",
        PIPENV_VERBOSITY="-1",
        PIPENV_DONT_LOAD_ENV="1",
    )
    env["PATH"] = os.pathsep.join([str(PROJECT_ROOT / ".tools" / "bin"), env.get("PATH", "")])
    env.pop("PLATFORM_CONFIG", None)
    # As in the Makefile: a TF_CLI_CONFIG_FILE that points nowhere only makes terraform warn.
    if not Path(env.get("TF_CLI_CONFIG_FILE") or "/").is_file():
        env.pop("TF_CLI_CONFIG_FILE", None)
    return env


def _shown(command: Sequence[str]) -> str:
    return "`" + " ".join(["python", *command[1:]]) + "`"


def jsii_floor(env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds per jsii round trip: a no-op static call, and creating one small resource."""
    script = (
        "import time\n"
        "from cdktf import App, TerraformStack, Token\n"
        "from cdktf_cdktf_provider_kubernetes.config_map_v1 import ConfigMapV1, "
        "ConfigMapV1Metadata\n"
        "stack = TerraformStack(App(), 's')\n"
        "t = time.perf_counter()\n"
        "for i in range(1000): Token.is_unresolved('x')\n"
        "noop = time.perf_counter() - t; t = time.perf_counter()\n"
        "for i in range(1000): ConfigMapV1(stack, f'c{i}', "
        "metadata=ConfigMapV1Metadata(name=f'n{i}'), data={'k': 'v'})\n"
        "print(noop, time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [*app_python(), "-c", script],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def _one_team_changed(catalog_text: str, *, added: bool) -> str:
    """The catalog of a pull request: one team added at the end, or one team's replicas."""
    catalog = yaml.safe_load(catalog_text)
    if added:
        catalog["teams"].append({"name": "team-new"})
    else:
        catalog["teams"][len(catalog["teams"]) // 2]["app"] = {"replicas": 3}
    return yaml.safe_dump(catalog, sort_keys=False)


def _review_repo(work: Path, catalog_text: str, output: Path) -> Path:
    """A git repository whose last commit holds the app, the catalog and its output."""
    repo = copy_app_code(work / "review-repo")
    (repo / "platform.yaml").write_text(catalog_text)
    shutil.copytree(output, repo / "cdktf.out")
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (repo / "platform.yaml").write_text(_one_team_changed(catalog_text, added=False))
    return repo


def run(sizes: Sequence[int], repeat: int, groups: Sequence[str] = ROW_GROUPS) -> dict[str, str]:
    """The report's sections for the row `groups` measured, by heading ("" for the part above
    the first heading: the one-host rows)."""
    env = _environment()
    app = synth_command()
    sections: dict[str, str] = {}
    two: Measurement | None = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "placement" in groups:
            sections[PLACEMENT_HEADING] = render_placement(placement_times(3 * repeat))
        if "one-host" in groups:
            sections[""], by_size = _one_host(work, env=env, app=app, sizes=sizes, repeat=repeat)
            two = by_size.get(2)
        if "fleet" in groups:
            sections[FLEET_HEADING] = _fleet(work, env=env, app=app, repeat=repeat, two=two)
    order = ("", FLEET_HEADING, PLACEMENT_HEADING)
    return {heading: sections[heading] for heading in order if heading in sections}


def _one_host(
    work: Path, *, env: dict[str, str], app: list[str], sizes: Sequence[int], repeat: int
) -> tuple[str, dict[int, Measurement]]:
    """The rows on one `existing` host, rendered, and the full syntheses by catalog size."""
    load = os.getloadavg()[0]
    python = app[0]
    rows: list[tuple[str, Measurement]] = []
    by_size: dict[int, Measurement] = {}
    pull_requests: dict[str, Measurement] = {}
    label = "import floor (provider packages only)"
    floor = measure(
        [*app_python(), "-c", IMPORT_FLOOR], env=env, cwd=PROJECT_ROOT, repeat=repeat, label=label
    )
    rows.append((label, floor))
    for teams in sizes:
        catalog = work / f"catalog-{teams}.yaml"
        catalog.write_text(generated_catalog(teams))
        out = work / f"out-{teams}"
        run_env = dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(out))
        label = f"{_shown(app)}, {teams} teams, no previous output"
        by_size[teams] = measure(
            app,
            env=run_env,
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=partial(_clear, out),
            label=label,
        )
        rows.append((label, by_size[teams]))
    largest = max(sizes)
    if largest > 2:
        catalog = work / f"catalog-{largest}.yaml"
        label = f"same, {largest} teams, one worker process (SYNTH_WORKERS=1)"
        single = measure(
            app,
            env=dict(
                env,
                PLATFORM_CONFIG=str(catalog),
                CDKTF_OUTDIR=str(work / "single"),
                SYNTH_WORKERS="1",
            ),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=lambda: _clear(work / "single"),
            label=label,
        )
        rows.append((label, single))
        reviewed = work / f"out-{largest}"
        for change, added in (("adds one team", True), ("changes one team", False)):
            pr_catalog = work / f"pr-{added}.yaml"
            pr_catalog.write_text(_one_team_changed(catalog.read_text(), added=added))
            pr_out = work / f"pr-out-{added}"
            label = f"a pull request that {change}, {largest} teams, reviewed output present"
            pull_requests[change] = measure(
                app,
                env=dict(env, PLATFORM_CONFIG=str(pr_catalog), CDKTF_OUTDIR=str(pr_out)),
                cwd=PROJECT_ROOT,
                repeat=repeat,
                fresh=partial(_copy, reviewed, pr_out),
                label=label,
            )
            rows.append((label, pull_requests[change]))
        repo = _review_repo(work, catalog.read_text(), reviewed)
        label = f"`review --base`, {largest} teams, one changed"
        pull_requests["review"] = measure(
            [python, "-m", "tools.review", "--base", "HEAD", "--repo", str(repo)],
            env=env,
            cwd=PROJECT_ROOT,
            repeat=repeat,
            ok_codes=(0, 1),
            label=label,
        )
        rows.append((label, pull_requests["review"]))
        rows += _warm_rows(
            work,
            env=env,
            app=app,
            catalog=catalog,
            reviewed=reviewed,
            repo=repo,
            repeat=repeat,
            results=pull_requests,
        )
        label = f"`python main.py` (type-checked), {largest} teams, one run"
        checked = measure(
            [python, "main.py"],
            env=dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(work / "checked")),
            cwd=PROJECT_ROOT,
            label=label,
        )
        rows.append((label, checked))
    direct_label = f"{_shown(app)}, default catalog"
    direct = measure(
        app,
        env=dict(env, CDKTF_OUTDIR=str(work / "direct")),
        cwd=PROJECT_ROOT,
        repeat=repeat,
        fresh=lambda: _clear(work / "direct"),
        label=direct_label,
    )
    label = "`cdktf synth`, default catalog"
    cli = measure(
        [
            str(PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"),
            "synth",
            "--output",
            str(work / "cli"),
        ],
        env=env,
        cwd=PROJECT_ROOT,
        repeat=repeat,
        fresh=lambda: _clear(work / "cli"),
        label=label,
    )
    rows.append((direct_label, direct))
    rows.append((label, cli))
    say("jsii floor")
    report = render(
        rows,
        by_size,
        pull_requests,
        direct=direct,
        cli=cli,
        jsii_ms=jsii_floor(env),
        repeat=repeat,
        load=load,
    )
    return report, by_size


def _fleet(
    work: Path, *, env: dict[str, str], app: list[str], repeat: int, two: Measurement | None
) -> str:
    """The fleet catalog synthesized whole, then a pull request adding one team to it; T(2)
    is the one-host rows' when they ran, else measured here, in the same run either way."""
    load = os.getloadavg()[0]
    rows: list[tuple[str, Measurement]] = []
    two_measured_here = two is None
    if two is None:
        catalog = work / "fleet-two.yaml"
        catalog.write_text(generated_catalog(2))
        out = work / "fleet-two-out"
        label = f"{_shown(app)}, 2 teams on one host, no previous output: T(2 teams)"
        two = measure(
            app,
            env=dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(out)),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=partial(_clear, out),
            label=label,
        )
        rows.append((label, two))
    text = generated_fleet_catalog(FLEET_TENANTS)
    catalog = work / "fleet.yaml"
    catalog.write_text(text)
    out = work / "fleet-out"
    label = f"{_shown(app)}, fleet of {FLEET_TENANTS} tenants on 20 hosts, no previous output"
    full = measure(
        app,
        env=dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(out)),
        cwd=PROJECT_ROOT,
        repeat=repeat,
        fresh=partial(_clear, out),
        label=label,
    )
    rows.append((label, full))
    pr_catalog = work / "fleet-pr.yaml"
    pr_catalog.write_text(_one_team_changed(text, added=True))
    pr_out = work / "fleet-pr-out"
    label = (
        f"a pull request that adds one team (one dev tenant), fleet of {FLEET_TENANTS} "
        "tenants, reviewed output present"
    )
    pull_request = measure(
        app,
        env=dict(env, PLATFORM_CONFIG=str(pr_catalog), CDKTF_OUTDIR=str(pr_out)),
        cwd=PROJECT_ROOT,
        repeat=repeat,
        fresh=partial(_copy, out, pr_out),
        label=label,
    )
    rows.append((label, pull_request))
    lines = [
        FLEET_HEADING,
        "",
        *_run_facts(load),
        f"- catalog: `generated_fleet_catalog` (tools/bench.py): {_fleet_facts(text)}; "
        "the pull request adds `team-new`, one tenant in dev, placed by rendezvous",
        "- T(2 teams): "
        + (
            "measured here, the one-host rows' 2-team catalog (the one-host rows did not run)"
            if two_measured_here
            else "the 2-team row of the one-host table, same run"
        ),
        f"- each row: the median wall time and the highest peak RSS of {repeat} runs; "
        "workers: one per CPU",
        "",
        *_rows_table(rows),
        "",
        *_TARGETS_HEADER,
        _target_line(
            f"T(fleet, {FLEET_TENANTS} tenants) / T(2 teams), no previous output",
            full.wall_s / two.wall_s,
            7,
        ),
        _target_line(
            "peak RSS, fleet, no previous output", full.peak_rss_bytes / 1024**2, 1024, " MiB"
        ),
        _target_line(
            "fleet pull request that adds one team / T(2 teams)",
            pull_request.wall_s / two.wall_s,
            1.5,
        ),
        _target_line(
            "peak RSS, fleet pull request that adds one team",
            pull_request.peak_rss_bytes / 1024**2,
            600,
            " MiB",
        ),
    ]
    return "\n".join(lines) + "\n"


def _fleet_facts(text: str) -> str:
    """What the generated fleet holds, counted from its text."""
    data = yaml.safe_load(text)
    teams = data["teams"]
    both = sum(1 for t in teams if t.get("environments"))
    per_env = Counter(env for t in teams for env in (t.get("environments") or {"dev": None}))
    hosts = data["platform"]["hosts"].values()
    kinds = Counter((h["environment"], h["type"]) for h in hosts)
    served = "; ".join(
        f"{env}: " + " and ".join(f"{n} `{kind}`" for (e, kind), n in kinds.items() if e == env)
        for env in dict.fromkeys(e for e, _ in kinds)
    )
    return (
        f"{len(teams)} teams, {both} in dev and prod and {len(teams) - both} in dev alone "
        f"({sum(per_env.values())} tenants: "
        + ", ".join(f"{n} {env}" for env, n in per_env.items())
        + f"); {len(data['platform']['hosts'])} hosts ({served}; `existing` ones by ingress); "
        "every 3rd team with PostgreSQL (3 instances in prod), every 2nd with a cache"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class PlacementTimes:
    """Validating and placing the fleet's catalog in this process (no jsii), in seconds."""

    runs: int
    parse_s: float
    """`parse_catalog` of the text: YAML, validation, tenants, placement, quota and capacity."""
    validate_s: float
    """`Catalog.model_validate` of the parsed YAML: validation, tenants and placement."""
    place_s: float
    """`place` on the tenants already computed."""
    deterministic: list[str]
    """How placement differed between runs; empty when it never did."""
    per_host: dict[str, int]
    load: float


def _median_s(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def placement_of(placed: Mapping[str, Placed]) -> str:
    """Where every tenant runs, in order, as a digest: tenant, host and port."""
    where = [[name, p.host, p.node_port] for name, p in placed.items()]
    return hashlib.sha256(json.dumps(where).encode()).hexdigest()


def _placement_in_a_process(text: str, hash_seed: str) -> str:
    script = (
        "import sys\n"
        "from catalog.loader import parse_catalog\n"
        "from catalog.placement import place\n"
        "from tools.bench import placement_of\n"
        "c = parse_catalog(sys.stdin.read())\n"
        "print(placement_of(place(c.platform, c.tenants)))\n"
    )
    return subprocess.run(
        [*app_python(), "-c", script],
        input=text,
        env=dict(os.environ, PYTHONHASHSEED=hash_seed),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def placement_times(runs: int) -> PlacementTimes:
    """Times validating and placing the fleet's catalog; places it five ways and compares."""
    load = os.getloadavg()[0]
    text = generated_fleet_catalog(FLEET_TENANTS)
    data = yaml.safe_load(text)
    say(f"placement: parse_catalog of the fleet, {runs} runs")
    parse_s = _median_s(lambda: parse_catalog(text), runs)
    say(f"placement: Catalog.model_validate of the fleet, {runs} runs")
    validate_s = _median_s(lambda: Catalog.model_validate(data), runs)
    catalog = parse_catalog(text)
    say(f"placement: place() on {len(catalog.tenants)} tenants, {runs} runs")
    place_s = _median_s(lambda: place(catalog.platform, catalog.tenants), runs)
    say("placement: determinism (twice here, at validation, two other hash seeds)")
    first = place(catalog.platform, catalog.tenants)
    reference = placement_of(first)
    candidates = {
        "a second place() in this process": placement_of(place(catalog.platform, catalog.tenants)),
        "the catalog's own (at validation)": placement_of(
            {t.name: catalog.placement_of(t) for t in catalog.tenants}
        ),
        **{
            f"another process, PYTHONHASHSEED={seed}": _placement_in_a_process(text, seed)
            for seed in ("1", "2")
        },
    }
    return PlacementTimes(
        runs=runs,
        parse_s=parse_s,
        validate_s=validate_s,
        place_s=place_s,
        deterministic=[what for what, digest in candidates.items() if digest != reference],
        per_host=dict(Counter(p.host for p in first.values())),
        load=load,
    )


def render_placement(times: PlacementTimes) -> str:
    counts = times.per_host
    kinds = {n: c for n, c in counts.items() if "-kind-" in n}
    spread = {
        env: [c for n, c in counts.items() if n.startswith(f"{env}-") and n not in kinds]
        for env in FLEET_HOSTS
    }
    per_host = "; ".join(
        f"{env} `existing` {min(c)}-{max(c)}" for env, c in spread.items() if c
    ) + "".join(f"; {n} {c}" for n, c in kinds.items())
    lines = [
        PLACEMENT_HEADING,
        "",
        *_run_facts(times.load),
        "- catalog: the fleet's (section above), validated and placed in the bench's own "
        f"process (no jsii); tenants per host: {per_host}",
        f"- each row: the median of {times.runs} runs",
        "",
        "| what | time (ms) |",
        "|---|---:|",
        "| `parse_catalog` of the text: YAML, validation, tenants, placement, quota and "
        f"capacity checks | {times.parse_s * 1000:.0f} |",
        "| `Catalog.model_validate` of the parsed YAML: validation, tenants and placement | "
        f"{times.validate_s * 1000:.0f} |",
        f"| `place(platform, tenants)` on the computed tenants | {times.place_s * 1000:.0f} |",
        "",
        *_TARGETS_HEADER,
        _target_line(
            "validate and place the fleet (`parse_catalog`)", times.parse_s, 1, " s", strict=True
        ),
        _target_line("`place` alone", times.place_s, 1, " s", strict=True),
        "| placement deterministic: a second `place`, the catalog's own, two processes with "
        "other hash seeds | "
        + (f"differs: {', '.join(times.deterministic)}" if times.deterministic else "same")
        + f" | same | {'no' if times.deterministic else 'yes'} |",
    ]
    return "\n".join(lines) + "\n"


def _run_facts(load: float) -> list[str]:
    """The date and the machine, with its load (1-minute average) when the rows `load` was
    taken before started, and now that they ended: other work on the machine shows there."""
    return [
        f"- run: {date.today().isoformat()}; machine: {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}; load average "
        f"{load:.1f} when these rows started, {os.getloadavg()[0]:.1f} when they ended",
    ]


_TARGETS_HEADER: Final = ("| target | measured | bound | met |", "|---|---:|---:|---|")


def _rows_table(rows: list[tuple[str, Measurement]]) -> list[str]:
    lines = ["| what | wall time (s) | peak RSS (MiB) |", "|---|---:|---:|"]
    for label, m in rows:
        lines.append(f"| {label} | {m.wall_s:.1f} | {m.peak_rss_bytes / 1024**2:.0f} |")
    return lines


def _target_line(
    name: str, value: float, bound: float, unit: str = "", *, strict: bool = False
) -> str:
    """One row of a targets table: `strict` for a bound the value must stay under."""
    met = "yes" if (value < bound if strict else value <= bound) else "no"
    return f"| {name} | {value:.2f}{unit} | {'<' if strict else '≤'} {bound:g}{unit} | {met} |"


class _WarmProcess:
    """`make watch`, started for the bench on a catalog of its own, sockets in `work`."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.env = {k: v for k, v in env.items() if k != WARM_ENV} | {
            WARM_DIR_ENV: str(work / "warm-sockets")
        }
        watched = work / "watched.yaml"
        watched.write_text((PROJECT_ROOT / "platform.yaml").read_text())
        self.process = subprocess.Popen(
            [
                *app_python(),
                "-m",
                "synthesis.warm",
                "--catalog",
                str(watched),
                "--output",
                str(work / "watched.out"),
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr or ():
            if "synthesized in" in line:
                return
        raise RuntimeError("the warm process did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)


def _warm_rows(
    work: Path,
    *,
    env: dict[str, str],
    app: list[str],
    catalog: Path,
    reviewed: Path,
    repo: Path,
    repeat: int,
    results: dict[str, Measurement],
) -> list[tuple[str, Measurement]]:
    """The everyday loop with `make watch` running: edit one team's replicas, synth, review."""
    largest = len(yaml.safe_load(catalog.read_text())["teams"])
    labels = {
        "warm default": "with `make watch` running: default catalog, one team's replicas "
        "edited, then synth",
        "warm large": f"with `make watch` running: {largest} teams, one team's replicas edited, "
        "then synth",
        "warm review": f"with `make watch` running: `review --base`, {largest} teams, one changed",
    }
    say("starting the warm process (make watch)")
    warm = _WarmProcess(work, env)
    try:
        small = work / "small.yaml"
        small.write_text((PROJECT_ROOT / "platform.yaml").read_text())
        small_out = work / "small-out"
        subprocess.run(
            app,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
            env=dict(warm.env, PLATFORM_CONFIG=str(small), CDKTF_OUTDIR=str(small_out)),
        )
        small_reviewed = work / "small-reviewed"
        _copy(small_out, small_reviewed)
        edited = work / "small-edited.yaml"
        edited.write_text(_one_team_changed(small.read_text(), added=False))
        results["warm default"] = measure(
            app,
            env=dict(warm.env, PLATFORM_CONFIG=str(edited), CDKTF_OUTDIR=str(small_out)),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=partial(_copy, small_reviewed, small_out),
            label=labels["warm default"],
        )
        pr_catalog = work / "pr-False.yaml"
        pr_out = work / "warm-pr-out"
        results["warm large"] = measure(
            app,
            env=dict(warm.env, PLATFORM_CONFIG=str(pr_catalog), CDKTF_OUTDIR=str(pr_out)),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=partial(_copy, reviewed, pr_out),
            label=labels["warm large"],
        )
        results["warm review"] = measure(
            [app[0], "-m", "tools.review", "--base", "HEAD", "--repo", str(repo)],
            env=warm.env,
            cwd=PROJECT_ROOT,
            repeat=repeat,
            ok_codes=(0, 1),
            label=labels["warm review"],
        )
    finally:
        warm.stop()
    return [(label, results[key]) for key, label in labels.items()]


def _clear(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _copy(source: Path, target: Path) -> None:
    _clear(target)
    shutil.copytree(source, target)


def render(
    rows: list[tuple[str, Measurement]],
    by_size: dict[int, Measurement],
    pull_requests: dict[str, Measurement],
    *,
    direct: Measurement,
    cli: Measurement,
    jsii_ms: tuple[float, float],
    repeat: int,
    load: float,
) -> str:
    lines = [
        TITLE,
        *_run_facts(load),
        "- catalogs: generated, host `existing` (ingress), every 3rd team with PostgreSQL, "
        "every 2nd with a cache; a pull request adds `team-new` or changes one team's replicas",
        "- peak RSS: the whole process tree (Python, the jsii Node processes, the workers), "
        "sampled every 50 ms",
        f"- each row: the median wall time and the highest peak RSS of {repeat} runs, "
        "unless it says otherwise; workers: one per CPU unless it says otherwise",
        "",
        *_rows_table(rows),
        "",
        *_TARGETS_HEADER,
    ]

    def target(name: str, value: float, bound: float, unit: str = "") -> None:
        lines.append(_target_line(name, value, bound, unit))

    two = by_size.get(2)
    if two and 1000 in by_size:
        target(
            "T(1000 teams) / T(2 teams), no previous output", by_size[1000].wall_s / two.wall_s, 7
        )
        target(
            "peak RSS, 1000 teams, no previous output",
            by_size[1000].peak_rss_bytes / 1024**2,
            1024,
            " MiB",
        )
    if two:
        for label in ("adds one team", "changes one team"):
            if label in pull_requests:
                target(
                    f"pull request that {label} / T(2 teams)",
                    pull_requests[label].wall_s / two.wall_s,
                    1.5,
                )
                target(
                    f"peak RSS, pull request that {label}",
                    pull_requests[label].peak_rss_bytes / 1024**2,
                    600,
                    " MiB",
                )
        if "review" in pull_requests:
            target(
                "`review --base`, one team changed / T(2 teams)",
                pull_requests["review"].wall_s / two.wall_s,
                2,
            )
    target("`cdktf synth` / the app command", cli.wall_s / direct.wall_s, 1.5)
    for key, name, bound in (
        ("warm default", "warm: edit one team, synth (default catalog)", 1.0),
        ("warm large", "warm: edit one team, synth (1000 teams)", 3.0),
        ("warm review", "warm: `review --base` of that change (1000 teams)", 3.0),
    ):
        if key in pull_requests:
            target(name, pull_requests[key].wall_s, bound, " s")
    noop_s, create_s = jsii_ms
    lines += [
        "",
        f"jsii bridge, the per-team floor: {noop_s:.2f} ms per no-op round trip to Node, "
        f"{create_s:.2f} ms to create one small resource (1000 of each, same flags as the app).",
    ]
    return "\n".join(lines) + "\n"


def splice(document: str, sections: Mapping[str, str]) -> str:
    """`document` with each of `sections` in place of its section of the same heading (added
    at the end when it has none); "" is the part above the first `## ` heading. Sections the
    run did not measure, and any written by hand, stay as they are."""
    parts: dict[str, list[str]] = {"": []}
    heading = ""
    for line in (document or TITLE).splitlines():
        if line.startswith("## "):
            heading = line
            parts[heading] = []
        parts[heading].append(line)
    merged = {name: "\n".join(lines).strip("\n") for name, lines in parts.items()}
    merged.update({name: text.strip("\n") for name, text in sections.items()})
    return "\n\n".join(text for text in merged.values() if text) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--output", type=Path, default=REPORT)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median wall time)")
    parser.add_argument(
        "--rows",
        nargs="+",
        choices=ROW_GROUPS,
        default=list(ROW_GROUPS),
        help="which rows to run (default: all); the report's other sections are kept",
    )
    args = parser.parse_args(argv)
    sections = run(args.sizes, args.repeat, args.rows)
    previous = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(splice(previous, sections), encoding="utf-8")
    print("\n".join(sections.values()), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
