"""The developer portal knows every team: `catalog-info.yaml`, Backstage entities from the
catalog, every reference between them resolving to an entity in the same file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.loader import load_catalog
from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Parse
from tools.portal import HEADER, portal_entities, render_portal

#: Backstage's rule for entity names (catalog-model `KubernetesValidatorFunctions`).
NAME = re.compile(r"^[a-zA-Z0-9]([-_.]?[a-zA-Z0-9])*$")
FLEET = PROJECT_ROOT / "tests" / "fixtures" / "fleet.yaml"


def refs(entity: dict[str, Any]) -> list[str]:
    """Every entity reference the entity makes, as `kind:default/name`."""
    spec = entity["spec"]
    found = [spec[k] for k in ("owner",) if k in spec]
    found += [f"system:default/{spec['system']}"] if "system" in spec else []
    found += list(spec.get("dependsOn", []))
    found += [f"user:default/{m}" for m in spec.get("members", [])]
    found += [f"group:default/{g}" for g in spec.get("memberOf", [])]
    return found


@pytest.mark.parametrize("path", [PROJECT_ROOT / "platform.yaml", FLEET])
def test_every_reference_resolves_and_every_name_is_valid(path: Path) -> None:
    entities = portal_entities(load_catalog(path))
    known = {f"{e['kind'].lower()}:default/{e['metadata']['name']}" for e in entities}
    assert len(known) == len(entities), "an entity is written twice"
    for entity in entities:
        name = entity["metadata"]["name"]
        assert NAME.match(name) and len(name) <= 63, name
        assert set(refs(entity)) <= known, (name, set(refs(entity)) - known)


def test_each_team_is_a_group_with_its_owners_and_a_system(default_catalog: Catalog) -> None:
    by_ref = {(e["kind"], e["metadata"]["name"]): e for e in portal_entities(default_catalog)}
    group = by_ref[("Group", "team-a")]
    assert group["spec"]["members"] == ["alice_example.com"]
    assert by_ref[("User", "alice_example.com")]["spec"]["profile"]["email"] == "alice@example.com"
    system = by_ref[("System", "team-a")]
    assert system["spec"]["owner"] == "group:default/team-a"
    assert system["metadata"]["annotations"] == {
        "backstage.io/kubernetes-label-selector": "team=team-a"
    }


def test_each_tenant_has_its_vcluster_database_and_cache(catalog_from: Parse) -> None:
    catalog = catalog_from(
        "platform:\n  hosts:\n"
        "    dev: {environment: dev, capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 900}}\n"
        "    prod: {environment: prod, port_pool: {first_port: 30040, size: 20},\n"
        "           capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 900}}\n"
        "  default_environment: dev\n"
        "teams:\n"
        "  - {name: shop, database: {}, cache: {}, environments: {dev: {}, prod: {}}}\n"
        "  - {name: web}\n"
    )
    names = [(e["kind"], e["metadata"]["name"]) for e in portal_entities(catalog)]
    assert [n for k, n in names if k == "Resource"] == [
        "vcluster-shop-dev",
        "postgres-shop-dev",
        "cache-shop-dev",
        "vcluster-shop-prod",
        "postgres-shop-prod",
        "cache-shop-prod",
        "vcluster-web",
    ]


def test_the_kubernetes_plugin_looks_where_the_team_runs(default_catalog: Catalog) -> None:
    (vcluster,) = [
        e for e in portal_entities(default_catalog) if e["metadata"]["name"] == "vcluster-team-b"
    ]
    annotations = vcluster["metadata"]["annotations"]
    assert annotations["backstage.io/kubernetes-namespace"] == "team-b-apps"
    assert annotations["backstage.io/kubernetes-label-selector"] == "team=team-b"
    assert vcluster["metadata"]["links"][0]["url"].startswith("https://127.0.0.1:")


def test_an_existing_host_links_the_tenants_public_api_server() -> None:
    entities = portal_entities(load_catalog(FLEET))
    (prod,) = [e for e in entities if e["metadata"]["name"] == "vcluster-team-c-prod"]
    assert prod["metadata"]["links"] == [
        {"url": "https://team-c-prod.vc.prod-eu.example.com", "title": "API server"}
    ]


def test_the_file_says_it_is_generated_and_holds_no_secret(default_catalog: Catalog) -> None:
    text = render_portal(default_catalog)
    assert text.startswith(HEADER)
    assert all(d["apiVersion"] == "backstage.io/v1alpha1" for d in yaml.safe_load_all(text) if d)
    assert "password" not in text.lower() and "BEGIN" not in text
