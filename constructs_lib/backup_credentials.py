"""A tenant's backup credentials, from the platform's vault into its vcluster, never by hand.

The database runs inside the vcluster; the keys live in the vault behind the host's secret
store. On the host, in the tenant's own namespace, the platform keeps three External Secrets
objects: an ExternalSecret that reads the tenant's keys (`<credentials_from><tenant>`, every
field a key) into a host Secret, a SecretStore that reaches the vcluster's API server with the
admin certificate the vcluster writes beside it (`vc-<release>`), and a PushSecret that copies
the whole Secret into `<tenant>-apps` inside the vcluster, every five minutes (a tenant that
edits or deletes it gets it back). Read at External Secrets v2.9.0 (Kubernetes provider,
PushSecret without a key pushes the whole Secret) and vcluster v0.36.1 (the `vc-` Secret's
keys; the serving certificate names `<release>.<namespace>`, not `….svc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: How often the copy inside the vcluster is put back (PushSecret watches no Secret).
PUSH_INTERVAL: Final = "5m"
#: How often the keys are read from the vault.
READ_INTERVAL: Final = "1h"
STORE_API: Final = "external-secrets.io/v1"
PUSH_API: Final = "external-secrets.io/v1alpha1"
#: The SecretStore, in the tenant's host namespace, that writes into its vcluster.
VCLUSTER_STORE: Final = "vcluster"


@dataclass(frozen=True, kw_only=True, slots=True)
class BackupCredentialsSource:
    """Where a tenant's backup keys come from and where they go."""

    store: str
    """The host's ClusterSecretStore (a reference into the host's services stack)."""
    remote_key: str
    """The tenant's entry in the vault: its fields are the Secret's keys."""
    secret_name: str
    """The Secret the database reads (`platform.backups.credentials_secret`)."""
    apps_namespace: str
    """The tenant's namespace inside its vcluster, where the database runs."""


def backup_credentials_objects(
    source: BackupCredentialsSource, *, server: str, host_namespace: str, admin_secret: str
) -> tuple[dict[str, Any], ...]:
    """The ExternalSecret, SecretStore and PushSecret of one tenant, in its host namespace."""
    metadata = {"namespace": host_namespace}
    return (
        {
            "apiVersion": STORE_API,
            "kind": "ExternalSecret",
            "metadata": {"name": source.secret_name, **metadata},
            "spec": {
                "refreshInterval": READ_INTERVAL,
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": source.store},
                "target": {"name": source.secret_name, "creationPolicy": "Owner"},
                "dataFrom": [{"extract": {"key": source.remote_key}}],
            },
        },
        {
            "apiVersion": STORE_API,
            "kind": "SecretStore",
            "metadata": {"name": VCLUSTER_STORE, **metadata},
            "spec": {
                "provider": {
                    "kubernetes": {
                        "remoteNamespace": source.apps_namespace,
                        "server": {
                            "url": server,
                            "caProvider": {
                                "type": "Secret",
                                "name": admin_secret,
                                "key": "certificate-authority",
                            },
                        },
                        "auth": {
                            "cert": {
                                "clientCert": {"name": admin_secret, "key": "client-certificate"},
                                "clientKey": {"name": admin_secret, "key": "client-key"},
                            }
                        },
                    }
                }
            },
        },
        {
            "apiVersion": PUSH_API,
            "kind": "PushSecret",
            "metadata": {"name": source.secret_name, **metadata},
            "spec": {
                "refreshInterval": PUSH_INTERVAL,
                "updatePolicy": "Replace",
                "deletionPolicy": "Delete",
                "secretStoreRefs": [{"kind": "SecretStore", "name": VCLUSTER_STORE}],
                "selector": {"secret": {"name": source.secret_name}},
                # No secretKey: the whole Secret, and only its keys (no labels of the host's).
                "data": [
                    {
                        "match": {"remoteRef": {"remoteKey": source.secret_name}},
                        "metadata": {
                            "apiVersion": "kubernetes.external-secrets.io/v1alpha1",
                            "kind": "PushSecretMetadata",
                            "spec": {"sourceMergePolicy": "Replace"},
                        },
                    }
                ],
            },
        },
    )
