"""Pod Security Admission labels for a namespace."""

from __future__ import annotations

from typing import Literal

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def pod_security_labels(
    enforce: PodSecurityLevel, *, warn: PodSecurityLevel = "restricted"
) -> dict[str, str]:
    """Enforce one level; warn and audit at `warn`, so drift towards it shows before it bites."""
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": warn,
        "pod-security.kubernetes.io/audit": warn,
    }
