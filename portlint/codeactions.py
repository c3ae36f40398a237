"""The edits behind the language server's code actions, independent of the protocol.

* ``quick_fix``: the finding's fix alone, as ``portlint fix`` applies it (its replacement,
  plus the imports and ``DEVICE = ...`` definition it needs): ``fixedits.single_fix``;
* ``fix_all``: every safe fix of the file, exactly ``portlint fix``: ``fixedits.fix_all``;
* ``add_noqa``: a ``# noqa: CODE`` comment on the finding's line (its first line, or its
  last when the first ends inside a string), or the code added to the line's ``# noqa:``.
"""

from __future__ import annotations

import io
import re
import tokenize

from portlint.findings import Finding
from portlint.fixedits import Positions, TextEdit, fix_all, single_fix
from portlint.noqa import noqa_codes

__all__ = ["add_noqa", "fix_all", "quick_fix"]

quick_fix = single_fix
_NOQA_CODES = re.compile(r"#\s*noqa:\s?[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*", re.IGNORECASE)


def add_noqa(text: str, finding: Finding) -> TextEdit | None:
    """The edit that suppresses ``finding`` with a ``# noqa`` comment, or None when no line
    of it can take a comment (or one already suppresses it)."""
    from portlint.kinds import kind_of_text

    kind = kind_of_text(finding.path, text)
    if kind in ("json", "cuda", "notebook"):
        return None  # JSON has no comments; a `# noqa` would break it (or a kernel's C++)
    positions = Positions(text)
    closed = _lines_inside_strings(text) if kind == "python" else set()
    for number in dict.fromkeys((finding.line, finding.end_line)):
        if not 0 < number <= len(positions.starts) or number in closed:
            continue
        start = positions.starts[number - 1]
        end = positions.starts[number] if number < len(positions.starts) else len(text)
        line = text[start:end].rstrip("\r\n")
        codes = noqa_codes(line)
        if codes is not None:
            match = _NOQA_CODES.search(line)
            if match is None:  # a bare `# noqa` already suppresses everything
                return None
            return TextEdit(start + match.end(), start + match.end(), f", {finding.code}")
        content = line.rstrip()
        if content.endswith("\\"):  # an explicit line continuation
            continue
        return TextEdit(start + len(content), start + len(line), f"  # noqa: {finding.code}")
    return None


def _lines_inside_strings(text: str) -> set[int]:
    """Lines whose end is inside a string (a comment cannot go there), or all lines when
    the text does not tokenize."""
    inside: set[int] = set()
    open_fstrings: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            kind = tokenize.tok_name[token.type]
            if kind == "FSTRING_START":
                open_fstrings.append(token.start[0])
            elif kind == "FSTRING_END" and open_fstrings:
                inside.update(range(open_fstrings.pop(), token.end[0]))
            elif token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set(range(1, text.count("\n") + 2))
    return inside
