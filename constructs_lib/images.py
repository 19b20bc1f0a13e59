"""Container images as the platform accepts them: pinned by tag or digest, never floating."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$")


def _image(value: str) -> str:
    if not _IMAGE.match(value) or (":" not in value.rsplit("/", 1)[-1] and "@" not in value):
        raise ValueError(
            "must be a pinned image reference with a tag or digest, such as "
            f"'nginxinc/nginx-unprivileged:1.29.3-alpine', got {value!r}"
        )
    if value.endswith(":latest"):
        raise ValueError(f"must not use the floating 'latest' tag, got {value!r}")
    return value


#: An image reference with a tag or digest; `latest` is refused.
PinnedImage = Annotated[str, AfterValidator(_image)]
