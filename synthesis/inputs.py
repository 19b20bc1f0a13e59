"""What a stack's JSON depends on, as digests: the record kept next to the output.

Every stack depends on the code (every Python source of the app, `cdktf.json`,
`Pipfile.lock`, and the pinned versions, which are code) and on the platform-wide settings
(project, state, versions, …); a host's stack on that host's settings; a tenant's two stacks on
its effective entry, with every value derived for it (its host and that host's settings, its
port, its labels). A change to code or platform-wide settings rebuilds everything; a change to
one host rebuilds that host and its tenants; a change to one team, that team's tenants only.
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
from catalog.tenant import Tenant
from constructs_lib.paths import PROJECT_ROOT

#: The record, next to `manifest.json`; committed with the output so reviewers see it.
RECORD_NAME: Final = "synth-inputs.json"
RECORD_VERSION: Final = 2
#: Platform settings that are a host's or decide placement: in the inputs of the hosts and
#: tenants they concern, not in the platform-wide digest.
_PER_HOST: Final = frozenset({"host", "hosts", "default_environment"})

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


def tenant_inputs(catalog: Catalog, tenant: Tenant) -> dict[str, Any]:
    """The tenant's effective entry with every value derived for it, as its stacks see them."""
    placed = catalog.placement_of(tenant)
    derived: dict[str, Any] = {
        "labels": catalog.labels_of(tenant).as_dict(),
        "host": placed.host,
        "host_settings": catalog.platform.named_hosts[placed.host].model_dump(mode="json"),
        "node_port": placed.node_port,
    }
    return {"entry": tenant.settings.model_dump(mode="json"), "derived": derived}


def host_inputs(catalog: Catalog, host: str) -> dict[str, Any]:
    """A host's settings, whether any tenant uses it (its stack's outputs depend on it), and
    the apps its gateway publishes."""
    return {
        "settings": catalog.platform.named_hosts[host].model_dump(mode="json"),
        "used": bool(catalog.tenants_on(host)),
        # Its gateway's listeners and certificates follow its tenants' exposed apps.
        "exposed": [[app.tenant, app.host] for app in catalog.exposed_on(host)],
    }


def output_digest(stacks: list[bytes]) -> str:
    """A digest of stacks' JSON as written: reuse only what is still exactly that."""
    digest = hashlib.sha256()
    for content in stacks:
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class InputRecord:
    """Per tenant and per host: the digest of its inputs and of the JSON they produced."""

    code: str
    platform: str
    tenants: dict[str, str]
    """Tenant name -> digest of its inputs."""
    hosts: dict[str, str]
    """Host name -> digest of its inputs."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Tenant name (or `host:<name>`) -> digest of its stacks' JSON, once written."""

    @classmethod
    def of(cls, catalog: Catalog, code: str) -> InputRecord:
        platform = catalog.platform.model_dump(mode="json", exclude=set(_PER_HOST))
        return cls(
            code=code,
            platform=_digest(platform),
            tenants={t.name: _digest(tenant_inputs(catalog, t)) for t in catalog.tenants},
            hosts={h: _digest(host_inputs(catalog, h)) for h in catalog.platform.named_hosts},
        )

    def with_outputs(self, outputs: dict[str, str]) -> InputRecord:
        return InputRecord(self.code, self.platform, self.tenants, self.hosts, dict(outputs))

    def render(self) -> str:
        record = {
            "//": "What each tenant's and host's stacks were built from, and what they are "
            "(see synthesis/).",
            "version": RECORD_VERSION,
            "code": self.code,
            "platform": self.platform,
            "tenants": {
                name: {"inputs": key, "output": self.outputs.get(name, "")}
                for name, key in sorted(self.tenants.items())
            },
            "hosts": {
                name: {"inputs": key, "output": self.outputs.get(host_key(name), "")}
                for name, key in sorted(self.hosts.items())
            },
        }
        return json.dumps(record, indent=2, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str) -> InputRecord | None:
        """The record in `text`, or None when it is not one this code wrote (then: rebuild)."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
                return None
            tenants = {str(n): str(t["inputs"]) for n, t in data["tenants"].items()}
            hosts = {str(n): str(h["inputs"]) for n, h in data["hosts"].items()}
            outputs = {str(n): str(t["output"]) for n, t in data["tenants"].items()}
            outputs |= {host_key(str(n)): str(h["output"]) for n, h in data["hosts"].items()}
            return cls(str(data["code"]), str(data["platform"]), tenants, hosts, outputs)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None

    def _same_platform(self, previous: InputRecord | None) -> bool:
        return previous is not None and (previous.code, previous.platform) == (
            self.code,
            self.platform,
        )

    def unchanged_tenants(self, previous: InputRecord | None) -> set[str]:
        """Tenants whose stacks the previous output built from exactly these inputs."""
        if previous is None or not self._same_platform(previous):
            return set()
        return {name for name, key in self.tenants.items() if previous.tenants.get(name) == key}

    def unchanged_hosts(self, previous: InputRecord | None) -> set[str]:
        """Hosts whose stack the previous output built from exactly these inputs."""
        if previous is None or not self._same_platform(previous):
            return set()
        return {name for name, key in self.hosts.items() if previous.hosts.get(name) == key}


def host_key(host: str) -> str:
    """A host's key among the record's outputs (a tenant name never holds a colon)."""
    return f"host:{host}"
