"""The base of every settings type that a catalog fills in: strict, frozen, no unknown keys."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

_T = TypeVar("_T")


class StrictModel(BaseModel):
    """Unknown keys are typos, values are never coerced across types, nothing changes later."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _list_as_tuple(value: object) -> object:
    """YAML lists become tuples, so validated settings cannot be changed afterwards."""
    return tuple(value) if isinstance(value, list) else value


#: A list in YAML, a tuple once validated.
ListOf = Annotated[tuple[_T, ...], BeforeValidator(_list_as_tuple)]
