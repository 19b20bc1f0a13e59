"""Helm values as one YAML document per release, written for human review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

# libyaml's emitter when PyYAML was built with it (the wheels are): same output, much faster.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _PlainDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Never writes anchors and aliases (`&id001`), which hide repeated values from reviewers."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Text of several lines (a manifest carried in the values) as a literal block: readable."""
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_PlainDumper.add_representer(str, _text)


def values_document(values: Mapping[str, Any]) -> str:
    """Sorted keys, block style: the same values always give the same bytes."""
    return yaml.dump(dict(values), Dumper=_PlainDumper, sort_keys=True, default_flow_style=False)
