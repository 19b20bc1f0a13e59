"""Shared fixtures: catalogs, and the app synthesized from them, all offline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from catalog.loader import load_catalog, parse_catalog
from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from stacks.app import synthesize as synthesize_app
from synthesis.inputs import copy_app_code

DEFAULT_CATALOG = PROJECT_ROOT / "platform.yaml"
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"

Synthesized = dict[str, dict[str, Any]]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `reference` read ../shared/reference: skipped without it, except in CI."""
    if item.get_closest_marker("reference") is None or REFERENCE.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{REFERENCE} is missing; CI must run with shared/ beside the checkout")
    pytest.skip("needs ../shared/reference (the upstream schemas beside the checkout)")


def copy_checkout(into: Path) -> Path:
    """A copy of the code and catalog at `into`, as another clone would have them."""
    return copy_app_code(into, extra=("platform.yaml",))


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


def read_stacks(outdir: Path) -> Synthesized:
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((outdir / "stacks").glob("*/cdk.tf.json"))
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


def only(mapping: dict[str, Any]) -> Any:
    assert len(mapping) == 1, f"expected exactly one, got {sorted(mapping)}"
    return next(iter(mapping.values()))


def values_of(release: dict[str, Any]) -> dict[str, Any]:
    """The one Helm values document of a synthesized helm_release, parsed."""
    (document,) = release["values"]
    parsed: dict[str, Any] = yaml.safe_load(document)
    return parsed
