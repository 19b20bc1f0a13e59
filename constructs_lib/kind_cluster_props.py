"""The KIND host without the CDK runtime: its props and named defaults.

`kind_cluster.py` builds the construct from these; the catalog's `host:` defaults refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from constructs_lib import versions

DEFAULT_CLUSTER_NAME: Final = "platform"
#: Two workers: pods spread over more than one node, as on a real cluster.
DEFAULT_WORKERS: Final = 2
#: 30000-30085 is the NodePort band Kubernetes keeps for fixed ports, so random allocations
#: do not take ours.
DEFAULT_FIRST_PORT: Final = 30000
DEFAULT_PORT_COUNT: Final = 20


@dataclass(frozen=True, kw_only=True, slots=True)
class KindHostClusterProps:
    cluster_name: str = DEFAULT_CLUSTER_NAME
    """Name of the KIND cluster and of its node containers."""
    node_image: str = versions.KIND_NODE_IMAGE
    """kindest/node image, pinned by version and digest."""
    workers: int = DEFAULT_WORKERS
    """Worker nodes besides the single control plane."""
    published_ports: range = range(DEFAULT_FIRST_PORT, DEFAULT_FIRST_PORT + DEFAULT_PORT_COUNT)
    """NodePorts published on 127.0.0.1 of the host, same number inside and out.

    Mapped once: every field of `kind_config` is ForceNew, so the pool is sized up front and
    adding or removing a team never touches this cluster.
    """

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"workers must be 0 or more, got {self.workers}")
        if not self.published_ports:
            raise ValueError("published_ports must hold at least one port")
