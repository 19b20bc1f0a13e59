"""A Helm release as every construct here wants one: pinned, waited for, values reviewable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from constructs_lib.helm_values import values_document


def chart_release(
    scope: Construct,
    id: str,
    *,
    repository: str | None,
    chart: str,
    version: str | None,
    name: str,
    namespace: str,
    values: Mapping[str, Any] | None = None,
    timeout_s: int = 600,
    **options: Any,
) -> Release:
    """`chart` at exactly `version`; the apply waits until its resources are ready.

    The values are one YAML document with sorted keys, so a plan shows a reviewable diff.
    `options` are further `Release` arguments (`atomic`, `lifecycle`, `depends_on`, …).
    """
    return Release(
        scope,
        id,
        name=name,
        namespace=namespace,
        repository=repository,
        chart=chart,
        version=version,
        values=None if values is None else [values_document(values)],
        wait=True,
        timeout=timeout_s,
        **options,
    )
