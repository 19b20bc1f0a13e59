"""One reviewed snapshot per stack of the default catalog.

Refresh only with `pipenv run pytest --snapshot-update` and read the diff before committing.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import Synthesized


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize(
    "stack", ["kind-cluster", "vcluster-team-a", "vcluster-team-b", "team-a", "team-b"]
)
def test_stack_matches_its_reviewed_snapshot(
    synthesized: Synthesized, snapshot_json: SnapshotAssertion, stack: str
) -> None:
    assert synthesized[stack] == snapshot_json


def test_the_default_catalog_has_exactly_these_stacks(synthesized: Synthesized) -> None:
    assert sorted(synthesized) == [
        "kind-cluster",
        "team-a",
        "team-b",
        "vcluster-team-a",
        "vcluster-team-b",
    ]
