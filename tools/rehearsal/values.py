"""What a stand-in provider plans and applies: Terraform's own rules, deterministic values.

Plan keeps every configured value and marks a computed attribute that has no value yet as
unknown; apply fills each unknown with a value derived from the resource type, the path of
the attribute and the planned object, so two runs of the rehearsal write the same state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Final


class Unknown:
    """cty's unknown value (msgpack extension 0): known only after apply."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN: Final = Unknown()

#: Fills an unknown: (type expression, attribute path) -> value.
Filler = Callable[[Any, tuple[str, ...]], Any]


def _attributes(block: dict[str, Any]) -> dict[str, Any]:
    return dict(block.get("attributes", {}))


def _blocks(block: dict[str, Any]) -> dict[str, Any]:
    return dict(block.get("block_types", {}))


def _each(value: Any, mode: str) -> list[Any]:
    """The objects of a nested block or nested attribute value, whatever its nesting."""
    if value is None or value is UNKNOWN:
        return []
    if mode == "single":
        return [value]
    if mode == "map":
        return list(value.values())
    return list(value)


def plan(block: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    """The planned object: the proposed one, with unset computed attributes unknown."""
    planned = dict(proposed)
    for name, attribute in _attributes(block).items():
        value = planned.get(name)
        if value is None and attribute.get("computed"):
            planned[name] = UNKNOWN
        elif "nested_type" in attribute:
            nested = attribute["nested_type"]
            for item in _each(value, nested["nesting_mode"]):
                item.update(plan(nested, item))
    for name, nested_block in _blocks(block).items():
        for item in _each(planned.get(name), nested_block["nesting_mode"]):
            item.update(plan(nested_block["block"], item))
    return planned


def fill(
    block: dict[str, Any], planned: dict[str, Any], filler: Filler, path: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The applied object: every unknown replaced by the filler's value for its type."""
    applied = dict(planned)
    for name, attribute in _attributes(block).items():
        value = applied.get(name)
        if value is UNKNOWN:
            applied[name] = filler(attribute.get("type", ["list", "string"]), (*path, name))
        elif "nested_type" in attribute:
            nested = attribute["nested_type"]
            for item in _each(value, nested["nesting_mode"]):
                item.update(fill(nested, item, filler, (*path, name)))
    for name, nested_block in _blocks(block).items():
        for item in _each(applied.get(name), nested_block["nesting_mode"]):
            item.update(fill(nested_block["block"], item, filler, (*path, name)))
    return applied


def deterministic_filler(seed: str) -> Filler:
    """Values derived from `seed` (type name and planned object) and the attribute path."""

    def value_of(type_: Any, path: tuple[str, ...]) -> Any:
        digest = hashlib.sha256(f"{seed}/{'.'.join(path)}".encode()).hexdigest()
        if type_ == "string":
            return f"standin-{digest[:16]}"
        if type_ == "number":
            return int(digest[:4], 16)
        if type_ == "bool":
            return False
        if isinstance(type_, list) and type_[0] == "object":
            return {k: value_of(t, (*path, k)) for k, t in type_[1].items()}
        if isinstance(type_, list) and type_[0] == "map":
            return {}
        return []

    return value_of


def seed_of(type_name: str, planned: dict[str, Any]) -> str:
    return type_name + json.dumps(planned, sort_keys=True, default=repr)
