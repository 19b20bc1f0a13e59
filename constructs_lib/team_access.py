"""The team's people inside its vcluster: one ClusterRoleBinding the team stack owns."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_kubernetes.cluster_role_binding_v1 import (
    ClusterRoleBindingV1,
    ClusterRoleBindingV1Metadata,
    ClusterRoleBindingV1RoleRef,
    ClusterRoleBindingV1Subject,
)
from constructs import Construct

from constructs_lib.identity import MEMBERS_BINDING, Members


class TeamAccess(Construct):
    """Binds the team's groups and users (from the platform's issuer) to their role."""

    def __init__(
        self, scope: Construct, id: str, *, members: Members, labels: Mapping[str, str]
    ) -> None:
        super().__init__(scope, id)
        self.binding = ClusterRoleBindingV1(
            self,
            "Binding",
            metadata=ClusterRoleBindingV1Metadata(name=MEMBERS_BINDING, labels=dict(labels)),
            role_ref=ClusterRoleBindingV1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=members.cluster_role
            ),
            subject=[
                ClusterRoleBindingV1Subject(
                    kind=kind, name=name, api_group="rbac.authorization.k8s.io"
                )
                for kind, name in members.subjects()
            ],
        )
