"""One state per stack, in the backend the catalog chooses.

Cross-stack references read the producer's state through `terraform_remote_state` with the
producer's backend configuration, which cdktf derives from the backend created here.
"""

from __future__ import annotations

from cdktf import GcsBackend, LocalBackend, PgBackend, S3Backend, TerraformBackend
from constructs import Construct

from constructs_lib.paths import local_state_path
from constructs_lib.state_locations import GcsState, LocalState, S3State, StateLocation


def configure_state(stack: Construct, state: StateLocation, *, layer: str) -> TerraformBackend:
    """Give `stack` its own state; `layer` is its place: `platform/vcluster`, `teams/team-a`."""
    if isinstance(state, LocalState):
        # Relative to the stack's working directory: cdktf's default would be an absolute path.
        return LocalBackend(stack, path=local_state_path(layer))
    if isinstance(state, S3State):
        return S3Backend(
            stack,
            bucket=state.bucket,
            key=f"{state.key_prefix}/{layer}/terraform.tfstate",
            region=state.region,
            encrypt=True,
            dynamodb_table=state.dynamodb_table,
        )
    if isinstance(state, GcsState):
        return GcsBackend(stack, bucket=state.bucket, prefix=f"{state.prefix}/{layer}")
    # Credentials come from PGUSER/PGPASSWORD, never from the JSON.
    schema = "tf_" + layer.replace("/", "_").replace("-", "_")
    return PgBackend(stack, conn_str=state.conn_str, schema_name=schema)
