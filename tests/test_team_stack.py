"""Layer 3: what every team gets inside its vcluster, and how the stack reaches it."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from constructs_lib import versions
from tests.conftest import (
    Parse,
    Synth,
    Synthesized,
    address_at,
    only,
    reference_json,
    resources,
    values_of,
)


def releases(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["chart"]: r for r in resources(stack, "helm_release").values()}


def schema_errors(chart: str, values: dict[str, Any]) -> list[str]:
    schema = reference_json("charts", chart, "values.schema.json")
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(values)]


def deployment(stack: dict[str, Any]) -> dict[str, Any]:
    return dict(only(resources(stack, "kubernetes_deployment_v1")))


def container(stack: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment(stack)["spec"]["template"]["spec"]["container"][0])


def policies(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        p["metadata"]["name"]: p["spec"]
        for p in resources(stack, "kubernetes_network_policy_v1").values()
    }


# --- wiring -----------------------------------------------------------------------------

REMOTE_KUBECONFIG = (
    "${data.terraform_remote_state.cross-stack-reference-input-vcluster-team-a.outputs."
    "cross-stack-output-local_sensitive_fileteam-a_Kubeconfig_4C2164B1filename}"
)


def test_providers_use_the_team_kubeconfig_from_the_vcluster_stack(
    synthesized: Synthesized,
) -> None:
    provider = synthesized["team-a"]["provider"]
    assert provider["kubernetes"] == [{"config_path": REMOTE_KUBECONFIG}]
    assert provider["helm"] == [{"kubernetes": {"config_path": REMOTE_KUBECONFIG}}]


def test_the_referenced_output_exists_and_is_the_teams_kubeconfig(synthesized: Synthesized) -> None:
    producer = synthesized["vcluster-team-a"]
    kubeconfig = address_at(producer, "vcluster-team-a/team-a/Kubeconfig")
    # cdktf names a cross-stack output after the referenced address and attribute.
    output = producer["output"][f"cross-stack-output-{kubeconfig.replace('.', '')}filename"]
    assert output == {"sensitive": True, "value": f"${{{kubeconfig}.filename}}"}


def test_each_team_reads_only_its_own_vcluster_state(synthesized: Synthesized) -> None:
    remote = synthesized["team-b"]["data"]["terraform_remote_state"]
    assert list(remote) == ["cross-stack-reference-input-vcluster-team-b"]
    assert "team-b_Kubeconfig" in json.dumps(synthesized["team-b"]["provider"])


# --- namespace, quota -------------------------------------------------------------------


def test_namespace_is_labeled_and_restricted(synthesized: Synthesized) -> None:
    namespace = only(resources(synthesized["team-a"], "kubernetes_namespace_v1"))
    assert namespace["metadata"]["name"] == "team-a-apps"
    labels = namespace["metadata"]["labels"]
    assert labels["team"] == "team-a"
    assert labels["project"] == "kube-platform"
    assert labels["cost-center"] == "cc-1001"
    assert labels["app.kubernetes.io/managed-by"] == "kube-platform"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_namespace_has_a_quota_and_default_limits(synthesized: Synthesized) -> None:
    quota = only(resources(synthesized["team-a"], "kubernetes_resource_quota_v1"))
    assert quota["spec"]["hard"]["requests.cpu"] == "4"
    assert quota["spec"]["hard"]["count/pods"] == "30"
    limits = only(resources(synthesized["team-a"], "kubernetes_limit_range_v1"))
    assert limits["spec"]["limit"][0] == {
        "type": "Container",
        "default": {"cpu": "500m", "memory": "512Mi"},
        "default_request": {"cpu": "100m", "memory": "128Mi"},
    }


def test_no_network_policy_peer_is_empty(synthesized: Synthesized) -> None:
    """An empty peer ({}) would match everything: each must name pods or namespaces."""
    for team in ("team-a", "team-b"):
        for spec in policies(synthesized[team]).values():
            for rule in spec.get("ingress", []):
                assert all(peer for peer in rule["from"]), spec
            for rule in spec.get("egress", []):
                assert all(peer for peer in rule.get("to", [])), spec


# --- the app ----------------------------------------------------------------------------


def test_app_runs_two_pinned_replicas_by_default(synthesized: Synthesized) -> None:
    assert deployment(synthesized["team-a"])["spec"]["replicas"] == "2"
    assert container(synthesized["team-a"])["image"] == versions.APP_IMAGE


def test_app_replicas_and_image_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(catalog_from("teams: [{name: a1, app: {replicas: 4, image: 'web/app:1.2.3'}}]"))
    assert deployment(stacks["a1"])["spec"]["replicas"] == "4"
    assert container(stacks["a1"])["image"] == "web/app:1.2.3"


def test_app_container_is_locked_down(synthesized: Synthesized) -> None:
    security = container(synthesized["team-a"])["security_context"]
    assert security["run_as_non_root"] is True
    assert security["run_as_user"] == "101"
    assert security["allow_privilege_escalation"] is False
    assert security["privileged"] is False
    assert security["read_only_root_filesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    pod = deployment(synthesized["team-a"])["spec"]["template"]["spec"]
    assert pod["security_context"]["seccomp_profile"] == {"type": "RuntimeDefault"}
    assert pod["automount_service_account_token"] is False


def test_app_gets_a_writable_tmp_over_its_read_only_root(synthesized: Synthesized) -> None:
    mounts = container(synthesized["team-a"])["volume_mount"]
    assert mounts[0]["mount_path"] == "/tmp"
    volumes = deployment(synthesized["team-a"])["spec"]["template"]["spec"]["volume"]
    assert volumes[0]["name"] == mounts[0]["name"]
    assert "empty_dir" in volumes[0]


def test_app_has_requests_limits_and_probes(synthesized: Synthesized) -> None:
    app = container(synthesized["team-a"])
    assert app["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "250m", "memory": "128Mi"},
    }
    assert app["liveness_probe"]["http_get"] == {"path": "/", "port": "http"}
    assert app["readiness_probe"]["http_get"] == {"path": "/", "port": "http"}
    assert app["port"] == [{"container_port": 8080, "name": "http"}]


def test_app_is_behind_a_cluster_ip_service(synthesized: Synthesized) -> None:
    service = only(resources(synthesized["team-a"], "kubernetes_service_v1"))
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "app"}
    assert service["spec"]["port"] == [{"name": "http", "port": 80, "target_port": "http"}]
    template_labels = deployment(synthesized["team-a"])["spec"]["template"]["metadata"]["labels"]
    assert template_labels.items() >= service["spec"]["selector"].items()


def secret_volumes(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Mount path -> the secret volume mounted there."""
    pod = deployment(stack)["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volume"]}
    return {
        m["mount_path"]: {**volumes[m["name"]]["secret"], "read_only": m.get("read_only")}
        for m in container(stack)["volume_mount"]
        if "secret" in volumes[m["name"]]
    }


def test_app_reads_database_credentials_as_files_from_the_generated_secret(
    synthesized: Synthesized,
) -> None:
    mounted = secret_volumes(synthesized["team-a"])
    database = mounted["/var/run/secrets/platform/database"]
    assert database["secret_name"] == "postgres-app"
    assert database["read_only"] is True
    assert database["default_mode"] == "0400"
    keys = {item["key"] for item in database["items"]}
    assert keys == {"uri", "host", "port", "dbname", "username", "password"}


def test_app_reads_the_cache_password_as_a_file(synthesized: Synthesized) -> None:
    mounted = secret_volumes(synthesized["team-b"])
    assert list(mounted) == ["/var/run/secrets/platform/cache"]
    assert mounted["/var/run/secrets/platform/cache"]["secret_name"] == "cache-auth"
    assert mounted["/var/run/secrets/platform/cache"]["items"] == [
        {"key": "default", "path": "default"}
    ]


def test_no_credential_is_passed_through_environment_variables(synthesized: Synthesized) -> None:
    for team in ("team-a", "team-b"):
        assert "env" not in container(synthesized[team])


def test_images_are_always_pulled(synthesized: Synthesized) -> None:
    assert container(synthesized["team-a"])["image_pull_policy"] == "Always"


# --- team info --------------------------------------------------------------------------


def test_team_info_names_team_owners_cost_center_and_endpoints(synthesized: Synthesized) -> None:
    info = only(resources(synthesized["team-a"], "kubernetes_config_map_v1"))
    assert info["metadata"]["name"] == "team-info"
    data = info["data"]
    assert data["team"] == "team-a"
    assert data["owners"] == "alice@example.com"
    assert data["cost_center"] == "cc-1001"
    assert data["database_endpoint"].endswith(".svc.cluster.local:5432")
    assert data["database_secret"] == "postgres-app"
    assert data["app_endpoint"].endswith(".svc.cluster.local:80")
    assert data["database_credentials_dir"] == "/var/run/secrets/platform/database"
    assert "cache_endpoint" not in data


# --- network policy ---------------------------------------------------------------------


def test_network_policy_denies_by_default(synthesized: Synthesized) -> None:
    deny = policies(synthesized["team-a"])["default-deny"]
    assert deny == {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}


def test_network_policy_allows_dns_and_traffic_to_the_app(synthesized: Synthesized) -> None:
    found = policies(synthesized["team-a"])
    (dns,) = found["allow-dns"]["egress"]
    # The vcluster's CoreDNS pods listen on 1053 (its Service maps 53 there).
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {("1053", "UDP"), ("1053", "TCP")}
    assert dns["to"] == [
        {
            "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
            "pod_selector": {"match_labels": {"k8s-app": "vcluster-kube-dns"}},
        }
    ]
    app_in = found["allow-app-ingress"]
    assert app_in["pod_selector"] == {"match_labels": {"app.kubernetes.io/name": "app"}}
    assert app_in["ingress"][0]["ports"] == [{"port": "8080", "protocol": "TCP"}]


def test_network_policy_lets_only_the_app_reach_the_database(synthesized: Synthesized) -> None:
    found = policies(synthesized["team-a"])
    to_db = found["allow-app-to-database"]["egress"][0]
    assert to_db["to"] == [{"pod_selector": {"match_labels": {"cnpg.io/cluster": "postgres"}}}]
    assert to_db["ports"] == [{"port": "5432", "protocol": "TCP"}]
    db = found["allow-database-traffic"]
    assert db["ingress"][0]["from"] == [
        {"pod_selector": {"match_labels": {"app.kubernetes.io/name": "app"}}}
    ]
    operator = db["ingress"][1]
    assert operator["from"][0]["namespace_selector"] == {
        "match_labels": {"kubernetes.io/metadata.name": "cnpg-system"}
    }
    assert "allow-app-to-cache" not in found


def test_network_policy_lets_only_the_app_reach_the_cache(synthesized: Synthesized) -> None:
    found = policies(synthesized["team-b"])
    assert found["allow-app-to-cache"]["egress"][0]["ports"] == [
        {"port": "6379", "protocol": "TCP"}
    ]
    assert found["allow-cache-traffic"]["pod_selector"] == {"match_labels": {"component": "cache"}}
    assert "allow-app-to-database" not in found


# --- PostgreSQL -------------------------------------------------------------------------


@pytest.mark.reference
def test_database_values_fit_the_cnpg_cluster_chart_schema(synthesized: Synthesized) -> None:
    values = values_of(releases(synthesized["team-a"])["cluster"])
    assert schema_errors("cnpg-cluster", values) == []


def test_database_settings_come_from_the_catalog(catalog_from: Parse, synth: Synth) -> None:
    stacks = synth(
        catalog_from(
            "teams: [{name: a1, database: {postgres_major: 16, instances: 3, storage_gib: 20}, "
            "quota: {storage_requests: 80Gi}}]"
        )
    )
    values = values_of(releases(stacks["a1"])["cluster"])
    assert values["version"] == {"postgresql": "16"}
    assert values["cluster"]["instances"] == 3
    assert values["cluster"]["storage"] == {"size": "20Gi"}
    assert values["cluster"]["enablePDB"] is True
    replication = policies(stacks["a1"])["allow-database-traffic"]["ingress"]
    assert {
        "from": [{"pod_selector": {"match_labels": {"cnpg.io/cluster": "postgres"}}}],
        "ports": [{"port": "5432", "protocol": "TCP"}],
    } in replication


def test_database_has_no_superuser_access_and_a_predictable_name(synthesized: Synthesized) -> None:
    values = values_of(releases(synthesized["team-a"])["cluster"])
    assert values["cluster"]["enableSuperuserAccess"] is False
    assert values["fullnameOverride"] == "postgres"


def test_operator_is_installed_once_waited_for_then_the_database(synthesized: Synthesized) -> None:
    stack = synthesized["team-a"]
    operator = releases(stack)["cloudnative-pg"]
    assert operator["version"] == "0.29.0"
    assert operator["namespace"] == "cnpg-system"
    assert operator["wait"] is True
    pause = only(resources(stack, "time_sleep"))
    assert pause["create_duration"] == "30s"
    assert pause["depends_on"] == [address_at(stack, "team-a/Team/Database/Operator")]
    cluster = releases(stack)["cluster"]
    assert cluster["version"] == "0.8.1"
    assert cluster["depends_on"] == [address_at(stack, "team-a/Team/Database/WebhookSettle")]


def test_a_team_without_a_database_gets_no_operator(synthesized: Synthesized) -> None:
    assert "cloudnative-pg" not in releases(synthesized["team-b"])
    assert "time_sleep" not in synthesized["team-b"].get("resource", {})


# --- cache ------------------------------------------------------------------------------


@pytest.mark.reference
def test_cache_values_fit_the_valkey_chart_schema(synthesized: Synthesized) -> None:
    assert schema_errors("valkey", values_of(releases(synthesized["team-b"])["valkey"])) == []


def test_cache_requires_auth_with_a_password_from_our_secret(synthesized: Synthesized) -> None:
    stack = synthesized["team-b"]
    values = values_of(releases(stack)["valkey"])
    assert values["auth"]["enabled"] is True
    assert values["auth"]["usersExistingSecret"] == "cache-auth"
    assert values["auth"]["aclUsers"]["default"]["passwordKey"] == "default"
    assert "password" not in values["auth"]["aclUsers"]["default"]
    secret = only(resources(stack, "kubernetes_secret_v1"))
    assert secret["metadata"]["name"] == "cache-auth"
    (password_id,) = resources(stack, "random_password")
    assert secret["data"] == {"default": f"${{random_password.{password_id}.result}}"}


def test_cache_password_is_generated_at_apply_time(synthesized: Synthesized) -> None:
    password = only(resources(synthesized["team-b"], "random_password"))
    assert password["length"] >= 32
    assert "result" not in password


def test_cache_runs_non_root_with_a_read_only_root(synthesized: Synthesized) -> None:
    values = values_of(releases(synthesized["team-b"])["valkey"])
    assert values["securityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["resources"]["limits"]["memory"] == "256Mi"


# --- outputs and secrets ----------------------------------------------------------------


def test_outputs_name_endpoints_and_secrets_never_credentials(synthesized: Synthesized) -> None:
    outputs = synthesized["team-a"]["output"]
    assert sorted(outputs) == [
        "app_service_address",
        "database_host",
        "database_port",
        "database_secret_name",
    ]
    assert outputs["database_port"]["value"] == 5432
    assert outputs["database_secret_name"]["value"] == "postgres-app"
    assert sorted(synthesized["team-b"]["output"]) == [
        "app_service_address",
        "cache_host",
        "cache_port",
        "cache_secret_name",
    ]


def test_team_stacks_differ_only_where_their_catalog_entries_differ(
    catalog_from: Parse, synth: Synth
) -> None:
    stacks = synth(
        catalog_from(
            "teams: [{name: twin-a, cost_center: cc-1, database: {}}, "
            "{name: twin-b, cost_center: cc-1, database: {}}]"
        )
    )

    def normalized(team: str) -> str:
        text = json.dumps(stacks[team], sort_keys=True).replace(team, "TEAM")
        # The cross-stack output is named after the vcluster construct, which hashes the name.
        return re.sub(r"Kubeconfig_[0-9A-F]{8}", "Kubeconfig_HASH", text)

    assert normalized("twin-a") == normalized("twin-b")


@pytest.mark.parametrize("team", ["team-a", "team-b"])
def test_every_resource_carries_the_team_labels(synthesized: Synthesized, team: str) -> None:
    for kind in (
        "kubernetes_namespace_v1",
        "kubernetes_deployment_v1",
        "kubernetes_service_v1",
        "kubernetes_config_map_v1",
        "kubernetes_network_policy_v1",
        "kubernetes_resource_quota_v1",
    ):
        for resource in resources(synthesized[team], kind).values():
            assert resource["metadata"]["labels"]["team"] == team, kind
