"""Secrets: External Secrets Operator and the platform's ClusterSecretStore, so platform
secrets come from a vault by reference, never from the catalog or a hand-made Secret."""

from __future__ import annotations

from typing import Any, Final

from constructs_lib import versions
from constructs_lib.host_services.plan import Chart, Reference, ServicePlan
from constructs_lib.host_services.settings import SecretsService

NAMESPACE: Final = "external-secrets"
RELEASE: Final = "external-secrets"
STORE_API: Final = "external-secrets.io/v1"
#: The controller's pods (chart 2.9.0 `templates/deployment.yaml`): what a vcluster's API
#: server admits when the operator delivers keys into it.
CONTROLLER_PODS: Final = {
    "app.kubernetes.io/name": "external-secrets",
    "app.kubernetes.io/instance": RELEASE,
}
#: The operator's service account (the chart's name for it under our release name).
SERVICE_ACCOUNT: Final = "external-secrets"


def _provider(settings: SecretsService) -> dict[str, Any]:
    if settings.vault is not None:
        vault = settings.vault
        return {
            "vault": {
                "server": vault.server,
                "path": vault.path,
                "version": "v2",
                "auth": {
                    "kubernetes": {
                        "mountPath": vault.auth_mount,
                        "role": vault.role,
                        "serviceAccountRef": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE},
                    }
                },
            }
        }
    if settings.aws is not None:
        # No auth block: the operator's own identity (IRSA or pod identity), never keys.
        return {"aws": {"service": "SecretsManager", "region": settings.aws.region}}
    if settings.gcp is not None:
        return {"gcpsm": {"projectID": settings.gcp.project_id}}
    if settings.azure is not None:
        return {"azurekv": {"vaultUrl": settings.azure.vault_url, "authType": "WorkloadIdentity"}}
    raise ValueError("no secret store")  # the catalog requires one


def cluster_secret_store(settings: SecretsService) -> dict[str, Any]:
    return {
        "apiVersion": STORE_API,
        "kind": "ClusterSecretStore",
        "metadata": {"name": settings.store},
        "spec": {"provider": _provider(settings)},
    }


def chart_values(settings: SecretsService) -> dict[str, Any]:
    """CRDs with the release; the operator's service account carries the cloud identity; the
    chart's default of letting every namespace editor write ExternalSecrets against any
    ClusterSecretStore (aggregated edit/admin roles) is off: the store is the platform's."""
    values: dict[str, Any] = {
        "installCRDs": True,
        "rbac": {"aggregateToAdmin": False, "aggregateToEdit": False},
    }
    annotations: dict[str, str] = {}
    pod_labels: dict[str, str] = {}
    if settings.aws is not None and settings.aws.role_arn:
        annotations["eks.amazonaws.com/role-arn"] = settings.aws.role_arn
    if settings.gcp is not None and settings.gcp.service_account:
        annotations["iam.gke.io/gcp-service-account"] = settings.gcp.service_account
    if settings.azure is not None:
        pod_labels["azure.workload.identity/use"] = "true"
        if settings.azure.client_id:
            annotations["azure.workload.identity/client-id"] = settings.azure.client_id
    if annotations:
        values["serviceAccount"] = {"annotations": annotations}
    if pod_labels:
        values["podLabels"] = pod_labels
    return values


def plan(settings: SecretsService) -> ServicePlan:
    outputs = {"store": settings.store}
    if settings.provided:
        return ServicePlan(
            service="secrets",
            namespace=NAMESPACE,
            release=RELEASE,
            chart=None,
            references=(
                Reference(api_version=STORE_API, kind="ClusterSecretStore", name=settings.store),
            ),
            outputs=outputs,
        )
    return ServicePlan(
        service="secrets",
        namespace=NAMESPACE,
        release=RELEASE,
        chart=Chart(
            repository=versions.EXTERNAL_SECRETS_CHART_REPOSITORY,
            name="external-secrets",
            version=versions.EXTERNAL_SECRETS_CHART_VERSION,
        ),
        values=chart_values(settings),
        objects=(cluster_secret_store(settings),),
        outputs=outputs,
    )
