"""What a host's `services:` block says, service by service; no CDK runtime needed to read it.

Every service is either installed by the platform (a pinned chart and the objects the tenants
use, named here) or `provided: true`: the host already runs it, nothing is installed, and the
host-services stack only reads the named objects back at plan time, so a wrong name fails the
plan instead of a tenant's deploy.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from constructs_lib.object_store import HttpsUrl
from constructs_lib.strict_model import ListOf, StrictModel

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A registry host (with an optional port) and an optional path: `ghcr.io/acme`, `docker.io`.
_REGISTRY = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(:[0-9]{1,5})?"
    r"(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_AZURE_VAULT = re.compile(r"^https://[a-z0-9-]{3,24}\.vault\.azure\.net/?$")


def _matching(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {expected}, got {value!r}")
        return value

    return AfterValidator(check)


ObjectName = Annotated[
    str, Field(max_length=63), _matching(_DNS_LABEL, "a Kubernetes name such as 'platform'")
]
Registry = Annotated[
    str,
    Field(max_length=255),
    _matching(_REGISTRY, "a registry with an optional path, such as 'ghcr.io/acme'"),
]
Email = Annotated[str, _matching(_EMAIL, "an e-mail address such as 'ops@example.com'")]
SecretPath = Annotated[
    str, Field(max_length=253), _matching(_SUBDOMAIN, "a mount path such as 'secret'")
]


class _Service(StrictModel):
    provided: bool = Field(
        False,
        description="The host already runs this service: install nothing, check the named "
        "objects exist when planning.",
    )

    def _one_source(
        self, names: tuple[str, ...], *, provided: str, name_with: str, needed: str
    ) -> None:
        """Installed: exactly one of `names`; provided: none of them (the host has its own)."""
        given = [name for name in names if getattr(self, name) is not None]
        if self.provided and given:
            raise ValueError(
                f"{given[0]}: a provided {provided}; name it with {name_with}: and remove "
                + ", ".join(given)
            )
        if not self.provided and len(given) != 1:
            raise ValueError(f"{needed} (got {', '.join(given) if given else 'none'})")


# --- gateway ------------------------------------------------------------------------------

#: The Gateway the platform installs, and its listener for vcluster API servers.
PLATFORM_GATEWAY: Final = "platform"
GATEWAY_NAMESPACE: Final = "envoy-gateway-system"
API_SERVER_LISTENER: Final = "vcluster-api"


class GatewayService(_Service):
    """A Gateway API gateway; each vcluster API server is a TLS-passthrough route on it."""

    name: ObjectName = Field(PLATFORM_GATEWAY, description="The Gateway tenants attach to.")
    namespace: ObjectName = Field(GATEWAY_NAMESPACE, description="The Gateway's namespace.")
    listener: ObjectName = Field(
        API_SERVER_LISTENER,
        description="The Gateway's TLS listener (tls.mode Passthrough) for the API servers.",
    )

    @model_validator(mode="after")
    def _names_only_when_provided(self) -> Self:
        # Compared with the defaults, not with what was written: a catalog read back from its
        # own dump (the synthesis workers) has every field written.
        defaults = {"name": PLATFORM_GATEWAY, "namespace": GATEWAY_NAMESPACE}
        defaults["listener"] = API_SERVER_LISTENER
        named = [key for key, value in defaults.items() if getattr(self, key) != value]
        if named and not self.provided:
            raise ValueError(
                f"{', '.join(sorted(named))}: the platform names the Gateway it installs "
                f"({GATEWAY_NAMESPACE}/{PLATFORM_GATEWAY}, listener {API_SERVER_LISTENER}); "
                "name one only with provided: true"
            )
        return self


# --- certificates -------------------------------------------------------------------------

#: ACME directories by the names people use for them (Let's Encrypt's own documentation).
ACME_SERVERS: Final = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
PLATFORM_ISSUER: Final = "platform"


class Acme(StrictModel):
    """Certificates from an ACME CA, challenges answered over HTTP through the gateway."""

    email: Email = Field(description="The CA's contact for expiry and revocation notices.")
    server: Literal["letsencrypt", "letsencrypt-staging"] | HttpsUrl = Field(
        "letsencrypt", description="letsencrypt, letsencrypt-staging, or an ACME directory URL."
    )

    @property
    def directory(self) -> str:
        return ACME_SERVERS.get(self.server, self.server)


class CertificateAuthority(StrictModel):
    """Certificates signed by the platform's own CA, kept in a Secret on the host."""

    secret: ObjectName = Field(
        description="Secret (tls.crt, tls.key) in the cert-manager namespace; made by hand or "
        "by the secrets service, never by the catalog."
    )


class CertificatesService(_Service):
    """cert-manager and one ClusterIssuer the platform's certificates come from."""

    acme: Acme | None = None
    ca: CertificateAuthority | None = None
    issuer: ObjectName = Field(PLATFORM_ISSUER, description="The ClusterIssuer's name.")

    @model_validator(mode="after")
    def _one_issuer(self) -> Self:
        self._one_source(
            ("acme", "ca"),
            provided="cert-manager brings its own issuer",
            name_with="issuer",
            needed="name where certificates come from, exactly one of acme: {email: ...} or "
            "ca: {secret: ...}",
        )
        return self


# --- metrics ------------------------------------------------------------------------------

MONITORING_NAMESPACE: Final = "monitoring"
DEFAULT_RETENTION_DAYS: Final = 15
DEFAULT_STORAGE_GIB: Final = 50


class MetricsService(_Service):
    """The Prometheus Operator stack: Prometheus, Alertmanager, Grafana, the exporters."""

    retention_days: int = Field(
        DEFAULT_RETENTION_DAYS, ge=1, le=3650, description="How long Prometheus keeps data."
    )
    storage_gib: int = Field(
        DEFAULT_STORAGE_GIB, ge=1, le=65536, description="Prometheus's volume, in GiB."
    )
    namespace: ObjectName = Field(
        MONITORING_NAMESPACE, description="Where Prometheus runs (provided: where it runs)."
    )

    @model_validator(mode="after")
    def _sizes_only_when_installed(self) -> Self:
        defaults = {"retention_days": DEFAULT_RETENTION_DAYS, "storage_gib": DEFAULT_STORAGE_GIB}
        sized = [key for key, value in defaults.items() if getattr(self, key) != value]
        if sized and self.provided:
            raise ValueError(
                f"{', '.join(sorted(sized))}: a provided Prometheus keeps its own retention "
                "and storage; remove them"
            )
        return self


# --- policy -------------------------------------------------------------------------------


class PolicyService(_Service):
    """Kyverno with the platform's baseline for tenant namespaces."""

    allowed_registries: ListOf[Registry] = Field(
        (),
        max_length=100,
        description="Registries (or registry paths) tenant images may come from, besides the "
        "platform's own; empty: any registry.",
    )

    @model_validator(mode="after")
    def _baseline_only_when_installed(self) -> Self:
        if self.provided and self.allowed_registries:
            raise ValueError(
                "allowed_registries: a provided policy engine runs its own policies; "
                "remove allowed_registries or install the platform's (provided: false)"
            )
        duplicates = sorted(
            {r for r in self.allowed_registries if self.allowed_registries.count(r) > 1}
        )
        if duplicates:
            raise ValueError(f"allowed_registries: {duplicates[0]!r} is listed twice")
        return self


# --- secrets ------------------------------------------------------------------------------


class VaultStore(StrictModel):
    """HashiCorp Vault (KV version 2), logged into with the operator's Kubernetes identity."""

    server: HttpsUrl
    path: SecretPath = Field("secret", description="The KV v2 mount.")
    role: ObjectName = Field(description="Vault role bound to the operator's service account.")
    auth_mount: SecretPath = Field("kubernetes", description="Vault's Kubernetes auth mount.")


class AwsStore(StrictModel):
    """AWS Secrets Manager, reached with the operator's IAM role (IRSA or pod identity)."""

    region: Annotated[str, _matching(_AWS_REGION, "an AWS region such as 'eu-west-1'")]
    role_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$",
        description="IAM role for the operator's service account (IRSA); default: pod identity.",
    )


class GcpStore(StrictModel):
    """Google Secret Manager, reached with workload identity."""

    project_id: Annotated[str, _matching(_GCP_PROJECT, "a GCP project id such as 'acme-prod'")]
    service_account: Email | None = Field(
        None, description="Google service account the operator impersonates (workload identity)."
    )


class AzureStore(StrictModel):
    """Azure Key Vault, reached with workload identity."""

    vault_url: Annotated[
        str, _matching(_AZURE_VAULT, "a vault URL such as 'https://acme.vault.azure.net'")
    ]
    client_id: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="Managed identity client id for the operator's service account.",
    )


PLATFORM_SECRET_STORE: Final = "platform"
SECRET_STORE_KINDS: Final = ("vault", "aws", "gcp", "azure")


class SecretsService(_Service):
    """External Secrets Operator and one ClusterSecretStore the platform's secrets come from."""

    vault: VaultStore | None = None
    aws: AwsStore | None = None
    gcp: GcpStore | None = None
    azure: AzureStore | None = None
    store: ObjectName = Field(PLATFORM_SECRET_STORE, description="The ClusterSecretStore's name.")

    @model_validator(mode="after")
    def _one_store(self) -> Self:
        self._one_source(
            SECRET_STORE_KINDS,
            provided="External Secrets Operator brings its own store",
            name_with="store",
            needed="name where secrets come from, exactly one of vault:, aws:, gcp: or azure:",
        )
        return self


# --- delivery -----------------------------------------------------------------------------

ARGOCD_NAMESPACE: Final = "argocd"


class DeliveryService(_Service):
    """Argo CD, where teams' GitOps repositories are delivered from."""

    namespace: ObjectName = Field(
        ARGOCD_NAMESPACE, description="Where Argo CD runs (provided: where it runs)."
    )


# --- all of them --------------------------------------------------------------------------

SERVICE_NAMES: Final = ("gateway", "certificates", "metrics", "policy", "secrets", "delivery")


class HostServices(StrictModel):
    """`services:` of a host: each service the platform installs on it, or finds there."""

    gateway: GatewayService | None = None
    certificates: CertificatesService | None = None
    metrics: MetricsService | None = None
    policy: PolicyService | None = None
    secrets: SecretsService | None = None
    delivery: DeliveryService | None = None

    def turned_on(self) -> dict[str, _Service]:
        """Service name -> its settings, for every service named, in a fixed order."""
        named = {name: getattr(self, name) for name in SERVICE_NAMES}
        return {name: service for name, service in named.items() if service is not None}

    def installed(self) -> tuple[str, ...]:
        return tuple(n for n, s in self.turned_on().items() if not s.provided)

    def provided_only(self) -> HostServices:
        """The same host's services without those the platform installs."""
        return self.model_copy(update=dict.fromkeys(self.installed()))

    @model_validator(mode="after")
    def _acme_answers_through_the_gateway(self) -> Self:
        if self.certificates and self.certificates.acme and self.gateway is None:
            raise ValueError(
                "certificates.acme: ACME challenges are answered over HTTP through the host's "
                "gateway; add gateway: {} (or gateway: {provided: true, ...}), or use ca:"
            )
        return self
