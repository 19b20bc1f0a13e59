"""Network isolation where the pods run: the reachability matrix on the host, denied flows too.

Three teams side by side on one host: team-a with an HA database on an HA vcluster (three
control-plane replicas over a deployed etcd of three members; no egress), team-b with a
cache and public egress, team-c with neither and one partner network. Every policy that can
select their pods on the host is evaluated together (tools/netpol): our host policies, the
team's policies as the vcluster syncs them, and what the chart renders for our values (a
reviewed fixture: nothing). Flows name the receiving pod's port, after the Service's
translation (CoreDNS 53 -> 1053, the vcluster API 443 -> 8443, the app 80 -> 8080). At the
end, a fleet: the matrix on every one of its hosts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml

from catalog.loader import load_catalog
from catalog.model import Catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Parse, Synth, Synthesized, only, resources, synthesize, values_of
from tests.tenant_policies import ADVERSARIAL, CONFINED_BY_THE_SYNCER
from tools.netpol.admission import Admission, Request
from tools.netpol.evaluator import (
    Cluster,
    Endpoint,
    External,
    Pod,
    Policy,
    parse_policy,
    policy_manifest,
    widenings,
)
from tools.netpol.host_view import (
    MARKER,
    VirtualNamespace,
    chart_policies,
    cluster,
    host_namespace,
    host_policies,
    synced_pod,
    synced_policy,
)

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
CHART_OURS = FIXTURES / "vcluster-0.36.1-chart-policies-ours.yaml"
CHART_ON = FIXTURES / "vcluster-0.36.1-chart-policies-on.yaml"
TEAMS = ("team-a", "team-b", "team-c")
CATALOG = """
platform: {project: p}
teams:
  - name: team-a
    database: {instances: 3}
    vcluster: {replicas: 3, backing_store: deployed-etcd}
    quota: {cpu_limits: "12"}
  - name: team-b
    cache: {}
    egress: {public: true}
  - name: team-c
    egress: {allow: [{cidr: 203.0.113.0/24, ports: [443]}]}
"""

API, DNS, APP, PG, STATUS, VALKEY, WEBHOOK = 8443, 1053, 8080, 5432, 8000, 6379, 9443
ETCD, ETCD_PEER = 2379, 2380
INTERNET = External("internet", "1.1.1.1")
PARTNER = External("partner", "203.0.113.10")
HOST_API = External("host-api", "172.18.0.2")  # a KIND node: the host API server, on 6443
METADATA = External("cloud-metadata", "169.254.169.254")
KUBE_DNS = Pod("host-kube-dns", "kube-system", {"k8s-app": "kube-dns"}, "10.244.0.2")
INGRESS = Pod("ingress-controller", "ingress-nginx", {"app": "ingress-nginx"}, "10.244.0.3")


class TeamPods:
    """The pods of one team's vcluster on the host, as the vcluster syncs them."""

    def __init__(self, team: str, subnet: int) -> None:
        ips = (f"10.244.{subnet}.{n}" for n in range(2, 250))

        def pod(name: str, namespace: str, **labels: str) -> Pod:
            """A workload in the virtual `namespace`, as the syncer runs it on the host."""
            return synced_pod(
                f"{team}/{name}", VirtualNamespace(team, namespace), labels, next(ips)
            )

        control_plane = {"app": "vcluster", "release": team}
        self.control_plane = Pod(
            f"{team}/control-plane-0", host_namespace(team), control_plane, next(ips)
        )
        self.control_plane_peer = Pod(
            f"{team}/control-plane-1", host_namespace(team), control_plane, next(ips)
        )
        etcd = {"app": "vcluster-etcd", "release": team}
        self.etcd = [Pod(f"{team}/etcd-{n}", host_namespace(team), etcd, next(ips)) for n in (0, 1)]
        apps = f"{team}-apps"
        self.coredns = pod("coredns", "kube-system", **{"k8s-app": "vcluster-kube-dns"})
        self.app = pod("app", apps, **{"app.kubernetes.io/name": "app"})
        self.debug = pod("debug", apps, run="debug")
        self.elsewhere = pod("elsewhere", "default", run="x")
        # A workload that copies the control plane's labels: the syncer rewrites `release`.
        self.impostor = pod("impostor", "default", **control_plane)
        self.db = [pod(f"postgres-{n}", apps, **{"cnpg.io/cluster": "postgres"}) for n in (1, 2)]
        self.operator = pod(
            "cnpg-operator", "cnpg-system", **{"app.kubernetes.io/name": "cloudnative-pg"}
        )
        self.cache = pod("cache", apps, component="cache")

    @property
    def workloads(self) -> list[Pod]:
        return [self.coredns, self.app, self.debug, self.elsewhere, self.db[0], self.operator]


@dataclass(frozen=True)
class Flow:
    source: Endpoint
    destination: Endpoint
    port: int
    allowed: bool
    protocol: str = "TCP"

    def __str__(self) -> str:
        verb = "reaches" if self.allowed else "must not reach"
        return f"{self.source.name} {verb} {self.destination.name}:{self.port}/{self.protocol}"


def allow(src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> Flow:
    return Flow(src, dst, port, True, protocol)


def deny(src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> Flow:
    return Flow(src, dst, port, False, protocol)


PODS = {team: TeamPods(team, n) for n, team in enumerate(TEAMS, start=1)}
A, B, C = PODS["team-a"], PODS["team-b"], PODS["team-c"]


def matrix() -> Iterator[Flow]:
    """The intended reachability, README "Network isolation"; everything else is denied."""
    for t in PODS.values():
        # The app: reached on 8080 from its own namespace only, from nothing outside.
        yield allow(t.debug, t.app, APP)
        yield deny(t.debug, t.app, 9090)
        yield deny(t.elsewhere, t.app, APP)
        yield deny(t.control_plane, t.app, APP)
        yield deny(INGRESS, t.app, APP)
        yield deny(t.app, t.control_plane, ETCD)
        # DNS: every workload reaches the vcluster's CoreDNS on 1053, nothing else on it.
        for pod in t.workloads[1:]:
            yield allow(pod, t.coredns, DNS, "UDP")
            yield allow(pod, t.coredns, DNS, "TCP")
        yield deny(t.debug, t.coredns, 53, "UDP")
        yield deny(t.control_plane, t.coredns, DNS, "UDP")
        yield deny(t.app, KUBE_DNS, 53, "UDP")
        yield allow(t.coredns, KUBE_DNS, 53, "UDP")
        # The vcluster API: from its workloads and from outside, on its port only.
        for pod in t.workloads:
            yield allow(pod, t.control_plane, API)
        yield allow(INGRESS, t.control_plane, API)
        yield allow(INTERNET, t.control_plane, API)
        yield deny(INTERNET, t.control_plane, ETCD)
        yield deny(t.impostor, t.control_plane, ETCD)
        # The control plane: host DNS and API, its peers; nothing else outside.
        yield allow(t.control_plane, KUBE_DNS, 53, "UDP")
        yield deny(t.control_plane, KUBE_DNS, 80)
        yield allow(t.control_plane, HOST_API, 6443)
        yield allow(t.control_plane, INTERNET, 443)  # deliberate: the host API's address varies
        yield deny(t.control_plane, INTERNET, 80)
        yield deny(t.control_plane, INTERNET, 53, "UDP")
        yield allow(t.control_plane, t.control_plane_peer, ETCD)
        yield deny(t.impostor, HOST_API, 6443)
        # Private addresses outside the pods (a node here) stay closed, public egress or not.
        yield deny(t.app, HOST_API, 6443)
        yield deny(t.debug, HOST_API, APP)
        yield deny(t.debug, HOST_API, DNS, "UDP")
        yield deny(t.coredns, HOST_API, 53, "UDP")
        yield deny(t.app, HOST_API, VALKEY)
        yield deny(t.db[0], HOST_API, PG)
        for pod in (t.app, t.debug, t.db[0]):
            yield deny(pod, METADATA, 80)
    # team-a: its deployed etcd, reached by its control plane (clients) and its members only.
    yield allow(A.control_plane, A.etcd[0], ETCD)
    yield deny(A.control_plane, A.etcd[0], ETCD_PEER)
    yield allow(A.etcd[0], A.etcd[1], ETCD_PEER)
    yield allow(A.etcd[0], A.etcd[1], ETCD)
    yield deny(A.etcd[0], A.etcd[1], 2381)
    yield allow(A.etcd[0], KUBE_DNS, 53, "UDP")  # its peers' names
    yield deny(A.etcd[0], A.control_plane, API)
    yield deny(A.etcd[0], HOST_API, 6443)
    yield deny(A.etcd[0], INTERNET, 443)
    yield deny(A.etcd[0], INTERNET, ETCD_PEER)
    yield deny(A.etcd[0], INTERNET, 53, "UDP")
    yield deny(A.control_plane, INTERNET, ETCD)
    yield deny(INTERNET, A.etcd[0], ETCD)
    for pod in (A.app, A.debug, A.coredns, A.impostor):
        yield deny(pod, A.etcd[0], ETCD)
    yield deny(B.control_plane, A.etcd[0], ETCD)
    yield deny(B.app, A.etcd[0], ETCD)
    # team-a: its database, reached by its app and its operator only.
    yield allow(A.app, A.db[0], PG)
    yield deny(A.app, A.db[0], STATUS)
    yield deny(A.app, INTERNET, PG)
    yield deny(A.debug, A.db[0], PG)
    yield deny(A.elsewhere, A.db[0], PG)
    yield deny(A.control_plane, A.db[0], STATUS)
    yield deny(A.control_plane, A.db[0], PG)
    yield allow(A.operator, A.db[0], STATUS)
    yield allow(A.operator, A.db[0], PG)
    yield deny(A.operator, A.app, APP)
    yield deny(A.operator, INTERNET, PG)
    yield allow(A.db[0], A.db[1], PG)  # replication between instances
    yield allow(A.db[0], A.app, APP)  # the app is open to its whole namespace, on 8080
    yield deny(A.db[0], A.cache, VALKEY)
    yield allow(A.control_plane, A.operator, WEBHOOK)
    yield deny(A.control_plane, A.operator, 8080)
    yield deny(A.debug, A.operator, WEBHOOK)
    # team-a and team-c: no egress beyond the vcluster (team-c: but its partner on 443).
    for t in (A, C):
        for pod in (t.app, t.debug, t.coredns):
            yield deny(pod, INTERNET, 443)
        yield deny(t.debug, INTERNET, DNS, "UDP")
        yield deny(t.coredns, INTERNET, 53, "UDP")
        yield deny(t.app, INTERNET, API)
    yield deny(A.db[0], INTERNET, 443)
    yield deny(A.db[0], INTERNET, PG)
    yield deny(A.operator, INTERNET, 443)
    yield deny(A.app, PARTNER, 443)
    # team-b: its cache, reached by its app only; public egress, but no private address.
    yield allow(B.app, B.cache, VALKEY)
    yield deny(B.debug, B.cache, VALKEY)
    yield deny(B.control_plane, B.cache, VALKEY)
    yield allow(B.app, INTERNET, 443)
    yield deny(B.app, HOST_API, 6443)
    # team-c: one partner network on 443, nothing else.
    yield allow(C.app, PARTNER, 443)
    yield deny(C.app, PARTNER, 80)
    yield deny(C.app, INTERNET, 443)
    # Side by side: no workload of one vcluster reaches another's, except its API port.
    yield deny(A.app, B.cache, VALKEY)
    yield deny(B.app, A.db[0], PG)
    yield deny(A.debug, B.app, APP)
    yield deny(B.app, A.coredns, DNS, "UDP")
    yield deny(C.app, A.operator, WEBHOOK)
    yield deny(B.control_plane, A.operator, WEBHOOK)
    yield deny(B.app, A.control_plane, API)  # its egress stops at its own vcluster
    yield deny(C.app, B.app, APP)
    yield deny(B.app, C.app, APP)  # public egress is public addresses only


FLOWS = list(matrix())


@pytest.fixture(scope="module")
def stacks(catalog_from: Parse, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(catalog_from(CATALOG), tmp_path_factory.mktemp("isolation"))


def ours(stacks: Synthesized) -> tuple[Policy, ...]:
    chart = tuple(p for t in TEAMS for p in chart_policies(CHART_OURS.read_text(), t))
    return host_policies(stacks, TEAMS) + chart


def host(policies: tuple[Policy, ...]) -> Cluster:
    namespaces = [host_namespace(t) for t in TEAMS] + ["kube-system", "ingress-nginx"]
    return cluster(policies, namespaces)


def wrong_flows(world: Cluster) -> list[str]:
    return [
        str(f)
        for f in FLOWS
        if world.allows(f.source, f.destination, f.port, f.protocol) != f.allowed
    ]


def test_the_matrix_holds_on_the_host(stacks: Synthesized) -> None:
    assert wrong_flows(host(ours(stacks))) == []


def test_widening_any_single_rule_breaks_the_matrix(stacks: Synthesized) -> None:
    """A negative control per rule: some widening of each (any peer, every port) is caught."""
    policies = ours(stacks)
    unguarded = []
    checked = 0
    for index, policy in enumerate(policies):
        by_rule: dict[str, bool] = {}
        for label, wider in widenings(policy):
            rule = label.split(":")[0]
            world = host((*policies[:index], wider, *policies[index + 1 :]))
            by_rule[rule] = by_rule.get(rule, False) or bool(wrong_flows(world))
        checked += len(by_rule)
        unguarded += [rule for rule, caught in by_rule.items() if not caught]
    assert unguarded == [], "\n".join(unguarded)
    assert checked >= 40  # every rule of every policy above, for three teams


# --- a tenant that writes policies of its own ---------------------------------------------


def tenant_guards(stacks: Synthesized) -> Admission:
    """The admission policies each vcluster release installs on the host, as synthesized."""
    documents = []
    for team in TEAMS:
        values = values_of(only(resources(stacks[f"vcluster-{team}"], "helm_release")))
        text = values["experimental"]["deploy"]["host"]["manifests"]
        documents += [d for d in yaml.safe_load_all(text) if d]
    return Admission.of(documents, [host_namespace(t) for t in TEAMS])


def tenant_authored(admission: Admission | None) -> tuple[Policy, ...]:
    """Every team's own policies (tests/tenant_policies.py) in its apps namespace, as the
    syncer writes them on the host, and of those what `admission` lets in (None: all)."""
    landed = []
    for team in TEAMS:
        where = VirtualNamespace(team, f"{team}-apps")
        authored = {name: spec for name, (spec, _) in ADVERSARIAL.items()}
        for name, spec in (authored | CONFINED_BY_THE_SYNCER).items():
            policy = synced_policy(parse_policy(name, where.name, spec), where)
            request = Request(
                username=f"system:serviceaccount:{host_namespace(team)}:vc-{team}",
                namespace=host_namespace(team),
                group="networking.k8s.io",
                resource="networkpolicies",
                object=policy_manifest(policy),
            )
            if admission is None or not admission.refusals(request):
                landed.append(policy)
    return tuple(landed)


def inside_one_vcluster(flow: Flow) -> bool:
    """Between two workloads of the same vcluster: the tenant's own business (it is admin)."""
    ends = (flow.source, flow.destination)
    owners = {e.labels.get(MARKER) if isinstance(e, Pod) else None for e in ends}
    return len(owners) == 1 and None not in owners


def boundary_flows_changed(world: Cluster) -> list[str]:
    return [
        str(f)
        for f in FLOWS
        if not inside_one_vcluster(f)
        and world.allows(f.source, f.destination, f.port, f.protocol) != f.allowed
    ]


def test_a_tenant_writing_its_own_policies_changes_no_flow_across_its_boundary(
    stacks: Synthesized,
) -> None:
    landed = tenant_authored(tenant_guards(stacks))
    assert {p.name for p in landed} == set(CONFINED_BY_THE_SYNCER)
    assert boundary_flows_changed(host(ours(stacks) + landed)) == []


def test_without_the_guard_a_tenant_opens_the_world_to_itself(stacks: Synthesized) -> None:
    """The negative control: the same policies, synced as the syncer syncs them, unguarded."""
    changed = boundary_flows_changed(host(ours(stacks) + tenant_authored(None)))
    assert "team-a/app must not reach internet:443/TCP" in changed
    assert "team-a/app must not reach cloud-metadata:80/TCP" in changed
    assert "team-c/app must not reach team-b/app:8080/TCP" in changed
    assert "team-a/app must not reach host-api:6443/TCP" in changed


def test_the_evaluator_sees_a_single_widening(stacks: Synthesized) -> None:
    policies = ours(stacks)
    index, policy = next(
        (i, p)
        for i, p in enumerate(policies)
        if p.name == "allow-database-traffic" and p.namespace == "vcluster-team-a"
    )
    label, wider = next(w for w in widenings(policy) if "ingress[0]: from/to anyone" in w[0])
    world = host((*policies[:index], wider, *policies[index + 1 :]))
    wrong = wrong_flows(world)
    assert wrong == ["team-a/control-plane-0 must not reach team-a/postgres-1:5432/TCP"], label


def test_with_the_charts_own_policies_the_team_policies_narrow_nothing(
    stacks: Synthesized,
) -> None:
    chart_on = tuple(p for t in TEAMS for p in chart_policies(CHART_ON.read_text(), t))
    wrong = wrong_flows(host(ours(stacks) + chart_on))
    assert "team-a/debug must not reach team-a/postgres-1:5432/TCP" in wrong
    assert "team-a/app must not reach internet:443/TCP" in wrong


def test_the_chart_renders_no_policies_for_our_values(stacks: Synthesized) -> None:
    assert yaml.safe_load(CHART_OURS.read_text()) == []
    for team in TEAMS:
        values = values_of(only(resources(stacks[f"vcluster-{team}"], "helm_release")))
        assert values["policies"]["networkPolicy"] == {"enabled": False}


def test_the_control_plane_runs_the_pinned_open_source_image(stacks: Synthesized) -> None:
    values = values_of(only(resources(stacks["vcluster-team-a"], "helm_release")))
    assert values["controlPlane"]["statefulSet"]["image"] == {
        "registry": "ghcr.io",
        "repository": "loft-sh/vcluster-oss",
        "tag": "0.36.1",
    }


def test_egress_is_closed_unless_the_catalog_opens_it(stacks: Synthesized) -> None:
    def egress_policies(team: str) -> list[str]:
        policies = resources(stacks[f"vcluster-{team}"], "kubernetes_network_policy_v1")
        return [p["metadata"]["name"] for p in policies.values() if "workload-egress" in str(p)]

    assert egress_policies("team-a") == []
    assert egress_policies("team-b") == egress_policies("team-c") == ["workload-egress"]


def test_the_default_catalog_has_the_same_matrix(synth: Synth, default_catalog: Catalog) -> None:
    stacks = synth(default_catalog)
    policies = host_policies(stacks, ("team-a", "team-b"))
    world = cluster(policies, ["vcluster-team-a", "vcluster-team-b", "kube-system"])
    a, b = TeamPods("team-a", 1), TeamPods("team-b", 2)
    assert world.allows(a.app, a.db[0], PG, "TCP")
    assert not world.allows(a.debug, a.db[0], PG, "TCP")
    assert world.allows(b.app, b.cache, VALKEY, "TCP")
    assert not world.allows(b.app, INTERNET, 443, "TCP")
    assert not world.allows(a.app, b.cache, VALKEY, "TCP")


# --- a fleet: the matrix holds on every host ------------------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Synthesized]:
    catalog = load_catalog(FIXTURES / "fleet.yaml")
    return catalog, synthesize(catalog, tmp_path_factory.mktemp("fleet-isolation"))


def host_world(stacks: Synthesized, tenants: list[str]) -> Cluster:
    policies = host_policies(stacks, tuple(tenants))
    return cluster(policies, [host_namespace(t) for t in tenants] + ["kube-system"])


def test_the_matrix_holds_on_every_host_of_a_fleet(fleet: tuple[Catalog, Synthesized]) -> None:
    catalog, stacks = fleet
    checked = 0
    for host in catalog.platform.named_hosts:
        tenants = [t.name for t in catalog.tenants_on(host)]
        world = host_world(stacks, tenants)
        pods = {name: TeamPods(name, n) for n, name in enumerate(tenants, start=1)}
        for name, t in pods.items():
            settings = catalog.tenant(name).settings
            assert world.allows(t.debug, t.app, APP, "TCP")
            assert not world.allows(t.elsewhere, t.app, APP, "TCP")
            assert not world.allows(t.app, INTERNET, 443, "TCP")
            if settings.wants_database:
                assert world.allows(t.app, t.db[0], PG, "TCP")
                assert not world.allows(t.debug, t.db[0], PG, "TCP")
            if settings.wants_cache:
                assert world.allows(t.app, t.cache, VALKEY, "TCP")
            for other_name, other in pods.items():
                if other_name == name:
                    continue
                assert not world.allows(t.app, other.app, APP, "TCP")
                assert not world.allows(t.app, other.db[0], PG, "TCP")
                assert not world.allows(t.app, other.control_plane, API, "TCP")
                checked += 1
    assert checked == 2  # the two tenants that share dev-b, each way


def test_no_tenants_policies_name_another_tenant(fleet: tuple[Catalog, Synthesized]) -> None:
    catalog, stacks = fleet
    for tenant in catalog.tenants:
        text = json.dumps(stacks[f"vcluster-{tenant.name}"])
        others = [t.name for t in catalog.tenants if t.name != tenant.name]
        assert [o for o in others if f'"vcluster-{o}"' in text or f"-{o}." in text] == []


def test_without_a_tenants_host_policies_its_database_is_open(
    fleet: tuple[Catalog, Synthesized],
) -> None:
    """Negative control: the per-host worlds above are not vacuous."""
    _, stacks = fleet
    unguarded = cluster(
        host_policies(stacks, ("team-b",)),
        ["vcluster-team-b", "vcluster-team-c-dev", "kube-system"],
    )
    c = TeamPods("team-c-dev", 2)
    assert unguarded.allows(c.debug, c.db[0], PG, "TCP")
