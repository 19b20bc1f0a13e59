"""Each construct on its own, in a bare stack: what it creates from its props alone.

The whole-app tests pin how stacks wire constructs to the catalog; these pin what a construct
guarantees to any caller (secure defaults, ordering, protection), so a change to one construct
shows up here first.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from constructs_lib.cache import ValkeyCache
from constructs_lib.cache_props import CacheProps
from constructs_lib.labels import PlatformLabels
from constructs_lib.postgres import PostgresDatabase
from constructs_lib.postgres_props import PostgresProps, PostgresSettings
from constructs_lib.team import TeamConstruct, TeamProps
from constructs_lib.vcluster import TeamVCluster
from constructs_lib.vcluster_exposure import NodePortExposure
from constructs_lib.vcluster_props import VClusterProps
from constructs_lib.web_app import WebApp
from constructs_lib.web_app_props import SecretFiles, WebAppProps, WebAppSettings
from tests.conftest import only, resources, synth_construct

LABELS = PlatformLabels(team="a1", project="p", cost_center="cc")


def by_type(stack: dict[str, Any]) -> dict[str, int]:
    """How many resources of each type a construct created."""
    return {kind: len(items) for kind, items in stack.get("resource", {}).items()}


def address(stack: dict[str, Any], resource_type: str) -> str:
    (name,) = stack["resource"][resource_type]
    return f"{resource_type}.{name}"


# --- WebApp -----------------------------------------------------------------------------


def web_app(**props: Any) -> dict[str, Any]:
    return synth_construct(lambda s: WebApp(s, "App", WebAppProps(namespace="ns", **props)))


def test_a_web_app_is_one_deployment_behind_one_service() -> None:
    stack = web_app()
    assert by_type(stack) == {"kubernetes_deployment_v1": 1, "kubernetes_service_v1": 1}
    service = only(resources(stack, "kubernetes_service_v1"))
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "app"}
    assert service["spec"]["port"] == [{"name": "http", "port": 80, "target_port": "http"}]


def test_a_web_app_runs_hardened_whatever_the_caller_passes() -> None:
    deployment = only(resources(web_app(), "kubernetes_deployment_v1"))
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["container"]
    assert pod["automount_service_account_token"] is False
    assert pod["security_context"]["seccomp_profile"] == {"type": "RuntimeDefault"}
    assert container["security_context"] == {
        "allow_privilege_escalation": False,
        "privileged": False,
        "read_only_root_filesystem": True,
        "run_as_non_root": True,
        "run_as_user": "101",
        "run_as_group": "101",
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["limits"] == {"cpu": "250m", "memory": "128Mi"}


def test_a_web_app_takes_image_and_replicas_from_its_settings() -> None:
    settings = WebAppSettings(image="example/app:1.0", replicas=5)
    deployment = only(resources(web_app(settings=settings), "kubernetes_deployment_v1"))
    assert deployment["spec"]["replicas"] == "5"
    assert deployment["spec"]["template"]["spec"]["container"][0]["image"] == "example/app:1.0"


def test_secret_files_are_mounted_read_only_with_only_their_keys() -> None:
    files = SecretFiles(secret_name="db", mount_path="/var/run/secrets/db", keys=("uri",))
    deployment = only(resources(web_app(secret_files=(files,)), "kubernetes_deployment_v1"))
    pod = deployment["spec"]["template"]["spec"]
    secret_volume = next(v for v in pod["volume"] if "secret" in v)
    assert secret_volume["secret"] == {
        "secret_name": "db",
        "default_mode": "0400",
        "items": [{"key": "uri", "path": "uri"}],
    }
    mount = next(m for m in pod["container"][0]["volume_mount"] if m["name"] == "secret-db")
    assert mount == {"name": "secret-db", "mount_path": "/var/run/secrets/db", "read_only": True}
    assert "env" not in pod["container"][0]


# --- PostgreSQL -------------------------------------------------------------------------


def database(**props: Any) -> dict[str, Any]:
    return synth_construct(
        lambda s: PostgresDatabase(s, "Database", PostgresProps(namespace="ns", **props))
    )


def test_the_database_waits_for_its_operator_and_the_webhook_pause() -> None:
    stack = database()
    releases = {r["chart"]: r for r in resources(stack, "helm_release").values()}
    pause = only(resources(stack, "time_sleep"))
    operator_address = next(
        f"helm_release.{name}"
        for name, r in resources(stack, "helm_release").items()
        if r["chart"] == "cloudnative-pg"
    )
    assert pause["depends_on"] == [operator_address]
    assert releases["cluster"]["depends_on"] == [address(stack, "time_sleep")]


def test_only_a_protected_database_refuses_destruction() -> None:
    def lifecycles(stack: dict[str, Any]) -> dict[str, Any]:
        return {r["chart"]: r.get("lifecycle") for r in resources(stack, "helm_release").values()}

    assert lifecycles(database()) == {"cloudnative-pg": None, "cluster": None}
    assert lifecycles(database(protect=True)) == {
        "cloudnative-pg": None,
        "cluster": {"prevent_destroy": True},
    }


def test_the_database_describes_itself_to_the_app_without_credentials() -> None:
    def build(scope: Construct) -> None:
        db = PostgresDatabase(
            scope,
            "Database",
            PostgresProps(namespace="ns", settings=PostgresSettings(instances=3)),
        )
        found.append(db.service)

    found: list[Any] = []
    synth_construct(build)
    (service,) = found
    assert (service.host, service.port, service.secret_name) == (
        "postgres-rw.ns.svc.cluster.local",
        5432,
        "postgres-app",
    )
    assert service.peers_connect is True  # three instances replicate to each other


# --- cache ------------------------------------------------------------------------------


def test_the_cache_password_is_generated_at_apply_time_into_its_secret() -> None:
    stack = synth_construct(lambda s: ValkeyCache(s, "Cache", CacheProps(namespace="ns")))
    password = only(resources(stack, "random_password"))
    assert password == {"length": 32, "special": False}
    secret = only(resources(stack, "kubernetes_secret_v1"))
    assert secret["data"] == {"default": f"${{{address(stack, 'random_password')}.result}}"}
    release = only(resources(stack, "helm_release"))
    assert release["depends_on"] == [address(stack, "kubernetes_secret_v1")]


# --- vcluster ---------------------------------------------------------------------------


def vcluster(**props: Any) -> dict[str, Any]:
    return synth_construct(
        lambda s: TeamVCluster(
            s,
            "a1",
            VClusterProps(
                team="a1", labels=LABELS, exposure=NodePortExposure(node_port=30001), **props
            ),
        )
    )


def test_a_vcluster_writes_its_kubeconfig_privately_after_its_release() -> None:
    stack = vcluster()
    secret = only(stack["data"]["kubernetes_secret_v1"])
    assert secret["depends_on"] == [address(stack, "helm_release")]
    kubeconfig = only(resources(stack, "local_sensitive_file"))
    assert kubeconfig["filename"] == "../../../.kubeconfigs/vcluster-a1.yaml"
    assert kubeconfig["file_permission"] == "0600"


def test_a_protected_vcluster_keeps_its_namespace_and_release() -> None:
    stack = vcluster(protect=True)
    assert only(resources(stack, "kubernetes_namespace_v1"))["lifecycle"] == {
        "prevent_destroy": True
    }
    assert only(resources(stack, "helm_release"))["lifecycle"] == {"prevent_destroy": True}


# --- team -------------------------------------------------------------------------------


def team(**props: Any) -> dict[str, Any]:
    return synth_construct(
        lambda s: TeamConstruct(s, "Team", TeamProps(name="a1", labels=LABELS, **props))
    )


def test_a_team_without_backing_services_gets_no_release_and_no_secret() -> None:
    stack = team()
    assert "helm_release" not in stack["resource"]
    assert "kubernetes_secret_v1" not in stack["resource"]
    info = only(resources(stack, "kubernetes_config_map_v1"))["data"]
    assert sorted(info) == ["app_endpoint", "cost_center", "namespace", "owners", "team"]


def test_a_team_with_a_database_mounts_its_credentials_and_names_them_in_team_info() -> None:
    stack = team(database=PostgresSettings())
    info = only(resources(stack, "kubernetes_config_map_v1"))["data"]
    namespace = f"${{{address(stack, 'kubernetes_namespace_v1')}.metadata[0].name}}"
    assert info["database_endpoint"] == f"postgres-rw.{namespace}.svc.cluster.local:5432"
    assert info["database_credentials_dir"] == "/var/run/secrets/platform/database"
    pod = only(resources(stack, "kubernetes_deployment_v1"))["spec"]["template"]["spec"]
    assert {v["name"] for v in pod["volume"]} == {"writable-0", "secret-postgres-app"}
