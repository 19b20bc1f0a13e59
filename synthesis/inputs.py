"""What a stack's JSON depends on, as digests: the record kept next to the output.

Every stack depends on the code (every Python source of the app, `cdktf.json`,
`Pipfile.lock`, and the pinned versions, which are code) and on the `platform:` section; a
team's two stacks depend on that team's entry too, with every value derived for it (its port,
its cost center, its defaults). A change to code or platform settings rebuilds everything; a
change to one team rebuilds that team's stacks only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from catalog.model import Catalog
from catalog.platform import KindHost
from catalog.team import Team
from constructs_lib.paths import PROJECT_ROOT

#: The record, next to `manifest.json`; committed with the output so reviewers see it.
RECORD_NAME: Final = "synth-inputs.json"
RECORD_VERSION: Final = 1
#: The record's key for the stacks every team shares (the KIND host).
PLATFORM: Final = "platform"

#: Everything of the checkout that decides what the app writes (files, then packages).
_CODE_FILES: Final = ("main.py", "cdktf.json", "Pipfile.lock", "twin/Pipfile.lock")
_CODE_PACKAGES: Final = ("catalog", "bindings", "constructs_lib", "stacks", "synthesis")
APP_CODE: Final = (*_CODE_FILES, *_CODE_PACKAGES)


def copy_app_code(into: Path, *, extra: tuple[str, ...] = ()) -> Path:
    """The app's code (and `extra` names) copied to `into`, as another checkout has them."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (*APP_CODE, *extra):
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, into / name)
    return into


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def cdk_runtime() -> str:
    """The CDK library this process synthesizes with, and its version: `cdktf 0.21.0`."""
    for name in ("cdktf", "cdktn"):
        try:
            return f"{name} {importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "none"


def code_digest(root: Path = PROJECT_ROOT) -> str:
    """One digest of the app's code, by relative path and content, so any change shows."""
    digest = hashlib.sha256()
    # Output written on one CDK runtime is never reused on the other (README, CDK Terrain).
    digest.update(f"runtime {cdk_runtime()}\0".encode())
    paths = [root / name for name in _CODE_FILES] + sorted(
        path for package in _CODE_PACKAGES for path in (root / package).rglob("*.py")
    )
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        # A copy without a file (a checkout made for a test) hashes as one without it.
        digest.update((path.read_bytes() if path.is_file() else b"<absent>") + b"\0")
    return digest.hexdigest()


def team_inputs(catalog: Catalog, team: Team) -> dict[str, Any]:
    """The team's entry with every value derived for it, as its stacks see them."""
    derived: dict[str, Any] = {"cost_center": catalog.cost_center_of(team)}
    if isinstance(catalog.platform.host, KindHost):
        derived["node_port"] = catalog.node_port_of(team)
    return {"entry": team.model_dump(mode="json"), "derived": derived}


def output_digest(stacks: list[bytes]) -> str:
    """A digest of stacks' JSON as written: reuse only what is still exactly that."""
    digest = hashlib.sha256()
    for content in stacks:
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class InputRecord:
    """Per team: the digest of its inputs and of the JSON they produced."""

    code: str
    platform: str
    teams: dict[str, str]
    """Team name -> digest of its inputs."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Team name (or `platform`) -> digest of its stacks' JSON, once written."""

    @classmethod
    def of(cls, catalog: Catalog, code: str) -> InputRecord:
        return cls(
            code=code,
            platform=_digest(catalog.platform.model_dump(mode="json")),
            teams={t.name: _digest(team_inputs(catalog, t)) for t in catalog.teams},
        )

    def with_outputs(self, outputs: dict[str, str]) -> InputRecord:
        return InputRecord(self.code, self.platform, self.teams, dict(outputs))

    def render(self) -> str:
        record = {
            "//": "What each team's stacks were built from, and what they are (see synthesis/).",
            "version": RECORD_VERSION,
            "code": self.code,
            "platform": self.platform,
            "teams": {
                name: {"inputs": key, "output": self.outputs.get(name, "")}
                for name, key in sorted(self.teams.items())
            },
            "platform_output": self.outputs.get(PLATFORM, ""),
        }
        return json.dumps(record, indent=2, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str) -> InputRecord | None:
        """The record in `text`, or None when it is not one this code wrote (then: rebuild)."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
                return None
            teams = {str(n): str(t["inputs"]) for n, t in data["teams"].items()}
            outputs = {str(n): str(t["output"]) for n, t in data["teams"].items()}
            outputs[PLATFORM] = str(data["platform_output"])
            return cls(str(data["code"]), str(data["platform"]), teams, outputs)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None

    def unchanged_teams(self, previous: InputRecord | None) -> set[str]:
        """Teams whose stacks the previous output built from exactly these inputs."""
        if previous is None or (previous.code, previous.platform) != (self.code, self.platform):
            return set()
        return {name for name, key in self.teams.items() if previous.teams.get(name) == key}
