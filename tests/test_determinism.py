"""The same catalog gives byte-identical JSON, on any run and any checkout path."""

from __future__ import annotations

import getpass
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.backing_service import CREDENTIALS_ROOT
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import copy_checkout, synthesized_bytes
from tools.synth_command import run_app

#: Absolute paths that name places inside a container, not on the deploy machine.
IN_CONTAINER_PATHS = {"/", "/tmp", "//"}  # "//" is the key of cdktf's metadata comments


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def synth_in(root: Path) -> dict[str, bytes]:
    """The checkout at `root` synthesized by the app command into its own `cdktf.out/`."""
    result = run_app(root, timeout=300)
    assert result.returncode == 0, result.stderr
    return synthesized_bytes(root / "cdktf.out")


@pytest.fixture(scope="module")
def two_checkouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], ...]:
    first = copy_checkout(tmp_path_factory.mktemp("one") / "platform-repo")
    second = copy_checkout(tmp_path_factory.mktemp("two") / "a" / "deeper" / "clone")
    return synth_in(first), synth_in(second), synth_in(first)


def test_two_checkout_paths_give_byte_identical_json(
    two_checkouts: tuple[dict[str, bytes], ...],
) -> None:
    first, second, _ = two_checkouts
    assert sorted(first) == sorted(second)
    assert first == second


def test_synthesizing_twice_gives_byte_identical_json(
    two_checkouts: tuple[dict[str, bytes], ...],
) -> None:
    first, _, again = two_checkouts
    assert first == again


def test_output_holds_no_absolute_path_user_host_or_timestamp(
    two_checkouts: tuple[dict[str, bytes], ...],
) -> None:
    text = b"\n".join(two_checkouts[0].values()).decode()
    forbidden = [str(PROJECT_ROOT), "/tmp/", "/root", "/home/", str(Path.home())]
    for needle in forbidden:
        assert needle not in text
    absolute: set[str] = set()
    for blob in two_checkouts[0].values():
        absolute |= {v for v in _strings(json.loads(blob)) if v.startswith("/")}
    # Only paths inside containers (mount path, probe path) may be absolute.
    on_host = {p for p in absolute - IN_CONTAINER_PATHS if not p.startswith(f"{CREDENTIALS_ROOT}/")}
    assert on_host == set()
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text) is None, "a timestamp slipped in"
    for name in {getpass.getuser(), socket.gethostname()} - {"root"}:
        assert f'"{name}"' not in text
