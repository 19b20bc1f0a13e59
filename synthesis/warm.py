"""A warm synthesis process: `make watch` keeps the CDK runtime loaded between builds.

Loading the provider bindings into jsii costs seconds before a single resource exists; the
JSON itself takes milliseconds. `make watch` pays that once, re-synthesizes `platform.yaml`
into `cdktf.out/` whenever it changes (one line per build: what changed, how long), and serves
the app command of any checkout with the very same code: `make synth`, `make generate` and
`review` ask it first and run cold when it is not there.

It never serves stale code. Its socket is named after the digest of the code it loaded (the
digest the reuse record keeps), so a client whose code differs in any byte finds no socket and
runs cold; and the watch restarts itself when its own code changes. It restarts too after a
number of builds or when its process tree grows past a bound, and survives a build that fails
with one line. Nothing requires it: with `SYNTH_WARM=0`, in CI and in Atlantis, everything
runs cold exactly as before.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from synthesis.inputs import RECORD_NAME, InputRecord, code_digest

#: Environment: `0` never asks a warm process; the suite and CI set it.
WARM_ENV: Final = "SYNTH_WARM"
#: Environment: the private directory of the sockets (default: per user, under the temp dir).
WARM_DIR_ENV: Final = "SYNTH_WARM_DIR"
#: Environment: builds before the process restarts itself (a bound on what it accumulates).
MAX_BUILDS_ENV: Final = "SYNTH_WARM_MAX_BUILDS"
DEFAULT_MAX_BUILDS: Final = 100
#: The process tree (Python and jsii's Node) restarts past this much resident memory.
MAX_TREE_RSS_MIB: Final = 2048
POLL_S: Final = 0.25
CODE_POLL_S: Final = 2.0
CONNECT_TIMEOUT_S: Final = 2.0
REQUEST_TIMEOUT_S: Final = 1800.0
MAX_MESSAGE_BYTES: Final = 16 * 1024 * 1024


def socket_dir() -> Path:
    configured = os.environ.get(WARM_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"kube-platform-synth-{os.getuid()}"


def socket_path(digest: str, directory: Path | None = None) -> Path:
    """Where the warm process of the code with `digest` listens."""
    return (directory or socket_dir()) / f"{digest[:16]}.sock"


def _private(directory: Path) -> bool:
    """Ours alone: a directory another user could write to is never trusted."""
    try:
        info = directory.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


def _send(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _receive(connection: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the other end closed the connection")
        data += chunk
        if len(data) > MAX_MESSAGE_BYTES:
            raise ConnectionError("message too large")
    message: dict[str, Any] = json.loads(data)
    return message


# --- the client: what `main.py` asks first ------------------------------------------------


def synthesize_warm(catalog: Path, outdir: Path, *, base: str | None) -> int | None:
    """The exit status of the build a warm process with this code did, or None (run cold)."""
    if os.environ.get(WARM_ENV) == "0":
        return None
    path = socket_path(code_digest())
    if not path.exists() or not _private(path.parent):
        return None
    progress = sys.stderr.isatty() or bool(os.environ.get("SYNTH_PROGRESS"))
    request = {
        # As given, with the directory they are relative to: the lines say what a cold run says.
        "cwd": os.getcwd(),
        "catalog": str(catalog),
        "outdir": str(outdir),
        "base": base,
        "progress": progress,
        "workers": os.environ.get("SYNTH_WORKERS", ""),
    }
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CONNECT_TIMEOUT_S)
            connection.connect(str(path))
            connection.settimeout(REQUEST_TIMEOUT_S)
            _send(connection, request)
            answer = _receive(connection)
    except (OSError, ValueError):
        return None  # no process behind the socket, or it went away: run cold
    for line in answer.get("stderr", []):
        print(line, file=sys.stderr, flush=True)
    status = answer.get("exit")
    return status if isinstance(status, int) else None


# --- the warm process ---------------------------------------------------------------------


def _tree_rss_mib() -> float:
    """Resident memory of this process and its children (jsii's Node), from /proc."""
    total = 0
    pids = [os.getpid()]
    try:
        children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
        pids += [int(p) for p in children]
    except OSError:
        pass
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _outputs(outdir: Path) -> dict[str, str]:
    """Tenant (or `host:<name>`) -> digest of its stacks' JSON, from the record next to the
    output."""
    try:
        record = InputRecord.parse((outdir / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}
    return dict(record.outputs) if record else {}


def what_changed(before: dict[str, str], after: dict[str, str]) -> str:
    """One line: the tenants (and hosts) whose stacks changed, were added or were removed."""
    parts = []
    for label, names in (
        ("changed", [n for n in after if n in before and before[n] != after[n]]),
        ("added", [n for n in after if n not in before]),
        ("removed", [n for n in before if n not in after]),
    ):
        if names:
            shown = ", ".join(sorted(names)[:5]) + (
                f" and {len(names) - 5} more" if len(names) > 5 else ""
            )
            parts.append(f"{label} {shown}")
    return "; ".join(parts) or "no stack changed"


@dataclass
class Watch:
    """The warm process: serves requests, rebuilds the watched catalog, restarts when due."""

    catalog: Path
    outdir: Path
    out: Callable[[str], None]
    max_builds: int = DEFAULT_MAX_BUILDS
    builds: int = 0
    crashed: str = ""
    """Why the last build crashed, if one did: the process restarts before the next."""

    def __post_init__(self) -> None:
        self.code = code_digest()
        self._seen = self._catalog_bytes()

    def _catalog_bytes(self) -> bytes | None:
        try:
            return self.catalog.read_bytes()
        except OSError:
            return None

    def build(
        self,
        catalog: Path,
        outdir: Path,
        *,
        base: str | None,
        say: Callable[[str], None],
        progress: bool,
    ) -> int:
        from synthesis.entry import synthesize_catalog  # noqa: PLC0415 - loaded once, warm

        def show(line: str) -> None:
            say(f"synth: {line}")

        self.builds += 1
        try:
            return synthesize_catalog(
                catalog, outdir, base=base, say=say, progress=show if progress else (lambda _: None)
            )
        except Exception as err:
            # A crashed build must not take the watch along, and the CDK runtime may be left in
            # any state: answer with one line, then restart.
            first = (str(err).strip().splitlines() or [""])[0]
            self.crashed = f"{type(err).__name__}: {first}"
            say(
                f"error: the build crashed ({self.crashed}); {outdir.name}/ holds the previous "
                "output or the complete new one, never a mix"
            )
            return 1

    def rebuild_watched(self) -> None:
        started = time.monotonic()
        before = _outputs(self.outdir)
        lines: list[str] = []
        status = self.build(self.catalog, self.outdir, base=None, say=lines.append, progress=False)
        seconds = time.monotonic() - started
        if status == 0:
            changes = what_changed(before, _outputs(self.outdir))
            self.out(f"watch: {self.catalog.name} synthesized in {seconds:.1f} s: {changes}")
        else:
            problem = next((line for line in lines if line.startswith("error:")), "failed")
            self.out(f"watch: {problem}")
            if not self.crashed:
                self.out(f"watch: {self.outdir.name}/ left as it was; still watching")

    def serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(CONNECT_TIMEOUT_S)
                request = _receive(connection)
                lines: list[str] = []
                previous_workers = os.environ.get("SYNTH_WORKERS")
                if request.get("workers"):
                    os.environ["SYNTH_WORKERS"] = str(request["workers"])
                home = os.getcwd()
                os.chdir(request["cwd"])
                try:
                    status = self.build(
                        Path(request["catalog"]),
                        Path(request["outdir"]),
                        base=request.get("base"),
                        say=lines.append,
                        progress=bool(request.get("progress")),
                    )
                finally:
                    os.chdir(home)
                    if previous_workers is None:
                        os.environ.pop("SYNTH_WORKERS", None)
                    else:
                        os.environ["SYNTH_WORKERS"] = previous_workers
                connection.settimeout(REQUEST_TIMEOUT_S)
                _send(connection, {"exit": status, "stderr": lines})
            except (OSError, ValueError, KeyError, TypeError):
                return  # the client went away or spoke nonsense: it runs cold

    def due_for_restart(self) -> str | None:
        if self.crashed:
            return "a build crashed"
        if self.builds >= self.max_builds:
            return f"{self.builds} builds"
        rss = _tree_rss_mib()
        if rss > MAX_TREE_RSS_MIB:
            return f"{rss:.0f} MiB resident"
        return None

    def catalog_changed(self) -> bool:
        current = self._catalog_bytes()
        if current == self._seen:
            return False
        self._seen = current
        return True


def _listen(path: Path) -> socket.socket:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(path.parent):
        raise SystemExit(f"watch: {path.parent} is not private to this user; refusing to serve")
    if path.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # left behind by a process that is gone
        else:
            raise SystemExit(f"watch: another warm process serves this code already ({path})")
        finally:
            probe.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    return server


def _restart() -> None:
    flags = ["-O"] if sys.flags.optimize else []
    os.execv(sys.executable, [sys.executable, *flags, "-m", "synthesis.warm", *sys.argv[1:]])


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(catalog: Path, outdir: Path, *, build_first: bool = True) -> int:
    from synthesis.quiet_jsii import quiet_jsii  # noqa: PLC0415

    quiet_jsii()
    started = time.monotonic()
    import stacks.app  # noqa: F401, PLC0415 - the expensive part, paid once here

    max_builds = int(os.environ.get(MAX_BUILDS_ENV) or DEFAULT_MAX_BUILDS)
    watch = Watch(catalog=catalog, outdir=outdir, out=_say, max_builds=max_builds)
    path = socket_path(watch.code)
    server = _listen(path)
    stop: list[int] = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    _say(
        f"watch: ready in {time.monotonic() - started:.1f} s; watching {catalog.name}, "
        f"serving synthesis for this code (Ctrl-C ends it)"
    )
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    next_code_check = time.monotonic() + CODE_POLL_S
    try:
        if build_first:
            watch.rebuild_watched()
        while not stop:
            for _key, _ in selector.select(timeout=POLL_S):
                connection, _address = server.accept()
                watch.serve(connection)
            if stop:
                break
            if watch.catalog_changed():
                watch.rebuild_watched()
            if stop:
                break  # Ctrl-C during a build: whatever the build made of it, end here
            reason = watch.due_for_restart()
            if time.monotonic() >= next_code_check:
                next_code_check = time.monotonic() + CODE_POLL_S
                if code_digest() != watch.code:
                    reason = "the code changed"
            if reason:
                _say(f"watch: restarting ({reason})")
                selector.close()
                server.close()
                path.unlink(missing_ok=True)
                _restart()
    finally:
        server.close()
        path.unlink(missing_ok=True)
    _say("watch: stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="watch", description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=None, help="default: $PLATFORM_CONFIG")
    parser.add_argument("--output", type=Path, default=Path("cdktf.out"))
    args = parser.parse_args(argv)
    from catalog.loader import catalog_path  # noqa: PLC0415

    return run(args.catalog or catalog_path(), args.output)


if __name__ == "__main__":
    sys.exit(main())
