"""Shared fixtures: the shipped ruleset, a linter per target, and helpers to check code."""

from __future__ import annotations

import os
import textwrap
from functools import lru_cache
from pathlib import Path

import pytest

from portlint.config import Settings
from portlint.engine import Linter
from portlint.findings import Finding
from portlint.rules import default_ruleset_files, load_rulesets
from portlint.versions import parse_version

REPO = Path(__file__).resolve().parent.parent
# ../shared/reference next to the checkout; PORTLINT_REFERENCE points elsewhere (a worktree).
REFERENCE = Path(os.environ.get("PORTLINT_REFERENCE") or REPO.parent / "shared" / "reference")


@lru_cache(maxsize=None)
def shipped_ruleset():
    return load_rulesets(default_ruleset_files())


@lru_cache(maxsize=None)
def linter_for(target: str = "agnostic", min_torch: str = "2.6", extend_select: tuple[str, ...] = ()) -> Linter:
    settings = Settings(target=target, min_torch=parse_version(min_torch), extend_select=extend_select)
    return Linter(settings, shipped_ruleset())


def active_min_torch(rule, target: str, wanted: str = "2.6") -> str:
    """``wanted``, or for a rule fixed on ``target`` from that version on (``fixed_in``) the
    release before the fix: a min-torch at which the rule's examples are reported there."""
    from portlint.versions import format_version, parse_version

    fixed = rule.fixed_in.get(target)
    if fixed is None or parse_version(wanted) < fixed:
        return wanted
    major, minor = fixed[0], fixed[1] if len(fixed) > 1 else 0
    return format_version((major, minor)) if len(fixed) > 2 else format_version((major, minor - 1))


def lint(code: str, target: str = "agnostic", min_torch: str = "2.6",
         extend_select: tuple[str, ...] = ()) -> list[Finding]:
    """Findings of a Python snippet, or of a ruleset example of any kind ("# file: run.sh\\n...")."""
    result = check_example(linter_for(target, min_torch, extend_select), textwrap.dedent(code))
    assert result.error is None, result.error
    return result.findings


def check_example(linter: Linter, example: str):  # -> FileResult
    """Check a ruleset example: Python, or another kind of file after a "# file: NAME" line."""
    from portlint.kinds import EXAMPLE_PATH, split_example

    path, text = split_example(example)
    return linter.check_text(text, path) if path == EXAMPLE_PATH else linter.check_bytes(text.encode(), path)


def fix_example(linter: Linter, example: str, unsafe: bool = True):  # -> FileFix
    """Fix a ruleset example of any kind; ``text``/``original`` keep its "# file: NAME" line."""
    import dataclasses

    from portlint.kinds import kind_of, split_example
    from portlint.kinds.fixing import fix_document

    path, text = split_example(example)
    header = example[:len(example) - len(text)]
    outcome = fix_document(text, linter, path, kind_of(path) or "python", unsafe=unsafe)
    return dataclasses.replace(outcome, original=header + outcome.original, text=header + outcome.text)


def codes(code: str, target: str = "agnostic", min_torch: str = "2.6") -> list[str]:
    return [finding.code for finding in lint(code, target, min_torch)]


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present (a fresh clone has no shared/)")
    return REFERENCE
