"""Network policy as intent — who may talk to whom, on which ports — built into NetworkPolicies.

Kubernetes NetworkPolicies are additive: a pod selected by several policies may do what any of
them allows, and a direction is closed for a pod as soon as one policy selecting it names that
direction. So every policy here is written as one narrow allow, next to one default-deny.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_kubernetes.network_policy_v1 import (
    NetworkPolicyV1,
    NetworkPolicyV1Metadata,
    NetworkPolicyV1Spec,
    NetworkPolicyV1SpecEgress,
    NetworkPolicyV1SpecEgressPorts,
    NetworkPolicyV1SpecEgressTo,
    NetworkPolicyV1SpecEgressToIpBlock,
    NetworkPolicyV1SpecEgressToNamespaceSelector,
    NetworkPolicyV1SpecEgressToPodSelector,
    NetworkPolicyV1SpecIngress,
    NetworkPolicyV1SpecIngressFrom,
    NetworkPolicyV1SpecIngressFromIpBlock,
    NetworkPolicyV1SpecIngressFromNamespaceSelector,
    NetworkPolicyV1SpecIngressFromPodSelector,
    NetworkPolicyV1SpecIngressPorts,
    NetworkPolicyV1SpecPodSelector,
)
from constructs import Construct


@dataclass(frozen=True, slots=True)
class Port:
    number: int
    protocol: str = "TCP"


def tcp(*numbers: int) -> tuple[Port, ...]:
    return tuple(Port(n) for n in numbers)


def udp(*numbers: int) -> tuple[Port, ...]:
    return tuple(Port(n, "UDP") for n in numbers)


@dataclass(frozen=True, kw_only=True, slots=True)
class Peer:
    """The other end of a flow: pods (by labels), namespaces (by labels), or a network."""

    pods: Mapping[str, str] | None = None
    """Pod labels; `{}` is every pod. Without `namespaces`: pods of the policy's namespace."""
    namespaces: Mapping[str, str] | None = None
    """Namespace labels; `{}` is every namespace. With `pods`: those pods in those namespaces."""
    cidr: str | None = None
    except_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    peers: tuple[Peer, ...] = ()
    """Who; none means any source or destination."""
    ports: tuple[Port, ...] = ()
    """Which ports of the receiving pod; none means every port."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicySpec:
    name: str
    selects: Mapping[str, str]
    """Labels of the pods the policy applies to; `{}` is every pod in the namespace."""
    ingress: tuple[Rule, ...] | None = None
    """Allowed inbound flows; `()` closes the direction, `None` leaves it to other policies."""
    egress: tuple[Rule, ...] | None = None


def _ports(kind: Any, ports: Sequence[Port]) -> list[Any] | None:
    return [kind(port=str(p.number), protocol=p.protocol) for p in ports] or None


def _peer(peer: Peer, *, pods: Any, namespaces: Any, block: Any, to: Any) -> Any:
    return to(
        pod_selector=None if peer.pods is None else pods(match_labels=dict(peer.pods) or None),
        namespace_selector=None
        if peer.namespaces is None
        else namespaces(match_labels=dict(peer.namespaces) or None),
        ip_block=None
        if peer.cidr is None
        else block(cidr=peer.cidr, except_=list(peer.except_cidrs) or None),
    )


@dataclass(frozen=True, slots=True)
class _Direction:
    """The binding's classes for one direction (ingress `from`, egress `to`)."""

    rule: Any
    peers_field: str
    peer: Any
    pods: Any
    namespaces: Any
    block: Any
    ports: Any

    def build(self, rule: Rule) -> Any:
        peers = [
            _peer(p, pods=self.pods, namespaces=self.namespaces, block=self.block, to=self.peer)
            for p in rule.peers
        ]
        return self.rule(**{self.peers_field: peers or None}, ports=_ports(self.ports, rule.ports))


_INGRESS = _Direction(
    NetworkPolicyV1SpecIngress,
    "from_",
    NetworkPolicyV1SpecIngressFrom,
    NetworkPolicyV1SpecIngressFromPodSelector,
    NetworkPolicyV1SpecIngressFromNamespaceSelector,
    NetworkPolicyV1SpecIngressFromIpBlock,
    NetworkPolicyV1SpecIngressPorts,
)
_EGRESS = _Direction(
    NetworkPolicyV1SpecEgress,
    "to",
    NetworkPolicyV1SpecEgressTo,
    NetworkPolicyV1SpecEgressToPodSelector,
    NetworkPolicyV1SpecEgressToNamespaceSelector,
    NetworkPolicyV1SpecEgressToIpBlock,
    NetworkPolicyV1SpecEgressPorts,
)


def network_policy(
    scope: Construct,
    id: str,
    spec: PolicySpec,
    *,
    namespace: str,
    labels: Mapping[str, str],
    depends_on: Sequence[Any] | None = None,
) -> NetworkPolicyV1:
    types = (["Ingress"] if spec.ingress is not None else []) + (
        ["Egress"] if spec.egress is not None else []
    )
    return NetworkPolicyV1(
        scope,
        id,
        metadata=NetworkPolicyV1Metadata(name=spec.name, namespace=namespace, labels=dict(labels)),
        spec=NetworkPolicyV1Spec(
            pod_selector=NetworkPolicyV1SpecPodSelector(match_labels=dict(spec.selects) or None),
            policy_types=types,
            ingress=[_INGRESS.build(r) for r in spec.ingress or ()] or None,
            egress=[_EGRESS.build(r) for r in spec.egress or ()] or None,
        ),
        depends_on=list(depends_on) if depends_on else None,
    )
