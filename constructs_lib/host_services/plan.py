"""What a host service amounts to, as data: a pinned chart and the platform's objects for it,
or the objects a host that provides the service must already have.

Each service module turns its catalog settings into a `ServicePlan` with no CDK runtime, so
every variant is checked against the chart's schema and rendering without building an app;
one construct (`host_service.HostService`) turns any plan into resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from constructs_lib.paths import CHECKOUT_ROOT
from constructs_lib.pod_security import PodSecurityLevel

#: Where our own `platform-objects` chart lies, from the directory a stack is planned in
#: (`cdktf.out/stacks/<stack>/`, in a checkout of this repository, as Atlantis and cdktf run).
PLATFORM_OBJECTS_CHART: Final = f"{CHECKOUT_ROOT}/constructs_lib/host_services/platform-objects"

#: The label every namespace and object of a host service carries (its service name).
SERVICE_LABEL: Final = "platform.kube-platform.io/service"


@dataclass(frozen=True, kw_only=True, slots=True)
class Chart:
    """A chart at one exact version, from the repository its project publishes."""

    repository: str
    name: str
    version: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    """An object a provided service must already have; the plan reads it (and fails without)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.name}"


def crd_reference(name: str) -> Reference:
    """A provided service's CustomResourceDefinition, by its full name."""
    return Reference(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition", name=name
    )


def namespace_reference(name: str) -> Reference:
    return Reference(api_version="v1", kind="Namespace", name=name)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServicePlan:
    """One service on one host, installed (`chart` set) or provided (`chart` None)."""

    service: str
    namespace: str
    release: str
    chart: Chart | None
    values: Mapping[str, Any] = field(default_factory=dict)
    #: The platform's objects for the service, applied after the chart (they need its CRDs).
    objects: tuple[Mapping[str, Any], ...] = ()
    #: What a provided service must have, read back when planning.
    references: tuple[Reference, ...] = ()
    #: What the tenants' stacks read from it by cross-stack reference (names, switches).
    outputs: Mapping[str, str] = field(default_factory=dict)
    #: Pod Security level of the service's namespace (when installed).
    pod_security: PodSecurityLevel = "baseline"
    #: How long the chart may take to become ready, in seconds.
    timeout_s: int = 600

    @property
    def installed(self) -> bool:
        return self.chart is not None
