"""The labels every platform object carries, derived in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MANAGED_BY: Final = "kube-platform"


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformLabels:
    """Who owns an object and who pays for it: team, project, managed-by, cost-center (and the
    environment, for a team with several)."""

    team: str
    project: str
    cost_center: str
    environment: str | None = None
    """Set for a tenant of a team with several environments (its stacks carry it in the name)."""

    def as_dict(self) -> dict[str, str]:
        labels = {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "team": self.team,
            "project": self.project,
            "cost-center": self.cost_center,
        }
        if self.environment is not None:
            labels["environment"] = self.environment
        return labels
