"""Where a team's part runs inside its vcluster: the base of the parts' props."""

from __future__ import annotations

from dataclasses import dataclass, field


def apps_namespace(team: str) -> str:
    """The namespace inside a team's vcluster that holds its app, database and cache."""
    return f"{team}-apps"


@dataclass(frozen=True, kw_only=True, slots=True)
class Placement:
    namespace: str
    """Namespace (inside the team's vcluster) of the part."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels of everything the part creates (the platform's: team, project, cost-center)."""

    def service_host(self, service: str) -> str:
        """The in-cluster DNS name of a Service of the part."""
        return f"{service}.{self.namespace}.svc.cluster.local"
