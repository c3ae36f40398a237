"""CUDA variant modules: a step across files, after every file's findings.

portlint checks files one by one; how a module is *imported* is known only across files.
A module of the checked project that the project imports only conditionally is a variant:

* only in a CUDA branch that has a non-CUDA path beside it: the CUDA rung of a ladder that
  also tests another backend (``if tool == "nsys": from .nvtx_profile import ...``
  ``elif tool == "npu":``), a value's-device test, a test skipped off CUDA (the guards of
  ``portlint/semantic/guards.py`` under which a CUDA call is not reported either; not
  another backend's branch: what a module does wrong there is still wrong); or
* only where the import succeeds (``try: from .nccl_engine import E`` ``except ImportError:
  E = None``, ``if is_nvtx_available():``, ``except Exception``), and the module itself
  cannot be imported off CUDA: at its top level it imports a CUDA-only package (``import
  cupy``: a module of the PRT8xx rules that has no Ascend build, or ``nvtx``).

Its CUDA-only code never runs off CUDA, where the project takes its other path: its
findings are not reported. A module with no importer in the run (an entry script, a file
checked alone) and one imported unconditionally anywhere (``u`` below) keep theirs.

Where it sits in the flow: discover -> prefilter -> parse once -> one traversal (the
binder records each import with its guards, ``portlint/semantic/imports.py``) -> the
file's findings (cached with its import facts) -> this pass, over the run's results. The
pass is fresh on every run (the cache holds only per-file facts, a pure function of each
file's bytes). Files the prefilter skipped (never parsed) are read again only when a
module with findings would be dropped, and only those that name it; they are parsed and
bound (no matching) to classify their imports the same way.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Iterable

from portlint.findings import Finding
from portlint.semantic.imports import FAILS, OPTIONAL, UNCONDITIONAL

_SEPARATORS = re.compile(r"[.,:\n]")
_PYTHON = (".py", ".pyi")
UNUSED_NOQA = "PRT990"  # a stale `# noqa` is a finding about the comment, kept


# --------------------------------------------------------------------------- the module graph


def _module_path(path: str) -> tuple[str, ...] | None:
    """A Python file's module path as directory parts ending with its module name
    (``a/b/__init__.py`` -> (..., "a", "b")); None for another kind of file."""
    absolute = os.path.abspath(path)
    stem, suffix = os.path.splitext(absolute)
    if suffix not in _PYTHON:
        return None
    parts = tuple(stem.split(os.sep))
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return parts


def _package_depth(path: str) -> int:
    """How many parts of the module path belong to packages (directories with an
    ``__init__.py``) plus the module itself: an absolute import must name at least these."""
    directory = os.path.dirname(os.path.abspath(path))
    depth = 1 if os.path.basename(path) not in ("__init__.py", "__init__.pyi") else 0
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        depth += 1
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return max(depth, 1)


_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _project_root(path: str, known: dict[str, str]) -> str:
    """The project a module belongs to: its nearest directory with a ``pyproject.toml``,
    ``setup.py``, ``setup.cfg`` or ``.git`` ("" when there is none). Only files of its
    project import it as a module of that project (``portlint check`` of a directory of
    several projects keeps them apart)."""
    directory = os.path.dirname(path)
    seen = []
    while True:
        found = known.get(directory)
        if found is not None:
            break
        seen.append(directory)
        if any(os.path.exists(os.path.join(directory, marker)) for marker in _PROJECT_MARKERS):
            found = directory
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            found = ""
            break
        directory = parent
    for each in seen:
        known[each] = found
    return found


@dataclass
class _Candidate:
    """A module with findings, and how the run imports it."""

    path: str
    parts: tuple[str, ...]
    fails: bool  # it imports a CUDA-only package at its top level
    roots: dict[str, str]  # the cache of ``_project_root``
    statuses: set[str] = field(default_factory=set)
    _depth: int = 0
    _root: str | None = None

    @property
    def depth(self) -> int:
        if not self._depth:
            self._depth = _package_depth(self.path)
        return self._depth

    @property
    def root(self) -> str:
        """Its project's directory and a separator ("": anywhere)."""
        if self._root is None:
            root = _project_root(self.path, self.roots)
            self._root = root + os.sep if root else ""
        return self._root


def _targets(fact: str, importer: tuple[str, ...] | None) -> Iterable[tuple[str, tuple[str, ...]]]:
    """The modules an import fact may load: ("abs", dotted parts) for an absolute name,
    ("rel", module path parts) for a relative one resolved against the importer."""
    body = fact[1:]
    if ":" not in body:  # import a.b, c
        for name in body.split(","):
            parts = tuple(name.split("."))
            for end in range(1, len(parts) + 1):
                yield "abs", parts[:end]
        return
    module, _, names = body.partition(":")
    level = len(module) - len(module.lstrip("."))
    module = module[level:]
    parts = tuple(module.split(".")) if module else ()
    if level == 0:
        for end in range(1, len(parts) + 1):
            yield "abs", parts[:end]
        for name in names.split(","):
            if name != "*":
                yield "abs", (*parts, name)
        return
    if importer is None or level > len(importer) - 1:
        return
    base = importer[:len(importer) - level]  # the importer's package, up ``level - 1`` packages
    for end in range(1, len(parts) + 1):
        yield "rel", (*base, *parts[:end])
    for name in names.split(","):
        if name != "*":
            yield "rel", (*base, *parts, name)


def _absolute(path: str, directories: dict[str, str]) -> str:
    """``os.path.abspath(path)``, its directory's computed once."""
    directory, name = os.path.split(path)
    absolute = directories.get(directory)
    if absolute is None:
        absolute = directories[directory] = os.path.abspath(directory or os.curdir)
    return os.path.join(absolute, name)


class _Graph:
    def __init__(self, candidates: dict[str, _Candidate], directories: dict[str, str]) -> None:
        self.candidates = candidates
        self.by_name: dict[str, list[str]] = {}
        for path, candidate in candidates.items():
            self.by_name.setdefault(candidate.parts[-1], []).append(path)
        self.names = set(self.by_name)  # (a name leaves when all its modules are ruled out)
        self.directories = directories  # display directory -> absolute

    def note(self, importer: str, facts: Iterable[str]) -> None:
        """Record the statuses of ``importer``'s imports of the candidates."""
        names = self.names.intersection(_SEPARATORS.split("\n".join([fact[1:] for fact in facts])))
        if not names:
            return
        own: tuple[str, ...] | None = None
        for fact in facts:
            if fact[0] == FAILS or not any(name in fact for name in names) \
                    or names.isdisjoint(_SEPARATORS.split(fact[1:])):
                continue
            if own is None:
                absolute = _absolute(importer, self.directories)
                own = tuple(os.path.splitext(absolute)[0].split(os.sep))
            for how, parts in _targets(fact, own):
                for path in self.by_name.get(parts[-1], ()) if parts else ():
                    candidate = self.candidates[path]
                    if UNCONDITIONAL in candidate.statuses:
                        continue  # decided: reported
                    if how == "rel":
                        hit = parts == candidate.parts
                    else:
                        hit = candidate.parts[-len(parts):] == parts and len(parts) >= candidate.depth
                    if hit and path != absolute and absolute.startswith(candidate.root):
                        candidate.statuses.add(fact[0])
                        if fact[0] == UNCONDITIONAL and all(
                                UNCONDITIONAL in self.candidates[other].statuses for other in self.by_name[parts[-1]]):
                            self.names.discard(parts[-1])

    def variants(self, tentative: bool = False) -> set[str]:
        """The candidates imported only conditionally (and imported at all). ``tentative``:
        also those no importer seen so far rules out and that may still be (importers not
        parsed yet may import them conditionally): those with a conditional importer, and
        those that cannot be imported off CUDA."""
        found = set()
        for path, candidate in self.candidates.items():
            statuses = candidate.statuses
            if UNCONDITIONAL in statuses or (OPTIONAL in statuses and not candidate.fails):
                continue
            if statuses or (tentative and candidate.fails and candidate.depth > 1):
                found.add(path)  # (a module outside a package is a script: nothing imports it)
        return found


def variant_modules(findings: list[Finding], facts: dict[str, tuple[str, ...] | None], files: list[str],
                    guard_names: frozenset[str], max_size: int | None = None) -> set[str]:
    """The absolute paths of the modules with findings that are CUDA variants.

    ``facts``: each checked file's import facts (None: the file was not parsed, its text is
    scanned if needed); ``files``: every file of the run."""
    candidates: dict[str, _Candidate] = {}
    roots: dict[str, str] = {}
    directories: dict[str, str] = {}
    for name in {finding.path for finding in findings if finding.cell is None and finding.path.endswith(_PYTHON)}:
        path = _absolute(name, directories)
        parts = _module_path(path)
        if parts is not None:
            own = facts.get(name) or ()
            candidates[path] = _Candidate(path, parts, any(f[0] == FAILS for f in own), roots)
    if not candidates:
        return set()
    graph = _Graph(candidates, directories)
    unknown: list[str] = []
    for name in files:
        if not name.endswith(_PYTHON):
            continue
        known = facts.get(name)
        if known is None:
            unknown.append(name)
        else:
            graph.note(name, known)
    if not unknown:
        return graph.variants()
    found = graph.variants(tentative=True)
    if found:
        # The files never parsed (the prefilter skipped them) may import a variant too:
        # read those that name one, and classify their imports as a traversal would.
        graph = _Graph({path: graph.candidates[path] for path in found}, directories)
        stems = [name.encode("utf-8", "surrogateescape") for name in graph.names]
        roots_wanted = tuple({candidate.root for candidate in graph.candidates.values()})
        wanted: dict[str, bool] = {}  # display directory -> is it in a wanted project
        for name in unknown:
            directory = os.path.dirname(name)
            inside = wanted.get(directory)
            if inside is None:
                inside = wanted[directory] = (_absolute(name, directories)).startswith(roots_wanted)
            if not inside:
                continue  # another project's file
            imported = _scan(name, stems, guard_names, max_size)
            if imported:
                graph.note(name, imported)
        found = graph.variants()
    return found


def _scan(path: str, stems: list[bytes], guard_names: frozenset[str], max_size: int | None) -> list[str]:
    """The import facts of a file not parsed before, if an import statement in it may name
    a candidate."""
    from portlint.semantic.binder import Binder
    from portlint.source import SourceError, decode_source

    try:
        data = _read(path, max_size)
        if data is None or not any(_in_an_import(data, stem) for stem in stems):
            return []
        text = decode_source(data).text
    except (SourceError, OSError):
        return []
    try:
        tree = ast.parse(text)
        binder = Binder(guard_names=guard_names)
        binder.imports = []
        binder.run(tree)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []  # a file that does not parse imports nothing
    return binder.imports


_STATEMENT_START = re.compile(rb"[ \t]*(?:from|import)\b")
_IDENTIFIER = re.compile(rb"[\w\x80-\xff]")


def _in_an_import(data: bytes, stem: bytes) -> bool:
    """Whether ``stem`` occurs where an import statement could name it: on a line that
    starts with ``from``/``import`` or continues one (a backslash, parentheses), or
    anywhere when unsure (a text encoding other than ASCII-compatible ones)."""
    start = data.find(stem)
    while start >= 0:
        end = start + len(stem)
        if (start and _IDENTIFIER.match(data, start - 1)) or _IDENTIFIER.match(data, end):
            start = data.find(stem, end)  # a part of a longer name
            continue
        line = data.rfind(b"\n", 0, start) + 1
        if _STATEMENT_START.match(data, line):
            return True
        opened = data.rfind(b"(", 0, start)
        if opened > data.rfind(b")", 0, start) and b"import" in data[data.rfind(b"\n", 0, opened) + 1:opened]:
            return True  # from x import (\n    stem,
        if line >= 2 and data[line - 2:line - 1] == b"\\":
            return True  # a continued line: unsure, parse
        if b";" in data[line:start] or b":" in data[line:start]:
            return True  # `x = 1; import stem`, `if x: import stem`: parse
        start = data.find(stem, end)
    return b"\x00" in data[:4096]  # UTF-16/32: the bytes search says nothing


def _read(path: str, max_size: int | None) -> bytes | None:
    """A regular file's bytes in one read (the run has read it once already); None when it
    is no longer a regular file or too big."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or (max_size is not None and info.st_size > max_size):
            return None
        return os.read(descriptor, info.st_size + 1)
    finally:
        os.close(descriptor)


def drop_variant_findings(findings: list[Finding], facts: dict[str, tuple[str, ...] | None], files: list[str],
                          guard_names: frozenset[str], max_size: int | None = None) -> list[Finding]:
    """``findings`` without those of CUDA variant modules (the unused-noqa rule's stay)."""
    if not findings:
        return findings
    variants = variant_modules(findings, facts, files, guard_names, max_size)
    if not variants:
        return findings
    return [f for f in findings if f.code == UNUSED_NOQA or os.path.abspath(f.path) not in variants]


__all__ = ["drop_variant_findings", "variant_modules"]
