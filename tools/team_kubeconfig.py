"""`pipenv run team-kubeconfig TENANT`: a kubeconfig for a member of the team, on stdout.

It names the tenant's vcluster (its API server and the CA that signs it) and, for the user,
only an `exec` entry for the standard OIDC login plugin (int128/kubelogin, `kubectl
oidc-login`): no key, no token, no certificate of anyone, so it may be mailed or committed.
The member signs in with the platform's issuer; the vcluster binds the team's groups
(`members:`) to their role. The CA is read from the platform's admin kubeconfig of that
vcluster (`.kubeconfigs/vcluster-<tenant>.yaml`, written by its deploy, or `pipenv run
restore-kubeconfigs`), certificate authority only: the admin credentials never leave it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final

import yaml

from catalog.loader import CatalogError, catalog_path, load_catalog
from catalog.model import Catalog
from catalog.tenant import Tenant
from constructs_lib.paths import PROJECT_ROOT

#: The login plugin's kubectl subcommand (int128/kubelogin), as its README configures it.
LOGIN_COMMAND: Final = ("kubectl", "oidc-login", "get-token")


class KubeconfigError(Exception):
    pass


def admin_kubeconfig(tenant: str) -> Path:
    return PROJECT_ROOT / ".kubeconfigs" / f"vcluster-{tenant}.yaml"


def certificate_authority(path: Path) -> str:
    """The base64 CA of the first cluster in a kubeconfig, and nothing else of it."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        ca = config["clusters"][0]["cluster"]["certificate-authority-data"]
    except FileNotFoundError:
        raise KubeconfigError(
            f"{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}: "
            "no admin kubeconfig of this vcluster here; deploy it, or run `pipenv run "
            "restore-kubeconfigs <tenant>`, or pass --ca-from"
        ) from None
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
        raise KubeconfigError(f"{path}: not a kubeconfig with certificate-authority-data") from None
    if not isinstance(ca, str) or not ca:
        raise KubeconfigError(f"{path}: its cluster has no certificate-authority-data")
    return ca


def sign_in_problem(catalog: Catalog, tenant: Tenant) -> str | None:
    """Why a member of the tenant's team could not sign in, or None."""
    if catalog.platform.identity is None:
        return (
            "platform.identity is not set: the vclusters trust no issuer, so a member has "
            "nothing to sign in with (README, 'Access by identity')"
        )
    if tenant.settings.members is None:
        return (
            f"{tenant.source}.members: the team names no people, so signing in gives no rights; "
            "add members: {groups: [...]}"
        )
    return None


def member_kubeconfig(catalog: Catalog, tenant: Tenant, ca_data: str) -> dict[str, Any]:
    problem = sign_in_problem(catalog, tenant)
    identity = catalog.platform.identity
    if problem is not None or identity is None:
        raise KubeconfigError(problem or "no issuer")
    name = f"vcluster-{tenant.name}"
    user = f"{name}-oidc"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": catalog.api_server_of(tenant),
                    "certificate-authority-data": ca_data,
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": LOGIN_COMMAND[0],
                        "args": [
                            *LOGIN_COMMAND[1:],
                            f"--oidc-issuer-url={identity.issuer_url}",
                            f"--oidc-client-id={identity.client_id}",
                            "--oidc-extra-scope=email",
                            "--oidc-extra-scope=groups",
                        ],
                        "interactiveMode": "IfAvailable",
                        "provideClusterInfo": False,
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="team-kubeconfig", description=__doc__.split("\n")[0])
    parser.add_argument("tenant", help="a team, or <team>-<environment>")
    parser.add_argument(
        "--ca-from", type=Path, help="a kubeconfig to take the CA from (default: the admin one)"
    )
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog(catalog_path())
        tenants = {t.name: t for t in catalog.tenants}
        if args.tenant not in tenants:
            known = ", ".join(sorted(tenants)[:10])
            raise KubeconfigError(f"no tenant {args.tenant!r} in the catalog (tenants: {known})")
        tenant = tenants[args.tenant]
        problem = sign_in_problem(catalog, tenant)
        if problem is not None:
            raise KubeconfigError(problem)
        ca = certificate_authority(args.ca_from or admin_kubeconfig(tenant.name))
        config = member_kubeconfig(catalog, tenant, ca)
    except (CatalogError, KubeconfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(yaml.safe_dump(config, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
