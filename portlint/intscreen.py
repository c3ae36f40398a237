"""Integer devices, screened from the text: can any call pass a value that may be an int?

The integer-device matchers (``.to(i)`` with ``int_arg``, ``device=i``, ``torch.device(i)``)
need the prefilter to keep nearly every PyTorch file (``.to(``, ``device``), because the int
may arrive through names (``gpu = 0`` ... ``x.to(gpu)``). Parsing those files only to find
that no value passed there can be an int is most of the cost of checking a large project.
This module answers from the text, without parsing: ``False`` only when no such value can
be an int; ``True`` when one may be, or when the text is beyond what it reads (then the
engine parses the file and asks ``portlint/valueflow.py``'s ``int_value_possible``).

How, on the text with comments removed and string literals blanked:

1. Candidates: the first argument after ``name(`` for each called name (``.to(``), the
   value after ``keyword=`` for each keyword (``device=``). A value that starts an int
   (a digit or ``int(``, after unary signs and brackets) may be one: ``True``.
2. A value that is a name or an attribute (``gpu``, ``self.gpu_id``, ``f(x).device``) ends
   with an identifier followed by ``,``, ``;``, ``:``, a closing bracket or the end of the
   value: those identifiers (its *tails*, a superset) are followed to their definitions.
3. Definitions of an identifier N, wherever the token N occurs (also as ``.N``): ``N =``
   (an assignment, a keyword, a default), ``N: annotation =``, ``N: int`` (an int
   annotation: ``True``), and N inside an assignment target list (``a, N = ...``: the
   token is followed by ``,``, ``)`` or ``]`` and an assignment ``=`` follows before the
   statement ends). Each definition's value is read as in 1 and 2; every element of a
   tuple or list display counts.

Sound for what ``ValueFlow.is_int`` follows: every value it takes is a definition of one of
these forms of the identifier it follows (an assignment's or walrus's value, a parameter's
default or annotation, a keyword's value, a class attribute), and a name or an attribute
ends with its identifier. Beyond the reader (``True``): non-ASCII text (identifiers are
NFKC-normalized), ``:=``, an f-string with ``=`` or a call to one of the names inside, an
unmatched quote, and very long values. An ``add_argument`` option (``args.gpu_id`` after
``parser.add_argument("--gpu-id", type=int)``) is named by a string: a name any string
literal of the file spells that way may be an int.
"""

from __future__ import annotations

import bisect
import keyword
import re
import sys

# Comments and string literals (a literal's prefix letters stay in place: the blanked literal
# keeps them). Runs are matched possessively where the engine can (Python >= 3.11): an
# unterminated literal then fails in linear time. Every alternative starts with a literal
# character and no group encloses them: the engine then skips to the next `#`, `"` or `'` in
# C (with a look-ahead or a group first, it tries the whole pattern at every position).
_RUN = "++" if sys.version_info >= (3, 11) else ""
_LITERALS = re.compile(
    r"\#[^\r\n]*"
    + r'|"""(?:[^"\\]%s|\\.|"(?!""))*"""' % _RUN
    + r"|'''(?:[^'\\]%s|\\.|'(?!''))*'''" % _RUN
    + r'|"(?:[^"\\\r\n]%s|\\.)*"' % _RUN
    + r"|'(?:[^'\\\r\n]%s|\\.)*'" % _RUN,
    re.S)
_GAP = r"(?:[ \t\f\r\n]|\\\r?\n)*"
_OPENING = re.compile(r"[(\[{]")
_CLOSING = re.compile(r"[)\]}]")
_NEXT = re.compile(_GAP + r"(.)")  # the next character after blanks
_CALL = re.compile(_GAP + r"\(")
_INT_ANNOTATION = re.compile(_GAP + r"int(?!\w)")
# What the value reader looks at: a line continuation, an identifier, a number, a bracket,
# a separator, a line end, an operator ending in `=` (`==`, `+=`...: never read as `=`), `=`,
# `:`, blanks; anything else is one character.
_TOKENS = re.compile(r"\\\r?\n|[A-Za-z_]\w*|\d\w*|[()\[\]{},;\n]|[=!<>:+\-*/%&|^@]=|=|:|[ \t\f\r]+|.")
_OPEN, _CLOSE = "([{", ")]}"
_KEYWORDS = frozenset(keyword.kwlist)
_MAX_TOKENS = 400  # one value read at most this far (else: beyond the reader)
_MAX_NAMES = 64  # identifiers followed at most (else: beyond the reader)


def int_value_in_text(text: str, calls: frozenset[str], keywords: frozenset[str]) -> bool:
    """False only when no call to one of ``calls`` passes a first argument, and no keyword
    of ``keywords`` a value, that ``ValueFlow.is_int`` might prove an int (see the module)."""
    options: set[str] | None = set() if "add_argument" in text else None
    code = _blank_literals(text, calls, options)
    if code is None or ":=" in code or not code.isascii():
        return True
    reader = _Reader(code, frozenset(options or ()))
    found: list[str] = []
    for name in sorted(calls):
        for match in re.finditer(re.escape(name) + r"(?:[ \t\f\r\n)]|\\\r?\n)*\(", code):
            if _starts_word(code, match.start()) and reader.value(match.end(), found):
                return True
    for name in sorted(keywords):
        for match in re.finditer(re.escape(name) + _GAP + r"=(?!=)", code):
            if _starts_word(code, match.start()) and reader.value(match.end(), found):
                return True
    names = list(dict.fromkeys(found))
    seen = set(names)
    for name in names:  # (grows while it is read)
        if len(names) > _MAX_NAMES:
            return True
        found = []
        if reader.defines_int(name, found):
            return True
        for new in found:
            if new not in seen:
                seen.add(new)
                names.append(new)
    return False


def _starts_word(code: str, start: int) -> bool:
    """No identifier character just before ``start`` (checked here, not by a look-behind
    that would keep the regex engine from its fast scan for the literal)."""
    return start == 0 or not (code[start - 1].isalnum() or code[start - 1] == "_")


def _blank_literals(text: str, calls: frozenset[str], options: set[str] | None = None) -> str | None:
    """The text without comments, each string literal as ``""``; None when an f-string's
    fields may hold code that matters (a definition or a keyword: ``=``; a call to one of
    ``calls``), or when a quote is left over. ``options``: filled with what each literal
    names as an ``add_argument`` option would (``"--gpu-id"``: ``gpu_id``)."""
    beyond = False
    names = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in sorted(calls))
                       + r")(?:[ \t\f\r\n)]|\\\r?\n)*\(") if calls else None

    def blank(match: re.Match[str]) -> str:
        nonlocal beyond
        body = match.group()
        if body[0] == "#":
            return ""  # a comment
        if options is not None:
            options.add(body.strip("\"'").lstrip("-").replace("-", "_"))
        start = match.start()
        if "{" in body and "f" in text[max(start - 2, 0):start].lower():  # an f-string (or `if"..."`)
            # (Each field is a part of the body from `{` to `}`: a body without `=` and without
            # a call to one of the names has no field with one either.)
            if "=" in body or (names is not None and names.search(body)):
                fields = "".join(_fields(body))
                if "=" in fields or (names is not None and names.search(fields)):
                    beyond = True
        return '""'

    code = _LITERALS.sub(blank, text)
    if beyond or "'" in code or '"' in code.replace('""', ""):
        return None
    return code


def _fields(body: str) -> list[str]:
    """The replacement fields of an f-string's text (``{...}``, format specs included)."""
    fields, depth, start, index = [], 0, 0, 0
    while index < len(body):
        char = body[index]
        if char == "{":
            if depth == 0 and body.startswith("{{", index):
                index += 2
                continue
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                fields.append(body[start:index + 1])
        index += 1
    if depth:
        fields.append(body[start:])
    return fields


class _Reader:
    """Reads values and definitions in code without comments and strings."""

    def __init__(self, code: str, options: frozenset[str] = frozenset()) -> None:
        self.code = code
        self.options = options  # names the file's argparse options may have (their dest)
        self._depths: tuple[list[int], list[int]] | None = None

    def depth(self, position: int) -> int:
        """How many brackets are open at ``position``."""
        if self._depths is None:
            code = self.code
            self._depths = ([m.end() for m in _OPENING.finditer(code)], [m.end() for m in _CLOSING.finditer(code)])
        opening, closing = self._depths
        return bisect.bisect_right(opening, position) - bisect.bisect_right(closing, position)

    def value(self, start: int, tails: list[str]) -> bool:
        """Read the value starting at ``start`` (after ``=`` or ``(``): True when it may be an
        int (or is beyond the reader); its tail identifiers are added to ``tails``."""
        statement = self.depth(start) == 0  # else: a keyword, a default or an argument
        level = 0
        displays: list[bool] = []  # per open bracket: a tuple/list display (its items are values)
        at_start = True  # where an element (an int literal, `int(...)`) may begin
        pending: str | None = None  # the last identifier, a tail if a terminator follows
        previous = ""  # the last significant token
        count = 0
        for match in _TOKENS.finditer(self.code, start):
            token = match.group()
            count += 1
            if count > _MAX_TOKENS:
                return True
            first = token[0]
            if first in " \t\f\r" or token.startswith("\\"):
                continue
            if first == "\n":
                if level == 0 and statement:
                    break
                continue
            ends = level == 0 and (token in ",;:" or first in _CLOSE)
            if pending is not None and (token in ",;:" or first in _CLOSE):
                tails.append(pending)
            pending = None
            if ends and not (token == "," and statement):
                return False
            if first.isalpha() or first == "_":
                if at_start and token == "int" and self._calls(match.end()):
                    return True
                if token not in _KEYWORDS:
                    pending = token
                at_start = False
            elif first.isdigit():
                if at_start:
                    return True
                at_start = False
            elif first in _OPEN:
                call = previous.isidentifier() and previous not in _KEYWORDS or previous in (")", "]")
                displays.append(not call and first != "{")
                level += 1
                at_start = displays[-1]
            elif first in _CLOSE:
                if displays:
                    displays.pop()
                level -= 1
                at_start = False
            elif token == ",":
                at_start = level == 0 or displays[-1]
            elif token == "=":
                at_start = level == 0  # `a = b = 0`: what follows is the value
            elif token in "-+" and at_start:
                pass  # a unary sign: still the start
            else:
                at_start = False
            previous = token
        else:
            if pending is not None:
                tails.append(pending)
            return False
        if pending is not None:
            tails.append(pending)
        return False

    def _calls(self, end: int) -> bool:
        return _CALL.match(self.code, end) is not None

    def defines_int(self, name: str, tails: list[str]) -> bool:
        """True when a definition of ``name`` may give it an int (or is beyond the reader);
        the tails of its other values are added to ``tails``."""
        if name in self.options:
            return True  # `args.name`: the option's default or type=int
        code = self.code
        for match in re.finditer(re.escape(name) + r"(?!\w)", code):
            if not _starts_word(code, match.start()):
                continue
            after = _NEXT.match(code, match.end())
            if after is None:
                continue
            mark = after.group(1)
            at = after.end()
            if mark == "=" and not code.startswith("=", at):
                if self.value(at, tails):
                    return True
            elif mark == ":":
                if _INT_ANNOTATION.match(code, at):
                    return True
                end = self._annotated_value(at)
                if end is None:
                    return True
                if end and self.value(end, tails):
                    return True
            elif mark in ",)]":
                end = self._target_list_value(at - 1)
                if end is None:
                    return True
                if end and self.value(end, tails):
                    return True
        return False

    def _annotated_value(self, start: int) -> int | None:
        """After ``name:``: where the value after ``= `` starts when an annotated name or
        parameter has one (0: none), None when beyond the reader."""
        level = 0
        statement = self.depth(start) == 0
        for count, match in enumerate(_TOKENS.finditer(self.code, start)):
            if count > _MAX_TOKENS:
                return None
            token = match.group()
            if token == "=" and level == 0:
                return match.end()
            if token in _OPEN:
                level += 1
            elif token in _CLOSE:
                level -= 1
                if level < 0:
                    return 0
            elif level == 0 and (token in ",;:" or (token == "\n" and statement)):
                return 0
        return 0

    def _target_list_value(self, start: int) -> int | None:
        """At ``,``, ``)`` or ``]`` after a name: where the value starts when the name is in an
        assignment's targets (an assignment ``=`` outside brackets follows before the statement
        ends; 0: not a target), None when beyond the reader."""
        level = self.depth(start)
        for count, match in enumerate(_TOKENS.finditer(self.code, start)):
            if count > _MAX_TOKENS:
                return None
            token = match.group()
            if token in _OPEN:
                level += 1
            elif token in _CLOSE:
                level -= 1
            elif level <= 0 and (token in ";:" or token == "\n"):
                return 0
            elif token == "=" and level <= 0:
                return match.end()
        return 0
