"""What a tenant needs from its host's services that the host would refuse: checked in the
catalog, where the fix is one line, not at the admission webhook on the day of the deploy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from catalog.backups import uses_the_store
from catalog.placement import Placed
from catalog.platform import ExistingHost, Platform
from catalog.tenant import Tenant
from constructs_lib.host_services.policy import allows_image


def image_problems(
    platform: Platform, tenants: Sequence[Tenant], placed: Mapping[str, Placed]
) -> list[str]:
    """One line per tenant whose app image its host's registry policy would refuse."""
    problems = []
    for tenant in tenants:
        host = placed[tenant.name].host
        policy = platform.named_hosts[host].services.policy
        if policy is None or policy.provided or not policy.allowed_registries:
            continue
        image = tenant.settings.app.image
        if not allows_image(image, policy.allowed_registries):
            problems.append(
                f"{tenant.source}.app.image: {image!r} is not from a registry host {host!r} "
                f"allows ({', '.join(policy.allowed_registries)}); its policy would refuse "
                "the pod: use an image from one of them, or add its registry to that host's "
                "services.policy.allowed_registries"
            )
    return problems


def credentials_problems(
    platform: Platform, tenants: Sequence[Tenant], placed: Mapping[str, Placed]
) -> list[str]:
    """One line per host whose backed-up tenants need keys from a secret store it lacks."""
    store = platform.backups
    if store is None or store.credentials_from is None:
        return []
    lacking: dict[str, list[str]] = {}
    for tenant in tenants:
        host = placed[tenant.name].host
        if uses_the_store(platform, tenant) and platform.named_hosts[host].services.secrets is None:
            lacking.setdefault(host, []).append(tenant.name)
    return [
        f"platform.backups.credentials_from: host {host!r} runs no secret store for the keys of "
        f"{', '.join(names)}; add services: {{secrets: {{...}}}} to that host, or leave "
        "credentials_from out and provide the Secret by hand"
        for host, names in lacking.items()
    ]


def delivery_problems(
    platform: Platform, tenants: Sequence[Tenant], placed: Mapping[str, Placed]
) -> list[str]:
    """One line per tenant that names a GitOps repository on a host without Argo CD."""
    return [
        f"{tenant.source}.gitops: host {placed[tenant.name].host!r} runs no Argo CD to deliver "
        "it; add services: {delivery: {}} (or {delivery: {provided: true}}) to that host"
        for tenant in tenants
        if tenant.settings.gitops is not None
        and platform.named_hosts[placed[tenant.name].host].services.delivery is None
    ]


def exposure_problems(
    platform: Platform, tenants: Sequence[Tenant], placed: Mapping[str, Placed]
) -> list[str]:
    """One line per exposed app that its host cannot publish, or whose name is taken."""
    problems = []
    owners: dict[str, str] = {}
    api_hosts = {
        f"{t.name}.{host.domain}": t.name
        for t in tenants
        if isinstance(host := platform.named_hosts[placed[t.name].host], ExistingHost)
    }
    for tenant in tenants:
        expose = tenant.settings.app.expose
        if expose is None:
            continue
        where = f"{tenant.source}.app.expose.host"
        name = placed[tenant.name].host
        host = platform.named_hosts[name]
        services = host.services
        own_ingress = isinstance(host, ExistingHost) and services.gateway is None
        if not isinstance(host, ExistingHost) or (own_ingress and host.exposure != "ingress"):
            problems.append(
                f"{where}: host {name!r} has no gateway to publish it on; expose apps on an "
                "existing host with services: {gateway: {}} (or its own ingress controller, "
                "exposure: ingress)"
            )
            continue
        if own_ingress and services.certificates is None:
            problems.append(
                f"{where}: host {name!r} publishes apps through its own ingress controller, "
                "over HTTPS only: add a certificates service to the host, or remove expose"
            )
            continue
        if (services.gateway and services.gateway.provided) or services.certificates is None:
            problems.append(
                f"{where}: host {name!r} needs the platform's gateway (not a provided one: the "
                "app gets a listener of its own on it) and a certificates service for its "
                "TLS; add them to the host, or remove expose"
            )
            continue
        if not expose.host.endswith(f".{host.domain}"):
            problems.append(
                f"{where}: {expose.host!r} is not under the host's domain {host.domain!r}; "
                f"use a name such as 'shop.{tenant.team}.{host.domain}'"
            )
        elif expose.host in api_hosts:
            problems.append(
                f"{where}: {expose.host!r} is the API server of tenant "
                f"{api_hosts[expose.host]!r}; choose another name"
            )
        elif expose.host in owners:
            problems.append(
                f"{where}: {expose.host!r} is already the app of {owners[expose.host]}; every "
                "hostname belongs to one tenant"
            )
        owners.setdefault(expose.host, tenant.source)
    return problems
