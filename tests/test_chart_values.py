"""Chart values, straight from the pure values functions: no app, no jsii, every variant.

Each construct's chart values are computed from its props alone, so every variant (exposure,
HA, settings) is checked here against the chart's own schema, at the level where it is made.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from constructs_lib.cache_props import CacheProps, CacheSettings, valkey_values
from constructs_lib.labels import PlatformLabels
from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.postgres_props import PostgresProps, PostgresSettings, postgres_cluster_values
from constructs_lib.vcluster_exposure import (
    Exposure,
    IngressExposure,
    LoadBalancerExposure,
    NodePortExposure,
)
from constructs_lib.vcluster_props import BackingStore, VClusterProps, VClusterSettings
from constructs_lib.vcluster_props import vcluster_values as vcluster_chart_values
from tests.conftest import reference_json

LABELS = PlatformLabels(team="a1", project="p", cost_center="cc")
EXPOSURES: dict[str, Exposure] = {
    "node_port": NodePortExposure(node_port=30001),
    "ingress": IngressExposure(host="a1.vc.example.com", ingress_class="nginx"),
    "load_balancer": LoadBalancerExposure(host="a1.vc.example.com"),
}


def vcluster_schema_errors(values: dict[str, Any]) -> list[str]:
    schema = reference_json("vcluster", "values.schema.json")
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(values)]


def chart_schema_errors(chart: str, values: dict[str, Any]) -> list[str]:
    schema = reference_json("charts", chart, "values.schema.json")
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(values)]


def vcluster_values(exposure: str = "node_port", **settings: Any) -> dict[str, Any]:
    return vcluster_chart_values(
        VClusterProps(
            team="a1",
            labels=LABELS,
            exposure=EXPOSURES[exposure],
            settings=VClusterSettings(**settings) if settings else VClusterSettings(),
        )
    )


def test_values_functions_need_no_cdk_runtime() -> None:
    probe = (
        "import sys\n"
        "import constructs_lib.vcluster_props, constructs_lib.postgres_props\n"
        "import constructs_lib.cache_props, constructs_lib.web_app_props\n"
        "import catalog.loader, catalog.data_guard\n"
        "import constructs_lib.host_services.plans, constructs_lib.identity\n"
        "import constructs_lib.gitops, constructs_lib.app_exposure\n"
        "import constructs_lib.backup_credentials, tools.portal, tools.team_kubeconfig\n"
        "runtime = {'jsii', 'cdktf', 'constructs'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in runtime))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- vcluster ---------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("exposure", sorted(EXPOSURES))
def test_vcluster_values_fit_the_chart_schema_for_every_exposure(exposure: str) -> None:
    assert vcluster_schema_errors(vcluster_values(exposure)) == []


@pytest.mark.reference
@pytest.mark.parametrize("members", [1, 3, 5])
def test_ha_values_with_deployed_etcd_fit_the_chart_schema(members: int) -> None:
    values = vcluster_values(replicas=members, backing_store=BackingStore.DEPLOYED_ETCD)
    assert vcluster_schema_errors(values) == []
    assert values["controlPlane"]["statefulSet"]["highAvailability"]["replicas"] == members
    etcd = values["controlPlane"]["backingStore"]["etcd"]["deploy"]
    assert etcd["statefulSet"]["highAvailability"]["replicas"] == members
    assert "embedded" not in values["controlPlane"]["backingStore"]["etcd"]


def test_deployed_etcd_is_pinned_non_root_kept_and_bounded() -> None:
    etcd = vcluster_values(replicas=3, backing_store=BackingStore.DEPLOYED_ETCD)["controlPlane"][
        "backingStore"
    ]["etcd"]["deploy"]["statefulSet"]
    assert etcd["image"] == {"registry": "registry.k8s.io", "repository": "etcd", "tag": "3.6.8-0"}
    assert etcd["security"]["containerSecurityContext"]["runAsNonRoot"] is True
    assert etcd["security"]["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert etcd["security"]["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert etcd["persistence"]["volumeClaim"] == {"retentionPolicy": "Retain", "size": "5Gi"}
    assert etcd["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    assert etcd["pods"]["labels"]["team"] == "a1"


def test_embedded_etcd_is_refused_as_a_pro_feature_naming_deployed_etcd() -> None:
    with pytest.raises(ValueError, match=r"vCluster Pro feature.*use backing_store: deployed-etcd"):
        VClusterSettings(replicas=3, backing_store="embedded-etcd")


def test_the_default_backing_store_is_embedded_sqlite() -> None:
    backing_store = vcluster_values()["controlPlane"]["backingStore"]
    assert backing_store == {"database": {"embedded": {"enabled": True}}}


@pytest.mark.reference
def test_the_schema_check_rejects_the_removed_k3s_distro() -> None:
    assert vcluster_schema_errors({"controlPlane": {"distro": {"k3s": {"enabled": True}}}})


def test_ha_on_sqlite_is_refused_by_the_settings_themselves() -> None:
    with pytest.raises(ValueError, match="needs backing_store: deployed-etcd"):
        VClusterSettings(replicas=3)


# --- PostgreSQL -------------------------------------------------------------------------


def database_values(**settings: Any) -> dict[str, Any]:
    return postgres_cluster_values(
        PostgresProps(namespace="a1-apps", settings=PostgresSettings(**settings))
    )


@pytest.mark.reference
def test_default_database_values_fit_the_cnpg_cluster_chart_schema() -> None:
    assert chart_schema_errors("cnpg-cluster", database_values()) == []


@pytest.mark.reference
def test_database_settings_become_values_that_fit_the_schema() -> None:
    values = database_values(postgres_major=16, instances=3, storage_gib=20)
    assert chart_schema_errors("cnpg-cluster", values) == []
    assert values["version"] == {"postgresql": "16"}
    assert values["cluster"]["instances"] == 3
    assert values["cluster"]["storage"] == {"size": "20Gi"}
    assert values["cluster"]["enablePDB"] is True


def test_a_single_instance_gets_no_disruption_budget() -> None:
    assert database_values()["cluster"]["enablePDB"] is False


@pytest.mark.reference
def test_the_cnpg_schema_check_catches_a_wrongly_typed_version() -> None:
    assert chart_schema_errors("cnpg-cluster", {"version": {"postgresql": 17}})


# --- cache ------------------------------------------------------------------------------


@pytest.mark.reference
def test_cache_values_fit_the_valkey_chart_schema() -> None:
    props = CacheProps(namespace="a1-apps", labels=LABELS.as_dict())
    assert chart_schema_errors("valkey", valkey_values(props)) == []


def test_cache_storage_comes_from_its_settings() -> None:
    props = CacheProps(namespace="a1-apps", settings=CacheSettings(storage_gib=5))
    assert valkey_values(props)["dataStorage"] == {"enabled": True, "requestedSize": "5Gi"}
