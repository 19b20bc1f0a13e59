"""`pipenv run bench`: how synthesis scales with the catalog, measured in one run.

Measures wall time and peak RSS (the whole process tree: Python and the jsii Node process) of
synthesizing generated catalogs of 2, 10, 100 and 1000 teams, the import floor (importing the
provider packages alone), and the `cdktf synth` CLI against `python main.py`. Writes a
Markdown table to docs/benchmarks.md. The tests assert nothing about time (machines are
noisy): this is the instrument.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final

import yaml

from constructs_lib.paths import PROJECT_ROOT
from synthesis.inputs import copy_app_code
from synthesis.quiet_jsii import QUIET_JSII_ENV
from synthesis.warm import WARM_DIR_ENV, WARM_ENV
from tools.synth_command import app_python, synth_command

SIZES: Final = (2, 10, 100, 1000)
REPORT: Final = PROJECT_ROOT / "docs" / "benchmarks.md"
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


@dataclass(frozen=True, kw_only=True, slots=True)
class Measurement:
    wall_s: float
    peak_rss_bytes: int


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
) -> Measurement:
    """The median wall time and the highest peak RSS of `repeat` runs (machines are noisy).

    `fresh` puts the output back as it was before each run (outside the measured time)."""
    runs = []
    for _ in range(repeat):
        if fresh:
            fresh()
        runs.append(_measure_once(command, env=env, cwd=cwd, ok_codes=ok_codes))
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


def run(sizes: Sequence[int], repeat: int) -> str:
    env = _environment()
    app = synth_command()
    python = app[0]
    rows: list[tuple[str, Measurement]] = []
    by_size: dict[int, Measurement] = {}
    pull_requests: dict[str, Measurement] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floor = measure(
            [*app_python(), "-c", IMPORT_FLOOR], env=env, cwd=PROJECT_ROOT, repeat=repeat
        )
        rows.append(("import floor (provider packages only)", floor))
        for teams in sizes:
            catalog = work / f"catalog-{teams}.yaml"
            catalog.write_text(generated_catalog(teams))
            out = work / f"out-{teams}"
            run_env = dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(out))
            by_size[teams] = measure(
                app, env=run_env, cwd=PROJECT_ROOT, repeat=repeat, fresh=partial(_clear, out)
            )
            rows.append((f"{_shown(app)}, {teams} teams, no previous output", by_size[teams]))
        largest = max(sizes)
        if largest > 2:
            catalog = work / f"catalog-{largest}.yaml"
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
            )
            rows.append((f"same, {largest} teams, one worker process (SYNTH_WORKERS=1)", single))
            reviewed = work / f"out-{largest}"
            for label, added in (("adds one team", True), ("changes one team", False)):
                pr_catalog = work / f"pr-{added}.yaml"
                pr_catalog.write_text(_one_team_changed(catalog.read_text(), added=added))
                pr_out = work / f"pr-out-{added}"
                pull_requests[label] = measure(
                    app,
                    env=dict(env, PLATFORM_CONFIG=str(pr_catalog), CDKTF_OUTDIR=str(pr_out)),
                    cwd=PROJECT_ROOT,
                    repeat=repeat,
                    fresh=partial(_copy, reviewed, pr_out),
                )
                rows.append(
                    (
                        f"a pull request that {label}, {largest} teams, reviewed output present",
                        pull_requests[label],
                    )
                )
            repo = _review_repo(work, catalog.read_text(), reviewed)
            pull_requests["review"] = measure(
                [python, "-m", "tools.review", "--base", "HEAD", "--repo", str(repo)],
                env=env,
                cwd=PROJECT_ROOT,
                repeat=repeat,
                ok_codes=(0, 1),
            )
            rows.append((f"`review --base`, {largest} teams, one changed", pull_requests["review"]))
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
            checked = measure(
                [python, "main.py"],
                env=dict(env, PLATFORM_CONFIG=str(catalog), CDKTF_OUTDIR=str(work / "checked")),
                cwd=PROJECT_ROOT,
            )
            rows.append((f"`python main.py` (type-checked), {largest} teams, one run", checked))
        direct = measure(
            app,
            env=dict(env, CDKTF_OUTDIR=str(work / "direct")),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=lambda: _clear(work / "direct"),
        )
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
        )
    rows.append((f"{_shown(app)}, default catalog", direct))
    rows.append(("`cdktf synth`, default catalog", cli))
    return render(
        rows,
        by_size,
        pull_requests,
        direct=direct,
        cli=cli,
        jsii_ms=jsii_floor(env),
        repeat=repeat,
    )


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
        )
        pr_catalog = work / "pr-False.yaml"
        pr_out = work / "warm-pr-out"
        results["warm large"] = measure(
            app,
            env=dict(warm.env, PLATFORM_CONFIG=str(pr_catalog), CDKTF_OUTDIR=str(pr_out)),
            cwd=PROJECT_ROOT,
            repeat=repeat,
            fresh=partial(_copy, reviewed, pr_out),
        )
        results["warm review"] = measure(
            [app[0], "-m", "tools.review", "--base", "HEAD", "--repo", str(repo)],
            env=warm.env,
            cwd=PROJECT_ROOT,
            repeat=repeat,
            ok_codes=(0, 1),
        )
    finally:
        warm.stop()
    largest = len(yaml.safe_load(catalog.read_text())["teams"])
    return [
        (
            "with `make watch` running: default catalog, one team's replicas edited, then synth",
            results["warm default"],
        ),
        (
            f"with `make watch` running: {largest} teams, one team's replicas edited, then synth",
            results["warm large"],
        ),
        (
            f"with `make watch` running: `review --base`, {largest} teams, one changed",
            results["warm review"],
        ),
    ]


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
) -> str:
    lines = [
        "# Synthesis benchmarks",
        "",
        "Written by `pipenv run bench` (tools/bench.py); numbers from one run on one machine.",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "- catalogs: generated, host `existing` (ingress), every 3rd team with PostgreSQL, "
        "every 2nd with a cache; a pull request adds `team-new` or changes one team's replicas",
        "- peak RSS: the whole process tree (Python, the jsii Node processes, the workers), "
        "sampled every 50 ms",
        f"- each row: the median wall time and the highest peak RSS of {repeat} runs, "
        "unless it says otherwise; workers: one per CPU unless it says otherwise",
        "",
        "| what | wall time (s) | peak RSS (MiB) |",
        "|---|---:|---:|",
    ]
    for label, m in rows:
        lines.append(f"| {label} | {m.wall_s:.1f} | {m.peak_rss_bytes / 1024**2:.0f} |")
    lines += ["", "| target | measured | bound | met |", "|---|---:|---:|---|"]

    def target(name: str, value: float, bound: float, unit: str = "") -> None:
        met = "yes" if value <= bound else "no"
        lines.append(f"| {name} | {value:.2f}{unit} | ≤ {bound:g}{unit} | {met} |")

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--output", type=Path, default=REPORT)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median wall time)")
    args = parser.parse_args(argv)
    report = run(args.sizes, args.repeat)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
