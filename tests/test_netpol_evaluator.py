"""The NetworkPolicy evaluator behind the isolation matrix: each rule of the semantics, alone."""

from __future__ import annotations

from typing import Any

import pytest

from tools.netpol.evaluator import Cluster, External, Pod, Policy, parse_policy, widenings
from tools.netpol.host_view import (
    MARKER,
    NAMESPACE,
    VirtualNamespace,
    host_label_key,
    synced_pod,
    synced_policy,
)

WEB = Pod("web", "shop", {"app": "web"}, "10.0.0.1")
DB = Pod("db", "shop", {"app": "db"}, "10.0.0.2")
OTHER_NS = Pod("probe", "other", {"app": "web"}, "10.0.1.1")
INTERNET = External("internet", "1.1.1.1")
NAMESPACES = {"shop": {"tier": "prod"}, "other": {"tier": "dev"}}


def policy(name: str = "p", namespace: str = "shop", **spec: Any) -> Policy:
    return parse_policy(name, namespace, spec)


def world(*policies: Policy) -> Cluster:
    return Cluster(namespace_labels=NAMESPACES, policies=policies)


DENY_ALL = policy("deny", podSelector={}, policyTypes=["Ingress", "Egress"])


def test_without_policies_everything_is_allowed() -> None:
    assert world().allows(WEB, DB, 5432, "TCP")


def test_a_policy_with_no_rules_closes_its_directions() -> None:
    assert not world(DENY_ALL).allows(WEB, DB, 5432, "TCP")
    assert world(DENY_ALL).allows(OTHER_NS, INTERNET, 443, "TCP")  # other namespace: untouched


def test_policy_types_default_to_ingress_plus_egress_when_it_has_egress_rules() -> None:
    ingress_only = policy(podSelector={"matchLabels": {"app": "db"}})
    assert ingress_only.types == {"Ingress"}
    both = policy(podSelector={}, egress=[{"to": [{"podSelector": {}}]}])
    assert both.types == {"Ingress", "Egress"}


def test_a_connection_needs_the_senders_egress_and_the_receivers_ingress() -> None:
    let_in = policy(
        "in",
        podSelector={"matchLabels": {"app": "db"}},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
    )
    assert not world(DENY_ALL, let_in).allows(WEB, DB, 5432, "TCP")
    let_out = policy("out", podSelector={}, egress=[{}], policyTypes=["Egress"])
    assert world(DENY_ALL, let_in, let_out).allows(WEB, DB, 5432, "TCP")


def test_policies_add_up() -> None:
    narrow = policy("narrow", podSelector={}, ingress=[{"ports": [{"port": 1}]}], egress=[{}])
    wide = policy("wide", podSelector={}, ingress=[{}], policyTypes=["Ingress"])
    assert not world(narrow).allows(WEB, DB, 5432, "TCP")
    assert world(narrow, wide).allows(WEB, DB, 5432, "TCP")


@pytest.mark.parametrize(
    ("peer", "web_allowed", "other_namespace_allowed"),
    [
        ({"podSelector": {"matchLabels": {"app": "web"}}}, True, False),
        ({"namespaceSelector": {"matchLabels": {"tier": "dev"}}}, False, True),
        (
            {
                "namespaceSelector": {"matchLabels": {"tier": "dev"}},
                "podSelector": {"matchLabels": {"app": "db"}},
            },
            False,
            False,
        ),
        ({"namespaceSelector": {}}, True, True),
        ({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}, True, False),
    ],
    ids=["pods-of-its-namespace", "namespaces", "both", "every-namespace", "ip-block"],
)
def test_peer_kinds(peer: dict[str, Any], web_allowed: bool, other_namespace_allowed: bool) -> None:
    db_ingress = policy(podSelector={"matchLabels": {"app": "db"}}, ingress=[{"from": [peer]}])
    assert world(db_ingress).allows(WEB, DB, 5432, "TCP") is web_allowed
    assert world(db_ingress).allows(OTHER_NS, DB, 5432, "TCP") is other_namespace_allowed


def test_ports_match_number_protocol_and_range() -> None:
    ports = [{"port": 53, "protocol": "UDP"}, {"port": 8000, "endPort": 8010}]
    db_ingress = policy(podSelector={}, ingress=[{"ports": ports}])
    cluster = world(db_ingress)
    assert cluster.allows(WEB, DB, 53, "UDP")
    assert not cluster.allows(WEB, DB, 53, "TCP")
    assert cluster.allows(WEB, DB, 8005, "TCP")
    assert not cluster.allows(WEB, DB, 8011, "TCP")


def test_match_expressions() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}
    assert world(policy(podSelector=selector, ingress=[])).allows(DB, WEB, 80, "TCP")
    assert not world(policy(podSelector=selector, ingress=[])).allows(WEB, DB, 80, "TCP")


def test_named_ports_are_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="named port"):
        policy(podSelector={}, ingress=[{"ports": [{"port": "http"}]}])


def test_terraform_json_reads_like_kubernetes_yaml() -> None:
    terraform: dict[str, Any] = {
        "pod_selector": {"match_labels": {"app": "db"}},
        "policy_types": ["Ingress"],
        "ingress": [{"from": [{"ip_block": {"cidr": "10.0.0.0/8", "except": ["10.9.0.0/16"]}}]}],
    }
    kubernetes: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.9.0.0/16"]}}]}],
    }
    assert policy(**terraform) == policy(**kubernetes)


def test_widenings_open_each_rule_one_way_at_a_time() -> None:
    rule = {"from": [{"podSelector": {}}], "ports": [{"port": 1}]}
    labels = [label for label, _ in widenings(policy(podSelector={}, ingress=[rule]))]
    assert labels == ["shop/p ingress[0]: from/to anyone", "shop/p ingress[0]: every port"]


# --- as the vcluster syncs pods and policies -----------------------------------------------


def test_a_synced_pod_cannot_pose_as_the_control_plane() -> None:
    pod = synced_pod("x", VirtualNamespace("a", "default"), {"release": "a"}, "10.0.0.9")
    assert "release" not in pod.labels
    assert pod.labels[host_label_key("a", "release")] == "a"
    assert pod.labels[MARKER] == "a" and pod.labels[NAMESPACE] == "default"


def test_a_synced_policy_selects_only_its_namespace_of_its_vcluster() -> None:
    where = VirtualNamespace("a", "shop")
    synced = synced_policy(policy(podSelector={}, ingress=[{"from": [{"podSelector": {}}]}]), where)
    assert synced.namespace == "vcluster-a"
    assert synced.selects.match_labels == {NAMESPACE: "shop", MARKER: "a"}
    (peer,) = synced.ingress[0].peers
    assert peer.namespaces is None
    assert peer.pods is not None and peer.pods.match_labels == {NAMESPACE: "shop", MARKER: "a"}
