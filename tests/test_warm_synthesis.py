"""The warm process (`make watch`): same bytes as a cold run, never stale code, one line a build.

Each test runs a watch in a copy of the checkout, with its own socket directory, and drives it
as a user would: editing the catalog, running the app command, pressing Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthesis.inputs import code_digest
from synthesis.warm import WARM_DIR_ENV, WARM_ENV, Watch, socket_path, what_changed
from tests.conftest import copy_checkout, run_command, synthesized_bytes
from tests.test_synthesis_reuse import BASE, CHANGES
from tools.synth_command import synth_command

pytestmark = pytest.mark.warm
READY_TIMEOUT_S = 120


class Watching:
    """A `python -O -m synthesis.warm` in `root`, its stderr read line by line."""

    def __init__(self, root: Path, sockets: Path, **env: str) -> None:
        self.root, self.sockets = root, sockets
        self.env = {k: v for k, v in os.environ.items() if k != WARM_ENV}
        self.env |= {WARM_DIR_ENV: str(sockets), **env}
        self.process = subprocess.Popen(
            [*synth_command()[:-1], "-m", "synthesis.warm"],
            cwd=root,
            env=self.env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []

    def next_line(self, containing: str, timeout: float = READY_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                raise AssertionError(f"watch ended; it said: {self.lines}")
            self.lines.append(line.rstrip("\n"))
            if containing in line:
                return line.rstrip("\n")
        raise AssertionError(f"no line with {containing!r} in {timeout} s: {self.lines}")

    def client(self, outdir: Path, catalog: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The app command, as `cdktf synth` runs it, free to ask the warm process."""
        env = self.env | {"CDKTF_OUTDIR": str(outdir)}
        if catalog is not None:
            env["PLATFORM_CONFIG"] = str(catalog)
        return run_command(synth_command(), cwd=self.root, env=env, timeout=300)

    def socket_of(self, root: Path) -> Path:
        """The socket a warm process for the code of `root` listens on."""
        return socket_path(code_digest(root), self.sockets)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = copy_checkout(tmp_path / "checkout")
    (root / "platform.yaml").write_text(BASE, encoding="utf-8")
    return root


@pytest.fixture
def watching(checkout: Path, tmp_path: Path) -> Iterator[Watching]:
    sockets = tmp_path / "sockets"
    watch = Watching(checkout, sockets)
    watch.next_line("watch: ready")
    watch.next_line("synthesized in")  # the first build, on start
    yield watch
    watch.stop()


def cold(root: Path, catalog: Path, outdir: Path) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items()} | {
        WARM_ENV: "0",
        "CDKTF_OUTDIR": str(outdir),
        "PLATFORM_CONFIG": str(catalog),
    }
    result = run_command(synth_command(), cwd=root, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return synthesized_bytes(outdir)


def test_the_socket_is_named_after_the_code_and_private(watching: Watching, checkout: Path) -> None:
    path = watching.socket_of(checkout)
    assert path.exists()
    assert path.name == code_digest(checkout)[:16] + ".sock"
    assert watching.sockets.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("change", list(CHANGES))
def test_served_output_is_byte_identical_to_a_cold_run(
    watching: Watching, checkout: Path, tmp_path: Path, change: str
) -> None:
    text, _ = CHANGES[change]
    catalog = tmp_path / "changed.yaml"
    catalog.write_text(text, encoding="utf-8")
    served_out = tmp_path / "served.out"
    # an earlier output of BASE, as an engineer has it before the edit
    assert watching.client(served_out, checkout / "platform.yaml").returncode == 0
    started = len(watching.lines)
    result = watching.client(served_out, catalog)
    assert result.returncode == 0, result.stderr
    assert synthesized_bytes(served_out) == cold(checkout, catalog, tmp_path / "cold.out")
    assert watching.process.poll() is None
    assert watching.lines[started:] == []  # requests are served quietly


def test_a_refusal_says_exactly_what_a_cold_run_says(
    watching: Watching, checkout: Path, tmp_path: Path
) -> None:
    (checkout / "broken.yaml").write_text(BASE.replace("team-c", "team-b"))
    env = watching.env | {"CDKTF_OUTDIR": str(tmp_path / "out"), "PLATFORM_CONFIG": "broken.yaml"}
    served = run_command(synth_command(), cwd=checkout, env=env, timeout=300)
    cold_run = run_command(synth_command(), cwd=checkout, env=env | {WARM_ENV: "0"}, timeout=300)
    assert served.returncode == cold_run.returncode == 2
    assert served.stderr == cold_run.stderr
    assert served.stderr.startswith("error: broken.yaml: teams[2].name: duplicate team name")


def test_a_client_with_other_code_runs_cold(watching: Watching, tmp_path: Path) -> None:
    other = copy_checkout(tmp_path / "other")
    (other / "platform.yaml").write_text(BASE, encoding="utf-8")
    (other / "synthesis" / "run.py").write_text(
        (other / "synthesis" / "run.py").read_text() + "\n# another version\n"
    )
    assert not watching.socket_of(other).exists()
    env = watching.env | {"CDKTF_OUTDIR": str(tmp_path / "out")}
    result = run_command(synth_command(), cwd=other, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "manifest.json").exists()  # built cold, by itself


def test_editing_the_catalog_rebuilds_with_one_line(watching: Watching, checkout: Path) -> None:
    catalog = checkout / "platform.yaml"
    catalog.write_text(BASE.replace("{name: team-c}", "{name: team-c, cache: {}}"))
    line = watching.next_line("synthesized in")
    assert line.startswith("watch: platform.yaml synthesized in ")
    assert line.endswith(": changed team-c")


def test_a_broken_catalog_is_one_line_and_the_watch_goes_on(
    watching: Watching, checkout: Path
) -> None:
    catalog = checkout / "platform.yaml"
    before = synthesized_bytes(checkout / "cdktf.out")
    catalog.write_text(BASE.replace("team-b", "Team_B"))
    error = watching.next_line("watch: error:")
    assert error.startswith("watch: error: platform.yaml: teams[1] (Team_B).name: ")
    watching.next_line("left as it was; still watching")
    assert synthesized_bytes(checkout / "cdktf.out") == before
    catalog.write_text(BASE + "  - {name: team-d}\n")
    assert watching.next_line("synthesized in").endswith(": added team-d")


def test_a_code_change_restarts_the_watch_on_the_new_code(
    watching: Watching, checkout: Path
) -> None:
    old = watching.socket_of(checkout)
    run_py = checkout / "synthesis" / "run.py"
    run_py.write_text(run_py.read_text() + "\n# another version\n")
    watching.next_line("watch: restarting (the code changed)")
    watching.next_line("watch: ready")
    assert watching.socket_of(checkout).exists()
    assert not old.exists()


def test_it_restarts_itself_after_its_bound_of_builds(checkout: Path, tmp_path: Path) -> None:
    watch = Watching(checkout, tmp_path / "sockets", SYNTH_WARM_MAX_BUILDS="2")
    try:
        watch.next_line("watch: ready")
        watch.next_line("synthesized in")
        (checkout / "platform.yaml").write_text(BASE + "  - {name: team-d}\n")
        watch.next_line("synthesized in")
        watch.next_line("watch: restarting (2 builds)")
        watch.next_line("watch: ready")
    finally:
        watch.stop()


def test_ctrl_c_ends_it_cleanly_and_takes_the_socket_along(
    watching: Watching, checkout: Path
) -> None:
    assert watching.stop() == 0
    watching.next_line("watch: stopped", timeout=5)
    assert not watching.socket_of(checkout).exists()


def test_without_a_warm_process_the_app_runs_cold(checkout: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != WARM_ENV}
    env |= {WARM_DIR_ENV: str(tmp_path / "none"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    result = run_command(synth_command(), cwd=checkout, env=env, timeout=300)
    assert result.returncode == 0, result.stderr


def test_what_changed_names_teams_in_one_line() -> None:
    before = {"a": "1", "b": "2", "platform": "p"}
    after = {"a": "1", "b": "3", "c": "4", "platform": "p"}
    assert what_changed(before, after) == "changed b; added c"
    assert what_changed(after, after) == "no stack changed"
    many = {f"t{i}": "x" for i in range(8)}
    assert what_changed({}, many) == "added t0, t1, t2, t3, t4 and 3 more"


def test_the_suite_itself_never_asks_a_warm_process() -> None:
    assert os.environ[WARM_ENV] == "0"
    assert sys.flags.optimize == 0  # the suite runs type-checked; the app command runs -O


def test_a_crashed_build_is_one_line_and_restarts_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything but a refusal (the CDK runtime failing, say) may leave jsii in any state."""
    import synthesis.entry  # noqa: PLC0415

    def crash(*_: object, **__: object) -> int:
        raise RuntimeError("jsii: the Node process went away\nstack trace ...")

    monkeypatch.setattr(synthesis.entry, "synthesize_catalog", crash)
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(BASE)
    said: list[str] = []
    watch = Watch(catalog=catalog, outdir=tmp_path / "cdktf.out", out=said.append)
    watch.rebuild_watched()
    assert said == [
        "watch: error: the build crashed (RuntimeError: jsii: the Node process went away); "
        "cdktf.out/ holds the previous output or the complete new one, never a mix"
    ]
    assert watch.due_for_restart() == "a build crashed"
