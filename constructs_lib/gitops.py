"""Delivery by GitOps: a tenant's vcluster registered in its host's Argo CD, a project that
confines the team to that one cluster and its own repository, and an Application for it.

The cluster's credentials are the vcluster's own (the host Secret `vc-<release>` it writes),
read at apply time into Argo CD's cluster Secret: in the state, never in the JSON or Git.
Formats read at Argo CD v3.4.4 (docs/operator-manual/declarative-setup.md: the cluster
Secret's `name`, `server`, `config.tlsClientConfig` with base64 PEM data). No CDK runtime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field

from constructs_lib.strict_model import StrictModel

_REPO = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%-]+)+/?$")
_PATH = re.compile(r"^(\.|[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")

APPLICATION_API: Final = "argoproj.io/v1alpha1"
#: The label Argo CD finds its cluster Secrets by.
CLUSTER_SECRET_LABEL: Final = {"argocd.argoproj.io/secret-type": "cluster"}


def _matching(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value) or ".." in value.split("/"):
            raise ValueError(f"must be {expected}, got {value!r}")
        return value

    return AfterValidator(check)


class GitOps(StrictModel):
    """`teams[].gitops`: the team's deployment repository, delivered by Argo CD."""

    repo: Annotated[
        str,
        _matching(_REPO, "an https:// Git URL such as 'https://git.example.com/team-a/deploy.git'"),
    ]
    path: Annotated[str, _matching(_PATH, "a path inside the repository such as 'envs/prod'")] = (
        Field(".", description="The directory Argo CD renders.")
    )
    revision: Annotated[str, _matching(_REVISION, "a branch, tag or commit such as 'main'")] = (
        Field("HEAD", description="What Argo CD follows.")
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """One tenant's registration in Argo CD."""

    tenant: str
    gitops: GitOps
    server: str
    """The vcluster's API server as Argo CD reaches it inside the host."""
    argocd_namespace: str
    """Argo CD's namespace (a reference into the host's services stack)."""
    destination_namespace: str
    """Where the team's manifests go by default (its apps namespace)."""

    @property
    def cluster_secret_name(self) -> str:
        return f"cluster-{self.tenant}"


def delivery_objects(delivery: Delivery, labels: dict[str, str]) -> tuple[dict[str, Any], ...]:
    """The team's AppProject (one cluster, one repository, no cluster-wide kind but
    namespaces) and its Application, in Argo CD's namespace."""
    metadata = {"namespace": delivery.argocd_namespace, "labels": labels}
    return (
        {
            "apiVersion": APPLICATION_API,
            "kind": "AppProject",
            "metadata": {"name": delivery.tenant, **metadata},
            "spec": {
                "description": f"What {delivery.tenant} delivers to its own vcluster.",
                "sourceRepos": [delivery.gitops.repo],
                "destinations": [{"server": delivery.server, "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            },
        },
        {
            "apiVersion": APPLICATION_API,
            "kind": "Application",
            # No resources finalizer: removing the Application (a team leaving GitOps) leaves
            # what it deployed running, for the team to remove, never a cascade.
            "metadata": {"name": delivery.tenant, **metadata},
            "spec": {
                "project": delivery.tenant,
                "source": {
                    "repoURL": delivery.gitops.repo,
                    "path": delivery.gitops.path,
                    "targetRevision": delivery.gitops.revision,
                },
                "destination": {
                    "server": delivery.server,
                    "namespace": delivery.destination_namespace,
                },
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=true"],
                },
            },
        },
    )
