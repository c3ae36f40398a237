"""Finding identity that survives unrelated edits, and baseline files built on it.

A finding's *fingerprint* does not use its line number. It hashes:

* the rule code,
* the file's path relative to the project root (the git root, else the config root),
* the text of the finding's first line with all whitespace runs collapsed,
* the finding's *occurrence index* among findings with the same three values, in file
  order (so two identical ``x.cuda()`` lines in one file stay distinct).

Inserting or deleting lines elsewhere in the file, re-indenting, or editing other lines
keeps every fingerprint. Editing the flagged line itself makes it a new finding, which is
what a reviewer wants to see. SARIF ``partialFingerprints``, the GitLab ``fingerprint`` and
the baseline all use this scheme.

A baseline file (``portlint check --write-baseline FILE``) records, per (code, path, line
text), how many findings there were. ``--baseline FILE`` then drops up to that many
findings per entry, the first ones in file order, and reports the rest as new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from portlint.errors import PortlintError
from portlint.printable import printable
from portlint.source import SourceError, read_source

if TYPE_CHECKING:
    from portlint.findings import Finding

BASELINE_VERSION = 1
FINGERPRINT_VERSION = "portlint/v1"  # the SARIF partialFingerprints key
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACE = re.compile(r"\s+")


class BaselineError(PortlintError):
    pass


# --------------------------------------------------------------------------- paths


def git_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory or a file)."""
    try:
        directory = start.resolve()
    except OSError:
        return None
    if directory.is_file():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def project_root(config_root: Path | None = None) -> Path:
    """Where report paths are relative to: the git root of the working directory (or of the
    config file's directory), else the config root, else the working directory."""
    cwd = Path.cwd()
    for start in (cwd, config_root):
        if start is not None:
            root = git_root(start)
            if root is not None:
                return root
    return (config_root or cwd).resolve()


def relative_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes; outside ``root``: absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        try:
            return absolute.resolve().relative_to(root).as_posix()
        except (ValueError, OSError):
            return absolute.as_posix()


# --------------------------------------------------------------------------- fingerprints


class SourceLines:
    """Reads each file once, on demand; lines split the way the parser counts them."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str] | None] = {}

    def cell_lines(self, path: str, cell: int) -> list[str] | None:
        """The lines of one notebook cell (findings in notebooks count lines per cell)."""
        key = f"{path}\0{cell}"
        if key not in self._lines:
            from portlint.kinds.notebook import cell_texts

            texts = cell_texts(path)
            self._lines[key] = _LINE_BREAK.split(texts[cell]) if cell in texts else None
        return self._lines[key]

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            try:
                _, source = read_source(path)
            except SourceError:
                self._lines[path] = None
            else:
                self._lines[path] = _LINE_BREAK.split(source.text)
        return self._lines[path]

    def line(self, path: str, number: int, cell: int | None = None) -> str | None:
        lines = self.lines(path) if cell is None else self.cell_lines(path, cell)
        if lines is None or not 0 < number <= len(lines):
            return None
        return lines[number - 1]


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Identity:
    """What a finding is, independent of where in its file it sits."""

    code: str
    path: str  # project-relative, forward slashes
    text: str  # the first flagged line, whitespace-normalized
    occurrence: int  # among findings with the same code, path and text, in file order

    @property
    def key(self) -> str:
        return _hash(self.code, self.path, self.text)

    @property
    def fingerprint(self) -> str:
        return _hash(self.code, self.path, self.text, str(self.occurrence))


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def identities(findings: Iterable["Finding"], root: Path,
               sources: SourceLines | None = None) -> list[Identity]:
    """One identity per finding, in the given order (occurrences counted in file order)."""
    findings = list(findings)
    sources = sources or SourceLines()
    base: list[tuple[str, str, str]] = []
    for finding in findings:
        line = sources.line(finding.path, finding.line, finding.cell)
        # Unreadable file (deleted since, or stdin): the matched text is the best stable proxy.
        text = normalize(line) if line is not None else normalize(finding.matched)
        base.append((finding.code, relative_path(finding.path, root), text))
    order = sorted(range(len(findings)), key=lambda i: (base[i], findings[i].line, findings[i].column))
    seen: Counter[tuple[str, str, str]] = Counter()
    result: list[Identity | None] = [None] * len(findings)
    for i in order:
        result[i] = Identity(*base[i], seen[base[i]])
        seen[base[i]] += 1
    return result  # type: ignore[return-value]


def fingerprints(findings: Iterable["Finding"], root: Path, sources: SourceLines | None = None) -> list[str]:
    return [identity.fingerprint for identity in identities(findings, root, sources)]


# --------------------------------------------------------------------------- baseline files


@dataclass
class BaselineEntry:
    code: str
    path: str
    text: str
    count: int

    @property
    def key(self) -> str:
        return _hash(self.code, self.path, self.text)


@dataclass
class Baseline:
    entries: list[BaselineEntry] = field(default_factory=list)

    @classmethod
    def from_findings(cls, findings: list["Finding"], root: Path) -> "Baseline":
        counts: Counter[tuple[str, str, str]] = Counter()
        for identity in identities(findings, root):
            counts[(identity.code, identity.path, identity.text)] += 1
        return cls([BaselineEntry(code, path, text, count)
                    for (code, path, text), count in sorted(counts.items())])

    def to_json(self) -> str:
        data = {
            "version": BASELINE_VERSION,
            "tool": "portlint",
            "fingerprints": [
                {"fingerprint": e.key, "code": e.code, "path": e.path, "count": e.count, "text": e.text}
                for e in self.entries
            ],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str) -> None:
        try:
            with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
                handle.write(self.to_json())
        except OSError as exc:
            raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None

    @classmethod
    def read(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise BaselineError(f"baseline file not found: {path}") from None
        except IsADirectoryError:
            raise BaselineError(f"baseline {path} is a directory") from None
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise BaselineError(f"baseline {path} is not valid JSON ({reason}); "
                                "write one with --write-baseline") from None
        return cls.from_data(data, path)

    @classmethod
    def from_data(cls, data: object, where: str) -> "Baseline":
        def bad(reason: str) -> BaselineError:
            return BaselineError(f"baseline {where}: {reason}; write a new one with --write-baseline")

        if not isinstance(data, dict) or "fingerprints" not in data:
            raise bad("not a portlint baseline (no 'fingerprints')")
        if data.get("version") != BASELINE_VERSION:
            raise bad(f"unsupported version {data.get('version')!r} (expected {BASELINE_VERSION})")
        raw = data["fingerprints"]
        if not isinstance(raw, list):
            raise bad("'fingerprints' must be a list")
        entries = []
        for number, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                raise bad(f"entry {number} is not an object")
            code, path, text, count = (item.get(k) for k in ("code", "path", "text", "count"))
            if not (isinstance(code, str) and isinstance(path, str) and isinstance(text, str)):
                raise bad(f"entry {number} needs string 'code', 'path' and 'text'")
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise bad(f"entry {number} needs a positive integer 'count'")
            entries.append(BaselineEntry(code, path, text, count))
        return cls(entries)


@dataclass
class BaselineResult:
    new: list["Finding"]  # not in the baseline: reported
    known: int  # findings the baseline covered
    stale: list[BaselineEntry]  # entries (count = how many are gone) no longer found


def apply_baseline(findings: list["Finding"], baseline: Baseline, root: Path) -> BaselineResult:
    allowed: Counter[tuple[str, str, str]] = Counter()
    for entry in baseline.entries:  # a key listed twice adds up
        allowed[(entry.code, entry.path, entry.text)] += entry.count
    new = []
    matched: Counter[tuple[str, str, str]] = Counter()
    for finding, identity in zip(findings, identities(findings, root)):
        key = (identity.code, identity.path, identity.text)
        if identity.occurrence < allowed[key]:
            matched[key] += 1
        else:
            new.append(finding)
    stale = [BaselineEntry(*key, allowed[key] - matched[key])
             for key in allowed if allowed[key] > matched[key]]
    return BaselineResult(new, sum(matched.values()), stale)


def render_stale(result: BaselineResult, baseline_path: str) -> str:
    """Lines for ``--statistics``: baseline entries that no longer match anything."""
    if not result.stale:
        return f"baseline {baseline_path}: {result.known} known findings hidden, no stale entries\n"
    total = sum(e.count for e in result.stale)
    lines = [(f"baseline {baseline_path}: {result.known} known findings hidden, "
              f"{total} stale (fixed or changed; rewrite the baseline with --write-baseline):")]
    for entry in result.stale:
        times = f" (x{entry.count})" if entry.count > 1 else ""
        lines.append(f"  {printable(entry.path)}: {entry.code} {printable(entry.text)}{times}")
    return "\n".join(lines) + "\n"
