"""The catalog's field types and the rules each value obeys on its own (names, labels, ports)."""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from catalog.stack_names import (
    HOST_SERVICES_STACK_PREFIX,
    KIND_STACK_PREFIX,
    PLATFORM_STACK_NAMES,
    VCLUSTER_STACK_PREFIX,
)
from constructs_lib.strict_model import StrictModel

RESERVED_TEAM_NAMES: Final = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

#: Longest team name. The longest derived name is `<team>-apps` (namespace, 63 max) and the
#: vcluster release `vc-<team>` whose Helm-generated names add up to 22 characters; 40 keeps
#: every derived name a valid DNS-1123 label with room to spare.
MAX_TEAM_NAME_LENGTH: Final = 40

NODE_PORT_RANGE: Final = range(30000, 32768)
#: The lower band of that range Kubernetes keeps for fixed NodePorts (KEP-3668, GA in 1.29:
#: min(max(16, 2768 / 32), 128) = 86 ports): random allocations take it last, so a fixed port
#: above it may already be held by some other Service.
STATIC_NODE_PORT_BAND: Final = range(30000, 30086)


_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOSTNAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")


def team_name(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS-1123 label: lowercase letters, digits and '-', starting with a "
            f"letter and ending with a letter or digit (for example 'team-a'), got {value!r}"
        )
    if len(value) > MAX_TEAM_NAME_LENGTH:
        raise ValueError(
            f"must be at most {MAX_TEAM_NAME_LENGTH} characters so that derived names "
            f"('{value}-apps', 'vc-{value}') stay valid, got {len(value)}"
        )
    if value in PLATFORM_STACK_NAMES:
        raise ValueError(
            f"{value!r} is the name of a platform stack "
            f"({', '.join(sorted(PLATFORM_STACK_NAMES))}); choose another team name"
        )
    if value.startswith(VCLUSTER_STACK_PREFIX):
        raise ValueError(
            f"{value!r} starts with {VCLUSTER_STACK_PREFIX!r}, which names the vcluster stack of "
            f"each team ({VCLUSTER_STACK_PREFIX}<team>); choose another team name"
        )
    if value.startswith(KIND_STACK_PREFIX):
        raise ValueError(
            f"{value!r} starts with {KIND_STACK_PREFIX!r}, which names the stack of each KIND "
            f"host ({KIND_STACK_PREFIX}<host>); choose another team name"
        )
    if value.startswith(HOST_SERVICES_STACK_PREFIX):
        raise ValueError(
            f"{value!r} starts with {HOST_SERVICES_STACK_PREFIX!r}, which names the stack of "
            f"each host's services ({HOST_SERVICES_STACK_PREFIX}<host>); choose another team name"
        )
    if value in RESERVED_TEAM_NAMES or value.startswith("kube-"):
        raise ValueError(f"{value!r} is reserved by Kubernetes; choose another team name")
    return value


def _must_match(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    """A field rule: the value matches `pattern`, or the error says what was `expected`."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {expected}, got {value!r}")
        return value

    return AfterValidator(check)


TeamName = Annotated[str, AfterValidator(team_name)]

#: Longest host name: it names the host's stacks (`kind-cluster-<host>`) and KIND cluster.
MAX_HOST_NAME_LENGTH: Final = 30
#: Longest environment name: a tenant is named `<team>-<environment>`.
MAX_ENVIRONMENT_NAME_LENGTH: Final = 20


def _dns_label_of_at_most(length: int, example: str) -> AfterValidator:
    def check(value: str) -> str:
        if not _DNS_LABEL.match(value) or len(value) > length:
            raise ValueError(
                f"must be a DNS-1123 label of at most {length} characters: lowercase letters, "
                f"digits and '-', starting with a letter (for example {example!r}), got {value!r}"
            )
        return value

    return AfterValidator(check)


HostName = Annotated[str, _dns_label_of_at_most(MAX_HOST_NAME_LENGTH, "prod-eu")]
EnvironmentName = Annotated[str, _dns_label_of_at_most(MAX_ENVIRONMENT_NAME_LENGTH, "prod")]
LabelValue = Annotated[
    str,
    _must_match(
        _LABEL_VALUE,
        "a valid Kubernetes label value (up to 63 of A-Z a-z 0-9 '-' '_' '.', "
        "starting and ending alphanumeric)",
    ),
]
Email = Annotated[str, _must_match(_EMAIL, "an e-mail address such as 'alice@example.com'")]
Hostname = Annotated[str, _must_match(_HOSTNAME, "a DNS name such as 'vclusters.example.com'")]


NodePort = Annotated[int, Field(ge=NODE_PORT_RANGE.start, le=NODE_PORT_RANGE.stop - 1)]


class CatalogModel(StrictModel):
    """Strict base: unknown keys are typos, values are never coerced across types."""


_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


ChartVersion = Annotated[
    str,
    _must_match(
        _EXACT_VERSION,
        "an exact chart version such as '0.36.1' (no 'latest', ranges or wildcards: a "
        "reviewed pull request pins what it deploys)",
    ),
]
