"""A web app without the CDK runtime: its settings, props and derived names.

`web_app.py` builds the construct from these; the catalog's `app:` entry is a `WebAppSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from pydantic import Field

from constructs_lib import versions
from constructs_lib.app_exposure import AppExposure
from constructs_lib.images import PinnedImage
from constructs_lib.placement import Placement
from constructs_lib.resources import APP_RESOURCES, Resources
from constructs_lib.strict_model import StrictModel

#: The team's app: its Deployment, Service and pod selector are named after it.
APP_NAME: Final = "app"
CONTAINER_PORT: Final = 8080
SERVICE_PORT: Final = 80
#: uid/gid of the nginx user in nginx-unprivileged images.
NGINX_UID: Final = 101
#: Two replicas: a rollout or a node drain never takes the app down.
DEFAULT_REPLICAS: Final = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretFiles:
    """Keys of a Kubernetes Secret mounted read-only as files: credentials never sit in env."""

    secret_name: str
    mount_path: str
    keys: tuple[str, ...]


class WebAppSettings(StrictModel):
    """What a catalog may tune of a team's app."""

    image: PinnedImage = Field(
        versions.APP_IMAGE, description="Must listen on 8080 as a non-root user."
    )
    replicas: int = Field(DEFAULT_REPLICAS, ge=1, le=50)
    resources: Resources = APP_RESOURCES
    expose: AppExposure | None = Field(
        None,
        description="A hostname on the host's gateway, HTTPS from the host's certificates "
        "(the platform makes the listener, certificate and route on the host).",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class WebAppProps(Placement):
    name: str = APP_NAME
    settings: WebAppSettings = field(default_factory=WebAppSettings)
    """Image, replicas, requests and limits."""
    secret_files: tuple[SecretFiles, ...] = ()
    writable_paths: tuple[str, ...] = ("/tmp",)
    """emptyDirs over the read-only root filesystem (nginx writes its pid and caches to /tmp)."""
    health_path: str = "/"

    @property
    def selector(self) -> dict[str, str]:
        return app_selector(self.name)

    @property
    def host(self) -> str:
        return self.service_host(self.name)


def app_selector(name: str = APP_NAME) -> dict[str, str]:
    """The labels that select an app's pods."""
    return {"app.kubernetes.io/name": name}
