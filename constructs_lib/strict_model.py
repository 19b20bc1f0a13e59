"""The base of every settings type that a catalog fills in: strict, frozen, no unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are typos, values are never coerced across types, nothing changes later."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
