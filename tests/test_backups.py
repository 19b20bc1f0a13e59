"""Team data that survives: backups to the platform's object store, and restores from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from catalog.backups import backup_plan, recovery_plan
from catalog.loader import CatalogError
from catalog.model import Catalog
from constructs_lib import versions
from constructs_lib.object_store import BackupStore
from constructs_lib.postgres_props import (
    BackupPlan,
    PostgresProps,
    RecoveryPlan,
    postgres_cluster_values,
)
from tests.conftest import (
    Parse,
    Synth,
    Synthesized,
    only,
    reference_json,
    resources,
    synthesize,
    values_of,
)
from tests.test_isolation import TeamPods
from tools.netpol.evaluator import External
from tools.netpol.host_view import cluster, host_namespace, host_policies
from tools.review import compare, render

FIXTURE = Path(__file__).parent / "fixtures" / "cnpg-cluster-0.8.1-backups.yaml"

STORE = "backups: {s3: {bucket: team-backups, region: eu-west-1, path: platform/}, " + (
    "credentials_secret: backup-credentials}"
)
CATALOG = f"""
platform:
  {STORE}
teams:
  - {{name: team-a, database: {{}}}}
  - {{name: team-d, database: {{restore: {{from: team-a, point_in_time: "2026-11-29T12:00:00Z"}}}}}}
  - {{name: team-e, database: {{backup: {{enabled: false, reason: "scratch, rebuilt nightly"}}}}}}
  - {{name: team-f, database: {{backup: {{schedule: "30 1 * * 0", retention_days: 7}}}}}}
  - {{name: team-g, cache: {{}}}}
"""


@pytest.fixture(scope="module")
def catalog(catalog_from: Parse) -> Catalog:
    return catalog_from(CATALOG)


# --- the catalog ------------------------------------------------------------------------


def test_with_a_store_every_database_is_backed_up_by_default(catalog: Catalog) -> None:
    plan = backup_plan(catalog.platform, catalog.tenant("team-a"))
    assert plan is not None
    assert (plan.schedule, plan.retention_days, plan.tenant) == ("0 3 * * *", 30, "team-a")
    assert plan.store.destination("team-a") == "s3://team-backups/platform/team-a"


def test_a_database_may_set_its_own_schedule_and_retention(catalog: Catalog) -> None:
    plan = backup_plan(catalog.platform, catalog.tenant("team-f"))
    assert plan is not None and (plan.schedule, plan.retention_days) == ("30 1 * * 0", 7)


def test_a_database_not_backed_up_says_why(catalog: Catalog, catalog_from: Parse) -> None:
    assert backup_plan(catalog.platform, catalog.tenant("team-e")) is None
    with pytest.raises(CatalogError, match=r"teams\[0\] \(a1\)\.database\.backup: .*add reason:"):
        catalog_from(
            f"platform:\n  {STORE}\nteams: [{{name: a1, database: {{backup: {{enabled: false}}}}}}]"
        )


def test_without_a_store_nothing_is_backed_up(catalog_from: Parse) -> None:
    catalog = catalog_from("teams: [{name: a1, database: {}}]")
    assert backup_plan(catalog.platform, catalog.tenants[0]) is None


def test_a_restore_starts_from_the_sources_path(catalog: Catalog) -> None:
    plan = recovery_plan(catalog.platform, catalog.tenant("team-d"))
    assert plan is not None
    assert (plan.source, plan.point_in_time) == ("team-a", "2026-11-29T12:00:00Z")
    # It is backed up itself, to a path of its own: never onto its source's backups.
    own = backup_plan(catalog.platform, catalog.tenant("team-d"))
    assert own is not None and own.store.destination(own.tenant).endswith("/team-d")


# --- the chart's values, against its schema and its templates ----------------------------

STORES = {
    "s3": {
        "s3": {
            "bucket": "team-backups",
            "region": "eu-west-1",
            "path": "platform/",
            "endpoint": "https://minio.example.com:9000",
        }
    },
    "google": {"gcs": {"bucket": "team-backups"}},
    "azure": {"azure": {"storage_account": "acmebackups", "container": "pg-backups", "path": "x/"}},
}


def fixture_values(store: str) -> dict[str, Any]:
    return postgres_cluster_values(
        PostgresProps(
            namespace="a-apps",
            backup=BackupPlan(
                store=BackupStore.model_validate(
                    STORES[store] | {"credentials_secret": "backup-credentials"}
                ),
                tenant="team-a",
                schedule="0 3 * * *",
                retention_days=30,
            ),
            recovery=RecoveryPlan(
                store=BackupStore.model_validate(
                    STORES[store] | {"credentials_secret": "backup-credentials"}
                ),
                source="team-x",
                point_in_time="2026-11-29T12:00:00Z",
            ),
        )
    )


def rendered() -> dict[str, dict[str, Any]]:
    return {d["store"]: d for d in yaml.safe_load_all(FIXTURE.read_text()) if d}


@pytest.mark.parametrize("store", list(STORES))
def test_the_fixture_was_rendered_from_the_values_we_write(store: str) -> None:
    assert rendered()[store]["values"] == fixture_values(store)


@pytest.mark.reference
@pytest.mark.parametrize("store", list(STORES))
def test_backup_and_recovery_values_match_the_charts_schema(store: str) -> None:
    jsonschema.validate(
        fixture_values(store), reference_json("charts", "cnpg-cluster", "values.schema.json")
    )


def _cluster(store: str) -> dict[str, Any]:
    spec: dict[str, Any] = next(d for d in rendered()[store]["rendered"] if d["kind"] == "Cluster")[
        "spec"
    ]
    return spec


def test_the_chart_archives_wal_and_takes_base_backups_to_the_tenants_path() -> None:
    spec = _cluster("s3")
    store = spec["backup"]["barmanObjectStore"]
    assert store["destinationPath"] == "s3://team-backups/platform/team-a"
    assert store["endpointURL"] == "https://minio.example.com:9000"
    assert store["s3Credentials"] == {
        "accessKeyId": {"name": "backup-credentials", "key": "ACCESS_KEY_ID"},
        "secretAccessKey": {"name": "backup-credentials", "key": "ACCESS_SECRET_KEY"},
    }
    assert spec["backup"]["retentionPolicy"] == "30d"
    scheduled = next(d for d in rendered()["s3"]["rendered"] if d["kind"] == "ScheduledBackup")
    # Six fields, seconds first, as the operator's cron parser reads them: 03:00 every day.
    assert scheduled["spec"]["schedule"] == "0 0 3 * * *"
    assert scheduled["spec"]["cluster"] == {"name": "postgres"}


def test_the_chart_recovers_from_the_sources_path_to_the_point_in_time() -> None:
    spec = _cluster("s3")
    assert spec["bootstrap"]["recovery"]["source"] == "objectStoreRecoveryCluster"
    assert spec["bootstrap"]["recovery"]["recoveryTarget"] == {"targetTime": "2026-11-29T12:00:00Z"}
    external = only({c["name"]: c for c in spec["externalClusters"]})
    assert external["barmanObjectStore"]["serverName"] == "postgres"
    assert external["barmanObjectStore"]["destinationPath"] == "s3://team-backups/platform/team-x"


def test_gcs_and_azure_name_their_own_keys_of_the_same_secret() -> None:
    google = _cluster("google")["backup"]["barmanObjectStore"]
    azure = _cluster("azure")["backup"]["barmanObjectStore"]
    assert google["destinationPath"] == "gs://team-backups/team-a"
    assert google["googleCredentials"]["applicationCredentials"]["key"] == "APPLICATION_CREDENTIALS"
    assert azure["destinationPath"] == (
        "https://acmebackups.blob.core.windows.net/pg-backups/x/team-a"
    )
    assert {k["key"] for k in azure["azureCredentials"].values()} == {
        "AZURE_STORAGE_ACCOUNT",
        "AZURE_STORAGE_SAS_TOKEN",
    }
    # Server-side encryption is an S3 setting: the others are written without it.
    assert (
        "encryption" not in google["wal"]
        and _cluster("s3")["backup"]["barmanObjectStore"]["wal"]["encryption"] == "AES256"
    )


def test_postgres_runs_a_pinned_image_not_the_floating_major_tag() -> None:
    assert _cluster("s3")["imageName"] == versions.POSTGRES_IMAGES[17]
    for major, image in versions.POSTGRES_IMAGES.items():
        assert image.startswith(f"ghcr.io/cloudnative-pg/postgresql:{major}.")
        assert "-system-trixie@sha256:" in image and len(image.rsplit(":", 1)[1]) == 64


# --- the stacks -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("backups"))


def database_values(stack: dict[str, Any]) -> dict[str, Any]:
    release = only(
        {k: v for k, v in resources(stack, "helm_release").items() if v["chart"] == "cluster"}
    )
    return values_of(release)


def test_the_team_stack_backs_up_and_tells_the_team_where(
    stacks: dict[str, dict[str, Any]],
) -> None:
    values = database_values(stacks["team-a"])
    assert values["backups"]["destinationPath"] == "s3://team-backups/platform/team-a"
    assert values["backups"]["secret"] == {"create": False, "name": "backup-credentials"}
    info = only(resources(stacks["team-a"], "kubernetes_config_map_v1"))
    assert info["data"]["database_backups"] == "s3://team-backups/platform/team-a"
    assert database_values(stacks["team-e"])["backups"] == {"enabled": False}


def test_no_key_of_the_store_is_in_the_synthesized_json(stacks: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(stacks)
    assert "ACCESS_SECRET_KEY" not in text and "accessKey" not in text and "secretKey" not in text


def test_only_backed_up_tenants_get_a_way_to_the_object_store(
    stacks: dict[str, dict[str, Any]],
) -> None:
    def policies(stack: str) -> set[str]:
        return {
            p["metadata"]["name"]
            for p in resources(stacks[stack], "kubernetes_network_policy_v1").values()
        }

    assert "database-to-object-store" in policies("vcluster-team-a")
    assert "database-to-object-store" in policies("vcluster-team-d")  # it restores from it
    assert "database-to-object-store" not in policies("vcluster-team-e")
    assert "database-to-object-store" not in policies("vcluster-team-g")


# --- isolation: the database reaches the store, and only it ------------------------------

S3 = External("s3", "52.218.1.1")
NODE = External("node", "172.18.0.2")
METADATA = External("cloud-metadata", "169.254.169.254")


def test_the_database_reaches_the_object_store_and_nothing_else_does(
    stacks: dict[str, dict[str, Any]],
) -> None:
    world = cluster(
        host_policies(stacks, ("team-a", "team-e")),
        [host_namespace("team-a"), host_namespace("team-e"), "kube-system"],
    )
    a, e = TeamPods("team-a", 1), TeamPods("team-e", 2)
    assert world.allows(a.db[0], S3, 443, "TCP")
    assert not world.allows(a.db[0], S3, 80, "TCP")
    assert not world.allows(a.db[0], NODE, 443, "TCP")
    assert not world.allows(a.db[0], METADATA, 80, "TCP")
    assert not world.allows(a.app, S3, 443, "TCP")
    assert not world.allows(a.debug, S3, 443, "TCP")
    # Negative control: a database that is not backed up has no way out.
    assert not world.allows(e.db[0], S3, 443, "TCP")


def test_a_named_store_network_is_all_the_database_reaches(
    catalog_from: Parse, synth: Synth
) -> None:
    text = CATALOG.replace(
        "credentials_secret: backup-credentials}",
        "credentials_secret: backup-credentials, network: {cidr: 10.20.0.0/16, ports: [9000]}}",
    )
    stacks = synth(catalog_from(text))
    world = cluster(host_policies(stacks, ("team-a",)), [host_namespace("team-a"), "kube-system"])
    a = TeamPods("team-a", 1)
    minio = External("minio", "10.20.3.4")
    assert world.allows(a.db[0], minio, 9000, "TCP")
    assert not world.allows(a.db[0], minio, 443, "TCP")
    assert not world.allows(a.db[0], S3, 443, "TCP")


# --- review -----------------------------------------------------------------------------


def test_review_shows_what_is_backed_up_where_and_how_often(
    catalog_from: Parse, synth: Synth
) -> None:
    before = synth(catalog_from("teams: [{name: team-a, database: {}}]"))
    after = synth(catalog_from(f"platform:\n  {STORE}\nteams: [{{name: team-a, database: {{}}}}]"))
    report = render(compare(before, after, base_label="b"))
    assert "### 💾 Backups" in report
    assert (
        "- `team-a`: backed up to `s3://team-backups/platform/team-a`, base backups at "
        "`0 3 * * *` (cron, UTC) and every WAL segment, kept 30 days."
    ) in report
    stopped = render(compare(after, before, base_label="b"))
    assert "- `team-a`: its database is **no longer backed up**" in stopped


def test_review_calls_out_the_databases_way_to_a_new_store_network(
    catalog_from: Parse, synth: Synth
) -> None:
    before = synth(catalog_from(f"platform:\n  {STORE}\nteams: [{{name: team-a, database: {{}}}}]"))
    narrowed = STORE.replace(
        "credentials_secret: backup-credentials}",
        "credentials_secret: backup-credentials, network: {cidr: 10.20.0.0/16, ports: [9000]}}",
    )
    after = synth(
        catalog_from(f"platform:\n  {narrowed}\nteams: [{{name: team-a, database: {{}}}}]")
    )
    report = render(compare(before, after, base_label="b"))
    assert (
        "- `vcluster-team-a`: the database (backups) may now reach **10.20.0.0/16:9000**." in report
    )
    assert (
        "- `vcluster-team-a`: the database (backups) may no longer reach public addresses:443."
        in report
    )
