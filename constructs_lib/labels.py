"""The labels every platform object carries, derived in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MANAGED_BY: Final = "kube-platform"


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformLabels:
    """Who owns an object and who pays for it: team, project, managed-by, cost-center."""

    team: str
    project: str
    cost_center: str

    def as_dict(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "team": self.team,
            "project": self.project,
            "cost-center": self.cost_center,
        }
