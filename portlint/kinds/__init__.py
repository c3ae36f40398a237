"""File kinds: which files of a repository portlint reads, and which handler checks each.

``kind_of`` classifies a path (by name; an extensionless file by its ``#!`` line). Python
files go through the ``ast`` pipeline of ``portlint/engine.py``; every other kind has a small
handler module here that turns the file into *occurrences* (an environment variable, a
command, a requirement, an image, a config entry ...), which ``matching.py`` matches against
the rulesets' text matchers. All kinds produce the same ``Finding`` type, so every reporter,
the cache, baselines and ``noqa`` work unchanged.

========= ==============================================================================
python     ``*.py``, ``*.pyi`` (and any file named on the command line whose kind is unknown)
notebook   ``*.ipynb`` (code cells as Python; ``!``/``%env`` lines as shell)
shell      ``*.sh``, ``*.bash``, extensionless executables with a sh/bash ``#!`` line
dockerfile ``Dockerfile``, ``Dockerfile.*``, ``*.dockerfile``, ``Containerfile``
requirements ``requirements*.txt``, ``constraints*.txt``, ``requirements/*.txt``
pyproject  ``pyproject.toml`` (its dependency arrays)
yaml       ``*.yaml``, ``*.yml`` (configs; ``environment.yml`` dependencies)
json       ``*.json`` up to 1 MB (configs)
cuda       ``*.cu``, ``*.cuh`` (one finding per kernel source)
========= ==============================================================================

Test data: a directory walk skips YAML and JSON files below a test directory (``tests``,
``test``, ``testing``, ``fixtures``, ``test_data``, ``testdata``, ``test_configs``) of the
walked path. Those are inputs of tests (accelerate's ``tests/test_configs/*.yaml`` are read
by the tests of its config loader), not the project's configs; a CUDA value there is data.
Scripts, notebooks and Python files there are still checked (they run). Name such a
directory or file on the command line to check it anyway.

CUDA variants: a directory or file whose name marks it as the CUDA variant (a ``cuda``,
``gpu``, ``nvidia`` or ``cuNNN`` part between ``-``, ``_`` or ``.``) is the CUDA path of a
device ladder when a sibling has the same name for another backend (``npu``,
``ascend``, ``rocm``, ``xpu``, ``hpu``, ``mlu``, ``musa``, ``cpu``; for the npu target only ``npu``
and ``ascend``), or for a directory flavour (``accelerate-gpu-deepspeed``) the name up to the
CUDA part does (``accelerate-cpu``): ``docker/docker-cuda/`` beside ``docker/docker-npu/``, ``tests_cuda.yml``
beside ``tests_npu.yml``, DeepSpeed's ``cuda_accelerator.py`` beside ``npu_accelerator.py``. A
directory walk skips the files of such a variant, of every kind: the repository already has
the other path, and the variant is NVIDIA-only by design. A CPU sibling counts for the
agnostic target only (an NPU user still needs an NPU variant). Naming a variant checks it.
"""

from __future__ import annotations

import os
import re
from importlib import import_module
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from portlint.engine import Linter
    from portlint.findings import FileResult, Finding
    from portlint.fixer import FileFix
    from portlint.index import RuleIndex

KINDS = ("python", "notebook", "shell", "dockerfile", "requirements", "pyproject", "yaml", "json", "cuda")
JSON_LIMIT = 1 << 20  # larger JSON files are data, not configs: skipped
# kind -> handler module in this package; each has check(text, path, index, ...) -> findings
HANDLERS = {"notebook": "notebook", "shell": "shell", "dockerfile": "docker", "requirements": "requirements",
            "pyproject": "requirements", "yaml": "configs", "json": "configs", "cuda": "cuda"}
TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures", "test_data", "testdata", "test_configs"})
TEST_DATA_KINDS = frozenset({"yaml", "json"})
_NAME_PARTS = re.compile(r"[-_.]")
_CUDA_PART = re.compile(r"cuda|gpu|nvidia|cu\d{2,3}")
_ACCELERATORS = ("npu", "ascend", "rocm", "xpu", "hpu", "mlu", "musa")
# per target: the siblings that count. Any other backend, the CPU included, is a working
# non-CUDA path for the agnostic target; an NPU user needs an NPU (or Ascend) sibling.
VARIANTS = {"npu": ("npu", "ascend"), "agnostic": (*_ACCELERATORS, "cpu")}
_CUDA_HINT = re.compile(r"cuda|gpu|nvidia|cu\d{2,3}", re.IGNORECASE)
_siblings_seen: "list[object]" = [None, frozenset()]  # (the last sibling list, its split names)


def is_cuda_variant(name: str, siblings: "list[str] | tuple[()]", accelerators: "tuple[str, ...]" = _ACCELERATORS) -> bool:
    """``name`` is a CUDA variant and a sibling is the same variant for one of ``accelerators``
    (``docker-cuda`` beside ``docker-npu``), or, for a directory flavour such as
    ``accelerate-gpu-deepspeed``, the name up to the CUDA part is (``accelerate-cpu``)."""
    if not _CUDA_HINT.search(name):
        return False
    parts = _NAME_PARTS.split(name.lower())
    marked = [n for n, part in enumerate(parts) if _CUDA_PART.fullmatch(part)]
    if not marked:
        return False
    if _siblings_seen[0] is not siblings:  # a walk asks for each name of one directory in turn
        _siblings_seen[:] = [siblings, frozenset(tuple(_NAME_PARTS.split(s.lower())) for s in siblings)]
    others: frozenset = _siblings_seen[1]  # type: ignore[assignment]
    flavour = "." not in name
    return any(tuple(parts[:n] + [accelerator] + parts[n + 1:]) in others
               or (flavour and n + 1 < len(parts) and tuple(parts[:n] + [accelerator]) in others)
               for n in marked for accelerator in accelerators)


def is_default_variant(name: str, siblings: "list[str] | tuple[()]", accelerators: "tuple[str, ...]" = _ACCELERATORS) -> bool:
    """``name`` names no backend and a sibling is the same name with another backend's part
    added (``requirements.txt`` beside ``requirements_xpu.txt``, ``Dockerfile`` beside
    ``Dockerfile.npu``, ``train.sh`` beside ``train_npu.sh``): ``name`` is the default, the
    CUDA variant, and the project keeps the other backend's in that sibling."""
    parts = _NAME_PARTS.split(name.lower())
    if any(_CUDA_PART.fullmatch(part) or part in _ACCELERATORS or part == "cpu" for part in parts):
        return False
    if _siblings_seen[0] is not siblings:
        _siblings_seen[:] = [siblings, frozenset(tuple(_NAME_PARTS.split(s.lower())) for s in siblings)]
    others: frozenset = _siblings_seen[1]  # type: ignore[assignment]
    return any(tuple(parts[:n] + [accelerator] + parts[n:]) in others
               for n in range(len(parts) + 1) for accelerator in accelerators)


_SHELL_SHEBANG = re.compile(rb"#![ \t]*\S*/(?:env[ \t]+(?:-\S+[ \t]+)*)?(?:ba|da|z|k)?sh(?:[ \t]|\r?$|\n)")
_SUFFIXES = {".py": "python", ".pyi": "python", ".ipynb": "notebook", ".sh": "shell", ".bash": "shell",
             ".dockerfile": "dockerfile", ".yaml": "yaml", ".yml": "yaml", ".json": "json",
             ".cu": "cuda", ".cuh": "cuda"}


def kind_of_name(name: str, parent: str = "") -> str | None:
    """The kind a file name alone decides, or None."""
    lower = name.lower()
    suffix = lower[lower.rfind("."):] if "." in lower else ""
    if suffix == ".txt" and (lower.startswith(("requirements", "constraints")) or parent == "requirements"):
        return "requirements"
    if name in ("Dockerfile", "Containerfile") or name.startswith(("Dockerfile.", "Containerfile.")):
        return "dockerfile"
    if name == "pyproject.toml":
        return "pyproject"
    return _SUFFIXES.get(suffix)


def is_shell_script(head: bytes) -> bool:
    """An extensionless script whose ``#!`` line runs sh, bash, dash, zsh or ksh."""
    return head.startswith(b"#!") and _SHELL_SHEBANG.match(head) is not None


def kind_of(path: str, data: bytes = b"") -> str | None:
    """The kind of ``path`` (``data``: its first bytes at least, for the ``#!`` line)."""
    name = os.path.basename(path)
    kind = kind_of_name(name, os.path.basename(os.path.dirname(path)))
    if kind is None and "." not in name and is_shell_script(data[:256]):
        return "shell"
    return kind


EXAMPLE_PATH = "example.py"
_EXAMPLE_HEADER = re.compile(r"# file: ([^\n]+)\n")


def split_example(example: str) -> tuple[str, str]:
    """A ruleset example's file name and text: examples of other kinds of file start with a
    ``# file: NAME`` line (``# file: run.sh``); the others are Python (``example.py``)."""
    header = _EXAMPLE_HEADER.match(example)
    if header is None:
        return EXAMPLE_PATH, example
    return header.group(1).strip(), example[header.end():]


def kind_of_file(path: str) -> str | None:
    """``kind_of`` for a file on disk (reads the ``#!`` line of an extensionless file)."""
    head = b""
    if "." not in os.path.basename(path) and os.path.isfile(path):  # never open a FIFO or device
        try:
            with open(path, "rb") as handle:
                head = handle.read(256)
        except OSError:
            pass
    return kind_of(path, head)


def kind_of_text(path: str, text: str) -> str:
    """The kind a buffer (standard input, an editor's document) named ``path`` is checked as:
    ``kind_of`` with its first line for a ``#!``; Python when the name says nothing."""
    return kind_of(path, text[:256].encode("utf-8", "surrogatepass")) or "python"


def check_document(linter: "Linter", text: str, path: str) -> "FileResult":
    """Check a decoded buffer as the file ``path``, by the kind of that file."""
    kind = kind_of_text(path, text)
    if kind == "python":
        return linter.check_text(text, path)
    from portlint.engine import check_other

    return check_other(kind, text.encode("utf-8", "surrogatepass"), path, linter.index)


def fix_document(linter: "Linter", text: str, path: str, unsafe: bool = False) -> "FileFix":
    """Fix a decoded buffer as the file ``path``, by the kind of that file."""
    kind = kind_of_text(path, text)
    if kind == "python":
        from portlint.fixer import fix_text

        return fix_text(text, linter, path, unsafe)
    from portlint.kinds.fixing import fix_document as fix_kind

    return fix_kind(text, linter, path, kind, unsafe)


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); raises SourceError for anything else."""
    from portlint.source import SourceError

    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})") from None


def check(kind: str, data: bytes, path: str, index: "RuleIndex",
          check_python: Callable) -> "list[Finding] | None":
    """Findings of one non-Python file; None when the prefilter ruled it out.

    ``check_python(text, path, index)`` is the engine's Python check (notebook cells use it).
    Raises SourceError when the file cannot be read as its kind.
    """
    if kind == "json" and len(data) > JSON_LIMIT:
        return None
    text = decode(data)
    handler = import_module(f"portlint.kinds.{HANDLERS[kind]}")
    return handler.check(text, path, index, kind=kind, check_python=check_python)
