"""A stateless web app: a hardened Deployment and the ClusterIP Service in front of it."""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.deployment_v1 import (
    DeploymentV1,
    DeploymentV1Metadata,
    DeploymentV1Spec,
    DeploymentV1SpecSelector,
    DeploymentV1SpecTemplate,
    DeploymentV1SpecTemplateMetadata,
    DeploymentV1SpecTemplateSpec,
    DeploymentV1SpecTemplateSpecContainer,
    DeploymentV1SpecTemplateSpecContainerLivenessProbe,
    DeploymentV1SpecTemplateSpecContainerLivenessProbeHttpGet,
    DeploymentV1SpecTemplateSpecContainerPort,
    DeploymentV1SpecTemplateSpecContainerReadinessProbe,
    DeploymentV1SpecTemplateSpecContainerReadinessProbeHttpGet,
    DeploymentV1SpecTemplateSpecContainerResources,
    DeploymentV1SpecTemplateSpecContainerSecurityContext,
    DeploymentV1SpecTemplateSpecContainerSecurityContextCapabilities,
    DeploymentV1SpecTemplateSpecContainerVolumeMount,
    DeploymentV1SpecTemplateSpecSecurityContext,
    DeploymentV1SpecTemplateSpecSecurityContextSeccompProfile,
    DeploymentV1SpecTemplateSpecVolume,
    DeploymentV1SpecTemplateSpecVolumeEmptyDir,
    DeploymentV1SpecTemplateSpecVolumeSecret,
    DeploymentV1SpecTemplateSpecVolumeSecretItems,
)
from cdktf_cdktf_provider_kubernetes.service_v1 import (
    ServiceV1,
    ServiceV1Metadata,
    ServiceV1Spec,
    ServiceV1SpecPort,
)
from constructs import Construct

from constructs_lib.web_app_props import CONTAINER_PORT, NGINX_UID, SERVICE_PORT, WebAppProps


class WebApp(Construct):
    """Non-root, read-only, no capabilities, bounded, probed; selector and labels derived once."""

    def __init__(self, scope: Construct, id: str, props: WebAppProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self._labels = dict(props.labels) | props.selector
        self._writable = {f"writable-{i}": path for i, path in enumerate(props.writable_paths)}
        self._secrets = {f"secret-{f.secret_name}": f for f in props.secret_files}
        self.deployment = self._build_deployment()
        self.service = ServiceV1(
            self,
            "Service",
            metadata=ServiceV1Metadata(
                name=props.name, namespace=props.namespace, labels=self._labels
            ),
            spec=ServiceV1Spec(
                type="ClusterIP",
                selector=props.selector,
                port=[ServiceV1SpecPort(name="http", port=SERVICE_PORT, target_port="http")],
            ),
        )

    @property
    def address(self) -> str:
        return f"{self.props.host}:{SERVICE_PORT}"

    def _build_deployment(self) -> DeploymentV1:
        props = self.props
        return DeploymentV1(
            self,
            "Deployment",
            metadata=DeploymentV1Metadata(
                name=props.name, namespace=props.namespace, labels=self._labels
            ),
            spec=DeploymentV1Spec(
                replicas=str(props.settings.replicas),
                selector=DeploymentV1SpecSelector(match_labels=props.selector),
                template=DeploymentV1SpecTemplate(
                    metadata=DeploymentV1SpecTemplateMetadata(labels=self._labels),
                    spec=DeploymentV1SpecTemplateSpec(
                        automount_service_account_token=False,
                        security_context=DeploymentV1SpecTemplateSpecSecurityContext(
                            run_as_non_root=True,
                            run_as_user=str(NGINX_UID),
                            run_as_group=str(NGINX_UID),
                            fs_group=str(NGINX_UID),
                            seccomp_profile=DeploymentV1SpecTemplateSpecSecurityContextSeccompProfile(
                                type="RuntimeDefault"
                            ),
                        ),
                        container=[self._container()],
                        volume=self._volumes(),
                    ),
                ),
            ),
            wait_for_rollout=True,
        )

    def _container(self) -> DeploymentV1SpecTemplateSpecContainer:
        props = self.props
        resources = props.settings.resources.as_kubernetes()
        return DeploymentV1SpecTemplateSpecContainer(
            name=props.name,
            image=props.settings.image,
            port=[
                DeploymentV1SpecTemplateSpecContainerPort(
                    container_port=CONTAINER_PORT, name="http"
                )
            ],
            image_pull_policy="Always",
            resources=DeploymentV1SpecTemplateSpecContainerResources(
                requests=resources["requests"], limits=resources["limits"]
            ),
            security_context=DeploymentV1SpecTemplateSpecContainerSecurityContext(
                allow_privilege_escalation=False,
                privileged=False,
                read_only_root_filesystem=True,
                run_as_non_root=True,
                run_as_user=str(NGINX_UID),
                run_as_group=str(NGINX_UID),
                capabilities=DeploymentV1SpecTemplateSpecContainerSecurityContextCapabilities(
                    drop=["ALL"]
                ),
            ),
            liveness_probe=DeploymentV1SpecTemplateSpecContainerLivenessProbe(
                http_get=DeploymentV1SpecTemplateSpecContainerLivenessProbeHttpGet(
                    path=props.health_path, port="http"
                ),
                initial_delay_seconds=5,
                period_seconds=10,
                failure_threshold=3,
            ),
            readiness_probe=DeploymentV1SpecTemplateSpecContainerReadinessProbe(
                http_get=DeploymentV1SpecTemplateSpecContainerReadinessProbeHttpGet(
                    path=props.health_path, port="http"
                ),
                period_seconds=5,
                failure_threshold=3,
            ),
            volume_mount=[
                DeploymentV1SpecTemplateSpecContainerVolumeMount(name=name, mount_path=path)
                for name, path in self._writable.items()
            ]
            + [
                DeploymentV1SpecTemplateSpecContainerVolumeMount(
                    name=name, mount_path=files.mount_path, read_only=True
                )
                for name, files in self._secrets.items()
            ],
        )

    def _volumes(self) -> list[DeploymentV1SpecTemplateSpecVolume]:
        """Small emptyDirs for the writable paths, then each secret's keys as 0400 files."""
        writable = [
            DeploymentV1SpecTemplateSpecVolume(
                name=name,
                empty_dir=DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit="64Mi"),
            )
            for name in self._writable
        ]
        secrets = [
            DeploymentV1SpecTemplateSpecVolume(
                name=name,
                secret=DeploymentV1SpecTemplateSpecVolumeSecret(
                    secret_name=files.secret_name,
                    default_mode="0400",
                    items=[
                        DeploymentV1SpecTemplateSpecVolumeSecretItems(key=key, path=key)
                        for key in files.keys
                    ],
                ),
            )
            for name, files in self._secrets.items()
        ]
        return writable + secrets
