"""Where a stack's state lives: the backends `configure_state` can give a stack.

These are settings a catalog fills in (`platform.state`), so they validate what they accept;
`state_backend.py` turns one into the stack's backend. No CDK runtime is needed to read them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from constructs_lib.strict_model import StrictModel

DEFAULT_STATE_PREFIX = "kube-platform"


class LocalState(StrictModel):
    """State files under `.terraform-state/` in the checkout: for laptops and demos."""

    backend: Literal["local"] = "local"


class S3State(StrictModel):
    backend: Literal["s3"]
    bucket: str = Field(min_length=3)
    region: str = Field(min_length=1)
    key_prefix: str = Field(DEFAULT_STATE_PREFIX, min_length=1)
    dynamodb_table: str | None = Field(
        None, description="Lock table (OpenTofu 1.8 has no S3-native locking)."
    )


class GcsState(StrictModel):
    backend: Literal["gcs"]
    bucket: str = Field(min_length=3)
    prefix: str = Field(DEFAULT_STATE_PREFIX, min_length=1)


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
