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


def values_document(values: Mapping[str, Any]) -> str:
    """Sorted keys, block style: the same values always give the same bytes."""
    return yaml.dump(dict(values), Dumper=_PlainDumper, sort_keys=True, default_flow_style=False)
