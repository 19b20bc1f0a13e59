"""Every broken catalog gives one clear message, a non-zero exit, no traceback, and no output.

Each case runs `main.py` as a user would, against an output directory holding an earlier
synthesis, which must stay exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from catalog.loader import CatalogError, load_catalog
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import run_main

KIND_TEAM = "teams: [{name: a1}]"
EXISTING = "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com}}\n"

CAPACITY = "{cpu: 16, memory: 64Gi, storage: 500Gi, pods: 500}"
#: Two hosts of a fleet: a KIND host for dev, an existing cluster for prod.
FLEET = (
    "platform:\n"
    "  hosts:\n"
    "    dev: {environment: dev, capacity: {cpu: 16, memory: 64Gi, storage: 500Gi, pods: 500}}\n"
    "    prod: {type: existing, environment: prod, kubeconfig_path: k, domain: p.example.com,\n"
    "           capacity: {cpu: 64, memory: 256Gi, storage: 2Ti, pods: 2000}}\n"
)

# (id, catalog text, text the single error line must contain)
CASES: list[tuple[str, str, str]] = [
    # YAML that would silently lose or multiply data
    (
        "duplicate-key-in-a-team",
        "teams:\n  - name: a1\n    name: a2\n",
        "line 3: key 'name' appears twice in one mapping (first on line 2); keep one, or merge",
    ),
    (
        "duplicate-teams-after-a-bad-merge",
        "teams: [{name: a1}]\nplatform: {}\nteams: [{name: b1}]\n",
        "line 3: key 'teams' appears twice in one mapping (first on line 1)",
    ),
    (
        "yaml-alias",
        "defaults: &d {cache: {}}\nteams: [{name: a1}]\n",
        "line 1: YAML anchors and aliases (& and *) are not allowed in the catalog",
    ),
    # floating chart versions
    (
        "chart-version-latest",
        "platform: {versions: {vcluster_chart: latest}}\n" + KIND_TEAM,
        "platform.versions.vcluster_chart: must be an exact chart version such as '0.36.1'",
    ),
    (
        "chart-version-range",
        "platform: {versions: {valkey_chart: '^0.11'}}\n" + KIND_TEAM,
        "platform.versions.valkey_chart: must be an exact chart version",
    ),
    (
        "chart-version-wildcard",
        "platform: {versions: {cnpg_cluster_chart: 0.8.x}}\n" + KIND_TEAM,
        "platform.versions.cnpg_cluster_chart: must be an exact chart version",
    ),
    (
        "chart-version-at-least",
        "platform: {versions: {cnpg_operator_chart: '>=0.29.0'}}\n" + KIND_TEAM,
        "platform.versions.cnpg_operator_chart: must be an exact chart version",
    ),
    # wrong types
    ("teams-not-a-list", "teams: {name: a1}", "teams: Input should be a valid list"),
    ("name-not-text", "teams: [{name: 42}]", "teams[0].name: Input should be a valid string"),
    (
        "replicas-not-a-number",
        "teams: [{name: a1, app: {replicas: two}}]",
        "teams[0] (a1).app.replicas: Input should be a valid integer (got 'two')",
    ),
    (
        "replicas-quoted",
        "teams: [{name: a1, app: {replicas: '2'}}]",
        "teams[0] (a1).app.replicas: Input should be a valid integer",
    ),
    (
        "workers-negative",
        "platform: {host: {workers: -1}}\n" + KIND_TEAM,
        "platform.host.workers: Input should be greater than or equal to 0",
    ),
    (
        "workers-too-many",
        "platform: {host: {workers: 11}}\n" + KIND_TEAM,
        "platform.host.workers: Input should be less than or equal to 10",
    ),
    (
        "instances-zero",
        "teams: [{name: a1, database: {instances: 0}}]",
        "teams[0] (a1).database.instances: Input should be greater than or equal to 1",
    ),
    (
        "postgres-too-old",
        "teams: [{name: a1, database: {postgres_major: 12}}]",
        "teams[0] (a1).database.postgres_major: Input should be greater than or equal to 14",
    ),
    (
        "storage-zero",
        "teams: [{name: a1, cache: {storage_gib: 0}}]",
        "teams[0] (a1).cache.storage_gib: Input should be greater than or equal to 1",
    ),
    (
        "owners-not-a-list",
        "teams: [{name: a1, owners: alice@example.com}]",
        "teams[0] (a1).owners: Input should be a valid list",
    ),
    (
        "owner-not-an-email",
        "teams: [{name: a1, owners: [alice]}]",
        "teams[0] (a1).owners[0]: must be an e-mail address",
    ),
    (
        "production-not-a-bool",
        "platform: {production: 'yes please'}\n" + KIND_TEAM,
        "platform.production: Input should be a valid boolean",
    ),
    (
        "decommission-not-a-bool",
        "teams: [{name: a1, decommission: maybe}]",
        "teams[0] (a1).decommission: Input should be a valid boolean",
    ),
    (
        "cost-center-not-a-label",
        "teams: [{name: a1, cost_center: 'cc 1'}]",
        "teams[0] (a1).cost_center: must be a valid Kubernetes label value",
    ),
    (
        "quota-pods-zero",
        "teams: [{name: a1, quota: {pods: 0}}]",
        "teams[0] (a1).quota.pods: Input should be greater than or equal to 1",
    ),
    (
        "quantity-nonsense",
        "teams: [{name: a1, quota: {cpu_limits: lots}}]",
        "teams[0] (a1).quota.cpu_limits: must be a Kubernetes quantity",
    ),
    (
        "image-latest",
        "teams: [{name: a1, app: {image: 'nginx:latest'}}]",
        "teams[0] (a1).app.image: must not use the floating 'latest' tag",
    ),
    (
        "image-without-tag",
        "teams: [{name: a1, app: {image: nginx}}]",
        "teams[0] (a1).app.image: must be a pinned image reference",
    ),
    # missing fields
    ("no-teams", "platform: {}", "teams: required field is missing"),
    ("team-without-name", "teams: [{owners: []}]", "teams[0].name: required field is missing"),
    (
        "existing-host-without-domain",
        "platform: {host: {type: existing, kubeconfig_path: k}}\n" + KIND_TEAM,
        "platform.host.domain: required field is missing",
    ),
    (
        "s3-without-bucket",
        "platform: {state: {backend: s3, region: eu-west-1}}\n" + KIND_TEAM,
        "platform.state.bucket: required field is missing",
    ),
    (
        "pg-without-conn-str",
        "platform: {state: {backend: pg}}\n" + KIND_TEAM,
        "platform.state.conn_str: required field is missing",
    ),
    # unknown keys
    (
        "top-level-typo",
        "team: [{name: a1}]\n" + KIND_TEAM,
        "team: unknown key; did you mean 'teams'?",
    ),
    (
        "team-key-typo",
        "teams: [{name: a1, databse: {}}]",
        "teams[0] (a1).databse: unknown key; did you mean 'database'?",
    ),
    (
        "platform-key-typo",
        "platform: {hostz: {}}\n" + KIND_TEAM,
        "platform.hostz: unknown key; did you mean 'host'?",
    ),
    (
        "platform-hosts-empty",
        "platform: {hosts: {}}\n" + KIND_TEAM,
        "platform.hosts: Dictionary should have at least 1 item",
    ),
    (
        "host-key-typo",
        "platform: {host: {wrkers: 3}}\n" + KIND_TEAM,
        "platform.host.wrkers: unknown key; did you mean 'workers'?",
    ),
    (
        "database-key-typo",
        "teams: [{name: a1, database: {size: 5}}]",
        "teams[0] (a1).database.size: unknown key; allowed here: backup, enabled, instances, "
        "postgres_major, restore, storage_gib",
    ),
    (
        "vcluster-key-typo",
        "teams: [{name: a1, vcluster: {replica: 3}}]",
        "teams[0] (a1).vcluster.replica: unknown key; did you mean 'replicas'?",
    ),
    # invalid and reserved names
    ("name-uppercase", "teams: [{name: TeamA}]", "teams[0] (TeamA).name: must be a DNS-1123 label"),
    (
        "name-underscore",
        "teams: [{name: team_a}]",
        "teams[0] (team_a).name: must be a DNS-1123 label",
    ),
    (
        "name-trailing-dash",
        "teams: [{name: team-}]",
        "teams[0] (team-).name: must be a DNS-1123 label",
    ),
    (
        "name-leading-digit",
        "teams: [{name: 1team}]",
        "teams[0] (1team).name: must be a DNS-1123 label",
    ),
    ("name-too-long", f"teams: [{{name: {'a' * 41}}}]", "name: must be at most 40 characters"),
    (
        "name-kube-system",
        "teams: [{name: kube-system}]",
        "teams[0] (kube-system).name: 'kube-system' is reserved by Kubernetes",
    ),
    (
        "name-default",
        "teams: [{name: default}]",
        "teams[0] (default).name: 'default' is reserved by Kubernetes",
    ),
    (
        "name-vcluster-stack",
        "teams: [{name: vcluster}]",
        "teams[0] (vcluster).name: 'vcluster' is the name of a platform stack",
    ),
    (
        "name-takes-a-vcluster-stack-name",
        "teams: [{name: a1}, {name: vcluster-a1}]",
        "teams[1] (vcluster-a1).name: 'vcluster-a1' starts with 'vcluster-', which names the "
        "vcluster stack of each team (vcluster-<team>); choose another team name",
    ),
    (
        "name-kind-stack",
        "teams: [{name: kind-cluster}]",
        "teams[0] (kind-cluster).name: 'kind-cluster' is the name of a platform stack",
    ),
    # duplicates
    (
        "duplicate-team",
        "teams: [{name: a1}, {name: b1}, {name: a1}]",
        "teams[2].name: duplicate team name 'a1' (already teams[0])",
    ),
    # ports
    (
        "port-clash",
        "teams: [{name: a1, node_port: 30001}, {name: b1, node_port: 30001}]",
        "teams[1].node_port: team 'b1' sets port 30001, already used by teams[0] ('a1'); "
        "set node_port:",
    ),
    (
        "port-outside-pool",
        "teams: [{name: a1, node_port: 31000}]",
        "teams[0].node_port: 31000 is outside the port pool 30000-30019",
    ),
    (
        "port-outside-node-port-range",
        "teams: [{name: a1, node_port: 29999}]",
        "teams[0] (a1).node_port: Input should be greater than or equal to 30000",
    ),
    (
        "pool-overflow",
        "platform: {host: {port_pool: {size: 1}}}\nteams: [{name: a1}, {name: b1}]",
        "teams: 2 teams do not fit the port pool of 1 ports",
    ),
    (
        "pool-past-range-end",
        "platform: {host: {port_pool: {first_port: 32760, size: 20}}}\n" + KIND_TEAM,
        "platform.host.port_pool: pool 32760-32779 runs past 30085, the end of the band",
    ),
    (
        "pool-past-the-static-node-port-band",
        "platform: {host: {port_pool: {first_port: 30070, size: 20}}}\n" + KIND_TEAM,
        "platform.host.port_pool: pool 30070-30089 runs past 30085, the end of the band "
        "Kubernetes keeps for fixed NodePorts (30000-30085): a port above it may already be "
        "taken by a randomly allocated NodePort; lower first_port or size (at most 86 ports)",
    ),
    (
        "pool-larger-than-the-static-band",
        "platform: {host: {port_pool: {size: 100}}}\n" + KIND_TEAM,
        "platform.host.port_pool: pool 30000-30099 runs past 30085",
    ),
    (
        "node-port-on-existing-host",
        EXISTING + "teams: [{name: a1, node_port: 30001}]",
        "teams[0].node_port: only applies to host type 'kind'",
    ),
    # unsupported combinations
    (
        "ha-with-sqlite",
        "teams: [{name: a1, vcluster: {replicas: 3}}]",
        "teams[0] (a1).vcluster: replicas: 3 needs backing_store: deployed-etcd",
    ),
    (
        "even-etcd-replicas",
        "teams: [{name: a1, vcluster: {replicas: 2, backing_store: deployed-etcd}}]",
        "needs an odd number (1, 3 or 5)",
    ),
    (
        "embedded-etcd-is-pro",
        "teams: [{name: a1, vcluster: {replicas: 3, backing_store: embedded-etcd}}]",
        "teams[0] (a1).vcluster.backing_store: embedded-etcd is a vCluster Pro feature: the "
        "open-source image the platform runs (ghcr.io/loft-sh/vcluster-oss) refuses to start "
        "with it; use backing_store: deployed-etcd for HA",
    ),
    (
        "embedded-etcd-even-on-one-replica",
        "teams: [{name: a1, vcluster: {backing_store: embedded-etcd}}]",
        "teams[0] (a1).vcluster.backing_store: embedded-etcd is a vCluster Pro feature",
    ),
    (
        "unknown-backing-store",
        "teams: [{name: a1, vcluster: {backing_store: mysql}}]",
        "teams[0] (a1).vcluster.backing_store: "
        "Input should be 'embedded-sqlite' or 'deployed-etcd'",
    ),
    (
        "unknown-host-type",
        "platform: {host: {type: minikube}}\n" + KIND_TEAM,
        "platform.host: type must be 'kind' or 'existing'",
    ),
    (
        "unknown-state-backend",
        "platform: {state: {backend: consul}}\n" + KIND_TEAM,
        "platform.state: Input tag 'consul' found using 'backend' does not match",
    ),
    (
        "unknown-exposure",
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
        "exposure: nodeport}}\n" + KIND_TEAM,
        "platform.host.exposure: Input should be 'gateway', 'load_balancer' or 'ingress'",
    ),
    (
        "password-in-pg-conn-str",
        "platform: {state: {backend: pg, conn_str: 'postgres://u:pw@db/tf'}}\n" + KIND_TEAM,
        "platform.state: conn_str must not contain a password",
    ),
    # a quota the team's own platform cannot fit
    (
        "quota-fewer-pods-than-the-platform-runs",
        "teams: [{name: a1, quota: {pods: 3}}]",
        "teams[0] (a1).quota.pods: the team's own platform needs 4 (vcluster control plane 1, "
        "CoreDNS 1, app 2); the quota allows 3; raise quota.pods to at least 4",
    ),
    (
        "quota-cpu-for-an-ha-database",
        "teams: [{name: a1, database: {instances: 5}}]",
        "teams[0] (a1).quota.cpu_limits: the team's own platform needs 9000m (vcluster control "
        "plane 1000m, CoreDNS 1000m, app 500m, PostgreSQL 5000m, PostgreSQL init job 1000m, "
        "CloudNativePG operator 500m); the quota allows 8000m; raise quota.cpu_limits to at "
        "least 9000m",
    ),
    (
        "quota-storage-below-the-volumes",
        "teams: [{name: a1, database: {storage_gib: 40}, cache: {storage_gib: 10}}]",
        "teams[0] (a1).quota.storage_requests: the team's own platform needs 55Gi (vcluster "
        "control plane 5Gi, PostgreSQL 40Gi, cache 10Gi); the quota allows 50Gi",
    ),
    (
        "quota-storage-below-a-deployed-etcd",
        "teams: [{name: a1, vcluster: {replicas: 5, backing_store: deployed-etcd}, "
        "quota: {cpu_limits: '16', storage_requests: 20Gi}}]",
        "teams[0] (a1).quota.storage_requests: the team's own platform needs 25Gi (etcd 25Gi); "
        "the quota allows 20Gi; raise quota.storage_requests to at least 25Gi",
    ),
    (
        "quota-memory-below-the-containers-defaults",
        "teams: [{name: a1, database: {}, quota: {memory_limits: 2Gi}}]",
        "teams[0] (a1).quota.memory_limits: the team's own platform needs 2986Mi (vcluster control "
        "plane 1024Mi, CoreDNS 170Mi, app 256Mi, PostgreSQL 512Mi, PostgreSQL init job 512Mi, "
        "CloudNativePG operator 512Mi); the quota allows 2048Mi",
    ),
    # structure no real catalog has
    (
        "nested-ten-thousand-brackets-deep",
        "teams: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "line 1: the catalog nests deeper than 32 levels (a catalog needs at most 6)",
    ),
    (
        "nested-mappings-in-block-style",
        "teams:\n" + "".join("  " * i + "- x:\n" for i in range(40)),
        "line 17: the catalog nests deeper than 32 levels",
    ),
    (
        "more-teams-than-one-catalog-is-measured-for",
        EXISTING + "teams:\n" + "".join(f"  - name: t{i}\n" for i in range(2001)),
        "teams: 2001 teams are more than the 2000 one catalog is measured for "
        "(README, 'Performance at scale'); split the platform into several catalogs",
    ),
    # state paths that would escape their prefix
    (
        "state-prefix-climbs-out",
        "platform: {state: {backend: s3, bucket: tfstate, region: eu-west-1, "
        "key_prefix: ../other}}\n" + KIND_TEAM,
        "platform.state.key_prefix: must be plain path segments joined by '/' (no empty, '.' "
        "or '..' segment",
    ),
    (
        "state-prefix-absolute",
        "platform: {state: {backend: gcs, bucket: tfstate, prefix: /abs}}\n" + KIND_TEAM,
        "platform.state.prefix: must not start or end with '/', got '/abs'; write 'abs'",
    ),
    (
        "state-prefix-empty-segment",
        "platform: {state: {backend: s3, bucket: tfstate, region: r, key_prefix: a//b}}\n"
        + KIND_TEAM,
        "platform.state.key_prefix: must be plain path segments joined by '/'",
    ),
    (
        "state-prefix-odd-characters",
        "platform: {state: {backend: gcs, bucket: tfstate, prefix: 'team state'}}\n" + KIND_TEAM,
        "platform.state.prefix: may use letters, digits, '.', '_' and '-' in each segment",
    ),
    (
        "state-bucket-name",
        "platform: {state: {backend: s3, bucket: My_Bucket, region: r}}\n" + KIND_TEAM,
        "platform.state.bucket: must be a bucket name: 3-63 lowercase letters",
    ),
    # egress beyond the vcluster
    (
        "egress-not-a-network",
        "teams: [{name: a1, egress: {allow: [{cidr: 300.1.1.0/24}]}}]",
        "teams[0] (a1).egress.allow[0].cidr: must be a network in CIDR notation such as "
        "'203.0.113.0/24', got '300.1.1.0/24'",
    ),
    (
        "egress-every-address-as-a-network",
        "teams: [{name: a1, egress: {allow: [{cidr: 0.0.0.0/0}]}}]",
        "teams[0] (a1).egress.allow[0].cidr: '0.0.0.0/0' is every address; to allow that, "
        "set public: true",
    ),
    (
        "egress-host-bits-set",
        "teams: [{name: a1, egress: {allow: [{cidr: 10.0.0.1/8}]}}]",
        "teams[0] (a1).egress.allow[0].cidr: '10.0.0.1/8' has host bits set; write the "
        "network, '10.0.0.0/8'",
    ),
    (
        "egress-port-zero",
        "teams: [{name: a1, egress: {allow: [{cidr: 203.0.113.0/24, ports: [0]}]}}]",
        "teams[0] (a1).egress.allow[0].ports[0]: Input should be greater than or equal to 1",
    ),
    (
        "egress-unknown-key",
        "teams: [{name: a1, egress: {open: true}}]",
        "teams[0] (a1).egress.open: unknown key; allowed here: allow, public",
    ),
    # a fleet: hosts, environments, placement
    (
        "host-and-hosts",
        "platform: {host: {type: kind}, hosts: {a: {type: kind}}}\n" + KIND_TEAM,
        "platform: host: and hosts: both given; use `host:` for one host or `hosts:` for several",
    ),
    (
        "host-name-not-dns",
        "platform: {hosts: {Prod_EU: {type: kind}}}\n" + KIND_TEAM,
        "platform.hosts: key 'Prod_EU': must be a DNS-1123 label of at most 30 characters",
    ),
    (
        "fleet-host-without-capacity",
        "platform: {hosts: {a: {type: kind}, b: {port_pool: {first_port: 30040}}}}\n" + KIND_TEAM,
        "platform: hosts.a.capacity: a host of a fleet declares what it offers tenants",
    ),
    (
        "kind-hosts-same-cluster-name",
        "platform: {hosts: {a: {cluster_name: lab, capacity: " + CAPACITY + "}, b: {cluster_name: "
        "lab, port_pool: {first_port: 30040}, capacity: " + CAPACITY + "}}}\n" + KIND_TEAM,
        "hosts.b.cluster_name: 'lab' is already the KIND cluster of host 'a'",
    ),
    (
        "kind-host-pools-overlap",
        "platform: {hosts: {a: {capacity: " + CAPACITY + "}, b: {port_pool: {first_port: 30010}, "
        "capacity: " + CAPACITY + "}}}\n" + KIND_TEAM,
        "hosts.b.port_pool: port 30010 is already in the pool of host 'a'; KIND hosts publish",
    ),
    (
        "team-pinned-to-an-unknown-host",
        FLEET + "teams: [{name: a1, host: staging}]",
        "teams[0].host: no host 'staging' in platform.hosts; name one of dev, prod",
    ),
    (
        "team-pinned-to-a-host-of-another-environment",
        FLEET + "teams: [{name: a1, host: prod}]",
        "teams[0].host: host 'prod' serves environment 'prod', the tenant is in 'dev'; pin one "
        "of dev",
    ),
    (
        "environment-without-a-host",
        FLEET + "teams: [{name: a1, environments: {qa: {}}}]",
        "teams[0].environments.qa: no host serves environment 'qa' (hosts: dev (dev), prod "
        "(prod)); add a host with environment: qa",
    ),
    (
        "default-environment-without-a-host",
        FLEET.replace("platform:\n", "platform:\n  default_environment: qa\n") + KIND_TEAM,
        "teams[0]: no host serves environment 'qa'",
    ),
    (
        "tenant-name-taken-by-a-team",
        FLEET + "teams: [{name: a1-dev}, {name: a1, environments: {dev: {}}}]",
        "teams[1].environments.dev: its tenant is named 'a1-dev', like teams[0]; rename the team "
        "or the environment",
    ),
    (
        "tenant-name-too-long",
        FLEET + "teams: [{name: " + "t" * 38 + ", environments: {prod: {}}}]",
        "teams[0].environments.prod.name: must be at most 40 characters",
    ),
    (
        "environment-override-unknown-key",
        FLEET + "teams: [{name: a1, environments: {prod: {database: {instancez: 3}}}}]",
        "teams[0].environments.prod.database.instancez: unknown key",
    ),
    (
        "environment-override-bad-value",
        FLEET + "teams: [{name: a1, environments: {prod: {database: {instances: 0}}}}]",
        "teams[0].environments.prod.database.instances: Input should be greater than or equal",
    ),
    (
        "team-host-with-environments",
        FLEET + "teams: [{name: a1, host: dev, environments: {prod: {}}}]",
        "teams[0].host: a team with environments: sets it per environment "
        "(environments.<name>.host); move it there",
    ),
    (
        "node-port-on-an-existing-host-through-an-environment",
        FLEET + "teams: [{name: a1, environments: {prod: {node_port: 30001}}}]",
        "teams[0].environments.prod.node_port: only applies to host type 'kind'",
    ),
    (
        "host-over-capacity",
        FLEET + "teams: [{name: a1, quota: {pods: 600}}]",
        "platform.hosts.dev.capacity.pods: the 1 tenants on it count for 600 (the sum of their "
        "quota.pods) of the 500 it offers; raise it, or add a host",
    ),
    (
        "more-tenants-than-measured",
        "platform: {hosts: {dev: {type: existing, kubeconfig_path: k, domain: d.example.com}}}\n"
        "teams:\n"
        + "".join(f"  - {{name: t{i}, environments: {{a: {{}}, b: {{}}}}}}\n" for i in range(1001)),
        "teams: 2002 tenants (teams in each of their environments) are more than the 2000",
    ),
    (
        "team-named-like-a-host-stack",
        "teams: [{name: kind-cluster-b}]",
        "'kind-cluster-b' starts with 'kind-cluster-', which names the stack of each KIND host",
    ),
    # backups and restores
    (
        "backups-without-a-store",
        "platform: {backups: {credentials_secret: creds}}\n" + KIND_TEAM,
        "platform.backups: name exactly one object store, s3:, gcs: or azure: (got none)",
    ),
    (
        "backups-with-two-stores",
        "platform: {backups: {s3: {bucket: b-1, region: r}, gcs: {bucket: b-2}, "
        "credentials_secret: creds}}\n" + KIND_TEAM,
        "platform.backups: name exactly one object store, s3:, gcs: or azure: (got s3, gcs)",
    ),
    (
        "backups-bucket-not-a-bucket-name",
        "platform: {backups: {s3: {bucket: My_Bucket, region: r}, credentials_secret: c}}\n"
        + KIND_TEAM,
        "platform.backups.s3.bucket: must be a bucket name",
    ),
    (
        "backups-path-from-the-root",
        "platform: {backups: {gcs: {bucket: b-1, path: /pg/}, credentials_secret: c}}\n"
        + KIND_TEAM,
        "platform.backups.gcs.path: must be a relative prefix ending in '/'",
    ),
    (
        "backups-endpoint-not-https",
        "platform: {backups: {s3: {bucket: b-1, region: r, endpoint: 'http://minio:9000'}, "
        "credentials_secret: c}}\n" + KIND_TEAM,
        "platform.backups.s3.endpoint: must be an https:// URL",
    ),
    (
        "backups-six-field-cron",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c, "
        "schedule: '0 0 3 * * *'}}\n" + KIND_TEAM,
        "platform.backups.schedule: must be a standard five-field cron schedule",
    ),
    (
        "backups-credentials-not-a-secret-name",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: Backup_Keys}}\n" + KIND_TEAM,
        "platform.backups.credentials_secret: must be a Kubernetes Secret name",
    ),
    (
        "database-backup-without-a-store",
        "teams: [{name: a1, database: {backup: {schedule: '0 4 * * *'}}}]",
        "teams[0].database.backup: the platform has no object store to back up to; add "
        "platform.backups",
    ),
    (
        "database-backup-off-without-a-reason",
        "teams: [{name: a1, database: {backup: {enabled: false}}}]",
        "teams[0] (a1).database.backup: a database is backed up unless the catalog says why not",
    ),
    (
        "restore-without-a-store",
        "teams: [{name: a1, database: {}}, {name: b1, database: {restore: {from: a1}}}]",
        "teams[1].database.restore: the platform has no object store to restore from",
    ),
    (
        "restore-from-itself",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c}}\n"
        "teams: [{name: a1, database: {restore: {from: a1}}}]",
        "teams[0].database.restore.from: 'a1' is this tenant itself",
    ),
    (
        "restore-from-an-unknown-tenant",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c}}\n"
        "teams: [{name: a1, database: {restore: {from: z9}}}]",
        "teams[0].database.restore.from: no tenant 'z9' in the catalog",
    ),
    (
        "restore-from-a-tenant-without-backups",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c}}\n"
        "teams: [{name: a1, database: {backup: {enabled: false, reason: scratch}}}, "
        "{name: b1, database: {restore: {from: a1}}}]",
        "teams[1].database.restore.from: 'a1' does not back up its database",
    ),
    (
        "restore-point-in-time-without-a-zone",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c}}\n"
        "teams: [{name: a1, database: {}}, "
        "{name: b1, database: {restore: {from: a1, point_in_time: '2026-11-29T12:00:00'}}}]",
        "teams[1] (b1).database.restore.point_in_time: must be an RFC 3339 time with its zone",
    ),
    # host services
    (
        "gateway-on-a-kind-host",
        "platform: {host: {services: {gateway: {}}}}\n" + KIND_TEAM,
        "platform.host: services.gateway: a KIND host publishes each vcluster on a port",
    ),
    (
        "gateway-exposure-without-a-gateway",
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
        "exposure: gateway}}\n" + KIND_TEAM,
        "exposure: gateway publishes each API server as a route on the host's gateway, and "
        "this host has none",
    ),
    (
        "acme-without-a-gateway",
        "platform: {host: {services: {certificates: {acme: {email: ops@example.com}}}}}\n"
        + KIND_TEAM,
        "certificates.acme: ACME challenges are answered over HTTP through the host's gateway",
    ),
    (
        "secret-store-without-a-vault",
        "platform: {host: {services: {secrets: {}}}}\n" + KIND_TEAM,
        "services.secrets: name where secrets come from, exactly one of vault:",
    ),
    (
        "provided-gateway-on-an-existing-host-with-an-unknown-key",
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
        "services: {gateway: {provided: true, class: x}}}}\n" + KIND_TEAM,
        "services.gateway.class: unknown key",
    ),
    (
        "backup-keys-from-a-host-without-a-secret-store",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c, credentials_from: k/}}\n"
        "teams: [{name: a1, database: {}}]",
        "platform.backups.credentials_from: host 'default' runs no secret store for the keys of a1",
    ),
    (
        "backup-keys-prefix-without-a-slash",
        "platform: {backups: {gcs: {bucket: b-1}, credentials_secret: c, credentials_from: k}}\n"
        "teams: [{name: a1, database: {}}]",
        "platform.backups.credentials_from: must be a relative prefix ending in '/'",
    ),
    (
        "members-without-an-issuer",
        "teams: [{name: a1, members: {groups: [devs]}}]",
        "teams[0] (a1).members: the platform has no issuer to sign them in with",
    ),
    (
        "issuer-over-plain-http",
        "platform: {identity: {issuer_url: http://login.example.com, client_id: k}}\n" + KIND_TEAM,
        "platform.identity.issuer_url: must be an https:// URL",
    ),
    (
        "gitops-on-a-host-without-argo-cd",
        "teams: [{name: a1, gitops: {repo: 'https://git.example.com/a1/deploy.git'}}]",
        "teams[0].gitops: host 'default' runs no Argo CD to deliver it",
    ),
    (
        "app-exposed-on-a-laptop",
        "teams: [{name: a1, app: {expose: {host: shop.a1.vc.example.com}}}]",
        "teams[0].app.expose.host: host 'default' has no gateway to publish it on",
    ),
    (
        "ingress-namespace-not-a-name",
        "platform: {host: {type: existing, kubeconfig_path: k, domain: vc.example.com, "
        "ingress_namespace: Ingress_NGINX}}\n" + KIND_TEAM,
        "platform.host.ingress_namespace: must be a Kubernetes name such as 'platform'",
    ),
    (
        "team-named-like-a-services-stack",
        "teams: [{name: host-services-a}]",
        "'host-services-a' starts with 'host-services-', which names the stack of each host's",
    ),
    (
        "team-image-from-a-registry-the-host-refuses",
        "platform: {host: {services: {policy: {allowed_registries: [ghcr.io/acme]}}}}\n"
        "teams: [{name: a1, app: {image: 'quay.io/evil/app:1@sha256:" + "0" * 64 + "'}}]",
        "teams[0].app.image: 'quay.io/evil/app:1@sha256:",
    ),
    # malformed YAML, empty and odd documents
    ("bad-indentation", "teams:\n  - name: a1\n   owners: []\n", "not valid YAML at line 3"),
    ("tab-indentation", "teams:\n\t- name: a1\n", "not valid YAML at line 2"),
    ("unclosed-bracket", "teams: [{name: a1}\n", "not valid YAML"),
    ("empty-file", "", "the catalog is empty; it needs at least a 'teams:' list"),
    ("only-comments", "# nothing here\n", "the catalog is empty"),
    (
        "top-level-list",
        "- name: a1\n",
        "the catalog must be a mapping with 'platform:' and 'teams:', got a list",
    ),
    (
        "top-level-scalar",
        "just words\n",
        "the catalog must be a mapping with 'platform:' and 'teams:', got a str",
    ),
]


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    outdir = tmp_path_factory.mktemp("earlier") / "cdktf.out"
    assert run_main(PROJECT_ROOT, PROJECT_ROOT / "platform.yaml", outdir).returncode == 0
    return outdir, fingerprint(outdir)


def fingerprint(outdir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(outdir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }


def assert_refused(
    catalog: Path, expected: str, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    outdir, before = earlier_output
    result = run_main(PROJECT_ROOT, catalog, outdir)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one message, got:\n{result.stderr}"
    assert lines[0].startswith(f"error: {catalog}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert fingerprint(outdir) == before, "the earlier output was touched"


def test_the_suite_covers_at_least_forty_distinct_catalogs() -> None:
    assert len(CASES) >= 40
    assert len({text for _, text, _ in CASES}) == len(CASES)
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_catalog_is_refused_with_one_clear_message(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]], text: str, expected: str
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text(text, encoding="utf-8")
    assert_refused(catalog, expected, earlier_output)


def test_a_missing_file_is_refused(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    assert_refused(
        tmp_path / "nope.yaml",
        "catalog file not found; create it or point PLATFORM_CONFIG at one",
        earlier_output,
    )


def test_a_directory_is_refused(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    assert_refused(
        tmp_path, "is a directory; PLATFORM_CONFIG must name a YAML file", earlier_output
    )


def test_a_fifo_is_refused_without_waiting(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    fifo = tmp_path / "platform.yaml"
    os.mkfifo(fifo)
    assert_refused(
        fifo, "is not a regular file; PLATFORM_CONFIG must name a YAML file", earlier_output
    )


def test_a_character_device_is_refused_without_reading_it(
    earlier_output: tuple[Path, dict[str, str]],
) -> None:
    assert_refused(Path("/dev/zero"), "is not a regular file", earlier_output)


def test_an_expanding_alias_catalog_is_refused_in_under_a_second(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    catalog = tmp_path / "laughs.yaml"
    catalog.write_text("\n".join(lines) + "\nteams: [{name: a1}]\n")
    started = time.monotonic()
    with pytest.raises(CatalogError, match="anchors and aliases"):
        load_catalog(catalog)
    assert time.monotonic() - started < 1


def test_a_corrupt_earlier_output_stops_the_data_guard_with_a_way_out(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    outdir, _ = earlier_output
    broken = tmp_path / "out"
    shutil.copytree(outdir, broken)
    (broken / "stacks" / "team-a" / "cdk.tf.json").write_text("{ half")
    result = run_main(PROJECT_ROOT, PROJECT_ROOT / "platform.yaml", broken)
    assert result.returncode == 2
    assert "the earlier output is not valid JSON, so the data guard cannot check it" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_binary_file_is_refused(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_bytes(b"\xff\xfe\x00teams")
    assert_refused(catalog, "the catalog must be UTF-8 text", earlier_output)


def test_a_very_large_file_is_refused_before_it_is_parsed(
    tmp_path: Path, earlier_output: tuple[Path, dict[str, str]]
) -> None:
    catalog = tmp_path / "platform.yaml"
    catalog.write_text("teams:\n" + "  # padding\n" * 600_000)
    assert_refused(catalog, "is larger than the 5242880 bytes a catalog may have", earlier_output)
