"""Where databases are backed up: one object store for the platform, a path per tenant.

Read with the CloudNativePG `cluster` chart 0.8.1 (`templates/_barman_object_store.tpl`) and
the operator it runs, 1.30.0: the chart writes `destinationPath` and `endpointURL` as given
and names the credentials by keys of an existing Secret (`secret: {create: false, name}`), so
no key ever passes through the values; barman then adds the server name (the cluster's,
`postgres`) below the path. Each tenant writes below `<path><tenant>/`, so credentials can be
scoped to one tenant's prefix. No CDK runtime is needed to read this module.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from constructs_lib.strict_model import StrictModel
from constructs_lib.vcluster_network import EgressAllow

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PATH = re.compile(r"^([A-Za-z0-9._-]+/)*$")
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CRON_ITEM = r"(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?"
_CRON_FIELD = re.compile(rf"^{_CRON_ITEM}(,{_CRON_ITEM})*$")
_HTTPS_URL = re.compile(r"^https://[a-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")


def _bucket(value: str) -> str:
    if not _BUCKET.match(value):
        raise ValueError(
            "must be a bucket name: 3-63 of a-z, 0-9, '.' and '-', starting and ending with a "
            f"letter or digit, got {value!r}"
        )
    return value


def _path(value: str) -> str:
    if value and not _PATH.match(value):
        raise ValueError(
            "must be a relative prefix ending in '/', such as 'platform/' or 'backups/eu/' "
            f"(no leading '/', no '..'), got {value!r}"
        )
    if ".." in value.split("/"):
        raise ValueError(f"must not climb out of the bucket with '..', got {value!r}")
    return value


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            "must be a standard five-field cron schedule (minute hour day-of-month month "
            f"day-of-week), such as '0 3 * * *', got {value!r}"
        )
    return value


def _https(value: str) -> str:
    if not _HTTPS_URL.match(value):
        raise ValueError(
            f"must be an https:// URL such as 'https://minio.example.com:9000', got {value!r}"
        )
    return value


Bucket = Annotated[str, AfterValidator(_bucket)]
Prefix = Annotated[str, AfterValidator(_path)]
#: A schedule as people write cron (five fields); CloudNativePG wants six, seconds first.
Cron = Annotated[str, AfterValidator(_cron)]
HttpsUrl = Annotated[str, AfterValidator(_https)]


def _secret_name(value: str) -> str:
    if not _SECRET_NAME.match(value) or len(value) > 253:
        raise ValueError(
            f"must be a Kubernetes Secret name such as 'backup-credentials', got {value!r}"
        )
    return value


SecretName = Annotated[str, AfterValidator(_secret_name)]

DEFAULT_SCHEDULE: Final = "0 3 * * *"
DEFAULT_RETENTION_DAYS: Final = 30
OBJECT_STORE_PORT: Final = 443


class S3Store(StrictModel):
    """An S3 bucket (or an S3-compatible store at `endpoint`)."""

    bucket: Bucket
    region: str = Field(min_length=1, description="The bucket's region, such as 'eu-west-1'.")
    path: Prefix = Field("", description="Prefix inside the bucket, ending in '/'.")
    endpoint: HttpsUrl | None = Field(
        None, description="An S3-compatible endpoint; default: https://s3.<region>.amazonaws.com"
    )


class GcsStore(StrictModel):
    """A Google Cloud Storage bucket."""

    bucket: Bucket
    path: Prefix = ""


class AzureStore(StrictModel):
    """An Azure Blob Storage container."""

    storage_account: str = Field(pattern=r"^[a-z0-9]{3,24}$")
    container: str = Field(pattern=r"^[a-z0-9](-?[a-z0-9]){2,62}$")
    path: Prefix = ""


class BackupStore(StrictModel):
    """`platform.backups`: the object store every database is backed up to, by default."""

    s3: S3Store | None = None
    gcs: GcsStore | None = None
    azure: AzureStore | None = None
    credentials_secret: SecretName = Field(
        description="The Secret with the store's keys that the platform provides in each "
        "backed-up tenant's database namespace (<tenant>-apps, inside its vcluster); the "
        "catalog names it, never the keys."
    )
    credentials_from: Prefix | None = Field(
        None,
        description="Where the keys are in the host's secret store (services.secrets), as a "
        "prefix ending in '/': each tenant's are read from '<prefix><tenant>' and delivered "
        "into its vcluster; default: the Secret is provided by hand.",
    )
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1, le=3650)
    schedule: Cron = Field(DEFAULT_SCHEDULE, description="Base backups, in the cluster's zone.")
    network: EgressAllow | None = Field(
        None,
        description="The store's network and port, when known (a private endpoint); default: "
        "HTTPS to public addresses, as S3, GCS and Azure have no fixed addresses.",
    )

    @model_validator(mode="after")
    def _exactly_one_store(self) -> Self:
        given = [name for name in ("s3", "gcs", "azure") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "name exactly one object store, s3:, gcs: or azure: "
                f"(got {', '.join(given) if given else 'none'})"
            )
        return self

    @property
    def provider(self) -> Literal["s3", "google", "azure"]:
        """The chart's name for the store (`backups.provider`)."""
        return "s3" if self.s3 else "google" if self.gcs else "azure"

    def destination(self, tenant: str) -> str:
        """Where a tenant's database is backed up (barman adds `/postgres` below it)."""
        if self.s3:
            return f"s3://{self.s3.bucket}/{self.s3.path}{tenant}"
        if self.gcs:
            return f"gs://{self.gcs.bucket}/{self.gcs.path}{tenant}"
        azure = self.azure
        if azure is None:  # the validator requires one store
            raise ValueError("no object store")
        return (
            f"https://{azure.storage_account}.blob.core.windows.net/"
            f"{azure.container}/{azure.path}{tenant}"
        )

    def chart_store(self, tenant: str) -> dict[str, object]:
        """The chart's store block (`backups` or `recovery`) for the tenant's path."""
        block: dict[str, object] = {
            "provider": self.provider,
            "destinationPath": self.destination(tenant),
            "secret": {"create": False, "name": self.credentials_secret},
        }
        if self.s3:
            block["s3"] = {"region": self.s3.region, "bucket": self.s3.bucket, "path": "/"}
            if self.s3.endpoint:
                block["endpointURL"] = self.s3.endpoint
        return block


class DatabaseBackup(StrictModel):
    """A database's `backup:`: on by default when the platform has a store."""

    enabled: bool = True
    schedule: Cron | None = Field(None, description="Default: platform.backups.schedule.")
    retention_days: int | None = Field(None, ge=1, le=3650)
    reason: str | None = Field(
        None, min_length=1, max_length=200, description="Why a database is not backed up."
    )

    @model_validator(mode="after")
    def _off_only_with_a_reason(self) -> Self:
        if not self.enabled and not self.reason:
            raise ValueError(
                "a database is backed up unless the catalog says why not: add reason: "
                "'<why this data may be lost>' next to enabled: false"
            )
        if self.enabled and self.reason:
            raise ValueError("reason: only explains enabled: false; remove it")
        return self
