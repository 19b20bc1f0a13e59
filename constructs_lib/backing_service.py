"""What a team's backing service (database, cache, …) offers the team's app.

A new kind of service is one construct that returns a `BackingService` plus one catalog
field: the team construct wires app environment, network policy, team info and outputs
from this description alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

#: Where the app finds each service's credentials, one file per key (never in env variables).
CREDENTIALS_ROOT: Final = "/var/run/secrets/platform"


@dataclass(frozen=True, kw_only=True, slots=True)
class BackingService:
    role: str
    """What the service is to the team (`database`, `cache`): names outputs and team info."""
    host: str
    """In-cluster DNS name the app connects to."""
    port: int
    secret_name: str
    """Kubernetes Secret holding the credentials (never the credentials themselves)."""
    secret_keys: tuple[str, ...]
    """Keys of `secret_name` the app may read; they appear as files in its credentials dir."""
    pod_selector: Mapping[str, str]
    """Labels of the service's pods, for network policy."""
    operator_namespace: str | None = None
    """Namespace of an operator that must reach the service's pods (CNPG status port)."""
    operator_ports: tuple[int, ...] = ()
    peers_connect: bool = False
    """Its pods connect to each other on `port` (replication)."""

    @property
    def credentials_dir(self) -> str:
        return f"{CREDENTIALS_ROOT}/{self.role}"
