"""Torch version strings as comparable tuples ("2.6" -> (2, 6); "any" -> (0,))."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")

Version = tuple[int, ...]

ANY: Version = (0,)


def parse_version(text: str) -> Version:
    """Parse "2.6" or "2.6.1" (or "any"); raise ValueError on anything else."""
    text = text.strip()
    if text.lower() in {"any", ""}:
        return ANY
    if not _VERSION.match(text):
        raise ValueError(f"not a version like '2.6': {text!r}")
    parts = tuple(int(p) for p in text.split("."))
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def format_version(version: Version) -> str:
    if version == ANY:
        return "any"
    return ".".join(str(p) for p in (version if len(version) > 1 else (*version, 0)))  # (2,) -> "2.0"
