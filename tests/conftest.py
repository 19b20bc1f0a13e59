"""Shared fixtures: catalogs, and the app synthesized from them, all offline."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from synthesis.quiet_jsii import quiet_jsii
from synthesis.warm import WARM_ENV

quiet_jsii()
# Every synthesis of the suite runs cold, whatever `make watch` a developer keeps running;
# tests/test_warm_synthesis.py starts warm processes of its own, in directories of its own.
os.environ[WARM_ENV] = "0"

from cdktf import TerraformStack, Testing
from constructs import Construct

from catalog.loader import load_catalog, parse_catalog
from catalog.model import Catalog
from catalog.synthesized_stacks import read_stacks
from constructs_lib.paths import PROJECT_ROOT
from stacks.app import synthesize as synthesize_app
from synthesis.inputs import copy_app_code

DEFAULT_CATALOG = PROJECT_ROOT / "platform.yaml"
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"

Synthesized = dict[str, dict[str, Any]]
#: The `catalog_from` fixture: a catalog parsed from YAML text.
Parse = Callable[[str], Catalog]
#: The `synth` fixture: a catalog synthesized into a fresh directory.
Synth = Callable[[Catalog], Synthesized]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `reference` read ../shared/reference: skipped without it, except in CI."""
    if item.get_closest_marker("reference") is None or REFERENCE.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{REFERENCE} is missing; CI must run with shared/ beside the checkout")
    pytest.skip("needs ../shared/reference (the upstream schemas beside the checkout)")


def run_command(
    argv: Sequence[str],
    *,
    cwd: Path = PROJECT_ROOT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """A command run to its end with its output captured as text; a failure is a result."""
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=None if env is None else dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def git(repo: Path, *args: str) -> str:
    """A git command in `repo` (as a throw-away author), which must succeed; its output."""
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def run_main(
    cwd: Path, catalog: Path | None = None, outdir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE")}
    if catalog is not None:
        env["PLATFORM_CONFIG"] = str(catalog)
    if outdir is not None:
        env["CDKTF_OUTDIR"] = str(outdir)
    return run_command(
        [sys.executable, str(PROJECT_ROOT / "main.py")],
        cwd=cwd,
        env=env,
        timeout=300,
    )


@functools.cache
def reference_json(*parts: str) -> Any:
    """A file of ../shared/reference, parsed; only for tests marked `reference`."""
    return json.loads(REFERENCE.joinpath(*parts).read_text(encoding="utf-8"))


def copy_checkout(into: Path, *, extra: tuple[str, ...] = ()) -> Path:
    """A copy of the code and catalog (and `extra`) at `into`, as another clone has them."""
    return copy_app_code(into, extra=("platform.yaml", *extra))


def synthesize(catalog: Catalog, outdir: Path) -> Synthesized:
    """Build and synth the app as `main.py` does; return each stack's cdk.tf.json."""
    return read_stacks(synthesize_app(catalog, outdir))


def synthesized_bytes(outdir: Path) -> dict[str, bytes]:
    """Every stack's cdk.tf.json and the manifest, as written, by path relative to `outdir`."""
    return {
        str(p.relative_to(outdir)): p.read_bytes()
        for p in sorted(outdir.rglob("*"))
        if p.is_file() and p.name in {"cdk.tf.json", "manifest.json"}
    }


@pytest.fixture(scope="session")
def default_catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="session")
def synthesized(default_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The default catalog, synthesized once for the whole session."""
    return synthesize(default_catalog, tmp_path_factory.mktemp("default"))


@pytest.fixture
def synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Catalog], Synthesized]:
    def _synth(catalog: Catalog) -> Synthesized:
        return synthesize(catalog, tmp_path_factory.mktemp("synth"))

    return _synth


@pytest.fixture(scope="session")
def catalog_from() -> Callable[[str], Catalog]:
    def _parse(text: str) -> Catalog:
        return parse_catalog(text, source="test.yaml")

    return _parse


def resources(stack: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return dict(stack.get("resource", {}).get(resource_type, {}))


def synth_construct(build: Callable[[Construct], object]) -> dict[str, Any]:
    """One construct, built by `build` in a bare stack of its own, synthesized and parsed."""
    stack = TerraformStack(Testing.app(), "bare")
    build(stack)
    parsed: dict[str, Any] = json.loads(Testing.synth(stack))
    return parsed


def address_at(stack: dict[str, Any], path: str) -> str:
    """The address (`type.logical_id`) of the resource whose construct path is `path`.

    Tests name resources by construct path (`team-a/Team/Database/Operator`), never by the
    hashed logical id cdktf derives from it.
    """
    for resource_type, items in stack.get("resource", {}).items():
        for name, body in items.items():
            if body.get("//", {}).get("metadata", {}).get("path") == path:
                return f"{resource_type}.{name}"
    raise KeyError(f"no resource at construct path {path!r}")


def only(mapping: dict[str, Any]) -> Any:
    assert len(mapping) == 1, f"expected exactly one, got {sorted(mapping)}"
    return next(iter(mapping.values()))


def values_of(release: dict[str, Any]) -> dict[str, Any]:
    """The one Helm values document of a synthesized helm_release, parsed."""
    (document,) = release["values"]
    parsed: dict[str, Any] = yaml.safe_load(document)
    return parsed
