"""The result cache: unchanged files cost one ``stat`` call on the next run.

One JSON file per configuration under the cache directory (default
``<project root>/.portlint_cache/``, which gets a ``.gitignore`` of ``*``). One file, not
one entry per checked file: a warm run of 2,548 files then opens one file (~1 MB, parsed
in ~10 ms) instead of 2,548, and the run stats each checked file once. The file name
is a hash of everything that changes findings: the cache format, portlint's version and
its own module files, the Python version (``ast`` differs between versions), the ruleset
files' contents and ``Settings.fingerprint()``. Another configuration (``--target npu``,
``--select``...) uses another file, so switching back and forth keeps both warm.

Each entry maps a file's absolute path to ``[mtime_ns, size, inode, digest, result]``:

* fast path: the file's ``stat`` (mtime, size, inode) equals the entry's: the result is
  reused without reading the file;
* otherwise the file is read and its BLAKE2b digest compared: the same content reuses the
  result (and refreshes the stat), other content is checked again.

A stat taken less than two seconds before the run started is not trusted later (a file
rewritten within the clock's granularity keeps its mtime): such entries are stored
without stat and are verified by digest next time.

The cache is data, never code (JSON, no pickle), and never trusted blindly: a file that
is not valid JSON, has another format/version/key, or an entry of the wrong shape is
ignored (the file is checked again). Writes go to a temporary file renamed over the old
one (atomic on POSIX and Windows), after merging what another process may have written
meanwhile, so concurrent runs never leave a torn file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlint import __version__
from portlint.findings import FileError, FileResult, Finding, finding_from_json, finding_to_json

if TYPE_CHECKING:
    from portlint.engine import Linter

CACHE_FORMAT = 2  # 2: results keep the file's import facts (portlint/variants.py)
DEFAULT_DIRNAME = ".portlint_cache"
RACY_SECONDS = 2.0
_GITIGNORE = "# Created by portlint: the result cache. Safe to delete.\n*\n"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# portlint result cache (see https://bford.info/cachedir/)\n"

Stat = tuple[int, int, int]  # mtime_ns, size, inode
MAX_CACHE_FILE = 1 << 28  # bytes; a bigger cache file is ignored
DEFAULT_LIMIT = 1 << 31
STALE_SECONDS = 600.0  # a temporary file this old in the cache directory is a killed run's


def file_digest(data: bytes) -> str:
    import hashlib  # here: --no-cache runs never need it (it loads OpenSSL)

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_key(result: os.stat_result) -> Stat:
    return (result.st_mtime_ns, result.st_size, result.st_ino)


def default_cache_dir(root: Path) -> Path:
    return root / DEFAULT_DIRNAME


def configuration_key(linter: "Linter") -> str | None:
    """The hash naming this configuration's cache file; None if a ruleset is unreadable."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    parts: list[str] = [
        f"format={CACHE_FORMAT}", f"portlint={__version__}",
        f"python={sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
        f"settings={linter.settings.fingerprint()}",
    ]
    # portlint's own code: a development checkout changes without a version bump.
    package = Path(__file__).resolve().parent
    for module in sorted(package.rglob("*.py")):
        try:
            info = module.stat()
        except OSError:
            continue
        parts.append(f"module={module.relative_to(package).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    for name in linter.ruleset.files:
        try:
            with open(name, "rb") as handle:
                digest.update(b"ruleset\0" + handle.read() + b"\0")
        except OSError:
            return None
    return digest.hexdigest()


class Cache:
    """One configuration's entries, loaded once per run and saved once at its end."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.key = key
        self.file = directory / f"v{CACHE_FORMAT}-{key}.json"
        self.entries: dict[str, list[Any]] = {}
        self.started = time.time()
        self._updates: dict[str, list[Any]] = {}
        self._removed: set[str] = set()
        self.limit = DEFAULT_LIMIT  # positions above it are not trusted (see _entry_limit)
        self.entries = self._load()

    @classmethod
    def open(cls, linter: "Linter", directory: Path | None = None) -> "Cache | None":
        """This configuration's cache in ``directory`` (default: the project's); None, with a
        warning, when that directory must not be used."""
        key = configuration_key(linter)
        if key is None:
            return None
        explicit = directory is not None
        directory = directory if directory is not None else default_cache_dir(linter.settings.root)
        problem = unusable_directory(directory, linter.settings.root, explicit)
        if problem is not None:
            from portlint.printable import printable

            sys.stderr.write(f"portlint: warning: not using the cache: {printable(problem)}\n")
            return None
        cache = cls(directory, key)
        cache.limit = linter.settings.max_file_size + 1
        return cache

    # ------------------------------------------------------------------ reading

    def _load(self) -> dict[str, list[Any]]:
        from portlint.source import SourceError, read_bytes

        try:
            data = json.loads(read_bytes(str(self.file), MAX_CACHE_FILE))
        except (SourceError, ValueError, RecursionError):
            return {}
        if (not isinstance(data, dict) or data.get("format") != CACHE_FORMAT
                or data.get("portlint") != __version__ or data.get("key") != self.key
                or not isinstance(data.get("entries"), dict)):
            return {}
        return data["entries"]

    def lookup(self, path: str, stat: Stat | None) -> "tuple[FileResult | None, str | None]":
        """(result, None) on a stat hit; (None, digest to compare) when the content must be
        compared; (None, None) when there is no usable entry."""
        entry = self.entries.get(os.path.abspath(path))
        if not _valid_entry(entry):
            return None, None
        assert entry is not None
        if stat is not None and entry[0] is not None and (entry[0], entry[1], entry[2]) == stat:
            result = result_from_json(entry[4], path, self._entry_limit(entry))
            return (result, None) if result is not None else (None, None)
        return None, entry[3]

    def cached_result(self, path: str) -> "FileResult | None":
        entry = self.entries.get(os.path.abspath(path))
        if not _valid_entry(entry):
            return None
        assert entry is not None
        return result_from_json(entry[4], path, self._entry_limit(entry))

    def _entry_limit(self, entry: list[Any]) -> int:
        """No line or column of a file can exceed its size in bytes (+1)."""
        return entry[1] + 1 if entry[1] is not None else self.limit

    # ------------------------------------------------------------------ writing

    def store(self, path: str, stat: Stat | None, digest: str, result: "FileResult") -> None:
        payload = result_to_json(result)
        if payload is None:
            return
        if stat is not None and stat[0] / 1e9 >= self.started - RACY_SECONDS:
            stat = None  # modified just now: verify by digest next time
        mtime, size, inode = stat if stat is not None else (None, None, None)
        self._updates[os.path.abspath(path)] = [mtime, size, inode, digest, payload]

    def refresh(self, path: str, stat: Stat | None, digest: str) -> None:
        """The content is unchanged; remember the new stat."""
        entry = self.entries.get(os.path.abspath(path))
        if _valid_entry(entry):
            assert entry is not None
            result = result_from_json(entry[4], path, self._entry_limit(entry))
            if result is not None:
                self.store(path, stat, digest, result)

    def forget(self, path: str) -> None:
        key = os.path.abspath(path)
        if key in self.entries:
            self._removed.add(key)

    @property
    def dirty(self) -> bool:
        return bool(self._updates or self._removed)

    def save(self) -> None:
        """Merge with what is on disk now, then replace the file atomically. Never raises."""
        if not self.dirty:
            return
        try:
            self._prepare_directory()
            entries = self._load()  # another run may have saved meanwhile
            if not entries:
                entries = {k: v for k, v in self.entries.items() if _valid_entry(v)}
            for key in self._removed:
                entries.pop(key, None)
            for key in [k for k in entries if k not in self._updates and not os.path.exists(k)]:
                del entries[key]  # deleted or moved files
            entries.update(self._updates)
            data = {"format": CACHE_FORMAT, "portlint": __version__, "key": self.key, "entries": entries}
            import tempfile

            handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                # dumps, not dump: one call of the C encoder instead of thousands of writes
                text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
                # backslashreplace: a path that is not UTF-8 is kept as a JSON \udcXX escape
                with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:
                    stream.write(text)
                os.replace(temporary, self.file)
            except BaseException:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
                raise
        except OSError:
            return  # a read-only project, a full disk: the cache is only an optimisation
        self.entries = entries
        self._updates.clear()
        self._removed.clear()

    def _prepare_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _create(self.directory / ".gitignore", _GITIGNORE)
        _create(self.directory / "CACHEDIR.TAG", _TAG)
        for stale in self.directory.glob(".tmp-*.json"):  # of a run killed while saving
            try:
                if time.time() - stale.lstat().st_mtime > STALE_SECONDS:
                    stale.unlink()
            except OSError:
                pass


def _create(path: Path, text: str) -> None:
    """Write a new file; never through a symlink, never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)


def unusable_directory(directory: Path, root: Path, explicit: bool) -> str | None:
    """Why ``directory`` must not hold the cache, or None. The default one must stay inside
    the project (a symlink leading out is refused); any one must be a directory that is new,
    empty, or already a portlint cache, so portlint never tags someone else's directory
    (a '*' .gitignore written into a project would hide all of it from git)."""
    if not os.path.lexists(directory):
        return None
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if not explicit and directory.is_symlink():
        target = directory.resolve()
        if not target.is_relative_to(root.resolve()):
            return f"{directory} is a symlink leading outside the project (to {target})"
    try:
        with open(directory / "CACHEDIR.TAG", "rb") as handle:
            if b"portlint" in handle.read(4096):
                return None
    except OSError:
        pass
    try:
        if next(os.scandir(directory), None) is None:
            return None
    except OSError as exc:
        return f"{directory}: {exc.strerror or exc}"
    return f"{directory} exists and is not a portlint cache (no portlint CACHEDIR.TAG); give a new or empty directory"


# --------------------------------------------------------------------------- (de)serialising


def result_to_json(result: FileResult) -> dict[str, Any] | None:
    """A content-determined result as plain data; None when it must not be cached."""
    error = result.error
    return {
        "parsed": result.parsed,
        "error": None if error is None else error.reason,
        "findings": [finding_to_json(finding, path=False) for finding in result.findings],
        "imports": None if result.imports is None else list(result.imports),
    }


def result_from_json(payload: Any, path: str, limit: int = 1 << 31) -> FileResult | None:
    """Rebuild a result for ``path`` (this run's display path); None if malformed or if a
    position is out of range (below 1, an end before its start, or above ``limit``)."""
    if not isinstance(payload, dict) or set(payload) != {"parsed", "error", "findings", "imports"}:
        return None
    parsed, error, raw_findings, imports = payload["parsed"], payload["error"], payload["findings"], payload["imports"]
    if not isinstance(parsed, bool) or not (error is None or isinstance(error, str)) \
            or not isinstance(raw_findings, list):
        return None
    if imports is not None and not (isinstance(imports, list)
                                    and all(isinstance(fact, str) and fact for fact in imports)):
        return None
    findings = []
    for raw in raw_findings:
        finding = finding_from_json(raw, path)
        if finding is None or not _in_range(finding, limit):
            return None
        findings.append(finding)
    return FileResult(path, findings, None if error is None else FileError(path, error), parsed,
                      None if imports is None else tuple(imports))


def _in_range(finding: Finding, limit: int) -> bool:
    return (1 <= finding.line <= finding.end_line <= limit and 1 <= finding.column <= limit
            and 1 <= finding.end_column <= limit)


def _valid_entry(entry: Any) -> bool:
    if not isinstance(entry, list) or len(entry) != 5:
        return False
    mtime, size, inode, digest, payload = entry
    if mtime is None:
        if size is not None or inode is not None:
            return False
    elif not all(isinstance(v, int) and not isinstance(v, bool) for v in (mtime, size, inode)):
        return False
    return isinstance(digest, str) and len(digest) == 32 and isinstance(payload, dict)
