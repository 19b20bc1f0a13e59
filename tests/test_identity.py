"""Access by identity: a team's people sign in with the platform's issuer, bound to their role
inside their vcluster; a member's kubeconfig carries no credential of anyone."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.config.kube_config import KubeConfigLoader  # type: ignore[import-untyped]

from catalog.loader import CatalogError
from catalog.model import Catalog
from constructs_lib.identity import OIDC_PREFIX
from tests.conftest import (
    Parse,
    Synthesized,
    only,
    resources,
    run_command,
    synthesize,
    values_of,
)
from tests.test_chart_values import vcluster_schema_errors
from tools.review import compare, render
from tools.team_kubeconfig import (
    KubeconfigError,
    certificate_authority,
    member_kubeconfig,
)

CATALOG = """
platform:
  identity: {issuer_url: https://login.example.com, client_id: kube-platform}
teams:
  - name: team-a
    members: {groups: [team-a-devs], users: [carol@example.com], role: admin}
  - name: team-b
    members: {groups: [team-b-readers], role: view}
  - name: team-c
"""
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()


@pytest.fixture(scope="module")
def catalog(catalog_from: Parse) -> Catalog:
    return catalog_from(CATALOG)


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("identity"))


def vcluster_values(stacks: Synthesized, tenant: str) -> dict[str, Any]:
    return values_of(only(resources(stacks[f"vcluster-{tenant}"], "helm_release")))


def test_every_vcluster_trusts_the_platforms_issuer(stacks: Synthesized) -> None:
    for tenant in ("team-a", "team-c"):
        args = vcluster_values(stacks, tenant)["controlPlane"]["distro"]["k8s"]["apiServer"][
            "extraArgs"
        ]
        assert args == [
            "--oidc-issuer-url=https://login.example.com",
            "--oidc-client-id=kube-platform",
            "--oidc-username-claim=email",
            "--oidc-groups-claim=groups",
            f"--oidc-username-prefix={OIDC_PREFIX}",
            f"--oidc-groups-prefix={OIDC_PREFIX}",
        ]


def test_the_flags_fit_the_vcluster_schema(stacks: Synthesized) -> None:
    assert vcluster_schema_errors(vcluster_values(stacks, "team-a")) == []


def test_without_an_issuer_the_api_server_gets_no_flags(synthesized: Synthesized) -> None:
    values = values_of(only(resources(synthesized["vcluster-team-a"], "helm_release")))
    assert "apiServer" not in values["controlPlane"]["distro"]["k8s"]
    assert resources(synthesized["team-a"], "kubernetes_cluster_role_binding_v1") == {}


def binding(stacks: Synthesized, tenant: str) -> dict[str, Any]:
    result: dict[str, Any] = only(resources(stacks[tenant], "kubernetes_cluster_role_binding_v1"))
    return result


def test_the_teams_people_are_bound_to_their_role_with_the_issuers_prefix(
    stacks: Synthesized,
) -> None:
    a = binding(stacks, "team-a")
    assert a["role_ref"]["name"] == "cluster-admin"
    assert [(s["kind"], s["name"]) for s in a["subject"]] == [
        ("Group", "oidc:team-a-devs"),
        ("User", "oidc:carol@example.com"),
    ]
    assert binding(stacks, "team-b")["role_ref"]["name"] == "view"
    assert a["metadata"]["labels"]["team"] == "team-a"


def test_a_team_without_members_gets_no_binding(stacks: Synthesized) -> None:
    assert resources(stacks["team-c"], "kubernetes_cluster_role_binding_v1") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "teams: [{name: a1, members: {groups: [devs]}}]",
            "teams[0] (a1).members: the platform has no issuer to sign them in with",
        ),
        (
            "platform: {identity: {issuer_url: https://l.example.com, client_id: k}}\n"
            "teams: [{name: a1, members: {}}]",
            "name the team's people: groups: [...] or users: [...]",
        ),
        (
            "platform: {identity: {issuer_url: https://l.example.com, client_id: k}}\n"
            "teams: [{name: a1, members: {groups: [d], role: owner}}]",
            "members.role: Input should be 'admin', 'edit' or 'view'",
        ),
        (
            "platform: {identity: {issuer_url: http://l.example.com, client_id: k}}\n"
            "teams: [{name: a1}]",
            "platform.identity.issuer_url: must be an https:// URL",
        ),
        (
            "platform: {identity: {issuer_url: https://l.example.com, client_id: 'a b'}}\n"
            "teams: [{name: a1}]",
            "platform.identity.client_id: must be an OIDC client id",
        ),
        (
            "platform: {identity: {issuer_url: https://l.example.com, client_id: k}}\n"
            "teams: [{name: a1, members: {groups: [d, d]}}]",
            "groups: 'd' is listed twice",
        ),
    ],
)
def test_identity_mistakes_are_refused_with_the_field_and_the_fix(
    catalog_from: Parse, text: str, message: str
) -> None:
    with pytest.raises(CatalogError) as error:
        catalog_from(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# --- a member's kubeconfig ------------------------------------------------------------------


def walk(value: Any) -> list[str]:
    """Every key and text anywhere in a nested document."""
    if isinstance(value, dict):
        return [k for k in value] + [x for v in value.values() for x in walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in walk(v)]
    return [str(value)]


def test_a_members_kubeconfig_holds_no_credential(catalog: Catalog) -> None:
    config = member_kubeconfig(catalog, catalog.tenant("team-a"), CA)
    words = walk(config)
    for forbidden in ("client-key-data", "client-certificate-data", "token", "password"):
        assert forbidden not in words
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}
    assert user["user"]["exec"]["command"] == "kubectl"
    assert user["user"]["exec"]["args"][:2] == ["oidc-login", "get-token"]
    assert "--oidc-issuer-url=https://login.example.com" in user["user"]["exec"]["args"]


def test_it_names_the_tenants_api_server_and_its_ca(catalog: Catalog, stacks: Synthesized) -> None:
    config = member_kubeconfig(catalog, catalog.tenant("team-a"), CA)
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["certificate-authority-data"] == CA
    # The same server the vcluster exports in the platform's admin kubeconfig.
    exported = vcluster_values(stacks, "team-a")["exportKubeConfig"]["server"]
    assert cluster["cluster"]["server"] == exported


def test_it_loads_in_the_kubernetes_client_library(catalog: Catalog) -> None:
    config = member_kubeconfig(catalog, catalog.tenant("team-a"), CA)
    loader = KubeConfigLoader(config_dict=config)
    assert loader.current_context["name"] == "vcluster-team-a"
    loader._load_cluster_info()
    assert loader.host == config["clusters"][0]["cluster"]["server"]
    assert Path(loader.ssl_ca_cert).read_bytes() == base64.b64decode(CA)
    assert loader.cert_file is None and loader.key_file is None
    # What the library reads as the user: an exec plugin and nothing it could authenticate with.
    user = loader._user.value
    assert "exec" in user
    assert not {"token", "client-key-data", "client-certificate-data"} & set(user)


def test_only_the_ca_is_taken_from_the_admin_kubeconfig(tmp_path: Path) -> None:
    admin = tmp_path / "vcluster-team-a.yaml"
    admin.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "x", "cluster": {"certificate-authority-data": CA}}],
                "users": [{"name": "x", "user": {"client-key-data": "S0VZ"}}],
            }
        )
    )
    assert certificate_authority(admin) == CA


def test_no_admin_kubeconfig_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="restore-kubeconfigs"):
        certificate_authority(tmp_path / "missing.yaml")


def test_a_team_without_members_gets_no_kubeconfig(catalog: Catalog) -> None:
    with pytest.raises(KubeconfigError, match=r"teams\[2\]\.members: the team names no people"):
        member_kubeconfig(catalog, catalog.tenant("team-c"), CA)


def test_the_command_refuses_without_an_issuer_in_one_line() -> None:
    result = run_command([sys.executable, "-m", "tools.team_kubeconfig", "team-a"])
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: platform.identity is not set")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


# --- review ---------------------------------------------------------------------------------


def test_review_says_who_may_sign_in_and_as_what(catalog_from: Parse, tmp_path: Path) -> None:
    head = CATALOG.replace("role: view", "role: edit").replace("users: [carol@example.com], ", "")
    report = render(
        compare(
            synthesize(catalog_from(CATALOG), tmp_path / "base"),
            synthesize(catalog_from(head), tmp_path / "head"),
            base_label="main",
        )
    )
    section = report.split("### 🔑 Who may sign in\n\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        "- `team-a`: user oidc:carol@example.com may no longer sign in",
        "- `team-b`: role `view` → `edit`",
    ]


def test_review_names_the_people_of_a_team_that_gets_members(
    catalog_from: Parse, tmp_path: Path
) -> None:
    head = CATALOG.replace("  - name: team-c\n", "  - name: team-c\n    members: {groups: [c]}\n")
    report = render(
        compare(
            synthesize(catalog_from(CATALOG), tmp_path / "base"),
            synthesize(catalog_from(head), tmp_path / "head"),
            base_label="main",
        )
    )
    assert "- `team-c`: group oidc:c may sign in as `cluster-admin`" in report
