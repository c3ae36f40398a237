"""The edits behind the language server's code actions, independent of the protocol.

* ``quick_fix``: the finding's fix alone, as ``portlint fix`` applies it (its replacement,
  plus the imports and ``DEVICE = ...`` definition it needs): ``fixedits.single_fix``;
* ``fix_all``: every safe fix of the file, exactly ``portlint fix``: ``fixedits.fix_all``;
* ``add_noqa``: the ``# noqa: CODE`` comment ``portlint check --add-noqa`` would add for the
  finding (``noqa.noqa_edits``: its first line, or its last when the first ends inside a
  string; the code joins a ``# noqa:`` already there; none in JSON, notebooks, CUDA C++).
"""

from __future__ import annotations

from portlint.findings import Finding
from portlint.fixedits import TextEdit, fix_all, single_fix
from portlint.noqa import noqa_edits

__all__ = ["add_noqa", "fix_all", "quick_fix"]

quick_fix = single_fix


def add_noqa(text: str, finding: Finding) -> TextEdit | None:
    """The edit that suppresses ``finding`` with a ``# noqa`` comment, or None when no line
    of it can take a comment (or one already suppresses it)."""
    from portlint.kinds import kind_of_text

    edits, _ = noqa_edits(text, [finding], kind_of_text(finding.path, text))
    return TextEdit(*edits[0]) if edits else None
