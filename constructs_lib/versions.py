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

# Container images we choose ourselves (chart images follow their pinned chart versions).
# nginx-unprivileged listens on 8080 and runs as uid 101, so it needs no root and no capabilities.
APP_IMAGE: Final = "nginxinc/nginx-unprivileged:1.29.3-alpine"
