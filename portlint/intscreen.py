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
   value after ``keyword=`` for each keyword (``device=``). A value is read element by
   element: the whole value, and the items of a tuple or list display (nested in displays
   only: not the arguments of a call, a subscript's index, a dict or a set). An element
   that is an int literal or ``int(...)`` (after unary signs and brackets), and ends there
   (``,``, ``;``, ``:``, ``=``, a closing bracket or the end of the value follows), may be
   an int: ``True``. (``1e-2``, ``2 * n``, ``int(x) + 1`` are not int expressions; an
   element starting with ``(int)(`` is beyond the reader.)
2. An element that is a name or an attribute (``gpu``, ``self.gpu_id``, ``f(x).device``)
   ends with an identifier followed by such an end, with no operator or keyword but
   ``None``, ``True``, ``False`` outside brackets in it (``a * n``, ``not n``, ``a if b else
   n`` are not names): those identifiers (its *tails*, a superset) are followed to their
   definitions.
3. Definitions of an identifier N, wherever the token N occurs (also as ``.N``): ``N =``
   (an assignment, a keyword, a default) unless N ends an annotation (a dotted name just
   after the ``:`` of a parameter, or of a statement that starts with a name other than a
   keyword: ``dim: int = -1``); ``N := value``; ``N: annotation = value``; ``N: int`` in
   brackets (a parameter annotated ``int``: ``True``); and N inside an assignment's target
   list (``a, N = ...``: the token is followed by ``,``, ``)`` or ``]``, every bracket around
   it is a tuple or list display, not a call's or a subscript's, and an assignment ``=``
   follows before the statement ends). Each definition's value is read as in 1 and 2.
4. ``add_argument(...)`` options (``args.gpu_id`` after ``parser.add_argument("--gpu-id",
   type=int)``): each string literal inside the call's brackets (adjacent literals joined,
   escapes decoded) names a possible ``dest`` (itself, or without ``--`` and with ``_`` for
   ``-``); a dest is defined by the call's ``default=`` value and is an int when its
   ``type=`` value has the tail ``int``.

Sound for what ``int_value_possible`` (and so ``ValueFlow.is_int``) follows: every value it
takes is a definition of one of these forms of the identifier it follows (an assignment's
or walrus's value, a parameter's default or annotation, a keyword's value, a class
attribute, an option's default or type); the value it reads is the whole value or, for a
tuple target, an item of a tuple or list display; an int expression is an int literal or
``int(...)`` under unary signs and brackets, so one followed by anything but an end is part
of a larger expression; a name or an attribute ends with its identifier and has no
operator outside brackets. An identifier just after a parameter's ``:``, or after the ``:``
of a statement starting with a name (an annotated assignment: a block's ``:`` follows a
keyword), is in an annotation; a name in a call's or a subscript's brackets, a dict or a
set is never a target it records; ``N: int`` outside brackets has no value. Code inside an
f-string's fields is not read: a field that may hold a candidate (a call to one of the
names, a keyword of ``keywords``, ``add_argument``, non-ASCII text), or that a quote of the
literal's own kind leaves open (Python 3.12 allows one inside a field: the blanked literal
ends there), is beyond the reader; an identifier a field may define (``name=``, ``name
:=``, also across a comment) may be an int. Beyond the reader (``True``): non-ASCII text
(identifiers are NFKC-normalized), an unmatched quote, and very long values or too many
names. (For a file that does not parse, the answer is arbitrary.)
"""

from __future__ import annotations

import ast
import bisect
import keyword
import re
import sys
import warnings

# Comments and string literals (a literal's prefix letters stay in place: the blanked literal
# keeps them). Runs are matched possessively where the engine can (Python >= 3.11): an
# unterminated literal then fails in linear time. Every alternative starts with a literal
# character: the engine then skips to the next `#`, `"` or `'` in C (the one group, around
# them all, is looked through; a look-ahead first, or a group around a single alternative,
# would make it try the whole pattern at every position). The group makes ``split`` keep them.
# The last alternative never matches (`(?!)`): its first character (DEL, absent from code) makes
# four first characters in three runs, which the engine tests with one bitmap look-up instead
# of a range and a literal (-25% for the scan, measured on the benchmark corpus).
_RUN = "++" if sys.version_info >= (3, 11) else ""
_LITERALS = re.compile(
    r"(\#[^\r\n]*"
    + r'|"""(?:[^"\\]%s|\\.|"(?!""))*"""' % _RUN
    + r"|'''(?:[^'\\]%s|\\.|'(?!''))*'''" % _RUN
    + r'|"(?:[^"\\\r\n]%s|\\.)*"' % _RUN
    + r"|'(?:[^'\\\r\n]%s|\\.)*'" % _RUN
    + "|\x7f(?!))",  # (see above)
    re.S)
_GAP = r"(?:[ \t\f\r\n]|\\\r?\n)*"
_BRACKETS = re.compile(r"[()\[\]{}]")
_NEXT = re.compile(_GAP + r"(.)")  # the next character after blanks
_CALL = re.compile(r"(?:[ \t\f\r\n)]|\\\r?\n)*\(")  # (`(int)(x)` calls `int` too)
_INT_ANNOTATION = re.compile(_GAP + r"int(?!\w)")
# A number as Python's tokenizer reads it (`1e-2` and `1.5j` are one token, `1if` two).
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER = (rf"(?:{_DIGITS}\.(?:{_DIGITS})?|\.{_DIGITS})(?:[eE][-+]?{_DIGITS})?[jJ]?"
           rf"|{_DIGITS}[eE][-+]?{_DIGITS}[jJ]?|{_DIGITS}[jJ]|0[xXbBoO](?:_?[0-9a-fA-F])+|{_DIGITS}")
# What the value reader looks at: a line continuation, an identifier, a number, a bracket,
# a separator, a line end, an operator ending in `=` (`==`, `+=`, `:=`...: never read as
# `=`), `=`, `:`, blanks; anything else is one character.
_TOKENS = re.compile(r"\\\r?\n|[A-Za-z_]\w*|" + _NUMBER
                     + r"|[()\[\]{},;\n]|[=!<>:+\-*/%&|^@]=|=|:|[ \t\f\r]+|.")
# The tokens of those that matter to the end of a statement: brackets, `;`, `:`, line ends
# (not continued), `=` (operators ending in `=` are matched whole, so never read as `=`).
_STATEMENT_MARKS = re.compile(r"\\\r?\n|[=!<>:+\-*/%&|^@]=|[()\[\]{};:\n=]")
_OPEN, _CLOSE = "([{", ")]}"
_ENDS = frozenset({",", ";", ":"})  # (with a closing bracket) what ends an element
_KEYWORDS = frozenset(keyword.kwlist)
_PREFIXES = frozenset({"r", "u", "b", "f", "br", "rb", "fr", "rf"})  # of a string literal
_CONSTANTS = frozenset({"None", "True", "False"})  # keywords that may start a name's element (`None.x`)
_COMPOUND = _KEYWORDS | {"case", "match"}  # a statement starting so may have a block after `:`
_MAX_TOKENS = 400  # one value read at most this far (else: beyond the reader)
_MAX_NAMES = 64  # identifiers followed at most (else: beyond the reader)
_BLOCK = 1024  # see _Reader.depth
# In an f-string's fields: an identifier a keyword argument, a lambda default or `:=` defines.
_FIELD_DEFINITION = re.compile(r"([A-Za-z_]\w*)(?:[ \t\f\r\n]|\#[^\r\n]*)*:?=(?!=)")
_ADD_ARGUMENT = re.compile(r"add_argument(?:[ \t\f\r\n)]|\\\r?\n)*\(")
_ADJACENT = re.compile(r"(?:[ \t\f\r\n]|\\\r?\n)*[A-Za-z]{0,3}\Z")  # between two adjacent literals


def int_value_in_text(text: str, calls: frozenset[str], keywords: frozenset[str]) -> bool:
    """False only when no call to one of ``calls`` passes a first argument, and no keyword
    of ``keywords`` a value, that ``ValueFlow.is_int`` might prove an int (see the module)."""
    literals: list[tuple[int, str]] | None = [] if "add_argument" in text else None
    opaque: set[str] = set()
    code = _blank_literals(text, calls, keywords, opaque, literals)
    if code is None or not code.isascii():
        return True
    reader = _Reader(code, opaque, literals)
    found: list[str] = []
    for name in sorted(calls):
        for match in re.finditer(re.escape(name) + r"(?:[ \t\f\r\n)]|\\\r?\n)*\(", code):
            if _starts_word(code, match.start()) and reader.value(match.end(), found, False):
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


def _blank_literals(text: str, calls: frozenset[str], keywords: frozenset[str] = frozenset(),
                    opaque: set[str] | None = None, literals: list[tuple[int, str]] | None = None) -> str | None:
    """The text without comments, each string literal as ``""``; None when an f-string's
    fields may hold a candidate (a call to one of ``calls``, a keyword of ``keywords``,
    ``add_argument``, non-ASCII text), or when a quote is left over. ``opaque``: filled with
    the identifiers the fields may define (``name=``, ``name :=``). ``literals``: filled with
    each literal's position in the result and its text (quotes included)."""
    # (A field may hold a comment from Python 3.12 on: `x.to  # ...` then `(0)` on the next line.)
    names = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in sorted(calls))
                       + r")(?:[ \t\f\r\n)]|\\\r?\n|\#[^\r\n]*)*\(") if calls else None

    def hides_candidate(body: str) -> bool:
        """Whether the fields of an f-string may hold a candidate (then: beyond)."""
        if body.rfind("{") > body.rfind("}"):
            fields = _fields(body)
            if fields and not fields[-1].endswith("}"):
                return True  # a field left open: a quote inside it (Python 3.12) ended the literal
        # (Each field is a part of the body from `{` to `}`: a body without `=`, ASCII and
        # without a call to one of the names has no field with one either.)
        if "=" in body or not body.isascii() or (names is not None and names.search(body)):
            fields = "".join(_fields(body))
            if not _code_of(fields).isascii() or (names is not None and names.search(fields)):
                return True
            if "=" in fields:
                if "add_argument" in fields:
                    return True
                for defined in _FIELD_DEFINITION.finditer(fields):
                    name = defined.group(1)
                    if name in keywords or opaque is None:
                        return True
                    opaque.add(name)
        return False

    # Code and literals alternate: code, literal, code, ..., code. (One split and one join:
    # a function called per literal, as `sub` would, costs more than finding them.)
    pieces = _LITERALS.split(text)
    bodies = pieces[1::2]
    blanks = ["" if body[0] == "#" else '""' for body in bodies]
    beyond = False
    for number in [number for number, body in enumerate(bodies) if "{" in body and body[0] != "#"]:
        before = _before(pieces, 2 * number + 1)
        if _fstring_prefix(before, len(before)) and hides_candidate(bodies[number]):
            beyond = True
    if literals is not None:
        position = 0  # in the result
        for number, blanked in enumerate(blanks):
            position += len(pieces[2 * number])
            if blanked:
                literals.append((position, bodies[number]))
                position += 2
    if beyond:
        return None
    outside = "".join(pieces[0::2])
    if "'" in outside or '"' in outside:
        return None  # a quote left over (an unterminated literal)
    pieces[1::2] = blanks
    return "".join(pieces)


def _before(pieces: list[str], index: int) -> str:
    """The last characters of the text before ``pieces[index]`` (enough for ``_prefix``)."""
    context = pieces[index - 1]
    index -= 2
    while len(context) < 4 and index >= 0:
        context = pieces[index] + context
        index -= 1
    return context


def _prefix(text: str, start: int) -> str:
    """The prefix of the string literal whose quote is at ``start``, lower-cased: the letters
    just before the quote when they are a whole word and a valid prefix (``if"x"``: none)."""
    index = start
    while index and start - index < 3 and text[index - 1].isalpha():
        index -= 1
    prefix = text[index:start].lower()
    if prefix not in _PREFIXES or (index and (text[index - 1].isalnum() or text[index - 1] == "_")):
        return ""
    return prefix


def _fstring_prefix(text: str, start: int) -> bool:
    """Whether the string literal whose quote is at ``start`` is an f-string (``if"{"`` and
    ``f "{"`` are not)."""
    return "f" in _prefix(text, start)


def _fields(body: str) -> list[str]:
    """The replacement fields of an f-string's text, quotes included (``{...}``, format
    specs included; a field left open, up to the closing quote)."""
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


def _code_of(fields: str) -> str:
    """Fields without the string literals in them that are not f-strings (``"┴".join``)."""
    if fields.isascii():
        return fields
    return _LITERALS.sub(lambda m: m.group() if "{" in m.group() and _fstring_prefix(fields, m.start()) else '""',
                         fields)


def _string_value(prefix: str, body: str) -> str:
    """What a string literal's text means (escapes decoded unless raw; the text itself when
    it cannot be decoded)."""
    if "\\" not in body or "r" in prefix.lower():
        return body[3:-3] if body[:3] in ('"""', "'''") else body[1:-1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(body)
    except (SyntaxError, ValueError):
        return body
    return value if isinstance(value, str) else body


def _is_int_literal(token: str) -> bool:
    return token[:2] in ("0x", "0X", "0o", "0O", "0b", "0B") or token.replace("_", "").isdigit()


class _Reader:
    """Reads values and definitions in code without comments and strings."""

    def __init__(self, code: str, opaque: set[str] | frozenset[str] = frozenset(),
                 literals: list[tuple[int, str]] | None = None) -> None:
        self.code = code
        self.opaque = opaque  # identifiers an f-string's fields may define
        self._literals = literals
        self._options: dict[str, list[int]] | None = None  # possible dest -> its add_argument's `(`
        self._blocks: list[int] | None = None  # the depth at the start of each _BLOCK of the code
        self._brackets: tuple[list[int], str] | None = None

    def depth(self, position: int) -> int:
        """How many brackets are open at ``position`` (from the depth at the start of its
        block of the code and C-level counts within the block: cheaper than a list of every
        bracket, which only the rare look-ups of matching brackets need)."""
        blocks = self._blocks
        code = self.code
        count = code.count
        if blocks is None:
            blocks = [0]
            size = _BLOCK
            for start in range(0, len(code), size):
                end = start + size
                blocks.append(blocks[-1] + count("(", start, end) + count("[", start, end) + count("{", start, end)
                              - count(")", start, end) - count("]", start, end) - count("}", start, end))
            self._blocks = blocks
        start = position - position % _BLOCK
        return (blocks[position // _BLOCK] + count("(", start, position) + count("[", start, position)
                + count("{", start, position) - count(")", start, position) - count("]", start, position)
                - count("}", start, position))

    def value(self, start: int, tails: list[str], statement: bool | None = None) -> bool:
        """Read the value starting at ``start`` (after ``=`` or ``(``): True when it may be an
        int (or is beyond the reader); its tail identifiers are added to ``tails``.
        ``statement``: whether it is a statement's (outside brackets), when known."""
        if statement is None:
            statement = self.depth(start) == 0  # else: a keyword, a default or an argument
        level = 0
        elements = [True]  # per open bracket: holds elements (a tuple/list display in one)
        plain = [True]  # per open bracket: its element so far may be a name or an attribute
        at_start = True  # where an element (an int literal, `int(...)`) may begin
        whole = False  # the element so far is an int expression (if it ends here)
        int_level = -1  # the level of an `int(` at an element's start, until its `)`
        pending: str | None = None  # the last identifier, a tail if an end follows
        previous = ""  # the last significant token
        lambdas = 0  # `lambda`s outside brackets whose `:` is still to come (not an end)
        count = 0
        for match in _TOKENS.finditer(self.code, start):
            token = match.group()
            count += 1
            if count > _MAX_TOKENS:
                return True
            first = token[0]
            if first in " \t\f\r" or first == "\\":
                continue
            if first == "\n":
                if level == 0 and statement:
                    break
                continue
            ends = token in _ENDS or first in _CLOSE
            if token == ":" and level == 0 and lambdas:
                lambdas -= 1  # (`x, n = lambda: a, 0`: a lambda's body, then more items)
                ends = False
            if whole:
                if ends or token == "=":
                    return True
                whole = False
            if pending is not None and ends and elements[-1] and plain[-1]:
                tails.append(pending)
            pending = None
            if level == 0 and ends and not (token == "," and statement):
                return False
            if first.isalpha() or first == "_":
                int_call = _CALL.match(self.code, match.end()) if at_start and token == "int" else None
                if int_call is not None:
                    if ")" in int_call.group():
                        return True  # (`(int)(x)`: not read further)
                    int_level = level
                elif token not in _KEYWORDS:
                    pending = token
                elif token not in _CONSTANTS:
                    plain[-1] = False  # `not x`, `a if b else c`, `lambda: x`...
                    if token == "lambda" and level == 0:
                        lambdas += 1
                at_start = False
            elif first.isdigit() or (first == "." and len(token) > 1):
                whole = at_start and _is_int_literal(token)
                at_start = False
            elif first in _OPEN:
                call = previous.isidentifier() and previous not in _KEYWORDS or previous in (")", "]")
                elements.append(elements[-1] and not call and first != "{")
                plain.append(True)
                level += 1
                at_start = elements[-1]
            elif first in _CLOSE:
                elements.pop()
                plain.pop()
                level -= 1
                if level == int_level:
                    whole, int_level = True, -1
                at_start = False
            elif token == ",":
                at_start = elements[-1]
                plain[-1] = True
            elif token == "=":
                at_start = level == 0  # `a = b = 0`: what follows is the value
                plain[-1] = True
            elif token == "." or token == '"':
                at_start = False  # (`"".x`: an attribute)
            else:  # an operator: the element is not a name or an attribute
                plain[-1] = False
                if token not in "-+" or not at_start:  # (a unary sign: still the start)
                    at_start = False
            previous = token
        if whole or int_level >= 0:
            return True
        if pending is not None and (level > 0 or plain[0]):
            tails.append(pending)
        return False

    def defines_int(self, name: str, tails: list[str]) -> bool:
        """True when a definition of ``name`` may give it an int (or is beyond the reader);
        the tails of its other values are added to ``tails``."""
        if name in self.opaque:
            return True  # defined in an f-string's field
        if self._literals is not None and self._option_int(name, tails):
            return True
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
                if not self._ends_annotation(match.start()) and self.value(at, tails):
                    return True
            elif mark == ":":
                if code.startswith("=", at):  # `name := value`
                    if self.value(at + 1, tails):
                        return True
                    continue
                if _INT_ANNOTATION.match(code, at) and self.depth(at) > 0:
                    return True  # a parameter annotated `int`
                end = self._annotated_value(at)
                if end is None:
                    return True
                if end and self.value(end, tails):
                    return True
            elif mark in ",)]":
                end = self._target_list_value(at - 1)
                # (in a call's arguments, a subscript or a dict: not a target)
                if end != 0 and self._in_displays(match.start()) and (end is None or self.value(end, tails)):
                    return True
        return False

    # ------------------------------------------------------------------ where a name is

    def _ends_annotation(self, start: int) -> bool:
        """Whether the dotted name ending with the identifier at ``start`` (followed by
        ``=``) is an annotation: just after a parameter's ``:`` (in brackets), or after the
        ``:`` of a statement that starts with an identifier other than a keyword (an
        annotated assignment; ``if x: name = 0`` assigns ``name``)."""
        code = self.code
        position = start
        inside = self.depth(start) > 0  # (outside brackets, a line end ends the statement)
        while True:
            position = _skip_blanks_back(code, position, inside)
            if position == 0 or code[position - 1] != ".":
                break
            position = _skip_blanks_back(code, position - 1, inside)
            word = position
            while position and (code[position - 1].isalnum() or code[position - 1] == "_"):
                position -= 1
            if position == word:
                return False  # (`f(x).name =`: not a dotted name)
        if position == 0 or code[position - 1] != ":":
            return False
        colon = position - 1
        if self.depth(colon) > 0:
            return True
        begin = self._statement_start(colon)
        word = re.match(r"[ \t\f]*([A-Za-z_]\w*)", code[begin:colon])
        return word is not None and word.group(1) not in _COMPOUND

    def _statement_start(self, position: int) -> int:
        """Where the statement holding ``position`` (outside brackets) starts: after the last
        line end outside brackets and not continued, or ``;``."""
        code = self.code
        end = position
        while True:
            line = code.rfind("\n", 0, end)
            semicolon = code.rfind(";", max(line, 0), position)
            while semicolon > line and self.depth(semicolon) > 0:
                semicolon = code.rfind(";", max(line, 0), semicolon)
            if semicolon > line:
                return semicolon + 1
            if line < 0:
                return 0
            continued = code[max(line - 2, 0):line].endswith("\\") or code[max(line - 2, 0):line] == "\\\r"
            if not continued and self.depth(line) == 0:
                return line + 1
            end = line

    def _in_displays(self, position: int) -> bool:
        """Whether every bracket around ``position`` is a tuple or list display (not a
        call's or a subscript's, not a dict's or a set's): a name there may be a target."""
        positions, kinds = self._bracket_list()
        index = bisect.bisect_left(positions, position) - 1
        unmatched = 0
        code = self.code
        enclosing = self.depth(position)
        while index >= 0 and enclosing > 0:
            kind = kinds[index]
            if kind in _CLOSE:
                unmatched += 1
            elif unmatched:
                unmatched -= 1
            else:  # an enclosing bracket
                enclosing -= 1
                if kind == "{":
                    return False
                before = _skip_blanks_back(code, positions[index], enclosing > 0)
                if before and code[before - 1] in ")]":
                    return False
                word = before
                while word and (code[word - 1].isalnum() or code[word - 1] == "_"):
                    word -= 1
                if word < before and not code[word].isdigit() and code[word:before] not in _KEYWORDS:
                    return False  # a call or a subscript
            index -= 1
        return True

    def _annotated_value(self, start: int) -> int | None:
        """After ``name:``: where the value after ``= `` starts when an annotated name or
        parameter has one (0: none), None when beyond the reader."""
        level = 0
        statement = self.depth(start) == 0
        lambdas = 0  # (`x: lambda: int = 0`: the lambda's `:` does not end the annotation)
        for count, match in enumerate(_TOKENS.finditer(self.code, start)):
            if count > _MAX_TOKENS:
                return None
            token = match.group()
            if token == "=" and level == 0:
                return match.end()
            if level == 0 and (token == "lambda" or (token == ":" and lambdas)):
                lambdas += 1 if token == "lambda" else -1
            elif token in _OPEN:
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
        for count, match in enumerate(_STATEMENT_MARKS.finditer(self.code, start)):
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

    # ------------------------------------------------------------------ argparse options

    def _option_int(self, name: str, tails: list[str]) -> bool:
        """Whether ``name`` may be the dest of an ``add_argument`` call whose ``type=`` may be
        ``int`` or whose ``default=`` may be an int (its tails are added to ``tails``)."""
        if self._options is None:
            self._options = self._find_options()
        code = self.code
        for opening in self._options.get(name, ()):
            closing = self._closing(opening)
            for given in re.finditer(r"(?<![\w.])(default|type)" + _GAP + r"=(?!=)", code[opening:closing]):
                if given.group(1) == "default":
                    if self.value(opening + given.end(), tails, False):
                        return True
                else:
                    kinds: list[str] = []
                    if self.value(opening + given.end(), kinds, False) or "int" in kinds:
                        return True
        return False

    def _find_options(self) -> dict[str, list[int]]:
        """Possible dest -> the ``(`` of each ``add_argument(`` call whose brackets hold a
        string literal naming it."""
        code = self.code
        literals = self._literals or []
        where = [position for position, _ in literals]
        options: dict[str, list[int]] = {}
        for call in _ADD_ARGUMENT.finditer(code):
            if not _starts_word(code, call.start()):
                continue
            opening = call.end() - 1
            closing = self._closing(opening)
            index = bisect.bisect_left(where, opening)
            joined: list[str] = []
            last = -1
            while index < len(literals) and where[index] < closing:
                position, body = literals[index]
                value = _string_value(_prefix(code, position), body)
                if last >= 0 and _ADJACENT.fullmatch(code, last, position):
                    joined.append(value)  # `"--gpu" "-id"`: one literal
                else:
                    joined = [value]
                for each in {value, "".join(joined)}:
                    for dest in {each, each[2:].replace("-", "_") if each.startswith("--") else each}:
                        places = options.setdefault(dest, [])
                        if opening not in places:
                            places.append(opening)
                last = position + 2
                index += 1
        return options

    def _closing(self, opening: int) -> int:
        """The position of the bracket closing the one at ``opening`` (the end of the code
        when none does)."""
        positions, kinds = self._bracket_list()
        index = bisect.bisect_right(positions, opening)
        unmatched = 0
        while index < len(positions):
            if kinds[index] in _OPEN:
                unmatched += 1
            elif unmatched:
                unmatched -= 1
            else:
                return positions[index]
            index += 1
        return len(self.code)

    def _bracket_list(self) -> tuple[list[int], str]:
        """The position of every bracket, and the brackets."""
        if self._brackets is None:
            found = list(_BRACKETS.finditer(self.code))
            self._brackets = ([m.start() for m in found], "".join(m.group() for m in found))
        return self._brackets


def _skip_blanks_back(code: str, position: int, newlines: bool) -> int:
    """The position after the last non-blank character before ``position``: blanks, line
    continuations, and line ends when ``newlines`` (inside brackets) are skipped."""
    while position:
        char = code[position - 1]
        if char in " \t\f\r":
            position -= 1
        elif char == "\n":
            before = position - 1
            if before and code[before - 1] == "\r":
                before -= 1
            if before and code[before - 1] == "\\":
                position = before - 1
            elif newlines:
                position -= 1
            else:
                break
        else:
            break
    return position
