"""A careful line-based YAML reader for configs: key paths and scalar spans, no new dependency.

It reads the block style configs are written in (``key: value`` mappings, ``- item``
sequences, nested by indentation, ``#`` comments, quoted scalars, ``|``/``>`` block
scalars, ``---`` documents) and yields one ``Entry`` per scalar with the dotted path of
keys above it and the span of the value in the text (inside the quotes). Flow collections
(``[0, 1]``, ``{a: b}``) are one scalar, written as they are. Anchors, tags and multi-line
plain scalars are read as text, never interpreted; nothing here can fail on bad YAML: a
line that is not understood is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_ITEM = re.compile(r"-(?:[ \t]+|$)")
_KEY = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{\[\]|>!&*%@`-][^:#]*?|-[^\s:#][^:#]*?)[ \t]*:(?=[ \t]|$)""")
_BLOCK = re.compile(r"[|>][0-9+-]*[ \t]*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # dotted keys from the document root ("trainer.accelerator"); list items add nothing
    key: str  # the last key ("" for an item of a top-level list)
    value: str  # the scalar as written, quotes removed
    start: int  # span of the value in the text
    end: int
    item: bool = False  # a list item (``- value``), under ``key``
    block: bool = False  # a ``|`` / ``>`` block scalar: the span covers its lines


def entries(text: str) -> Iterator[Entry]:
    stack: list[tuple[int, str]] = []  # (indent, key) of the open mappings
    block_indent = -1  # inside a block scalar: lines indented more than this
    block: tuple[str, str, int] | None = None  # path, key, start
    block_end = 0
    offset = 0
    for found in _LINE.finditer(text):
        raw = found.group(0)
        if not raw:
            break
        line_start = offset
        offset += len(raw)
        line = raw.rstrip("\r\n")
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if block is not None:
            if not content.strip() or indent > block_indent:
                block_end = line_start + len(line)
                continue
            yield Entry(block[0], block[1], text[block[2]:block_end], block[2], block_end, block=True)
            block = None
        if not content.strip() or content.startswith("#"):
            continue
        if content.startswith(("---", "...")) and indent == 0:
            stack = []
            continue
        # "- " markers: each opens a list item whose content is indented further
        is_item = False
        while True:
            marker = _ITEM.match(content)
            if marker is None:
                break
            is_item = True
            while stack and stack[-1][0] > indent:  # a list may sit at its key's indent
                stack.pop()
            indent += marker.end()
            content = content[marker.end():]
            if not content:
                break
        if not is_item:
            while stack and stack[-1][0] >= indent:
                stack.pop()
        parent = ".".join(key for _, key in stack)
        at = line_start + len(line) - len(content)
        key_match = _KEY.match(content)
        if key_match is None:
            if is_item and content:
                value, start, end = _scalar(content, at)
                if value is not None:
                    last = stack[-1][1] if stack else ""
                    yield Entry(parent, last, value, start, end, item=True)
            continue
        key = _unquote(key_match.group(1).strip())
        path = f"{parent}.{key}" if parent else key
        rest = content[key_match.end():]
        rest_at = at + key_match.end()
        stripped = rest.strip()
        if not stripped or stripped.startswith("#"):
            stack.append((indent, key))  # a nested mapping or list follows
            continue
        if _BLOCK.match(stripped):
            block = (path, key, offset)
            block_end = offset
            block_indent = indent
            continue
        value, start, end = _scalar(rest, rest_at)
        if value is not None:
            yield Entry(path, key, value, start, end)
    if block is not None:
        yield Entry(block[0], block[1], text[block[2]:block_end], block[2], block_end, block=True)


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key


def _scalar(rest: str, at: int) -> tuple[str | None, int, int]:
    """A value after ``key:`` or ``- ``: quotes removed, trailing comment dropped."""
    leading = len(rest) - len(rest.lstrip())
    body = rest[leading:]
    at += leading
    if not body:
        return None, at, at
    if body[0] in "\"'":
        quote = body[0]
        position = 1
        while position < len(body):
            if body[position] == "\\" and quote == '"':
                position += 2
                continue
            if body[position] == quote:
                if quote == "'" and body[position + 1:position + 2] == "'":
                    position += 2
                    continue
                break
            position += 1
        return body[1:position], at + 1, at + position
    comment = re.search(r"[ \t]#", body)
    value = (body[:comment.start()] if comment else body).rstrip()
    if value.startswith(("&", "!")):  # an anchor or tag, then the value
        parts = value.split(None, 1)
        if len(parts) == 2:
            return parts[1], at + len(value) - len(parts[1]), at + len(value)
        return None, at, at
    return value, at, at + len(value)
