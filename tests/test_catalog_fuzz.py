"""Property: the catalog loader either accepts a document or raises CatalogError — nothing else."""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.loader import CatalogError, parse_catalog
from catalog.model import Catalog
from catalog.quota_fit import shortfalls
from constructs_lib.state_locations import GcsState

KEYS = [
    "platform",
    "teams",
    "name",
    "host",
    "type",
    "kind",
    "existing",
    "state",
    "backend",
    "s3",
    "workers",
    "port_pool",
    "first_port",
    "size",
    "node_port",
    "database",
    "cache",
    "enabled",
    "app",
    "replicas",
    "image",
    "vcluster",
    "backing_store",
    "quota",
    "pods",
    "owners",
    "cost_center",
    "decommission",
    "domain",
    "kubeconfig_path",
    "exposure",
    "ingress",
    "instances",
    "storage_gib",
    "postgres_major",
    "resources",
    "cpu_limit",
    "production",
    "egress",
    "public",
    "allow",
    "cidr",
    "ports",
    "key_prefix",
    "prefix",
    "bucket",
    "region",
    "versions",
    "vcluster_chart",
    "cpu_requests",
    "memory_limits",
    "storage_requests",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["team-a", "a1", "kind", "existing", "s3", "pg", "30001", "1Gi", "", "-"]),
    st.text(max_size=12),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5
        ),
    ),
    max_leaves=25,
)


def load(text: str) -> Catalog | None:
    try:
        return parse_catalog(text, source="fuzz.yaml")
    except CatalogError as err:
        assert str(err).startswith("fuzz.yaml: ")
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_yaml_document_is_accepted_or_refused_cleanly(document: Any) -> None:
    load(yaml.safe_dump(document))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_accepted_or_refused_cleanly(text: str) -> None:
    load(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.from_regex(r"[a-z][a-z0-9-]{0,12}[a-z0-9]", fullmatch=True)},
            optional={
                "node_port": st.integers(29990, 30030),
                "database": st.fixed_dictionaries({}, optional={"instances": st.integers(0, 6)}),
                "cache": st.just({}),
                "vcluster": st.fixed_dictionaries(
                    {"replicas": st.integers(0, 6)},
                    optional={
                        "backing_store": st.sampled_from(
                            ["embedded-sqlite", "deployed-etcd", "embedded-etcd"]
                        )
                    },
                ),
            },
        ),
        min_size=0,
        max_size=25,
    )
)
def test_near_valid_team_lists_are_accepted_or_refused_cleanly(teams: list[dict[str, Any]]) -> None:
    catalog = load(yaml.safe_dump({"teams": teams}))
    if catalog is not None:  # whatever is accepted keeps the invariants downstream relies on
        ports = [catalog.node_port_of(t) for t in catalog.teams]
        assert len(set(ports)) == len(ports)
        assert len({t.name for t in catalog.teams}) == len(catalog.teams)


@settings(max_examples=200, deadline=None)
@given(
    quota=st.fixed_dictionaries(
        {},
        optional={
            "pods": st.integers(0, 40),
            "cpu_requests": st.sampled_from(["100m", "500m", "1", "4"]),
            "cpu_limits": st.sampled_from(["1", "4", "8", "16"]),
            "memory_limits": st.sampled_from(["512Mi", "2Gi", "16Gi"]),
            "storage_requests": st.sampled_from(["1Gi", "10Gi", "50Gi", "1Ti"]),
        },
    ),
    database=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {}, optional={"instances": st.integers(1, 5), "storage_gib": st.integers(1, 100)}
        ),
    ),
    egress=st.lists(
        st.fixed_dictionaries(
            {
                "cidr": st.sampled_from(
                    ["203.0.113.0/24", "10.0.0.1/8", "0.0.0.0/0", "x", "::/0", "2001:db8::/32"]
                )
            },
            optional={"ports": st.lists(st.integers(-1, 70000), max_size=3)},
        ),
        max_size=3,
    ),
    prefix=st.one_of(st.text(max_size=12), st.sampled_from(["a/b", "../x", "/a", "a//b", "a/./b"])),
)
def test_quota_egress_and_state_paths_are_accepted_only_when_they_hold(
    quota: dict[str, Any],
    database: dict[str, Any] | None,
    egress: list[dict[str, Any]],
    prefix: str,
) -> None:
    team: dict[str, Any] = {"name": "a1", "quota": quota, "egress": {"allow": egress}}
    if database is not None:
        team["database"] = database
    document = {
        "platform": {"state": {"backend": "gcs", "bucket": "tf-state", "prefix": prefix}},
        "teams": [team],
    }
    catalog = load(yaml.safe_dump(document))
    if catalog is None:
        return
    (accepted,) = catalog.teams
    assert shortfalls(accepted) == []  # the team's own platform fits its quota
    for allow in accepted.egress.allow:
        network = ipaddress.ip_network(allow.cidr)  # strict: no host bits
        assert network.prefixlen > 0
        assert all(1 <= port <= 65535 for port in allow.ports)
    state = catalog.platform.state
    assert isinstance(state, GcsState)
    segments = state.prefix.split("/")
    assert all(s not in ("", ".", "..") for s in segments)
