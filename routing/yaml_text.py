"""YAML as Baton reads it from people: safe types only, and a key given twice is an error, not a silent
override (PyYAML keeps the last one: a second `routing:` section would drop the first without a word).

Whole numbers are read as YAML 1.2 reads them, not as PyYAML's YAML 1.1: an unquoted `17:00` is the text
"17:00", not the sexagesimal number 1020, and `0700` is 700, not the octal 448 (both would otherwise pass
for a number of minutes, or be refused with a number nobody wrote)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"
_YAML_12_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue  # `<<: *defaults` may be overridden by the keys beside it, as YAML intends
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # an unhashable key: the standard constructor says what is wrong with it
            if duplicate:
                raise ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice (the second would silently replace the first)",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    try:
        if value.startswith(("0o", "0x")):
            return int(value[2:], 8 if value[1] == "o" else 16)
        return int(value, 10)
    except ValueError:  # an explicit `!!int` on something else
        raise ConstructorError(None, None, f"{value!r} is not a whole number", node.start_mark) from None


_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _INT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(_INT, _YAML_12_INT, list("-+0123456789"))
_UniqueKeyLoader.add_constructor(_INT, _construct_int)


class _Dumper(yaml.SafeDumper):
    """Writes what load_yaml, and any YAML 1.1 reader, reads back the same: a text either would read as a
    number is quoted ("0800" for YAML 1.2, "17:00" for YAML 1.1)."""


_Dumper.add_implicit_resolver(_INT, _YAML_12_INT, list("-+0123456789"))
_BREAKS_OF_OTHER_SCRIPTS = ("\x85", "\u2028", "\u2029")  # line breaks to YAML; kept only double-quoted


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML writes these raw inside a plain or single-quoted scalar, where reading folds them into a space.
    style = '"' if any(ch in value for ch in _BREAKS_OF_OTHER_SCRIPTS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(data: Any) -> str:
    """Data as YAML that load_yaml reads back as it was (keys in their order, any script as is)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def load_yaml(text: str) -> Any:
    """The data of one YAML document; yaml.YAMLError if it is not valid YAML or repeats a key."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
