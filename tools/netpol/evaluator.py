"""Kubernetes NetworkPolicy semantics, small enough to read in one sitting.

What it implements (networking.k8s.io/v1, as the API documents it):
- a pod is isolated for a direction when any policy in its namespace selects it and lists that
  direction in `policyTypes` (absent: Ingress, plus Egress when the policy has egress rules);
- policies add up: an isolated pod may send or receive what any selecting policy allows;
- a connection needs both ends: the source's egress and the destination's ingress;
- a peer is a pod selector (the policy's namespace), a namespace selector (every pod in the
  matching namespaces), both (those pods in those namespaces), or an ipBlock (addresses, with
  exceptions); an empty or absent list of peers is everyone, of ports every port;
- ports are the receiving pod's ports (after a Service's translation), with protocol (TCP by
  default) and an optional `endPort` range.
Not implemented, and refused if met: named ports. Outside the model: node-local traffic such
as kubelet probes (CNIs let it through).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Selector:
    """A label selector: `match_labels` and `match_expressions` (In, NotIn, Exists, …)."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    match_expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        for key, operator, values in self.match_expressions:
            present = key in labels
            ok = {
                "In": present and labels.get(key) in values,
                "NotIn": not present or labels.get(key) not in values,
                "Exists": present,
                "DoesNotExist": not present,
            }.get(operator)
            if ok is None:
                raise ValueError(f"unknown selector operator {operator!r}")
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class Peer:
    pods: Selector | None = None
    namespaces: Selector | None = None
    cidr: str | None = None
    except_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortRange:
    port: int | None  # None: every port of the protocol
    protocol: str = "TCP"
    end_port: int | None = None

    def matches(self, port: int, protocol: str) -> bool:
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        return self.port <= port <= (self.end_port or self.port)


@dataclass(frozen=True)
class Rule:
    peers: tuple[Peer, ...] = ()
    ports: tuple[PortRange, ...] = ()


@dataclass(frozen=True)
class Policy:
    name: str
    namespace: str
    selects: Selector
    types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    def with_rule(self, direction: str, index: int, rule: Rule) -> Policy:
        rules = list(self.ingress if direction == "ingress" else self.egress)
        rules[index] = rule
        if direction == "ingress":
            return replace(self, ingress=tuple(rules))
        return replace(self, egress=tuple(rules))


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ip: str


@dataclass(frozen=True)
class External:
    """An address outside the cluster's pods: the internet, a node, the host's API server."""

    name: str
    ip: str


Endpoint = Pod | External


@dataclass(frozen=True)
class Cluster:
    """What the evaluator needs to know: namespaces with their labels, and the policies."""

    namespace_labels: Mapping[str, Mapping[str, str]]
    policies: tuple[Policy, ...]

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> bool:
        return self._direction_allows(
            source, "Egress", destination, port, protocol
        ) and self._direction_allows(destination, "Ingress", source, port, protocol)

    def _direction_allows(
        self, pod: Endpoint, direction: str, other: Endpoint, port: int, protocol: str
    ) -> bool:
        if not isinstance(pod, Pod):
            return True  # no policy governs an address outside the cluster's pods
        selecting = [
            p
            for p in self.policies
            if p.namespace == pod.namespace
            and direction in p.types
            and p.selects.matches(pod.labels)
        ]
        if not selecting:
            return True
        return any(
            self._rule_matches(rule, policy.namespace, other, port, protocol)
            for policy in selecting
            for rule in (policy.ingress if direction == "Ingress" else policy.egress)
        )

    def _rule_matches(
        self, rule: Rule, policy_namespace: str, other: Endpoint, port: int, protocol: str
    ) -> bool:
        if rule.ports and not any(p.matches(port, protocol) for p in rule.ports):
            return False
        return not rule.peers or any(
            self._peer_matches(peer, policy_namespace, other) for peer in rule.peers
        )

    def _peer_matches(self, peer: Peer, policy_namespace: str, other: Endpoint) -> bool:
        if peer.cidr is not None:
            address = ipaddress.ip_address(other.ip)
            return address in ipaddress.ip_network(peer.cidr) and not any(
                address in ipaddress.ip_network(c) for c in peer.except_cidrs
            )
        if not isinstance(other, Pod):
            return False
        if peer.namespaces is None:
            in_namespace = other.namespace == policy_namespace
        else:
            in_namespace = peer.namespaces.matches(self.namespace_labels.get(other.namespace, {}))
        return in_namespace and (peer.pods is None or peer.pods.matches(other.labels))


# --- reading policies ---------------------------------------------------------------------


def _get(data: Mapping[str, Any], snake: str) -> Any:
    """A field by its Terraform (snake_case) or Kubernetes (camelCase) name."""
    head, *rest = snake.split("_")
    camel = head + "".join(w.title() for w in rest)
    return data.get(snake, data.get(camel))


def _selector(data: Mapping[str, Any] | None) -> Selector | None:
    if data is None:
        return None
    expressions = tuple(
        (e["key"], e["operator"], tuple(e.get("values") or ()))
        for e in _get(data, "match_expressions") or ()
    )
    return Selector(dict(_get(data, "match_labels") or {}), expressions)


def _peers(items: Iterable[Mapping[str, Any]] | None) -> tuple[Peer, ...]:
    peers = []
    for item in items or ():
        block = _get(item, "ip_block")
        peers.append(
            Peer(
                pods=_selector(_get(item, "pod_selector")),
                namespaces=_selector(_get(item, "namespace_selector")),
                cidr=block["cidr"] if block else None,
                except_cidrs=tuple(_get(block, "except_") or block.get("except") or ())
                if block
                else (),
            )
        )
    return tuple(peers)


def _ports(items: Iterable[Mapping[str, Any]] | None) -> tuple[PortRange, ...]:
    ports = []
    for item in items or ():
        raw = item.get("port")
        if raw is not None and not str(raw).isdigit():
            raise ValueError(f"named port {raw!r}: not supported by this evaluator")
        end = _get(item, "end_port")
        ports.append(
            PortRange(
                port=None if raw is None else int(raw),
                protocol=item.get("protocol") or "TCP",
                end_port=None if end is None else int(end),
            )
        )
    return tuple(ports)


def parse_policy(name: str, namespace: str, spec: Mapping[str, Any]) -> Policy:
    """A policy from its spec, in Terraform JSON (snake_case) or Kubernetes YAML (camelCase)."""
    ingress = tuple(
        Rule(_peers(_get(r, "from_") or r.get("from")), _ports(r.get("ports")))
        for r in spec.get("ingress") or ()
    )
    egress = tuple(
        Rule(_peers(r.get("to")), _ports(r.get("ports"))) for r in spec.get("egress") or ()
    )
    types = _get(spec, "policy_types") or ["Ingress"] + (["Egress"] if egress else [])
    return Policy(
        name=name,
        namespace=namespace,
        selects=_selector(_get(spec, "pod_selector") or {}) or Selector(),
        types=frozenset(types),
        ingress=ingress,
        egress=egress,
    )


def widenings(policy: Policy) -> Sequence[tuple[str, Policy]]:
    """Every way to widen one rule of `policy`: any peer, or every port. For negative controls."""
    found = []
    for direction in ("ingress", "egress"):
        for index, rule in enumerate(getattr(policy, direction)):
            where = f"{policy.namespace}/{policy.name} {direction}[{index}]"
            if rule.peers:
                found.append(
                    (
                        f"{where}: from/to anyone",
                        policy.with_rule(direction, index, Rule((), rule.ports)),
                    )
                )
            if rule.ports:
                found.append(
                    (
                        f"{where}: every port",
                        policy.with_rule(direction, index, Rule(rule.peers, ())),
                    )
                )
    return found


# --- writing policies back ----------------------------------------------------------------


def _selector_manifest(selector: Selector) -> dict[str, Any]:
    written: dict[str, Any] = {}
    if selector.match_labels:
        written["matchLabels"] = dict(selector.match_labels)
    if selector.match_expressions:
        written["matchExpressions"] = [
            {"key": k, "operator": op, **({"values": list(vs)} if vs else {})}
            for k, op, vs in selector.match_expressions
        ]
    return written


def _peer_manifest(peer: Peer) -> dict[str, Any]:
    if peer.cidr is not None:
        block: dict[str, Any] = {"cidr": peer.cidr}
        if peer.except_cidrs:
            block["except"] = list(peer.except_cidrs)
        return {"ipBlock": block}
    written = {}
    if peer.pods is not None:
        written["podSelector"] = _selector_manifest(peer.pods)
    if peer.namespaces is not None:
        written["namespaceSelector"] = _selector_manifest(peer.namespaces)
    return written


def _rule_manifest(rule: Rule, peers_key: str) -> dict[str, Any]:
    written: dict[str, Any] = {}
    if rule.peers:
        written[peers_key] = [_peer_manifest(p) for p in rule.peers]
    if rule.ports:
        written["ports"] = [
            {
                "protocol": p.protocol,
                **({"port": p.port} if p.port is not None else {}),
                **({"endPort": p.end_port} if p.end_port is not None else {}),
            }
            for p in rule.ports
        ]
    return written


def policy_manifest(policy: Policy) -> dict[str, Any]:
    """The NetworkPolicy object as the API server receives it: what an admission check reads."""
    spec: dict[str, Any] = {
        "podSelector": _selector_manifest(policy.selects),
        "policyTypes": sorted(policy.types),
    }
    if policy.ingress:
        spec["ingress"] = [_rule_manifest(r, "from") for r in policy.ingress]
    if policy.egress:
        spec["egress"] = [_rule_manifest(r, "to") for r in policy.egress]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": policy.name, "namespace": policy.namespace},
        "spec": spec,
    }
