"""Requests, limits and quotas: the Kubernetes quantities the catalog and constructs share.

The named defaults live here once; the catalog and the constructs both use them.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, Field

from constructs_lib.strict_model import StrictModel

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")


def _number_as_text(value: object) -> object:
    """YAML reads `cpu_limit: 2` as a number; a quantity is text, so accept whole numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(
            f"must be a Kubernetes quantity such as '500m', '2', '256Mi' or '4Gi', got {value!r}"
        )
    return value


Quantity = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_quantity)]


class Resources(StrictModel):
    """Requests and limits of one container, in Kubernetes quantities."""

    cpu_request: Quantity
    memory_request: Quantity
    cpu_limit: Quantity
    memory_limit: Quantity

    def as_kubernetes(self) -> dict[str, dict[str, str]]:
        """The `resources` field of a Kubernetes container."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


class Quota(StrictModel):
    """What one team may consume in total (host ResourceQuota and in-vcluster quota)."""

    cpu_requests: Quantity = "4"
    memory_requests: Quantity = "8Gi"
    cpu_limits: Quantity = "8"
    memory_limits: Quantity = "16Gi"
    storage_requests: Quantity = "50Gi"
    pods: int = Field(30, ge=1, le=1000)

    def as_hard_limits(self) -> dict[str, str]:
        """The `hard` map of a Kubernetes ResourceQuota."""
        return {
            "requests.cpu": self.cpu_requests,
            "requests.memory": self.memory_requests,
            "limits.cpu": self.cpu_limits,
            "limits.memory": self.memory_limits,
            "requests.storage": self.storage_requests,
            "count/pods": str(self.pods),
        }


APP_RESOURCES: Final = Resources(
    cpu_request="50m", memory_request="64Mi", cpu_limit="250m", memory_limit="128Mi"
)
VCLUSTER_RESOURCES: Final = Resources(
    cpu_request="200m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi"
)
POSTGRES_RESOURCES: Final = Resources(
    cpu_request="100m", memory_request="256Mi", cpu_limit="1", memory_limit="512Mi"
)
CACHE_RESOURCES: Final = Resources(
    cpu_request="50m", memory_request="64Mi", cpu_limit="500m", memory_limit="256Mi"
)
#: What a container gets when it states no requests or limits (LimitRange, in and out of vclusters).
CONTAINER_DEFAULTS: Final = Resources(
    cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi"
)
