"""NetworkPolicies a curious, capable tenant writes in its own vcluster (cluster-admin there).

Shared by the guard's tests (each refused, with its words) and the isolation matrix (none of
them changes a flow across the tenant's boundary once the guard has had its say).
"""

from __future__ import annotations

from typing import Any

EVERYONE: dict[str, Any] = {"podSelector": {}}
#: NetworkPolicies a curious tenant writes, and the word the guard refuses them with.
ADVERSARIAL: dict[str, tuple[dict[str, Any], str]] = {
    "egress to the world": (
        {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
        "send traffic only to pods",
    ),
    "egress to the cloud metadata endpoint": (
        {
            "podSelector": {},
            "egress": [
                {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"port": 80}]}
            ],
        },
        "send traffic only to pods",
    ),
    "egress to every pod address of the host": (
        {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.244.0.0/16"}}]}]},
        "send traffic only to pods",
    ),
    "egress to the world, tucked beside a pod peer": (
        {
            "podSelector": {},
            "egress": [{"to": [EVERYONE, {"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        },
        "send traffic only to pods",
    ),
    "an egress rule without peers": (
        {"podSelector": {}, "egress": [{}]},
        "send traffic only to pods",
    ),
    "an egress rule with ports only": (
        {"podSelector": {}, "egress": [{"ports": [{"port": 443}]}]},
        "send traffic only to pods",
    ),
    "ingress from anywhere": (
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
        "admit traffic only from pods",
    ),
    "ingress from every pod address of the host": (
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.0/16"}}]}]},
        "admit traffic only from pods",
    ),
    "an ingress rule without peers": (
        {"podSelector": {}, "ingress": [{}]},
        "admit traffic only from pods",
    ),
}

#: Selectors that try to name another vcluster's pods: the syncer confines them to the team's
#: own, so the guard lets them through (the isolation matrix shows they reach nothing new).
CONFINED_BY_THE_SYNCER: dict[str, dict[str, Any]] = {
    "another vcluster's marker label": {
        "podSelector": {},
        "egress": [
            {"to": [{"podSelector": {"matchLabels": {"vcluster.loft.sh/managed-by": "team-b"}}}]}
        ],
    },
    "another vcluster's host namespace": {
        "podSelector": {},
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "vcluster-team-b"}
                        }
                    }
                ]
            }
        ],
    },
    "every namespace, every pod": {
        "podSelector": {},
        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}],
        "egress": [{"to": [{"namespaceSelector": {}}]}],
    },
}
