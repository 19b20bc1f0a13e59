"""Where files live on the deploy machine, as paths relative to a stack's working directory.

cdktf runs OpenTofu in `cdktf.out/stacks/<stack>/`, three levels below the checkout. Every
path in the synthesized JSON climbs back from there, so the JSON is the same on every machine
and every checkout path, and all stacks (at the same depth) agree on where a file is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The checkout this code runs from (where cdktf.json and platform.yaml live); never in JSON.
PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent

CHECKOUT_ROOT: Final = "../../.."
STATE_DIR: Final = f"{CHECKOUT_ROOT}/.terraform-state"
KUBECONFIG_DIR: Final = f"{CHECKOUT_ROOT}/.kubeconfigs"


def local_state_path(layer: str) -> str:
    """State file of one stack, e.g. `platform/vcluster` or `teams/team-a`."""
    return f"{STATE_DIR}/{layer}/terraform.tfstate"


def host_kubeconfig_path(cluster_name: str) -> str:
    return f"{KUBECONFIG_DIR}/host-{cluster_name}.yaml"


def team_kubeconfig_path(team: str) -> str:
    return f"{KUBECONFIG_DIR}/vcluster-{team}.yaml"
