"""The stand-in providers serve the schema of the pinned providers, field by field.

The schema is read from the bindings' generated TypeScript (`binding_schema`); these tests walk
it against the Python bindings the app is written with — another view of the same generator
output — so a reader mistake shows up as a field that one side has and the other has not.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from constructs_lib import versions
from tools.rehearsal.binding_schema import SENSITIVE, provider_schema
from tools.rehearsal.mirror import KIND_SCHEMA, STAND_INS
from tools.rehearsal.values import UNKNOWN, deterministic_filler, fill, plan

from .conftest import REFERENCE

PACKAGES = ("kubernetes", "helm", "local", "random", "time")
META_ARGUMENTS = frozenset(
    {"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners"}
)


def _key(name: str) -> str:
    """Python and Terraform spell a field differently (`content_base64_sha256`, `from_`)."""
    return name.rstrip("_").replace("_", "").lower()


def _binding_classes(package: str) -> Iterator[tuple[str, str, type]]:
    """(kind, Terraform type name, Python class) of every resource and data source bound."""
    module = importlib.import_module(f"cdktf_cdktf_provider_{package}")
    for info in pkgutil.iter_modules(module.__path__):
        if info.name.startswith("_") or info.name == "provider":
            continue
        submodule = importlib.import_module(f"{module.__name__}.{info.name}")
        for _, cls in inspect.getmembers(submodule, inspect.isclass):
            type_name = getattr(cls, "TF_RESOURCE_TYPE", None)
            if cls.__module__ == submodule.__name__ and type_name:
                kind = "data_source" if info.name.startswith("data_") else "resource"
                yield kind, type_name, cls


def _struct_in(hint: Any) -> type | None:
    """The jsii struct class inside a parameter's type hint, if it holds one."""
    for arg in typing.get_args(hint) or (hint,):
        if typing.get_origin(arg) is not None:
            found = _struct_in(arg)
            if found:
                return found
        elif isinstance(arg, type) and arg.__module__.startswith("cdktf_cdktf_provider_"):
            return arg
    return None


def _compare(
    block: dict[str, Any], config_class: type, where: str, *, top: bool = True
) -> list[str]:
    """Settable fields of a schema block against a Python config or struct class, recursively."""
    skip = {"self"} | (META_ARGUMENTS if top else set())
    parameters = {
        name: p
        for name, p in inspect.signature(config_class).parameters.items()
        if name not in skip
    }
    hints = typing.get_type_hints(getattr(config_class, "__init__"))  # noqa: B009
    settable = {
        n: a
        for n, a in block.get("attributes", {}).items()
        if a.get("required") or a.get("optional")
    } | block.get("block_types", {})
    python = {_key(n): n for n in parameters}
    problems = [
        f"{where}.{n}: in the schema, not in {config_class.__name__}"
        for n in settable
        if _key(n) not in python
    ]
    problems += [
        f"{where}.{n}: in {config_class.__name__}, not in the schema"
        for k, n in python.items()
        if k not in {_key(s) for s in settable}
    ]
    for name, spec in settable.items():
        parameter = parameters.get(python.get(_key(name), ""))
        if parameter is None:
            continue
        python_required = parameter.default is inspect.Parameter.empty
        schema_required = bool(spec.get("required")) or spec.get("min_items", 0) > 0
        if python_required != schema_required:
            problems.append(
                f"{where}.{name}: required {schema_required} in the schema, "
                f"{python_required} in the binding"
            )
        nested = spec.get("block") or spec.get("nested_type")
        struct = _struct_in(hints.get(parameter.name))
        if nested is not None and struct is not None:
            problems += _compare(nested, struct, f"{where}.{name}", top=False)
        elif nested is not None:
            problems.append(f"{where}.{name}: a nested block, but no struct in the binding")
    return problems


@pytest.mark.parametrize("package", PACKAGES)
def test_the_schema_has_every_type_the_binding_has_and_no_other(package: str) -> None:
    schema = provider_schema(f"cdktf_cdktf_provider_{package}")
    bound = {(kind, name) for kind, name, _ in _binding_classes(package)}
    served = {("resource", n) for n in schema["resource_schemas"]} | {
        ("data_source", n) for n in schema["data_source_schemas"]
    }
    assert served == bound


@pytest.mark.parametrize("package", PACKAGES)
def test_every_settable_field_matches_the_binding_field_by_field(package: str) -> None:
    schema = provider_schema(f"cdktf_cdktf_provider_{package}")
    problems = []
    for kind, name, cls in _binding_classes(package):
        block = schema[f"{kind}_schemas"][name]["block"]
        config = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Config")
        problems += _compare(block, config, name)
    assert problems == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_computed_attribute_is_readable_on_the_binding(package: str) -> None:
    schema = provider_schema(f"cdktf_cdktf_provider_{package}")
    problems = []
    for kind, name, cls in _binding_classes(package):
        attributes = schema[f"{kind}_schemas"][name]["block"]["attributes"]
        readable = {_key(n) for n in dir(cls)}
        problems += [f"{name}.{a}" for a in attributes if _key(a) not in readable]
    assert problems == []


def test_the_provider_blocks_match_the_provider_bindings() -> None:
    problems = []
    for package in PACKAGES:
        module = importlib.import_module(f"cdktf_cdktf_provider_{package}.provider")
        (config,) = [
            c
            for n, c in inspect.getmembers(module, inspect.isclass)
            if n.endswith("ProviderConfig")
        ]
        block = provider_schema(f"cdktf_cdktf_provider_{package}")["provider"]["block"]
        problems += _compare(block, config, f"provider {package}")
    # `alias` is a meta-argument of every provider, not part of its schema.
    assert problems == [
        f"provider {p}.alias: in {p.title()}ProviderConfig, not in the schema" for p in PACKAGES
    ]


def test_nesting_modes_come_from_the_binding() -> None:
    kubernetes = provider_schema("cdktf_cdktf_provider_kubernetes")
    namespace = kubernetes["resource_schemas"]["kubernetes_namespace_v1"]["block"]
    assert namespace["block_types"]["metadata"] | {"block": None} == {
        "nesting_mode": "list",
        "min_items": 1,
        "max_items": 1,
        "block": None,
    }
    assert namespace["block_types"]["timeouts"]["nesting_mode"] == "single"
    helm = provider_schema("cdktf_cdktf_provider_helm")
    release = helm["resource_schemas"]["helm_release"]["block"]["attributes"]
    # helm 3 is built on the plugin framework: `set` is a nested attribute, not a block.
    assert release["set"]["nested_type"]["nesting_mode"] == "list"
    assert release["metadata"] == {
        "type": [
            "object",
            {
                "app_version": "string",
                "chart": "string",
                "first_deployed": "number",
                "last_deployed": "number",
                "name": "string",
                "namespace": "string",
                "notes": "string",
                "revision": "number",
                "values": "string",
                "version": "string",
            },
        ],
        "computed": True,
    }


def test_sensitive_attributes_are_marked_where_the_providers_mark_them() -> None:
    for (kind, type_name), names in SENSITIVE.items():
        package = type_name.split("_")[0]
        schema = provider_schema(f"cdktf_cdktf_provider_{package}")
        entry = schema["provider"] if kind == "provider" else schema[f"{kind}_schemas"][type_name]
        for name in names:
            assert entry["block"]["attributes"][name].get("sensitive"), (type_name, name)


def test_stand_ins_are_the_versions_our_json_pins() -> None:
    assert {s.source: s.version for s in STAND_INS} == {
        "hashicorp/kubernetes": versions.KUBERNETES_PROVIDER_VERSION,
        "hashicorp/helm": versions.HELM_PROVIDER_VERSION,
        "hashicorp/local": versions.LOCAL_PROVIDER_VERSION,
        "hashicorp/random": versions.RANDOM_PROVIDER_VERSION,
        "hashicorp/time": versions.TIME_PROVIDER_VERSION,
        "tehcyx/kind": versions.KIND_PROVIDER_VERSION,
    }


@pytest.mark.reference
def test_the_kind_schema_is_the_reviewed_reference() -> None:
    reference = REFERENCE / "kind" / "kind_cluster.schema.json"
    assert json.loads(KIND_SCHEMA.read_text()) == json.loads(reference.read_text())


# --- plan and apply values ------------------------------------------------------------------

BLOCK = {
    "attributes": {
        "name": {"type": "string", "required": True},
        "id": {"type": "string", "computed": True},
        "port": {"type": "number", "optional": True, "computed": True},
        "note": {"type": "string", "optional": True},
    },
    "block_types": {
        "metadata": {
            "nesting_mode": "list",
            "block": {
                "attributes": {
                    "uid": {"type": "string", "computed": True},
                    "labels": {"type": ["map", "string"], "optional": True},
                }
            },
        },
    },
}


def test_plan_keeps_configured_values_and_marks_unset_computed_ones_unknown() -> None:
    proposed = {
        "name": "a",
        "id": None,
        "port": 80,
        "note": None,
        "metadata": [{"uid": None, "labels": {"x": "y"}}],
    }
    assert plan(BLOCK, proposed) == {
        "name": "a",
        "id": UNKNOWN,
        "port": 80,
        "note": None,
        "metadata": [{"uid": UNKNOWN, "labels": {"x": "y"}}],
    }


def test_apply_fills_every_unknown_deterministically() -> None:
    def planned() -> dict[str, Any]:
        config = {
            "name": "a",
            "id": None,
            "port": None,
            "note": None,
            "metadata": [{"uid": None, "labels": None}],
        }
        return plan(BLOCK, config)

    first = fill(BLOCK, planned(), deterministic_filler("seed"))
    again = fill(BLOCK, planned(), deterministic_filler("seed"))
    assert first == again
    assert UNKNOWN not in (first["id"], first["port"], first["metadata"][0]["uid"])
    assert first["note"] is None
    assert isinstance(first["port"], int) and isinstance(first["id"], str)
