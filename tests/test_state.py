"""One state per stack, with no absolute path; remote backends feed cross-stack references."""

from __future__ import annotations

import pytest

from tests.conftest import Parse, Synth, Synthesized


def test_local_state_follows_the_demo_layout(synthesized: Synthesized) -> None:
    paths = {
        name: stack["terraform"]["backend"]["local"]["path"] for name, stack in synthesized.items()
    }
    assert paths == {
        "kind-cluster": "../../../.terraform-state/platform/kind-cluster/terraform.tfstate",
        "vcluster-team-a": "../../../.terraform-state/platform/vcluster/team-a/terraform.tfstate",
        "vcluster-team-b": "../../../.terraform-state/platform/vcluster/team-b/terraform.tfstate",
        "team-a": "../../../.terraform-state/teams/team-a/terraform.tfstate",
        "team-b": "../../../.terraform-state/teams/team-b/terraform.tfstate",
    }


def test_cross_stack_references_read_the_producers_local_state(synthesized: Synthesized) -> None:
    remote = synthesized["team-a"]["data"]["terraform_remote_state"]
    assert remote == {
        "cross-stack-reference-input-vcluster-team-a": {
            "backend": "local",
            "config": {
                "path": "../../../.terraform-state/platform/vcluster/team-a/terraform.tfstate"
            },
            "workspace": "${terraform.workspace}",
        }
    }


@pytest.mark.parametrize(
    ("state", "backend", "vcluster_config", "team_config"),
    [
        (
            "{backend: s3, bucket: tf-state, region: eu-west-1, dynamodb_table: tf-locks}",
            "s3",
            {
                "bucket": "tf-state",
                "key": "kube-platform/platform/vcluster/a1/terraform.tfstate",
                "region": "eu-west-1",
                "encrypt": True,
                "dynamodb_table": "tf-locks",
            },
            {"key": "kube-platform/teams/a1/terraform.tfstate"},
        ),
        (
            "{backend: gcs, bucket: tf-state, prefix: platform}",
            "gcs",
            {"bucket": "tf-state", "prefix": "platform/platform/vcluster/a1"},
            {"prefix": "platform/teams/a1"},
        ),
        (
            "{backend: pg, conn_str: 'postgres://db.internal/tf?sslmode=require'}",
            "pg",
            {
                "conn_str": "postgres://db.internal/tf?sslmode=require",
                "schema_name": "tf_platform_vcluster_a1",
            },
            {"schema_name": "tf_teams_a1"},
        ),
    ],
)
def test_remote_backends_give_each_stack_its_state_and_feed_references(
    catalog_from: Parse,
    synth: Synth,
    state: str,
    backend: str,
    vcluster_config: dict[str, object],
    team_config: dict[str, object],
) -> None:
    stacks = synth(catalog_from(f"platform: {{state: {state}}}\nteams: [{{name: a1}}]"))
    assert stacks["vcluster-a1"]["terraform"]["backend"][backend] == vcluster_config
    team_backend = stacks["a1"]["terraform"]["backend"][backend]
    assert team_backend.items() >= team_config.items()
    remote = stacks["a1"]["data"]["terraform_remote_state"][
        "cross-stack-reference-input-vcluster-a1"
    ]
    assert remote["backend"] == backend
    assert remote["config"] == vcluster_config
