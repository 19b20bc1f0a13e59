"""Delivery by GitOps: a team's repository delivered into its own vcluster by its host's Argo
CD, with the cluster's credentials read at apply time and the team confined to that cluster."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from catalog.loader import CatalogError
from catalog.model import Catalog
from constructs_lib.host_services.delivery import API_CLIENT_PODS
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Parse, Synthesized, resources, synthesize, values_of
from tests.test_isolation import TeamPods
from tools.netpol.evaluator import Pod
from tools.netpol.host_view import cluster, host_namespace, host_policies
from tools.portal import portal_entities
from tools.review import compare, render

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "host-services" / "argo-cd-team-a-gitops.yaml"
REPO = "https://git.example.com/team-a/deploy.git"
CATALOG = f"""
platform:
  host:
    type: existing
    kubeconfig_path: k
    domain: vc.example.com
    services: {{gateway: {{}}, delivery: {{}}}}
teams:
  - name: team-a
    gitops: {{repo: "{REPO}", path: envs/prod, revision: main}}
  - name: team-b
"""


@pytest.fixture(scope="module")
def catalog(catalog_from: Parse) -> Catalog:
    return catalog_from(CATALOG)


@pytest.fixture(scope="module")
def stacks(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog, tmp_path_factory.mktemp("gitops"))


def gitops_objects(stacks: Synthesized, tenant: str = "team-a") -> list[dict[str, Any]]:
    (release,) = [
        r
        for r in resources(stacks[f"vcluster-{tenant}"], "helm_release").values()
        if r["name"] == f"{tenant}-gitops"
    ]
    objects: list[dict[str, Any]] = values_of(release)["objects"]
    return objects


def cluster_secret(stacks: Synthesized) -> dict[str, Any]:
    (secret,) = resources(stacks["vcluster-team-a"], "kubernetes_secret_v1").values()
    return secret


def test_the_vcluster_is_registered_with_its_own_credentials_read_at_apply(
    stacks: Synthesized,
) -> None:
    secret = cluster_secret(stacks)
    assert secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
    assert secret["metadata"]["name"] == "cluster-team-a"
    # Argo CD's namespace is the host services stack's, by cross-stack reference.
    assert "cross-stack-reference-input-host-services-default" in secret["metadata"]["namespace"]
    assert secret["data"]["server"] == "https://team-a.vcluster-team-a:443"
    config = secret["data"]["config"]
    # Only references to the vcluster's own Secret: no certificate or key in the JSON.
    for field in ("certificate-authority", "client-certificate", "client-key"):
        assert "data.kubernetes_secret_v1.team-a_KubeconfigSecret" in config
        assert f'data[\\"{field}\\"]' in config or f'data["{field}"]' in config
    assert "BEGIN" not in config


def test_the_project_confines_the_team_to_its_cluster_and_repository(
    stacks: Synthesized,
) -> None:
    project, application = gitops_objects(stacks)
    assert project["kind"] == "AppProject"
    assert project["spec"]["sourceRepos"] == [REPO]
    assert project["spec"]["destinations"] == [
        {"server": "https://team-a.vcluster-team-a:443", "namespace": "*"}
    ]
    assert project["spec"]["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert application["spec"]["project"] == "team-a"
    assert application["spec"]["source"] == {
        "repoURL": REPO,
        "path": "envs/prod",
        "targetRevision": "main",
    }
    assert application["spec"]["destination"]["namespace"] == "team-a-apps"
    # Removing the Application leaves what it deployed: no resources finalizer.
    assert "finalizers" not in application["metadata"]


def test_the_objects_are_those_checked_against_argo_cds_crds(stacks: Synthesized) -> None:
    checked = [d for d in yaml.safe_load_all(FIXTURE.read_text(encoding="utf-8")) if d]
    ours = gitops_objects(stacks)
    for item in ours:
        item["metadata"]["namespace"] = "argocd"  # the reference, resolved
    assert ours == checked


def test_a_team_without_a_repository_is_not_registered(stacks: Synthesized) -> None:
    assert resources(stacks["vcluster-team-b"], "kubernetes_secret_v1") == {}
    names = [r["name"] for r in resources(stacks["vcluster-team-b"], "helm_release").values()]
    assert names == ["team-b"]


def test_argo_cd_reaches_the_api_server_behind_the_gateway_and_its_repo_server_does_not(
    stacks: Synthesized,
) -> None:
    world = cluster(
        host_policies(stacks, ("team-a",)),
        [host_namespace("team-a"), "argocd", "envoy-gateway-system", "kube-system"],
    )
    a = TeamPods("team-a", 1)
    for index, labels in enumerate(API_CLIENT_PODS):
        argocd = Pod(f"argocd-{index}", "argocd", labels, f"10.244.9.{20 + index}")
        assert world.allows(argocd, a.control_plane, 8443, "TCP")
    repo_server = Pod(
        "repo-server",
        "argocd",
        {"app.kubernetes.io/name": "argocd-repo-server", "app.kubernetes.io/instance": "argo-cd"},
        "10.244.9.30",
    )
    assert not world.allows(repo_server, a.control_plane, 8443, "TCP")


def test_the_portal_links_the_tenant_to_its_application(catalog: Catalog) -> None:
    (vcluster,) = [
        e for e in portal_entities(catalog) if e["metadata"]["name"] == "vcluster-team-a"
    ]
    assert vcluster["metadata"]["annotations"]["argocd/app-name"] == "team-a"


def test_review_says_what_argo_cd_delivers_from_where(
    catalog_from: Parse, stacks: Synthesized, tmp_path: Any
) -> None:
    moved = CATALOG.replace("revision: main", "revision: v2")
    report = render(compare(stacks, synthesize(catalog_from(moved), tmp_path), base_label="main"))
    assert (
        f"- `team-a`: Argo CD delivers {REPO} at `envs/prod` @ `v2` "
        f"(was {REPO} at `envs/prod` @ `main`)"
    ) in report


def test_a_repository_needs_argo_cd_on_the_tenants_host(catalog_from: Parse) -> None:
    with pytest.raises(CatalogError) as error:
        catalog_from(f'teams: [{{name: a1, gitops: {{repo: "{REPO}"}}}}]')
    assert str(error.value) == (
        "test.yaml: teams[0].gitops: host 'default' runs no Argo CD to deliver it; add "
        "services: {delivery: {}} (or {delivery: {provided: true}}) to that host"
    )


@pytest.mark.parametrize(
    ("gitops", "message"),
    [
        ("{repo: 'git@git.example.com:team-a/deploy.git'}", "must be an https:// Git URL"),
        (f"{{repo: '{REPO}', path: '../secrets'}}", "must be a path inside the repository"),
        (f"{{repo: '{REPO}', revision: 'main branch'}}", "must be a branch, tag or commit"),
    ],
)
def test_bad_repositories_are_refused(catalog_from: Parse, gitops: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        catalog_from(
            "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com,"
            " services: {delivery: {}}}}\n"
            f"teams: [{{name: a1, gitops: {gitops}}}]"
        )
