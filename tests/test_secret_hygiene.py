"""No credential literal or private key in synthesized JSON, snapshots, logs or the repository."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Synthesized

#: Shapes of credentials; an interpolation (`${...}`) or a file/secret *name* is not one.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "password in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"'$]+@"),
    "password literal": re.compile(
        r"""(?<![\w-])["']?(password|passwd|token|api_key|client_secret|secret_key)["']?"""
        r"""\s*[:=]\s*["']?(?!\$\{)[^\s"',}{]{6,}""",
        re.IGNORECASE,
    ),
}
#: Files that discuss credentials without holding any.
ALLOWED_FILES = {"tests/test_secret_hygiene.py"}
#: Phrases in our own docs and code that look like assignments but hold no secret.
ALLOWED_PHRASES = (
    "PGPASSWORD",
    'password=" in self.conn_str',
    # catalogs the tests feed in precisely to see them refused
    "postgres://u:secret@db/tf",
    "postgres://u:pw@db/tf",
)
#: In Python source, `password = Password(...)` names a variable, not a credential.
CODE_SUFFIXES = (".py",)


def findings(text: str, *, code: bool = False) -> list[str]:
    found = []
    for kind, pattern in SECRET_PATTERNS.items():
        if code and kind == "password literal":
            continue
        for match in pattern.finditer(text):
            snippet = match.group(0)
            if not any(
                allowed in text[max(0, match.start() - 40) : match.end() + 40]
                for allowed in ALLOWED_PHRASES
            ):
                found.append(f"{kind}: {snippet[:40]}")
    return found


def test_the_scanner_finds_what_it_looks_for() -> None:
    planted = [
        "-----BEGIN RSA PRIVATE KEY-----",
        "AKIAABCDEFGHIJKLMNOP",
        '"password": "hunter2hunter2"',
        "postgres://app:s3cr3t@db:5432/app",
        "token = abcdef123456",
    ]
    for text in planted:
        assert findings(text), text
    assert findings('"password": "${random_password.x.result}"') == []
    assert findings('"secret_name": "postgres-app"') == []


def tracked_files() -> Iterator[tuple[str, str]]:
    names = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        path = PROJECT_ROOT / name
        # Lock files pin hashes and package names (npm's `password` package, for one).
        if name in ALLOWED_FILES or name.endswith((".lock", "package-lock.json")):
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue


def test_the_repository_holds_no_credentials() -> None:
    problems = [
        f"{name}: {f}"
        for name, text in tracked_files()
        for f in findings(text, code=name.endswith(CODE_SUFFIXES))
    ]
    assert problems == []


def test_snapshots_hold_no_credentials() -> None:
    for path in (PROJECT_ROOT / "tests" / "__snapshots__").rglob("*.json"):
        assert findings(path.read_text()) == [], path


def test_synthesized_json_holds_no_credentials(
    synthesized: Synthesized,
    catalog_from: Callable[[str], Catalog],
    synth: Callable[[Catalog], Synthesized],
) -> None:
    rich = synth(
        catalog_from(
            "platform: {state: {backend: pg, conn_str: 'postgres://db.internal/tf'}}\n"
            "teams: [{name: a1, database: {}, cache: {}}]"
        )
    )
    for stacks in (synthesized, rich):
        for name, stack in stacks.items():
            assert findings(json.dumps(stack, indent=1)) == [], name


def _outputs(stacks: Synthesized) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack_name, stack in stacks.items():
        for name, output in stack.get("output", {}).items():
            yield stack_name, name, output


def test_outputs_that_carry_credentials_or_kubeconfigs_are_sensitive(
    synthesized: Synthesized,
) -> None:
    for stack, name, output in _outputs(synthesized):
        value = json.dumps(output["value"])
        if re.search(r"random_password|kubernetes_secret|local_sensitive_file|kubeconfig", value):
            assert output.get("sensitive") is True or name in {
                "kubeconfig_path",
                "team_kubeconfig_paths",
            }, (stack, name)


@pytest.mark.parametrize("team", ["team-a", "team-b"])
def test_team_outputs_name_secrets_but_never_read_them(synthesized: Synthesized, team: str) -> None:
    for _, name, output in _outputs({team: synthesized[team]}):
        assert "random_password" not in json.dumps(output), name
        assert ".data" not in json.dumps(output), name
