"""Access by identity: a team's people sign in to its vcluster with the platform's OIDC issuer.

The vcluster's API server verifies ID tokens itself (`--oidc-*` flags); the team stack binds
the team's groups and users, prefixed as the API server names them, to a role the platform
defines. No secret is involved: the issuer and the client id are public, and a member's
kubeconfig holds only an `exec` entry for a standard OIDC login plugin. No CDK runtime needed.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from constructs_lib.object_store import HttpsUrl
from constructs_lib.strict_model import ListOf, StrictModel

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
_CLAIM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_SUBJECT = re.compile(r"^[^\s,]{1,253}$")

#: Every user and group from the issuer is named with this prefix inside a vcluster, so none can
#: pass for a Kubernetes identity (`system:masters`, a service account).
OIDC_PREFIX: Final = "oidc:"

#: The ClusterRoleBinding of a team's people inside each of its vclusters.
MEMBERS_BINDING: Final = "platform-members"

#: The platform's roles -> the ClusterRole a team's people are bound to in their vcluster.
ROLES: Final = {"admin": "cluster-admin", "edit": "edit", "view": "view"}


def _matching(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {expected}, got {value!r}")
        return value

    return AfterValidator(check)


ClientId = Annotated[str, _matching(_CLIENT_ID, "an OIDC client id such as 'kube-platform'")]
Claim = Annotated[str, _matching(_CLAIM, "a claim name such as 'email' or 'groups'")]
Subject = Annotated[str, _matching(_SUBJECT, "a group or user name without spaces or commas")]


class Identity(StrictModel):
    """`platform.identity`: the OIDC issuer every vcluster's API server trusts."""

    issuer_url: HttpsUrl = Field(description="The issuer, as its tokens' `iss` claim names it.")
    client_id: ClientId = Field(description="The client id tokens are issued for (`aud`).")
    username_claim: Claim = Field("email", description="The claim that names the user.")
    groups_claim: Claim = Field("groups", description="The claim that lists the user's groups.")

    def api_server_args(self) -> list[str]:
        """The kube-apiserver flags that make a vcluster trust the issuer."""
        return [
            f"--oidc-issuer-url={self.issuer_url}",
            f"--oidc-client-id={self.client_id}",
            f"--oidc-username-claim={self.username_claim}",
            f"--oidc-groups-claim={self.groups_claim}",
            f"--oidc-username-prefix={OIDC_PREFIX}",
            f"--oidc-groups-prefix={OIDC_PREFIX}",
        ]


class Members(StrictModel):
    """`teams[].members`: the team's people, by the issuer's groups or users, and their role."""

    groups: ListOf[Subject] = Field((), max_length=50)
    users: ListOf[Subject] = Field((), max_length=200)
    role: Literal["admin", "edit", "view"] = Field(
        "admin", description="admin (cluster-admin), edit or view, inside the team's vcluster."
    )

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if not self.groups and not self.users:
            raise ValueError("name the team's people: groups: [...] or users: [...]")
        for kind in ("groups", "users"):
            names = getattr(self, kind)
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind}: {twice[0]!r} is listed twice")
        return self

    @property
    def cluster_role(self) -> str:
        return ROLES[self.role]

    def subjects(self) -> list[tuple[str, str]]:
        """(kind, name) of every subject, as the API server names them (prefixed)."""
        return [("Group", f"{OIDC_PREFIX}{g}") for g in self.groups] + [
            ("User", f"{OIDC_PREFIX}{u}") for u in self.users
        ]
