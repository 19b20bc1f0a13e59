"""Reading `platform.yaml`: one clear `CatalogError` for anything wrong, never a traceback."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Final, get_args

import yaml
from pydantic import BaseModel, ValidationError

from catalog.model import Catalog
from catalog.quota_fit import shortfalls

#: Environment variable that points the app at another catalog file.
CATALOG_ENV_VAR: Final = "PLATFORM_CONFIG"
DEFAULT_CATALOG: Final = Path("platform.yaml")

#: A catalog is a few lines per team; 5 MiB is over 10,000 teams. Larger is a mistake.
MAX_CATALOG_BYTES: Final = 5 * 1024 * 1024
#: How deep collections may nest. The deepest a catalog goes is 6
#: (`teams[].egress.allow[].ports[]` below the top mapping); 32 leaves room for any future
#: field and stays far below what exhausts the parser's recursion.
MAX_NESTING: Final = 32


class CatalogError(Exception):
    """The catalog cannot be used; the message names the file, the field and the fix."""


def catalog_path(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(CATALOG_ENV_VAR) or DEFAULT_CATALOG)


def load_catalog(path: Path) -> Catalog:
    """Read, parse and validate a catalog file."""
    return parse_catalog(_read(path), source=str(path))


class _StrictLoader(yaml.SafeLoader):
    """YAML as a catalog may use it: no repeated keys, no anchors or aliases.

    A repeated key (`teams:` twice after a bad merge) would silently drop the first value, and
    an alias can expand a few lines into gigabytes; both are refused at once, with the line.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            raise CatalogError(
                f"line {mark.line + 1}: YAML anchors and aliases (& and *) are not allowed in "
                "the catalog; write the values out"
            )
        # Composing recurses once per level: refuse a pathological depth before Python's
        # recursion limit turns it into a traceback.
        if self._depth >= MAX_NESTING:
            raise CatalogError(
                f"line {event.start_mark.line + 1}: the catalog nests deeper than {MAX_NESTING} "
                "levels (a catalog needs at most 6); is this the right file?"
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in seen:
                raise CatalogError(
                    f"line {line}: key {key!r} appears twice in one mapping (first on line "
                    f"{seen[key]}); keep one, or merge the two"
                )
            if isinstance(key, str):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_catalog(text: str, *, source: str = "<catalog>") -> Catalog:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except CatalogError as err:
        raise CatalogError(f"{source}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CatalogError(f"{source}: not valid YAML{where}: {problem}") from None
    if data is None:
        raise CatalogError(
            f"{source}: the catalog is empty; it needs at least a 'teams:' list "
            "(see README.md, 'Catalog reference')"
        )
    if not isinstance(data, dict):
        raise CatalogError(
            f"{source}: the catalog must be a mapping with 'platform:' and 'teams:', "
            f"got a {type(data).__name__}"
        )
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as err:
        raise CatalogError(_describe(err, data, source)) from None
    problems = [
        f"{tenant.source} ({tenant.name}).{line}"
        for tenant in catalog.tenants
        for line in shortfalls(tenant.settings)
    ]
    problems += catalog.capacity_problems()
    problems += catalog.backup_problems()
    problems += catalog.image_problems()
    problems += catalog.credentials_problems()
    problems += catalog.delivery_problems()
    problems += catalog.exposure_problems()
    if len(problems) == 1:
        raise CatalogError(f"{source}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise CatalogError(f"{source}: {len(problems)} problems in the catalog:\n{lines}")
    return catalog


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CatalogError(
            f"{path}: catalog file not found; create it or point {CATALOG_ENV_VAR} at one"
        ) from None
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the catalog: {err.strerror}") from None
    if path.is_dir():
        raise CatalogError(f"{path}: is a directory; {CATALOG_ENV_VAR} must name a YAML file")
    if not path.is_file():
        # A FIFO would block for ever, a device could be read until memory runs out.
        raise CatalogError(
            f"{path}: is not a regular file; {CATALOG_ENV_VAR} must name a YAML file"
        )
    too_large = CatalogError(
        f"{path}: {size} bytes is larger than the {MAX_CATALOG_BYTES} bytes a catalog may "
        "have; is this the right file?"
    )
    if size > MAX_CATALOG_BYTES:
        raise too_large
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_CATALOG_BYTES + 1)
        if len(content) > MAX_CATALOG_BYTES:
            raise too_large
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: the catalog must be UTF-8 text") from None
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the catalog: {err.strerror}") from None


def _describe(err: ValidationError, data: dict[str, Any], source: str) -> str:
    errors = err.errors(include_url=False)
    # pydantic also reports a list as too short when only its items failed: say the real thing.
    if any(e["type"] != "too_short" for e in errors):
        errors = [e for e in errors if e["type"] != "too_short"]
    problems = [_describe_one(e, data) for e in errors]
    unique = list(dict.fromkeys(problems))
    if len(unique) == 1:
        return f"{source}: {unique[0]}"
    lines = "\n".join(f"  - {p}" for p in unique)
    return f"{source}: {len(unique)} problems in the catalog:\n{lines}"


def _describe_one(error: Any, data: dict[str, Any]) -> str:
    loc, model = _strip_union_tags(tuple(error["loc"]))
    path = _format_path(loc, data)
    if error["type"] == "extra_forbidden":
        _, model = _strip_union_tags(tuple(error["loc"])[:-1])
    kind = error["type"]
    message = str(error["msg"])
    if loc and loc[-1] == "[key]":
        # A mapping key (a host or environment name) that is not valid: name the mapping.
        path = f"{_format_path(loc[:-2], data)}: key {loc[-2]!r}"
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        # Cross-field rules already name their field path.
        return message if not path else f"{path}: {message}"
    if kind == "extra_forbidden":
        allowed = sorted(model.model_fields) if model else []
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{path}: unknown key; {hint}allowed here: {', '.join(allowed)}"
    if kind == "too_short" and loc == ("teams",):
        return "teams: the catalog needs at least one team (an entry with a 'name:')"
    if kind == "missing":
        return f"{path}: required field is missing"
    if kind == "union_tag_invalid":
        return f"{path}: {message}"
    message = message.replace("valid tuple", "valid list").replace("Tuple", "List")
    return f"{path}: {message} (got {error.get('input')!r})"


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """Drop pydantic's discriminator tags from a location; return the model that holds its end."""
    model: type[BaseModel] | None = Catalog
    clean: list[Any] = []
    pending: list[type[BaseModel]] = []
    for part in loc:
        if pending:
            tagged = [m for m in pending if _tag_of(m) == part]
            pending = []
            if tagged:
                model = tagged[0]
                continue
        clean.append(part)
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            model = None
            continue
        models = _models_in(field.annotation)
        if len(models) > 1:
            pending, model = models, None
        else:
            model = models[0] if models else None
    return tuple(clean), model if not pending else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _tag_of(model: type[BaseModel]) -> str | None:
    for name in ("type", "backend"):
        field = model.model_fields.get(name)
        if field is not None and isinstance(field.default, str):
            return field.default
        if field is not None:
            args = get_args(field.annotation)
            if len(args) == 1 and isinstance(args[0], str):
                return args[0]
    return None


def _format_path(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    text = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text
