"""Reading a platform description: strict YAML (duplicate keys refused) and typed fields.

Split from ``loader.py``, which assembles the sections; every problem is a
:class:`~hil.errors.PlatformError` naming the file, the dotted field, what was expected and what
was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

from hil.errors import PlatformError

IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
_PARAM_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*\Z")
_CITED_ALIAS = re.compile(r"\b([A-Z][A-Z0-9]*):\d")

# --------------------------------------------------------------------------------------------
# YAML


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlatformError(
            path, "(file)", "a readable UTF-8 platform description", str(exc)
        ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlatformError(path, "(yaml)", "valid YAML", f"{problem}{where}") from None


# --------------------------------------------------------------------------------------------
# Reading typed fields


_DECIMAL_FIELDS = ("_mv", "_us", "_hz", "banks", "attempts", "schema")


def show(value: object, field: str = "") -> str:
    """How a found value is shown in an error message (addresses and sizes in hex)."""
    if isinstance(value, bool) or value is None:
        return f"{value!r} ({type(value).__name__})"
    if isinstance(value, int):
        if abs(value) < 0x100 or field.endswith(_DECIMAL_FIELDS):
            return str(value)
        return f"{'-' if value < 0 else ''}{abs(value):#x}"
    if isinstance(value, str):
        return f"{value!r} (str)"
    if isinstance(value, dict):
        return f"a mapping with keys {sorted(map(str, value))}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"{value!r} ({type(value).__name__})"


class FieldReader:
    """Reads typed fields of a parsed document, failing with the dotted field path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.aliases: frozenset[str] = frozenset()

    def fail(self, field: str, expected: str, found: str) -> PlatformError:
        return PlatformError(self.path, field, expected, found)

    # ---- scalars ---------------------------------------------------------------------------

    def mapping(
        self, field: str, value: object, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, object]:
        label = field or "(document)"
        if not isinstance(value, dict):
            raise self.fail(label, "a mapping", show(value))
        req, opt = tuple(required), tuple(optional)
        allowed = (*req, *opt)
        prefix = f"{field}." if field else ""
        for key in value:
            if key not in allowed:
                raise self.fail(
                    f"{prefix}{key}",
                    f"one of the keys {', '.join(allowed)}",
                    f"unknown key {key!r}",
                )
        for key in req:
            if key not in value:
                raise self.fail(f"{prefix}{key}", "a value (required key)", "the key is missing")
        return {str(k): v for k, v in value.items()}

    def seq(self, field: str, value: object, min_items: int = 0) -> list[object]:
        if not isinstance(value, list):
            raise self.fail(field, "a list", show(value))
        if len(value) < min_items:
            raise self.fail(field, f"a list of at least {min_items} item(s)", show(value))
        return value

    def integer(
        self, field: str, value: object, minimum: int | None = 0, maximum: int | None = None
    ) -> int:
        if isinstance(value, str) and _HEX.match(value.strip()):
            number = int(value.strip(), 16)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise self.fail(field, 'an integer (YAML int or "0x.." hex string)', show(value))
        if minimum is not None and number < minimum:
            what = (
                "> 0"
                if minimum == 1
                else f">= {minimum:#x}"
                if minimum >= 0x100
                else f">= {minimum}"
            )
            raise self.fail(field, f"an integer {what}", show(number, field))
        if maximum is not None and number > maximum:
            limit = maximum if field.endswith(_DECIMAL_FIELDS) else hex(maximum)
            raise self.fail(field, f"an integer <= {limit}", show(number, field))
        return number

    def address(self, field: str, value: object) -> int:
        return self.integer(field, value, 0, 0xFFFFFFFF)

    def size(self, field: str, value: object) -> int:
        return self.integer(field, value, 1, 0x100000000)

    def text(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "a non-empty string", show(value))
        return value.strip()

    def ident(self, field: str, value: object, pattern: re.Pattern[str] = IDENT) -> str:
        text = self.text(field, value)
        if not pattern.match(text):
            shape = pattern.pattern.removesuffix(r"\Z")
            raise self.fail(field, f"an identifier matching {shape}", show(value))
        return text

    def choice(self, field: str, value: object, allowed: Iterable[str]) -> str:
        options = tuple(allowed)
        if value not in options:
            raise self.fail(field, f"one of {', '.join(options)}", show(value))
        return str(value)

    def source(self, field: str, value: object) -> str:
        """A ``source:`` text: cites a legend alias (``STC:1731``) or says ``assumed: <why>``."""
        text = " ".join(self.text(field, value).split())
        for alias in _CITED_ALIAS.findall(text):
            if alias not in self.aliases:
                raise self.fail(
                    field,
                    f"citations of aliases in 'sources' ({', '.join(sorted(self.aliases))})",
                    f"unknown alias {alias!r} in {text!r}",
                )
        cites = any(re.search(rf"\b{re.escape(a)}\b", text) for a in self.aliases)
        if not cites and "assumed:" not in text:
            raise self.fail(
                field,
                "a source naming an alias of 'sources' (e.g. STC:1731) or 'assumed: <why>'",
                show(text),
            )
        return text

    def addresses(self, field: str, value: object) -> tuple[int, ...]:
        items = self.seq(field, value)
        return tuple(self.address(f"{field}[{i}]", v) for i, v in enumerate(items))

    def params(self, field: str, value: object) -> Mapping[str, object]:
        """Model parameters: free-form, but hex strings become ints and the result is frozen."""
        if not isinstance(value, dict):
            raise self.fail(field, "a mapping of model parameters", show(value))
        result = self._freeze(field, value)
        assert isinstance(result, Mapping)
        return result

    def _freeze(self, field: str, value: object) -> object:
        if isinstance(value, dict):
            out: dict[str, object] = {}
            for k, v in value.items():
                if not isinstance(k, str) or not _PARAM_KEY.match(k):
                    raise self.fail(
                        f"{field}.{k}", "a parameter name matching [A-Za-z][A-Za-z0-9_-]*", show(k)
                    )
                out[k] = self._freeze(f"{field}.{k}", v)
            return MappingProxyType(out)
        if isinstance(value, list):
            return tuple(self._freeze(f"{field}[{i}]", v) for i, v in enumerate(value))
        if isinstance(value, str) and _HEX.match(value.strip()):
            return int(value.strip(), 16)
        if value is None or isinstance(value, str | int | float | bool):
            return value
        raise self.fail(field, "a scalar, list or mapping", show(value))
