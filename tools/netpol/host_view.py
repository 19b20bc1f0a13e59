"""The host as the pods see it: each team's pods where the vcluster runs them, and every policy
that can select them — ours on the host, the team's as the vcluster syncs them, the chart's.

Syncing (vcluster 0.36.1, `pkg/controllers/resources/networkpolicies/translate.go` and
`pkg/util/translate`, single host namespace per vcluster), as modelled here:
- a synced pod keeps its labels, except `release`, `vcluster.loft.sh/managed-by` and
  `vcluster.loft.sh/namespace`, which are rewritten to `vcluster.loft.sh/label-<vc>-x-<hash>`;
  it gains `managed-by: <vc>`, `namespace: <its virtual namespace>` and, for each label of its
  virtual namespace, `vcluster.loft.sh/ns-label-<vc>-x-<hash of the key>`;
- a synced policy lands in the vcluster's host namespace; its pod selector gains the namespace
  and marker labels; each pod/namespace peer becomes a pod selector in the host namespace
  (namespace selector rewritten to ns-label keys, the policy's own namespace when there was
  none, always the marker); ipBlock peers stay as they are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from tools.netpol.evaluator import (
    Cluster,
    External,
    Peer,
    Pod,
    Policy,
    Rule,
    Selector,
    parse_policy,
)

MARKER = "vcluster.loft.sh/managed-by"
NAMESPACE = "vcluster.loft.sh/namespace"
_REWRITTEN = ("release", MARKER, NAMESPACE)
_NAMESPACE_REF = re.compile(r"^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$")


def _hashed(prefix: str, vcluster: str, key: str) -> str:
    return f"{prefix}-{vcluster}-x-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def host_label_key(vcluster: str, key: str) -> str:
    return _hashed("vcluster.loft.sh/label", vcluster, key) if key in _REWRITTEN else key


def namespace_label_key(vcluster: str, key: str) -> str:
    return _hashed("vcluster.loft.sh/ns-label", vcluster, key)


def host_namespace(vcluster: str) -> str:
    return f"vcluster-{vcluster}"


@dataclass(frozen=True)
class VirtualNamespace:
    vcluster: str
    name: str

    @property
    def labels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.name}


def synced_pod(name: str, where: VirtualNamespace, labels: Mapping[str, str], ip: str) -> Pod:
    """A pod of a vcluster as the host runs it."""
    host_labels = {host_label_key(where.vcluster, k): v for k, v in labels.items()}
    host_labels |= {MARKER: where.vcluster, NAMESPACE: where.name}
    host_labels |= {namespace_label_key(where.vcluster, k): v for k, v in where.labels.items()}
    return Pod(name, host_namespace(where.vcluster), host_labels, ip)


def _translated_selector(vcluster: str, selector: Selector | None) -> Selector | None:
    if selector is None:
        return None
    return Selector(
        {host_label_key(vcluster, k): v for k, v in selector.match_labels.items()},
        tuple((host_label_key(vcluster, k), op, vs) for k, op, vs in selector.match_expressions),
    )


def _translated_peer(peer: Peer, where: VirtualNamespace) -> Peer:
    if peer.cidr is not None:
        return peer
    pods = _translated_selector(where.vcluster, peer.pods) or Selector()
    labels = dict(pods.match_labels)
    expressions = list(pods.match_expressions)
    if peer.namespaces is None:
        labels[NAMESPACE] = where.name
    else:
        labels |= {
            namespace_label_key(where.vcluster, k): v
            for k, v in peer.namespaces.match_labels.items()
        }
        expressions += [
            (namespace_label_key(where.vcluster, k), op, vs)
            for k, op, vs in peer.namespaces.match_expressions
        ]
    labels[MARKER] = where.vcluster
    return Peer(pods=Selector(labels, tuple(expressions)))


def synced_policy(policy: Policy, where: VirtualNamespace) -> Policy:
    """A policy of a vcluster's namespace `where`, as its syncer writes it on the host."""
    selects = _translated_selector(where.vcluster, policy.selects) or Selector()
    selects = Selector(
        dict(selects.match_labels) | {NAMESPACE: where.name, MARKER: where.vcluster},
        selects.match_expressions,
    )

    def rules(items: tuple[Rule, ...]) -> tuple[Rule, ...]:
        return tuple(
            Rule(tuple(_translated_peer(p, where) for p in r.peers), r.ports) for r in items
        )

    return replace(
        policy,
        namespace=host_namespace(where.vcluster),
        selects=selects,
        ingress=rules(policy.ingress),
        egress=rules(policy.egress),
    )


# --- policies from the synthesized stacks and the chart fixture ----------------------------


def _namespaces_of(stack: Mapping[str, Any]) -> dict[str, str]:
    return {
        rid: r["metadata"]["name"]
        for rid, r in stack.get("resource", {}).get("kubernetes_namespace_v1", {}).items()
    }


def _resolve(value: str, names: Mapping[str, str]) -> str:
    match = _NAMESPACE_REF.match(value)
    return names[match.group(1)] if match else value


def _resolved(data: Any, names: Mapping[str, str]) -> Any:
    """`data` with every reference to a namespace's name replaced by the name."""
    if isinstance(data, str):
        return _resolve(data, names)
    if isinstance(data, list):
        return [_resolved(x, names) for x in data]
    if isinstance(data, dict):
        return {k: _resolved(v, names) for k, v in data.items()}
    return data


def stack_policies(stack: Mapping[str, Any]) -> list[tuple[str, Policy]]:
    """(namespace as written, policy) for every NetworkPolicy of a synthesized stack."""
    names = _namespaces_of(stack)
    found = []
    for written in stack.get("resource", {}).get("kubernetes_network_policy_v1", {}).values():
        resource = _resolved(written, names)
        metadata, spec = resource["metadata"], resource["spec"]
        found.append(
            (metadata["namespace"], parse_policy(metadata["name"], metadata["namespace"], spec))
        )
    return found


def host_policies(
    stacks: Mapping[str, Mapping[str, Any]], vclusters: Iterable[str]
) -> tuple[Policy, ...]:
    """Every policy on the host: layer-2 stacks as they are, team stacks as synced."""
    policies: list[Policy] = []
    for vcluster in vclusters:
        policies += [p for _, p in stack_policies(stacks[f"vcluster-{vcluster}"])]
        for namespace, policy in stack_policies(stacks[vcluster]):
            policies.append(synced_policy(policy, VirtualNamespace(vcluster, namespace)))
    return tuple(policies)


def chart_policies(fixture: str, vcluster: str) -> tuple[Policy, ...]:
    """The chart's rendered policies (a reviewed fixture rendered for `team-a`), for `vcluster`."""
    text = fixture.replace("team-a", vcluster)
    return tuple(
        parse_policy(d["metadata"]["name"], d["metadata"]["namespace"], d["spec"])
        for d in yaml.safe_load_all(text)
        if d
    )


def cluster(policies: Iterable[Policy], namespaces: Iterable[str]) -> Cluster:
    return Cluster(
        namespace_labels={n: {"kubernetes.io/metadata.name": n} for n in namespaces},
        policies=tuple(policies),
    )


__all__ = ["Cluster", "External", "Pod", "Policy", "VirtualNamespace", "synced_pod"]
