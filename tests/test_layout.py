"""The rooms of the code base and which way they may depend on each other.

catalog (input) -> constructs_lib (reusable constructs) -> bindings; stacks wire catalog onto
constructs; synthesis orchestrates stacks; tools use everything. A back-reference (a construct
reading the catalog, the model importing a stack) fails here with the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from catalog.team import Team
from constructs_lib.paths import PROJECT_ROOT
from constructs_lib.postgres_props import PostgresSettings
from constructs_lib.web_app_props import WebAppSettings

ROOMS = ("catalog", "bindings", "constructs_lib", "stacks", "synthesis", "tools", "main")
#: What each room may import from the others.
MAY_IMPORT = {
    "bindings": set(),
    "constructs_lib": {"bindings"},
    "catalog": {"constructs_lib"},
    "stacks": {"catalog", "constructs_lib"},
    "synthesis": {"catalog", "constructs_lib", "stacks", "bindings"},
    "main": {"catalog", "synthesis", "bindings"},
    "tools": {"catalog", "constructs_lib", "stacks", "synthesis"},
}


def room_of(path: Path, root: Path) -> str:
    relative = path.relative_to(root)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def sources() -> list[Path]:
    files = [PROJECT_ROOT / "main.py"]
    for room in ROOMS[:-1]:
        files += sorted((PROJECT_ROOT / room).rglob("*.py"))
    return files


def crossings(files: list[Path], root: Path = PROJECT_ROOT) -> set[tuple[str, str, str]]:
    """(file, its room, the room it imports) for every import between two rooms."""
    found = set()
    for path in files:
        room = room_of(path, root)
        for module in imported_modules(path):
            target = module.split(".")[0]
            if target in ROOMS and target != room:
                found.add((str(path.relative_to(root)), room, target))
    return found


def test_every_import_between_rooms_goes_the_allowed_way() -> None:
    wrong = sorted(
        f"{file} ({room}) imports {target}"
        for file, room, target in crossings(sources())
        if target not in MAY_IMPORT[room]
    )
    assert wrong == []


def test_the_layout_check_catches_a_construct_reading_the_catalog(tmp_path: Path) -> None:
    construct = tmp_path / "constructs_lib" / "zz_probe.py"
    construct.parent.mkdir()
    construct.write_text("from catalog.model import Catalog\n", encoding="utf-8")
    found = crossings([construct], root=tmp_path)
    assert found == {("constructs_lib/zz_probe.py", "constructs_lib", "catalog")}


def test_stacks_create_providers_but_import_no_resource_classes() -> None:
    imports = {
        module
        for path in sorted((PROJECT_ROOT / "stacks").glob("*.py"))
        for module in imported_modules(path)
        if module.startswith("cdktf_cdktf_provider_")
    }
    assert imports and all(module.endswith(".provider") for module in imports), imports


def test_catalog_defaults_are_the_constructs_own() -> None:
    team = Team.model_validate({"name": "a1", "database": {}, "cache": {}})
    assert team.app == WebAppSettings()
    assert team.database is not None
    assert PostgresSettings.model_validate(team.database.model_dump(exclude={"enabled"})) == (
        PostgresSettings()
    )
