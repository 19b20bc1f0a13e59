"""Where a stack's state lives: the backends `configure_state` can give a stack.

These are settings a catalog fills in (`platform.state`), so they validate what they accept;
`state_backend.py` turns one into the stack's backend. No CDK runtime is needed to read them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from constructs_lib.strict_model import StrictModel

DEFAULT_STATE_PREFIX = "kube-platform"

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _state_prefix(value: str) -> str:
    """A path inside the bucket that stays inside it: plain segments joined by '/'."""
    if value.startswith("/") or value.endswith("/"):
        raise ValueError(
            f"must not start or end with '/', got {value!r}; write {value.strip('/')!r}"
        )
    for segment in value.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(
                f"must be plain path segments joined by '/' (no empty, '.' or '..' segment, "
                f"which would escape or blur the prefix), got {value!r}"
            )
        if not _SEGMENT.match(segment):
            raise ValueError(
                "may use letters, digits, '.', '_' and '-' in each segment (the backends "
                f"reject or escape others), got {value!r}"
            )
    if len(value) > 200:
        raise ValueError(f"must be at most 200 characters, got {len(value)}")
    return value


def _bucket(value: str) -> str:
    if not _BUCKET.match(value) or ".." in value:
        raise ValueError(
            "must be a bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and "
            f"ending with a letter or digit, got {value!r}"
        )
    return value


StatePrefix = Annotated[str, AfterValidator(_state_prefix)]
BucketName = Annotated[str, AfterValidator(_bucket)]


class LocalState(StrictModel):
    """State files under `.terraform-state/` in the checkout: for laptops and demos."""

    backend: Literal["local"] = "local"


class S3State(StrictModel):
    backend: Literal["s3"]
    bucket: BucketName
    region: str = Field(min_length=1)
    key_prefix: StatePrefix = Field(
        DEFAULT_STATE_PREFIX, description="Keys are <key_prefix>/<layer>/terraform.tfstate."
    )
    dynamodb_table: str | None = Field(
        None, description="Lock table (OpenTofu 1.8 has no S3-native locking)."
    )


class GcsState(StrictModel):
    backend: Literal["gcs"]
    bucket: BucketName
    prefix: StatePrefix = Field(
        DEFAULT_STATE_PREFIX, description="Objects are under <prefix>/<layer>/."
    )


class PgState(StrictModel):
    backend: Literal["pg"]
    conn_str: str = Field(
        min_length=1,
        description="postgres:// URL without credentials; give them as PGUSER/PGPASSWORD.",
    )

    @model_validator(mode="after")
    def _no_credentials(self) -> Self:
        if re.match(r"^[a-z]+://[^/@]*:[^/@]*@", self.conn_str) or "password=" in self.conn_str:
            raise ValueError(
                "conn_str must not contain a password: it would be written into the "
                "synthesized JSON; set PGUSER and PGPASSWORD in the environment instead"
            )
        return self


StateLocation = LocalState | S3State | GcsState | PgState
#: As a catalog field: the `backend` key says which one.
StateBackend = Annotated[StateLocation, Field(discriminator="backend")]
