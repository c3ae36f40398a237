"""Fixes inside f-string replacement fields stay valid on Python 3.10/3.11 (no reuse of
the f-string's quote, no backslash): requoted, or left as a finding when impossible."""

from __future__ import annotations

import ast
import sys

import pytest

from conftest import linter_for
from portlint.fixer import fix_text

IDIOM = "'cuda' if torch.cuda.is_available() else 'cpu'"


def fixed(source: str, target: str = "agnostic"):
    outcome = fix_text(source, linter_for(target), "f.py", unsafe=True)
    assert outcome.error is None, outcome.error
    ast.parse(outcome.text, feature_version=(3, 10))
    return outcome


def test_fix_inside_a_double_quoted_fstring_uses_single_quotes() -> None:
    for target in ("agnostic", "npu"):
        outcome = fixed(f'import torch\nx = f"on {{{IDIOM}}}"\n', target)
        assert outcome.applied and "cuda" not in outcome.text.split("\n", 1)[1].split("x = ")[1].split("else")[0]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="reusing the f-string's quote needs the 3.12 grammar; .ci/run runs it on the newest Python")
def test_fix_that_cannot_fit_is_left_as_a_finding() -> None:
    """Both quotes taken (a nested f-string): that edit is dropped and its finding stays;
    nothing else is refused, not even the fix that waited for it (found at integration on
    3.13: the ``.cuda()`` fix waits for the device-expression fix, which was dropped, and
    then no fix of the file was applied)."""
    line = f"x = f\"{{f'{{{IDIOM.replace(chr(39), chr(34))}}}'}}\"\n"
    source = f"import torch\n{line}y = torch.ones(1).cuda()\n"
    outcome = fixed(source)
    assert ".cuda()" not in outcome.text  # the other fix was applied
    assert line in outcome.text  # the f-string is as it was
    assert [f.code for f in outcome.remaining] == ["PRT408"]
    assert [f.code for f in outcome.applied] == ["PRT404"]


def test_a_dropped_fstring_edit_does_not_hold_back_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same on every Python: the f-string fitting drops the device-expression edit."""
    import portlint.fixer as fixer

    real = fixer.fit_edits_in_fstrings
    monkeypatch.setattr(fixer, "fit_edits_in_fstrings",
                        lambda text, edits, *rest: [e for e in real(text, edits, *rest) if e.finding.code != "PRT408"])
    source = f"import torch\nx = f'{{{IDIOM.replace(chr(39), chr(34))}}}'\ny = torch.ones(1).cuda()\n"
    for target in ("agnostic", "npu"):
        outcome = fixed(source, target)
        assert ".cuda()" not in outcome.text, target
        assert [f.code for f in outcome.remaining] == ["PRT408"], target
