"""A synthesis killed or interrupted anywhere leaves the old output or the complete new one.

Each fault runs the real `synthesis.run.synthesize` in a child process that dies (`os._exit`,
as SIGKILL or the OOM killer would leave it: no cleanup) at one point of writing the output;
then `cdktf.out/` is compared byte for byte with the old and the new output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from constructs_lib.paths import PROJECT_ROOT
from synthesis.output import recover
from synthesis.run import synthesize
from tests.conftest import Parse, run_command, synthesized_bytes

OLD = "teams: [{name: a1, database: {}}, {name: b2, cache: {}}]"
NEW = (
    "teams: [{name: a1, database: {}, app: {replicas: 3}}, "
    "{name: b2, cache: {}, app: {replicas: 4}}]"
)

#: Where the child dies: (name, code run before synthesizing to plant the fault).
FAULTS = {
    "while-writing-the-new-stacks": """
        real = Path.write_bytes
        calls = []
        def write_bytes(self, data):
            calls.append(self)
            if len(calls) == 3:
                os._exit(9)
            return real(self, data)
        Path.write_bytes = write_bytes
    """,
    "with-the-new-output-complete-before-the-swap": """
        output._exchange = lambda a, b: os._exit(9)
    """,
    "right-after-the-swap": """
        real = output._exchange
        def exchange(a, b):
            real(a, b)
            os._exit(9)
        output._exchange = exchange
    """,
    "between-the-two-renames-where-no-exchange-exists": """
        output._exchange = lambda a, b: False
        real = Path.rename
        def rename(self, target):
            result = real(self, target)
            if ".old-" in str(target):
                os._exit(9)
            return result
        Path.rename = rename
    """,
}


CHILD = """
import os, sys
from pathlib import Path
from synthesis.quiet_jsii import quiet_jsii
quiet_jsii()
from catalog.loader import load_catalog
from synthesis import output
from synthesis.run import synthesize
{fault}
catalog = load_catalog(Path(sys.argv[1]))
synthesize(catalog, Path(sys.argv[2]), progress=lambda _: None)
"""


def child(catalog: Path, outdir: Path, fault: str) -> subprocess.CompletedProcess[str]:
    script = CHILD.format(fault=textwrap.dedent(FAULTS[fault]))
    return run_command([sys.executable, "-c", script, str(catalog), str(outdir)], timeout=300)


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, catalog_from: Parse
) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("outputs")
    found = {}
    for name, text in (("old", OLD), ("new", NEW)):
        synthesize(catalog_from(text), root / name, progress=lambda _: None)
        found[name] = synthesized_bytes(root / name)
    assert found["old"] != found["new"]
    return found


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_killed_run_leaves_the_old_output_or_the_complete_new_one(
    fault: str, outputs: dict[str, dict[str, bytes]], catalog_from: Parse, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdktf.out"
    synthesize(catalog_from(OLD), outdir, progress=lambda _: None)
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(NEW, encoding="utf-8")
    died = child(catalog, outdir, fault)
    assert died.returncode == 9, died.stderr
    if fault.startswith("between"):
        # Without an atomic exchange there is a moment with no output; the next run puts the
        # old one back before anything else, and so does any later write.
        recover(outdir)
    assert synthesized_bytes(outdir) in (outputs["old"], outputs["new"]), fault
    # And the next run completes the new output from whatever was left.
    synthesize(catalog_from(NEW), outdir, progress=lambda _: None)
    assert synthesized_bytes(outdir) == outputs["new"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".cdktf.out")) == [
        ".cdktf.out.lock"
    ]


def test_ctrl_c_stops_with_one_line_exit_130_and_the_output_intact(
    tmp_path: Path, catalog_from: Parse
) -> None:
    outdir = tmp_path / "cdktf.out"
    synthesize(catalog_from(OLD), outdir, progress=lambda _: None)
    before = synthesized_bytes(outdir)
    big = tmp_path / "big.yaml"
    big.write_text(
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com}}\n"
        # a1 moves off the KIND host of OLD with its database: only decommissioned may it.
        "teams:\n  - {name: a1, database: {}, decommission: true}\n  - {name: b2, cache: {}}\n"
        + "".join(f"  - name: t{i}\n    database: {{}}\n" for i in range(150)),
        encoding="utf-8",
    )
    env = dict(os.environ, PLATFORM_CONFIG=str(big), CDKTF_OUTDIR=str(outdir))
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(4)  # well into synthesis (the whole run takes far longer)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.splitlines() == [
        f"error: interrupted; {outdir}/ holds the previous output or the complete new one, "
        "never a mix"
    ]
    assert stdout == ""
    assert synthesized_bytes(outdir) == before


def test_two_runs_started_at_once_do_not_interleave(
    outputs: dict[str, dict[str, bytes]], tmp_path: Path
) -> None:
    """Each run takes the lock beside the output; the second writes after the first, whole."""
    outdir = tmp_path / "cdktf.out"
    runs = []
    for name, text in (("old", OLD), ("new", NEW)):
        catalog = tmp_path / f"{name}.yaml"
        catalog.write_text(text, encoding="utf-8")
        script = CHILD.format(fault="")
        runs.append(
            subprocess.Popen(
                [sys.executable, "-c", script, str(catalog), str(outdir)],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
    assert synthesized_bytes(outdir) in (outputs["old"], outputs["new"])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".cdktf.out")) == [
        ".cdktf.out.lock"
    ]
