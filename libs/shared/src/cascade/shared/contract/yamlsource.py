"""YAML reading for contracts: safe, strict about duplicate keys, and able to tell the line
of any path inside the document (so errors can point at it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml


class YamlError(ValueError):
    """The text is not valid contract YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently overwrites."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document and its node tree (for line numbers)."""

    data: object
    root: yaml.Node | None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line where the value at ``path`` starts (or its nearest parent)."""
        node = self.root
        line = None if node is None else node.start_mark.line + 1
        for part in path:
            node = _child(node, part)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line


def read_yaml(text: str) -> YamlDocument:
    """Parse one YAML document safely; raises YamlError with the line of the problem."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = str(error.problem or error.context or "invalid YAML")
        raise YamlError(message, None if mark is None else mark.line + 1) from error
    except yaml.YAMLError as error:
        raise YamlError(str(error), None) from error
    finally:
        loader.dispose()
    return YamlDocument(data, root)


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    return None
