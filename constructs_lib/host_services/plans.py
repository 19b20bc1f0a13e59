"""Every service a host's `services:` turns on, as plans, in one fixed order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from constructs_lib.app_exposure import ExposedApp
from constructs_lib.host_services import (
    certificates,
    delivery,
    gateway,
    metrics,
    policy,
    secrets,
)
from constructs_lib.host_services.plan import ServicePlan
from constructs_lib.host_services.settings import HostServices


@dataclass(frozen=True, kw_only=True, slots=True)
class HostFacts:
    """What the services of one host need to know about it."""

    domain: str | None
    """The host's domain (an existing host's); tenants' API servers are `<tenant>.<domain>`."""
    labels: Mapping[str, str]
    """The platform's labels, on every namespace of a service."""
    exposed: tuple[ExposedApp, ...] = ()
    """Tenants' apps the gateway publishes (a listener and a certificate each)."""


def service_plans(services: HostServices, facts: HostFacts) -> dict[str, ServicePlan]:
    """Service name -> its plan, for every service the host names."""
    plans: dict[str, ServicePlan] = {}
    if services.gateway is not None:
        issuer = services.certificates.issuer if services.certificates else None
        plans["gateway"] = gateway.plan(
            services.gateway, domain=facts.domain, apps=facts.exposed, issuer=issuer
        )
    if services.certificates is not None:
        plans["certificates"] = certificates.plan(services.certificates, gateway=services.gateway)
    if services.metrics is not None:
        plans["metrics"] = metrics.plan(services.metrics)
    if services.policy is not None:
        plans["policy"] = policy.plan(services.policy)
    if services.secrets is not None:
        plans["secrets"] = secrets.plan(services.secrets)
    if services.delivery is not None:
        plans["delivery"] = delivery.plan(services.delivery)
    return plans
