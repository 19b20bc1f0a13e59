"""Every pinned version the synthesized JSON depends on, in one place.

Python packages live in the Pipfile, the cdktf CLI in package.json and OpenTofu in
`.tenv.tofu.version`; everything that ends up *inside* the synthesized JSON is pinned here.
The provider constraints must match the prebuilt bindings in the Pipfile (a test checks it).
"""

from __future__ import annotations

from typing import Final

# Terraform providers: exact versions, so a plan never picks up a provider we did not review.
KIND_PROVIDER_SOURCE: Final = "tehcyx/kind"
KIND_PROVIDER_VERSION: Final = "0.11.0"  # bound by our own binding, bindings/kind.py
KUBERNETES_PROVIDER_VERSION: Final = "2.38.0"  # bound by cdktf-cdktf-provider-kubernetes 12.1.1
HELM_PROVIDER_VERSION: Final = "3.1.1"  # bound by cdktf-cdktf-provider-helm 12.1.2
LOCAL_PROVIDER_VERSION: Final = "2.6.1"  # bound by cdktf-cdktf-provider-local 11.1.1
RANDOM_PROVIDER_VERSION: Final = "3.7.2"  # bound by cdktf-cdktf-provider-random 12.0.1
TIME_PROVIDER_VERSION: Final = "0.13.1"  # bound by cdktf-cdktf-provider-time 11.0.1

# KIND node image: the default of sigs.k8s.io/kind v0.31.0, the kind library that the
# tehcyx/kind 0.11.0 provider is built with (pkg/apis/config/defaults/image.go).
KIND_NODE_IMAGE: Final = (
    "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
)

# Helm charts.
VCLUSTER_CHART_REPOSITORY: Final = "https://charts.loft.sh"
VCLUSTER_CHART_VERSION: Final = "0.36.1"
# The chart defaults to the vcluster-pro image; we run the open-source build of the same
# release (Apache-2.0, no licence key, no platform connection), tagged like the chart.
VCLUSTER_IMAGE_REGISTRY: Final = "ghcr.io"
VCLUSTER_IMAGE_REPOSITORY: Final = "loft-sh/vcluster-oss"
# The etcd a vcluster deploys for HA (`backing_store: deployed-etcd`): the chart 0.36.1 default,
# pinned here so a chart bump never moves the store under a team's data unseen.
ETCD_IMAGE_REGISTRY: Final = "registry.k8s.io"
ETCD_IMAGE_REPOSITORY: Final = "etcd"
ETCD_IMAGE_TAG: Final = "3.6.8-0"
CNPG_CHART_REPOSITORY: Final = "https://cloudnative-pg.github.io/charts"
CNPG_OPERATOR_CHART_VERSION: Final = "0.29.0"
CNPG_CLUSTER_CHART_VERSION: Final = "0.8.1"
# PostgreSQL per major version: the chart would render the floating `postgresql:<major>` tag
# (`templates/_helpers.tpl`, a deprecated rolling tag of the bullseye system image). Pinned by
# full version and digest from CloudNativePG's image catalog, cloudnative-pg/artifacts
# `image-catalogs/catalog-system-trixie.yaml` at ce5057c5 (images.cnpg.io/date 20260817). The
# `system` flavour carries barman-cloud, which backups to an object store need while the
# operator we pin (1.30.0) backs up in-tree; trixie is the OS of the operator's own default.
POSTGRES_IMAGES: Final = {
    14: "ghcr.io/cloudnative-pg/postgresql:14.24-202608170814-system-trixie"
    "@sha256:ba21bac878449f7bf1cc620f8a030953be94aff464ca5ba013de1ebca47479dd",
    15: "ghcr.io/cloudnative-pg/postgresql:15.19-202608170814-system-trixie"
    "@sha256:fa32b6605eee928ffcd5a8895bfdf657d08552c682acbba5af1f732a706015c3",
    16: "ghcr.io/cloudnative-pg/postgresql:16.15-202608170814-system-trixie"
    "@sha256:9715665844fb088ba6e17181cfc2e2505b3a711e7a293ac721490175f9515233",
    17: "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-system-trixie"
    "@sha256:ecaa395084a5f8831fd2655dbffc98b554473526265f53113ec969de6fc15848",
    18: "ghcr.io/cloudnative-pg/postgresql:18.6-202608170814-system-trixie"
    "@sha256:14cfefd0db8bbc617a4882c74a2811af361fc8d0fc1733062c982c6e746a3875",
}
VALKEY_CHART_REPOSITORY: Final = "https://valkey.io/valkey-helm/"
VALKEY_CHART_VERSION: Final = "0.11.0"
# The chart 0.11.0 default exporter (values.yaml:369-377), written out so a chart bump cannot
# move it unseen; it runs beside each cache on hosts with the metrics service.
VALKEY_EXPORTER_IMAGE_REGISTRY: Final = "ghcr.io"
VALKEY_EXPORTER_IMAGE_REPOSITORY: Final = "oliver006/redis_exporter"
VALKEY_EXPORTER_IMAGE_TAG: Final = "v1.79.0"

# Host services (`services:` of a host; constructs_lib/host_services/), one chart each, at the
# newest stable release on 2026-11-30; the images follow the chart versions. Each was read and
# rendered at its tag (fixtures in tests/fixtures/host-services/ record what it produces).
#
# Gateway: Envoy Gateway v1.9.0 (envoyproxy/gateway tag v1.9.0, 39763b1c). Picked over Traefik,
# Kong and Istio: a CNCF project that implements the Gateway API and nothing else (no legacy
# Ingress dialect, no mesh to run), TLS passthrough on TLSRoute v1, one controller deployment,
# and the proxies' labels and ports fixed in its source, so our network policies can name
# them. It ships the Gateway API CRDs v1.6.1 (TLSRoute v1 is standard since v1.5.0).
ENVOY_GATEWAY_CHART_REPOSITORY: Final = "oci://docker.io/envoyproxy"
ENVOY_GATEWAY_CHART_VERSION: Final = "v1.9.0"
GATEWAY_API_VERSION: Final = "v1.6.1"  # the CRDs the chart above installs (it decides)
# Certificates: cert-manager v1.21.1 (cert-manager/cert-manager tag v1.21.1, 24e33194), the
# CNCF standard for certificates in Kubernetes, with Gateway API HTTP-01 solvers.
CERT_MANAGER_CHART_REPOSITORY: Final = "https://charts.jetstack.io"
CERT_MANAGER_CHART_VERSION: Final = "v1.21.1"

# Metrics: kube-prometheus-stack 88.5.3 (prometheus-community/helm-charts tag
# kube-prometheus-stack-88.5.3, ea930bae): the Prometheus Operator (v0.93.1), Prometheus,
# Alertmanager, Grafana and the exporters in one chart, the stack both seeds run.
KUBE_PROMETHEUS_STACK_CHART_REPOSITORY: Final = "https://prometheus-community.github.io/helm-charts"
KUBE_PROMETHEUS_STACK_CHART_VERSION: Final = "88.5.3"

# Policy: Kyverno v1.19.0 by its chart 3.9.0 (kyverno/kyverno tag kyverno-chart-3.9.0,
# ee97ce09); why Kyverno and not Gatekeeper: constructs_lib/host_services/policy.py.
KYVERNO_CHART_REPOSITORY: Final = "https://kyverno.github.io/kyverno/"
KYVERNO_CHART_VERSION: Final = "3.9.0"
KYVERNO_VERSION: Final = "v1.19.0"  # the chart's appVersion: the tag its test pods run too

# Secrets: External Secrets Operator v2.9.0 by its chart 2.9.0 (external-secrets/external-secrets
# tag helm-chart-2.9.0, cc5bfbc2): one operator for Vault, AWS, GCP and Azure stores.
EXTERNAL_SECRETS_CHART_REPOSITORY: Final = "https://charts.external-secrets.io"
EXTERNAL_SECRETS_CHART_VERSION: Final = "2.9.0"

# Delivery: Argo CD v3.4.4 by the argo-cd chart 10.1.1 (argoproj/argo-helm tag argo-cd-10.1.1,
# af0a9310): the GitOps engine both seeds name; its chart's own NetworkPolicies are on since
# 10.0.0.
ARGO_CD_CHART_REPOSITORY: Final = "https://argoproj.github.io/argo-helm"
ARGO_CD_CHART_VERSION: Final = "10.1.1"

# Container images we choose ourselves (chart images follow their pinned chart versions).
# nginx-unprivileged listens on 8080 and runs as uid 101, so it needs no root and no capabilities.
APP_IMAGE: Final = "nginxinc/nginx-unprivileged:1.29.3-alpine"
