"""The one seam between this app and CDK Terrain, cdktf's community continuation.

The app imports `cdktf` and the prebuilt `cdktf_cdktf_provider_*` bindings by name. In an
environment that has CDK Terrain instead (the twin, `twin/Pipfile`), those names are served by
`cdktn` and `cdktn_provider_*`, which publish the same classes under new package names. That
is all this does, here and nowhere else, and only when cdktf is not installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Final

_RENAMES: Final = (("cdktf_cdktf_provider_", "cdktn_provider_"), ("cdktf", "cdktn"))


def terrain_name(name: str) -> str | None:
    """The CDK Terrain module that serves the cdktf module `name`, or None."""
    for old, new in _RENAMES:
        head = name.split(".", 1)[0]
        if head == old or (old.endswith("_") and head.startswith(old)):
            return new + name[len(old) :]
    return None


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The module is the CDK Terrain one, already executed."""


class _TerrainFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        served_by = terrain_name(fullname)
        if served_by is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(served_by))


def use_cdk_terrain_if_installed() -> bool:
    """Serve cdktf's names from CDK Terrain when only CDK Terrain is installed; say if so."""
    if importlib.util.find_spec("cdktf") is not None:
        return False
    if importlib.util.find_spec("cdktn") is None:
        return False
    if not any(isinstance(f, _TerrainFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _TerrainFinder())
    return True
