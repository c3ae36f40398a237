"""JSON with source positions: every value knows its span in the text.

``json`` gives values without positions; configs need line numbers for findings and
notebooks need the exact span of each cell's ``source`` to rewrite it and nothing else.
Strict JSON (RFC 8259); raises ``ValueError`` with a one-line reason otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_CONSTANTS = {"true": True, "false": False, "null": None}


@dataclass
class Node:
    start: int  # offsets of the value in the text (strings: including the quotes)
    end: int
    value: Any = None  # scalars: the Python value; containers: None
    items: list["Node"] = field(default_factory=list)  # array elements
    members: list[tuple[str, int, "Node"]] = field(default_factory=list)  # object: key, key offset, value

    @property
    def kind(self) -> str:
        if self.members or self.value is _OBJECT:
            return "object"
        if self.items or self.value is _ARRAY:
            return "array"
        return "scalar"

    def get(self, key: str) -> "Node | None":
        for name, _, node in self.members:
            if name == key:
                return node
        return None


_OBJECT = object()
_ARRAY = object()


def parse(text: str) -> Node:
    parser = _Parser(text)
    node = parser.value(parser.skip(0))
    end = parser.skip(node.end)
    if end != len(text):
        raise ValueError(f"extra data at offset {end}")
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def fail(self, i: int, what: str) -> ValueError:
        line = self.text.count("\n", 0, i) + 1
        return ValueError(f"not valid JSON: {what} on line {line}")

    def container(self, i: int, node: Node, close: str, read: Callable[[int], int]) -> Node:
        """The elements of an object or array from its opening bracket at ``i``."""
        text = self.text
        i = self.skip(i + 1)
        if text.startswith(close, i):
            node.end = i + 1
            return node
        while True:
            i = self.skip(read(i))
            if text.startswith(",", i):
                i = self.skip(i + 1)
                continue
            if text.startswith(close, i):
                node.end = i + 1
                return node
            raise self.fail(i, f"expected ',' or '{close}'")

    def value(self, i: int, depth: int = 0) -> Node:
        if depth > 500:
            raise self.fail(i, "nesting too deep")
        text = self.text
        if i >= len(text):
            raise self.fail(i, "unexpected end")
        char = text[i]
        if char == '"':
            found = _STRING.match(text, i)
            if found is None:
                raise self.fail(i, "bad string")
            return Node(i, found.end(), json.loads(found.group(0)))
        if char == "{":
            node = Node(i, i, _OBJECT)

            def member(at: int) -> int:
                key = _STRING.match(text, at)
                if key is None:
                    raise self.fail(at, "expected a key")
                colon = self.skip(key.end())
                if not text.startswith(":", colon):
                    raise self.fail(colon, "expected ':'")
                child = self.value(self.skip(colon + 1), depth + 1)
                node.members.append((json.loads(key.group(0)), at, child))
                return child.end

            return self.container(i, node, "}", member)
        if char == "[":
            node = Node(i, i, _ARRAY)

            def item(at: int) -> int:
                child = self.value(at, depth + 1)
                node.items.append(child)
                return child.end

            return self.container(i, node, "]", item)
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, i):
                return Node(i, i + len(word), constant)
        found = _NUMBER.match(text, i)
        if found is None or found.end() == i:
            raise self.fail(i, "unexpected character")
        return Node(i, found.end(), json.loads(found.group(0)))
