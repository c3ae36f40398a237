"""Find the files to check under the given paths: Python files and the other kinds of
``portlint.kinds`` that the ``include`` setting names (notebooks, scripts, configs ...).

Skips version-control, virtualenv, cache and build directories, anything the config
excludes, and (by default) what ``.gitignore`` files ignore. YAML and JSON files below a
test directory of the walk (``tests/``, ``fixtures/`` ...) are test data, not configs, and
are skipped, and so are the files of a CUDA variant the repository also has for another
accelerator (``docker/docker-cuda/`` beside ``docker/docker-npu/``) (``portlint/kinds``). Paths named explicitly on the
command line are always checked, whatever their extension. Symlinked directories are
followed once; a link back to a directory already walked is reported as a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from portlint.config import Settings, path_matches
from portlint.findings import FileError
from portlint.kinds import (TEST_DATA_KINDS, TEST_DIRS, VARIANTS, is_cuda_variant, is_default_variant, is_shell_script,
                            kind_of_name)

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".portlint_cache", ".tox", ".nox", ".venv", "venv", ".eggs", "node_modules", "site-packages",
    "build", "dist", ".ipynb_checkpoints", ".hypothesis", ".direnv",
})
PYTHON_SUFFIXES = (".py", ".pyi")
# Build outputs, skipped unless the directory is a package of the project's own
# (mmengine/dist/: mmengine's torch.distributed wrappers, with an __init__.py).
_OUTPUT_DIRS = frozenset({"build", "dist"})


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def discover(paths: list[str], settings: Settings,
             settings_for: Callable[[Path], Settings] | None = None) -> Discovery:
    """``settings_for(directory)``: the settings of each directory (hierarchical
    configuration; its ``exclude``, ``force-exclude`` and ``respect-gitignore`` decide what
    is found there); without it, ``settings`` everywhere."""
    result = Discovery()
    seen_files: set[str] = set()
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except OSError as exc:  # e.g. a symlink loop: "Too many levels of symbolic links"
            result.errors.append(FileError(raw, exc.strerror or str(exc)))
            continue
        if not exists:
            reason = "symlink loop or broken link" if path.is_symlink() else "no such file or directory"
            result.errors.append(FileError(raw, reason))
            continue
        if not is_dir:
            own = settings if settings_for is None else settings_for(path.parent)
            if not (own.force_exclude and _force_excluded(path, own, own.root.resolve())):
                _add(result, seen_files, path)
            continue
        walker = _Walker(settings, result, seen_files, settings_for)
        walker.walk(path, walker.specs_for_start(path), ())
    return result


def _force_excluded(path: Path, settings: Settings, root: Path) -> bool:
    """With ``force-exclude``, a file named on the command line (as pre-commit names every
    staged file) is skipped when it, or a directory above it, matches ``exclude``."""
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if any(path_matches(prefix, parts[depth - 1], pattern) for pattern in settings.exclude):
            return True
    return False


def _add(result: Discovery, seen: set[str], path: Path) -> None:
    shown = display_path(path)
    key = os.path.normcase(os.path.abspath(path))
    if key not in seen:
        seen.add(key)
        result.files.append(shown)


class _Walker:
    def __init__(self, settings: Settings, result: Discovery, seen: set[str],
                 settings_for: Callable[[Path], Settings] | None = None) -> None:
        self.settings = settings
        self.root = settings.root.resolve()
        self.result = result
        self.seen = seen
        self.visited: set[tuple[int, int]] = set()
        self.settings_for = settings_for
        self.in_tests = False  # below a test directory of the walk: configs there are test data
        self.in_variant = False  # below a CUDA variant directory with another accelerator's beside it
        # below a directory that keeps another accelerator's container files in a subdirectory
        # of its own (docker/ascend/): the container files elsewhere there are the CUDA variants
        self.in_container_variant = False

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def excluded(self, path: Path, name: str) -> bool:
        if not self.settings.exclude:
            return False
        relative = self.relative(path)
        return any(path_matches(relative, name, pattern) for pattern in self.settings.exclude)

    def enter(self, directory: Path) -> None:
        """Use the settings of ``directory`` (hierarchical configuration)."""
        if self.settings_for is not None:
            settings = self.settings_for(directory)
            if settings is not self.settings:
                self.settings, self.root = settings, settings.root.resolve()

    def specs_for_start(self, start: Path) -> list[tuple[Path, Any]]:
        """.gitignore files of the directories above the start, up to the project root."""
        self.enter(start)
        if not self.settings.respect_gitignore:
            return []
        specs: list[tuple[Path, Any]] = []
        start = start.resolve()
        chain = [start, *start.parents]
        for directory in reversed(chain[1:]):
            if directory == self.root or self.root in directory.parents:
                spec = _load_gitignore(directory)
                if spec is not None:
                    specs.append((directory, spec))
        return specs

    def walk(self, directory: Path, specs: list[tuple[Path, Any]], ancestors: tuple[tuple[int, int], ...]) -> None:
        try:
            stat = directory.stat()
        except OSError as exc:
            self.result.errors.append(FileError(display_path(directory), exc.strerror or str(exc)))
            return
        identity = (stat.st_dev, stat.st_ino)
        if identity in ancestors:
            self.result.errors.append(FileError(display_path(directory), "directory loop (symlink to a parent directory), skipped"))
            return
        if identity in self.visited:
            return  # a second link to a directory already walked: its files are checked once
        self.visited.add(identity)
        ancestors = (*ancestors, identity)
        outer = self.settings, self.root
        self.enter(directory)
        try:
            self._walk_entries(directory, specs, ancestors)
        finally:
            self.settings, self.root = outer

    def _walk_entries(self, directory: Path, specs: list[tuple[Path, Any]],
                      ancestors: tuple[tuple[int, int], ...]) -> None:
        if self.settings.respect_gitignore:
            spec = _load_gitignore(directory)
            if spec is not None:
                specs = [*specs, (directory.resolve(), spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.result.errors.append(FileError(display_path(directory), exc.strerror or str(exc)))
            return
        shown_dir: str | None = None  # display and absolute forms of the directory, once
        absolute_dir = ""
        names = [entry.name for entry in entries]
        accelerators = VARIANTS[self.settings.target]
        containers = self.in_container_variant or any(
            entry.name.lower() in accelerators and _holds_containers(entry) for entry in entries)
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if (entry.name in SKIP_DIRS and not (entry.name in _OUTPUT_DIRS and (path / "__init__.py").is_file())) \
                        or entry.name.endswith(".egg-info") or _is_virtualenv(path):
                    continue
                if self.excluded(path, entry.name) or _ignored(specs, path, True):
                    continue
                tests, variant, container = self.in_tests, self.in_variant, self.in_container_variant
                self.in_tests = tests or entry.name.lower() in TEST_DIRS
                self.in_variant = variant or is_cuda_variant(entry.name, names, accelerators)
                self.in_container_variant = containers and entry.name.lower() not in accelerators
                try:
                    self.walk(path, specs, ancestors)
                finally:
                    self.in_tests, self.in_variant, self.in_container_variant = tests, variant, container
            elif self.wanted(entry, directory, names, containers):
                if self.excluded(path, entry.name) or _ignored(specs, path, False):
                    continue
                if shown_dir is None:
                    shown_dir, absolute_dir = display_path(directory), os.path.abspath(directory)
                # Same as _add(path), without a relpath/abspath per file (a hot spot of warm runs).
                key = os.path.normcase(os.path.join(absolute_dir, entry.name))
                if key not in self.seen:
                    self.seen.add(key)
                    self.result.files.append(entry.name if shown_dir == os.curdir
                                             else os.path.join(shown_dir, entry.name))


    def wanted(self, entry: os.DirEntry, directory: Path, names: "list[str] | tuple[()]" = (),
               container_variant: bool = False) -> bool:
        """A file of a kind that ``include`` names (Python files by suffix, fast); not test
        data nor the CUDA variant of a file the repository has for another backend
        (``container_variant``: a container file where the project keeps another
        accelerator's in a directory of its own)."""
        name = entry.name
        if name.endswith(PYTHON_SUFFIXES):
            return "python" in self.settings.kinds and not (
                self.in_variant or is_cuda_variant(name, names, VARIANTS[self.settings.target]))
        kind = kind_of_name(name, directory.name)
        if kind is None and not ("." not in name and "shell" in self.settings.kinds and _shell_script(entry)):
            return False
        if kind is not None and (kind not in self.settings.kinds or (self.in_tests and kind in TEST_DATA_KINDS)):
            return False
        if kind == "dockerfile" and container_variant:
            return False
        accelerators = VARIANTS[self.settings.target]
        return not (self.in_variant or is_cuda_variant(name, names, accelerators)
                    or (kind != "notebook" and kind != "cuda" and is_default_variant(name, names, accelerators)))


def _holds_containers(entry: os.DirEntry) -> bool:
    """A directory (``docker/ascend/``) with a Dockerfile or Containerfile in it."""
    try:
        if not entry.is_dir():
            return False
        with os.scandir(entry.path) as inner:
            return any(kind_of_name(child.name) == "dockerfile" for child in inner)
    except OSError:
        return False


def _shell_script(entry: os.DirEntry) -> bool:
    """An extensionless executable whose ``#!`` line names a POSIX shell."""
    try:
        if not entry.is_file() or not entry.stat().st_mode & 0o111:
            return False
        with open(entry.path, "rb") as handle:
            return is_shell_script(handle.read(256))
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a directory that cannot be entered: its walk reports it
        return False


def _is_virtualenv(path: Path) -> bool:
    return _is_file(path / "pyvenv.cfg")


def _load_gitignore(directory: Path) -> Any:
    ignore_file = directory / ".gitignore"
    if not _is_file(ignore_file):
        return None
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec  # only when a .gitignore exists

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(specs: list[tuple[Path, Any]], path: Path, is_dir: bool) -> bool:
    if not specs:
        return False
    absolute = path.resolve() if path.is_symlink() else path.absolute()
    for base, spec in specs:
        try:
            relative = absolute.relative_to(base).as_posix()
        except ValueError:
            try:
                relative = path.resolve().relative_to(base).as_posix()
            except ValueError:
                continue
        if spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False
