"""Property: the catalog loader either accepts a document or raises CatalogError — nothing else."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.loader import CatalogError, parse_catalog
from catalog.model import Catalog

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
                        "backing_store": st.sampled_from(["embedded-sqlite", "embedded-etcd"])
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
