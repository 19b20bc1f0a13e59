"""Our tehcyx/kind binding is faithful to the provider's published schema (v0.11.0)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bindings.kind import (
    KindClusterConfig,
    KindClusterResource,
    KindConfig,
    KindMount,
    KindNetworking,
    KindNode,
    KindPortMapping,
    KindTimeouts,
)
from tests.conftest import Synthesized, only, resources
from tools.rehearsal.mirror import KIND_SCHEMA

# Our reviewed copy of the provider schema (kept equal to ../shared/reference by a test).
SCHEMA = json.loads(KIND_SCHEMA.read_text())
PROVIDER = SCHEMA["provider_schemas"]["registry.terraform.io/tehcyx/kind"]
CLUSTER_BLOCK = PROVIDER["resource_schemas"]["kind_cluster"]["block"]

#: Attributes the SDK adds that a configuration never sets.
NOT_BOUND = {"id"}


def every_field_set() -> KindClusterConfig:
    """A configuration that uses every argument and block the binding can emit."""
    return KindClusterConfig(
        name="everything",
        node_image="kindest/node:v1.35.0",
        wait_for_ready=True,
        kubeconfig_path="./kubeconfig",
        kind_config=KindConfig(
            nodes=(
                KindNode(
                    role="control-plane",
                    image="kindest/node:v1.35.0",
                    labels={"a": "b"},
                    kubeadm_config_patches=("kind: InitConfiguration",),
                    extra_port_mappings=(
                        KindPortMapping(
                            container_port=30000,
                            host_port=30000,
                            listen_address="127.0.0.1",
                            protocol="TCP",
                        ),
                    ),
                    extra_mounts=(
                        KindMount(
                            host_path="/tmp/a",
                            container_path="/a",
                            read_only=True,
                            selinux_relabel=False,
                            propagation="None",
                        ),
                    ),
                ),
            ),
            networking=KindNetworking(
                api_server_address="127.0.0.1",
                api_server_port=6443,
                disable_default_cni=False,
                dns_search=("example.com",),
                ip_family="ipv4",
                kube_proxy_mode="iptables",
                pod_subnet="10.244.0.0/16",
                service_subnet="10.96.0.0/12",
            ),
            containerd_config_patches=("[plugins]",),
            feature_gates={"SomeGate": "true"},
            runtime_config={"api/alpha": "false"},
        ),
        timeouts=KindTimeouts(create="15m", update="15m", delete="10m"),
    )


def _type_ok(schema_type: Any, value: Any) -> bool:
    if schema_type == "string":
        return isinstance(value, str)
    if schema_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if schema_type == "bool":
        return isinstance(value, bool)
    kind, element = schema_type
    if kind == "list":
        return isinstance(value, list) and all(_type_ok(element, v) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(_type_ok(element, v) for v in value.values())
    raise AssertionError(f"schema type {schema_type!r} not handled")


def violations(block: dict[str, Any], value: dict[str, Any], path: str) -> list[str]:
    """Everything in `value` that the provider schema `block` would reject."""
    found: list[str] = []
    attributes = block.get("attributes", {})
    blocks = block.get("block_types", {})
    for key, item in value.items():
        where = f"{path}.{key}"
        if key in attributes:
            attr = attributes[key]
            if attr.get("computed") and not (attr.get("optional") or attr.get("required")):
                found.append(f"{where}: computed-only attribute set")
            if not _type_ok(attr["type"], item):
                found.append(f"{where}: {item!r} is not a {attr['type']}")
        elif key in blocks:
            nested = blocks[key]
            if nested["nesting_mode"] == "single":
                items = [item] if isinstance(item, dict) else None
            else:
                items = item if isinstance(item, list) else None
            if items is None:
                found.append(f"{where}: wrong nesting for mode {nested['nesting_mode']}")
                continue
            if "max_items" in nested and len(items) > nested["max_items"]:
                found.append(f"{where}: {len(items)} blocks, at most {nested['max_items']}")
            for i, sub in enumerate(items):
                found.extend(violations(nested["block"], sub, f"{where}[{i}]"))
        else:
            found.append(f"{where}: not in the provider schema")
    for key, attr in attributes.items():
        if attr.get("required") and key not in value:
            found.append(f"{path}.{key}: required attribute missing")
    return found


def configurable(block: dict[str, Any], path: str = "kind_cluster") -> set[str]:
    """Every argument and block a configuration can set, as dotted paths."""
    names = {
        f"{path}.{k}"
        for k, a in block.get("attributes", {}).items()
        if (a.get("optional") or a.get("required")) and k not in NOT_BOUND
    }
    for key, nested in block.get("block_types", {}).items():
        names.add(f"{path}.{key}")
        names |= configurable(nested["block"], f"{path}.{key}")
    return names


def emitted(value: dict[str, Any], path: str = "kind_cluster") -> set[str]:
    names: set[str] = set()
    for key, item in value.items():
        names.add(f"{path}.{key}")
        items = item if isinstance(item, list) else [item]
        for sub in items:
            if isinstance(sub, dict) and key not in {"labels", "feature_gates", "runtime_config"}:
                names |= emitted(sub, f"{path}.{key}")
    return names


def test_every_field_the_binding_emits_is_in_the_schema_with_its_type() -> None:
    assert violations(CLUSTER_BLOCK, every_field_set().to_terraform(), "kind_cluster") == []


def test_the_binding_covers_every_configurable_field_of_the_schema() -> None:
    assert configurable(CLUSTER_BLOCK) == emitted(every_field_set().to_terraform())


def test_the_schema_check_catches_a_wrong_name_type_and_nesting() -> None:
    bad = {"name": 3, "kubeconfig": "x", "nodes": [], "kind_config": {"kind": "Cluster"}}
    problems = violations(CLUSTER_BLOCK, bad, "kind_cluster")
    assert "kind_cluster.name: 3 is not a string" in problems
    assert "kind_cluster.kubeconfig: computed-only attribute set" in problems
    assert "kind_cluster.nodes: not in the provider schema" in problems
    assert "kind_cluster.kind_config: wrong nesting for mode list" in problems


def test_the_schema_check_catches_missing_required_fields() -> None:
    problems = violations(CLUSTER_BLOCK, {"kind_config": [{}]}, "kind_cluster")
    assert "kind_cluster.name: required attribute missing" in problems
    assert "kind_cluster.kind_config[0].kind: required attribute missing" in problems


@pytest.mark.parametrize(
    "attribute",
    ["kubeconfig", "endpoint", "client_certificate", "client_key", "cluster_ca_certificate"],
)
def test_computed_attributes_are_read_only_in_the_schema(attribute: str) -> None:
    assert hasattr(KindClusterResource, attribute)
    schema_attr = CLUSTER_BLOCK["attributes"][attribute]
    assert schema_attr["computed"] and "optional" not in schema_attr


def test_kubeconfig_path_is_both_settable_and_computed() -> None:
    schema_attr = CLUSTER_BLOCK["attributes"]["kubeconfig_path"]
    assert schema_attr["optional"] and schema_attr["computed"]


def test_the_synthesized_host_cluster_fits_the_schema(synthesized: Synthesized) -> None:
    cluster = dict(only(resources(synthesized["kind-cluster"], "kind_cluster")))
    cluster.pop("//")
    cluster.pop("provider")
    assert violations(CLUSTER_BLOCK, cluster, "kind_cluster") == []
