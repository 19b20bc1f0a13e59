"""The Terraform schema of a provider, read from its pinned cdktf binding.

A prebuilt binding (`cdktf-cdktf-provider-*`) is generated from `terraform providers schema
-json` of one provider version, and its jsii package carries the generated TypeScript in the
source maps: every attribute with its Terraform name, whether it is required, optional or
computed (a comment the generator writes), its type, and how nested blocks nest. This module
turns that back into the `providers schema -json` shape, so the stand-in providers serve the
schema of exactly the version we pin, and a test can compare it with the Python bindings.

What a binding cannot tell, and how we decide it (the stand-in's rule, written down once):
- sensitivity is not in the binding: `SENSITIVE` lists the attributes we rely on, from the
  provider documentation of the pinned version;
- a single nested *attribute* and a single nested *block* look the same in a binding; both
  are served as a single block, which reads the same JSON (`"name": {...}`).
"""

from __future__ import annotations

import base64
import json
import re
import tarfile
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Final

#: Attributes the pinned providers mark sensitive (their documentation says so); the binding
#: does not carry the flag. Keyed by (block kind, type name), values are attribute paths.
SENSITIVE: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("provider", "kubernetes"): frozenset(
        {"client_key", "password", "token", "client_certificate"}
    ),
    ("data_source", "kubernetes_secret_v1"): frozenset({"data", "binary_data"}),
    ("resource", "kubernetes_secret_v1"): frozenset({"data", "binary_data"}),
    ("resource", "local_sensitive_file"): frozenset({"content", "content_base64"}),
    ("data_source", "local_sensitive_file"): frozenset({"content", "content_base64"}),
    ("resource", "random_password"): frozenset({"result", "bcrypt_hash"}),
    ("resource", "helm_release"): frozenset({"set_sensitive", "set_wo"}),
}

_ATTRIBUTE_COMMENT = re.compile(
    r"^  // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.MULTILINE,
)
_HCL_ENTRY = re.compile(
    r"(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: \"(\w+)\",\s*"
    r"storageClassType: \"(\w+)\",\s*\}",
    re.DOTALL,
)
_NEW_COMPLEX = re.compile(r"private _\w+ = new ([\w.]+)\(this, \"\w+\"(?:, (true|false))?\)")
_GETTER = re.compile(r"(cdktf\.Fn\.tolist\()?this\.(get\w+Attribute)\('\w+'\)")
_INTERFACE_FIELD = re.compile(
    r"\{@link [^#}]+#(\w+) [^}]+\}(?:(?!\*/).)*\*/\s*readonly (\w+)(\??):", re.DOTALL
)

_SIMPLE: Final[dict[str, Any]] = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "stringList": ["list", "string"],
    "numberList": ["list", "number"],
    "stringMap": ["map", "string"],
    "anyMap": ["map", "dynamic"],
}
#: The getters of computed attributes, named after those types (`getStringAttribute`, …);
#: a list of strings is read with `getListAttribute`.
_GETTER_TYPES: Final[dict[str, Any]] = {
    "getListAttribute" if name == "stringList" else f"get{name[0].upper()}{name[1:]}Attribute": (
        kind
    )
    for name, kind in _SIMPLE.items()
}


#: Maps cdktf itself provides for computed map attributes.
_CDKTF_MAPS: Final[dict[str, Any]] = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
}


class BindingSchemaError(Exception):
    """The binding's generated code has a shape this reader does not know."""


@dataclass(frozen=True, slots=True)
class _Flags:
    computed: bool
    optional: bool
    required: bool


@dataclass(slots=True)
class _Source:
    """All generated TypeScript of one binding module, indexed by what the reader needs."""

    text: str
    classes: dict[str, str] = field(default_factory=dict)
    interfaces: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for match in re.finditer(
            r"^export (class|interface|function) (\w+)[^\n]*\n(.*?)^\}", self.text, re.M | re.S
        ):
            kind, name, body = match.groups()
            {"class": self.classes, "interface": self.interfaces, "function": self.functions}[kind][
                name
            ] = body


def _type_of(kind: str, storage: str) -> Any:
    simple = _SIMPLE.get(storage)
    if simple is None:
        raise BindingSchemaError(f"unknown storage class type {storage!r}")
    if kind in {"simple", "map"}:
        return simple
    element = simple[1] if isinstance(simple, list) else simple
    return [kind, element]


def _comments(body: str) -> dict[str, tuple[_Flags, str]]:
    """Terraform name -> (flags, the code that follows the comment) of a class's attributes."""
    found: dict[str, tuple[_Flags, str]] = {}
    matches = list(_ATTRIBUTE_COMMENT.finditer(body))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        name, computed, optional, required = match.groups()
        flags = _Flags(computed == "true", optional == "true", required == "true")
        found[name] = (flags, body[match.end() : end])
    return found


def _hcl_entries(body: str) -> dict[str, tuple[str, bool, str, str]]:
    """Terraform name -> (value expression, isBlock, type, storageClassType)."""
    start = body.find("const attrs = {")
    if start < 0:
        return {}
    return {
        m.group(1): (m.group(2), m.group(3) == "true", m.group(4), m.group(5))
        for m in _HCL_ENTRY.finditer(body[start:])
    }


def _interface_fields(body: str) -> dict[str, bool]:
    """Terraform name -> optional, for the settable fields of a struct or config interface."""
    return {m.group(1): m.group(3) == "?" for m in _INTERFACE_FIELD.finditer(body)}


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


class _Reader:
    def __init__(self, source: _Source) -> None:
        self.source = source

    def block(self, class_name: str | None, interface: str | None, hcl_body: str) -> dict[str, Any]:
        """One schema block: settable fields (interface + HCL attrs) and computed-only ones."""
        comments = _comments(self.source.classes.get(class_name or "", ""))
        settable = _interface_fields(self.source.interfaces.get(interface or "", ""))
        hcl = _hcl_entries(hcl_body)
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for name, optional in settable.items():
            if name not in hcl or (
                name == "alias" and interface and interface.endswith("ProviderConfig")
            ):
                continue  # meta-arguments (a provider's `alias`) are not schema attributes
            flags = comments[name][0] if name in comments else _Flags(False, optional, not optional)
            value, is_block, kind, storage = hcl[name]
            if kind in ("simple", "map") or (kind in ("list", "set") and not is_block):
                attributes[name] = _attribute(_type_of(kind, storage), flags)
                continue
            nested = self.struct(_struct_name(value))
            mapper = re.search(r"listMapperHcl\(\w+, (true|false)\)", value)
            if kind == "struct" or (kind == "list" and mapper is None):
                mode, max_items = ("single", 0) if kind == "struct" else ("list", 1)
                blocks[name] = _block_type(mode, nested, flags, max_items=max_items)
            elif mapper is not None and mapper.group(1) == "true":
                blocks[name] = _block_type(kind, nested, flags)
            else:  # a nested attribute (plugin framework): list or set of objects
                attributes[name] = {
                    "nested_type": {"attributes": nested["attributes"], "nesting_mode": kind}
                } | _flag_dict(flags)
        for name, (flags, code) in comments.items():
            if name in settable:
                continue  # handled above, or a meta-argument
            if not flags.computed or flags.optional or flags.required:
                raise BindingSchemaError(f"{class_name}.{name}: settable but not in its config")
            attributes[name] = _attribute(self.computed_type(code), flags)
        return {"attributes": attributes, "block_types": blocks}

    def struct(self, name: str) -> dict[str, Any]:
        function = self.source.functions.get(f"{_lower_first(name)}ToHclTerraform")
        if function is None:
            raise BindingSchemaError(f"no HCL mapper for struct {name}")
        return self.block(f"{name}OutputReference", name, function)

    def computed_type(self, code: str) -> Any:
        complex_ = _NEW_COMPLEX.search(code)
        if complex_:
            class_name, wraps_set = complex_.groups()
            if class_name in _CDKTF_MAPS:
                return _CDKTF_MAPS[class_name]
            if class_name.endswith("List"):
                element = self.object_type(class_name.removesuffix("List") + "OutputReference")
                return ["set" if wraps_set == "true" else "list", element]
            return self.object_type(class_name)
        getter = _GETTER.search(code)
        if getter is None:
            raise BindingSchemaError(f"cannot tell the type of a computed attribute: {code[:80]!r}")
        tolist, name = getter.groups()
        simple = _GETTER_TYPES[name]
        return ["set", simple[1]] if tolist else simple

    def object_type(self, class_name: str) -> Any:
        comments = _comments(self.source.classes.get(class_name, ""))
        if not comments:
            raise BindingSchemaError(f"no attributes found in {class_name}")
        return ["object", {n: self.computed_type(code) for n, (_, code) in comments.items()}]


def _struct_name(value: str) -> str:
    match = re.search(r"(\w+)ToHclTerraform", value)
    if match is None:
        raise BindingSchemaError(f"no struct mapper in {value!r}")
    name = match.group(1)
    return name[0].upper() + name[1:]


def _flag_dict(flags: _Flags) -> dict[str, bool]:
    return {k: True for k in ("required", "optional", "computed") if getattr(flags, k)}


def _attribute(type_: Any, flags: _Flags) -> dict[str, Any]:
    return {"type": type_} | _flag_dict(flags)


def _block_type(
    mode: str, block: dict[str, Any], flags: _Flags, *, max_items: int = 0
) -> dict[str, Any]:
    out: dict[str, Any] = {"nesting_mode": mode, "block": block}
    if flags.required and mode != "single":
        out["min_items"] = 1
    if max_items:
        out["max_items"] = max_items
    return out


def _typescript_sources(package: str) -> dict[str, str]:
    """Binding module directory -> its generated TypeScript (from the jsii tarball's maps)."""
    # Found without importing the package: importing it would start the jsii runtime.
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BindingSchemaError(f"{package} is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "_jsii"
    (tarball,) = root.glob("*.jsii.tgz")
    modules: dict[str, list[str]] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) < 4 or parts[1] != "lib" or not member.name.endswith(".js"):
                continue
            handle = archive.extractfile(member)
            text = handle.read().decode("utf-8") if handle else ""
            match = re.search(r"sourceMappingURL=data:application/json;base64,(\S+)", text)
            if match:
                source_map = json.loads(base64.b64decode(match.group(1)))
                modules.setdefault(parts[2], []).extend(source_map.get("sourcesContent") or [])
    return {name: "\n".join(texts) for name, texts in sorted(modules.items())}


def _strip_sensitive(kind: str, type_name: str, block: dict[str, Any]) -> dict[str, Any]:
    for name in SENSITIVE.get((kind, type_name), ()):
        if name in block["attributes"]:
            block["attributes"][name]["sensitive"] = True
    return block


@cache
def provider_schema(package: str) -> dict[str, Any]:
    """`providers schema -json`'s entry of the provider bound by `package`."""
    schema: dict[str, Any] = {"resource_schemas": {}, "data_source_schemas": {}}
    for text in _typescript_sources(package).values():
        source = _Source(text)
        reader = _Reader(source)
        for name, body in source.classes.items():
            base = re.search(r"static readonly tfResourceType = \"(\w+)\"", body)
            extends = re.search(rf"export class {name} extends cdktf\.(\w+)", source.text)
            if base is None or extends is None:
                continue
            kind = {
                "TerraformResource": "resource",
                "TerraformDataSource": "data_source",
                "TerraformProvider": "provider",
            }.get(extends.group(1))
            if kind is None:
                continue
            block = _strip_sensitive(kind, base.group(1), reader.block(name, f"{name}Config", body))
            entry = {"version": 0, "block": block}
            if kind == "provider":
                schema["provider"] = entry
            else:
                schema[f"{kind}_schemas"][base.group(1)] = entry
    if "provider" not in schema:
        raise BindingSchemaError(f"{package}: no provider class found")
    return schema
