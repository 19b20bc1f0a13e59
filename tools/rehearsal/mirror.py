"""Stand-in providers installed the way `init` expects real ones: a local filesystem mirror.

The rehearsal writes everything into its own scratch directory: one schema file (and its
compiled form, which each start of a stand-in reads) and one small launcher per provider,
unpacked under the exact version our JSON pins, for both registries (`hashicorp/kubernetes`
means registry.terraform.io to Terraform and registry.opentofu.org to OpenTofu), and a CLI
configuration that installs only from there. `TF_CLI_CONFIG_FILE` points at it for the
rehearsal's commands alone; the user's own configuration is never read or touched. `init`
still checks our version constraints and writes a lock file, as it would against the real
registry.
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from constructs_lib import versions
from constructs_lib.paths import PROJECT_ROOT
from tools.rehearsal.binding_schema import provider_schema
from tools.rehearsal.standin import compiled_schema, schema_response

REGISTRIES: Final = ("registry.terraform.io", "registry.opentofu.org")

#: The kind provider has no prebuilt binding: its schema is our copy of the one transcribed from
#: tehcyx/terraform-provider-kind v0.11.0 (Apache-2.0) in ../shared/reference/kind, whose README
#: gives the commit and files; a test keeps the two equal.
KIND_SCHEMA: Final = PROJECT_ROOT / "tools" / "rehearsal" / "kind-0.11.0.schema.json"


@dataclass(frozen=True, slots=True)
class StandIn:
    source: str
    """`namespace/type`, as `required_providers` names it."""
    version: str

    @property
    def type(self) -> str:
        return self.source.split("/")[1]


#: Every provider the app uses, at the version our JSON pins (constructs_lib/versions.py).
STAND_INS: Final = (
    StandIn("hashicorp/kubernetes", versions.KUBERNETES_PROVIDER_VERSION),
    StandIn("hashicorp/helm", versions.HELM_PROVIDER_VERSION),
    StandIn("hashicorp/local", versions.LOCAL_PROVIDER_VERSION),
    StandIn("hashicorp/random", versions.RANDOM_PROVIDER_VERSION),
    StandIn("hashicorp/time", versions.TIME_PROVIDER_VERSION),
    StandIn(versions.KIND_PROVIDER_SOURCE, versions.KIND_PROVIDER_VERSION),
)


def schema_of(stand_in: StandIn) -> dict[str, Any]:
    """The provider's schema: from its pinned binding, or (kind) the transcribed reference."""
    if stand_in.type == "kind":
        reference = json.loads(KIND_SCHEMA.read_text(encoding="utf-8"))
        (entry,) = reference["provider_schemas"].values()
        return dict(entry)
    return provider_schema(f"cdktf_cdktf_provider_{stand_in.type}")


def _target() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def install(scratch: Path, python: str = sys.executable) -> Path:
    """Write the mirror and the CLI configuration under `scratch`; return the configuration."""
    mirror = scratch / "mirror"
    schemas = scratch / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for stand_in in STAND_INS:
        schema = schema_of(stand_in)
        schema_file = schemas / f"{stand_in.type}.json"
        schema_file.write_text(json.dumps(schema), encoding="utf-8")
        compiled_schema(schema_file).write_bytes(schema_response(schema).SerializeToString())
        launcher = (
            "#!/bin/sh\n"
            f"PYTHONPATH={shlex.quote(str(PROJECT_ROOT))} exec {shlex.quote(python)} "
            f"-m tools.rehearsal.standin {shlex.quote(str(schema_file))}\n"
        )
        for registry in REGISTRIES:
            directory = mirror / registry / stand_in.source / stand_in.version / _target()
            directory.mkdir(parents=True, exist_ok=True)
            executable = directory / f"terraform-provider-{stand_in.type}_v{stand_in.version}"
            executable.write_text(launcher, encoding="utf-8")
            executable.chmod(0o755)
    config = scratch / "cli.tfrc"
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        "}\n",
        encoding="utf-8",
    )
    return config
