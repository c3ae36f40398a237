"""Dockerfiles / Containerfiles: ``FROM`` images, ``ENV`` variables, and the shell of
``RUN``, ``CMD`` and ``ENTRYPOINT`` (shell or exec form) through ``shell.scan``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from portlint.kinds import shell
from portlint.kinds.matching import Occurrence, could_match, find

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

# An instruction: its keyword, then everything up to a line end without a continuation.
_INSTRUCTION = re.compile(r"^[ \t]*([A-Za-z]+)[ \t]+((?:[^\n\\]|\\[^\r\n]|\\\r?\n)*)", re.MULTILINE)
_FROM = re.compile(r"(?:--\S+[ \t]+)*(\S+)")
_ENV_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_OTHER_ACCELERATOR = re.compile(r"(?i)rocm|ascend|\bcann|npu|\bxpu|intel/|habana|gaudi|openvino")
_ARG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=[\"']?([^\s\"']+)")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_ENV_LEGACY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]")


def check(text: str, path: str, index: "RuleIndex", **_: object) -> "list[Finding] | None":
    if not could_match(text, index, shell.KINDS):
        return None
    return find(scan(text), text, path, index)


def _images(instructions: list[re.Match[str]]) -> Iterator[Occurrence]:
    """The base images; ``FROM ${BASE}`` is the default of ``ARG BASE=...`` (found there)."""
    defaults: dict[str, tuple[str, int, int]] = {}
    for found in instructions:
        keyword = found.group(1).upper()
        body, at = found.group(2), found.start(2)
        if keyword == "ARG":
            arg = _ARG.match(body)
            if arg is not None:
                defaults[arg.group(1)] = (arg.group(2), at + arg.start(2), at + arg.end(2))
        elif keyword == "FROM":
            image = _FROM.match(body)
            if image is None:
                continue
            reference = _REFERENCE.fullmatch(image.group(1))
            if reference is not None and reference.group(1) in defaults:
                yield Occurrence("image", *defaults[reference.group(1)])
            else:
                yield Occurrence("image", image.group(1), at + image.start(1), at + image.end(1))


def scan(text: str) -> Iterator[Occurrence]:
    instructions = list(_INSTRUCTION.finditer(text))
    images = list(_images(instructions))
    if images and all(_OTHER_ACCELERATOR.search(image.value) for image in images):
        return  # the ROCm / Ascend / XPU variant of a project's containers: a non-CUDA path
    yield from images
    for found in instructions:
        keyword = found.group(1).upper()
        body, at = found.group(2), found.start(2)
        if keyword == "FROM":
            continue
        elif keyword == "ENV":
            pairs = list(_ENV_PAIR.finditer(body))
            if pairs:
                for pair in pairs:
                    if pair.start() == 0 or body[pair.start() - 1] in " \t\\\n":
                        yield Occurrence("env", pair.group(1), at + pair.start(1), at + pair.end(1))
            else:
                legacy = _ENV_LEGACY.match(body)
                if legacy is not None:
                    yield Occurrence("env", legacy.group(1), at + legacy.start(1), at + legacy.end(1))
        elif keyword in ("RUN", "CMD", "ENTRYPOINT"):
            command = body
            if command.lstrip().startswith("["):  # exec form: a JSON array of words
                command = re.sub(r"[\[\],]", " ", command)
            command = re.sub(r"^(?:--\S+[ \t]+)*", lambda m: " " * len(m.group(0)), command)  # RUN --mount=...
            yield from shell.scan(command, at)
