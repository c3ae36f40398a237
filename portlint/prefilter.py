"""The prefilter: decide from the raw text, before parsing, that no active rule can fire.

Most files of a real project never mention CUDA, so the cheapest way to check them is not
to parse them. For every active matcher this module derives a *requirement*: conditions
on the source text that must hold for the matcher to match anything. A file is parsed only
when at least one requirement holds. Requirements are derived automatically from the
loaded rulesets, so a rule added by a user ruleset extends the prefilter by itself.

A requirement is a conjunction of *clauses*; a clause is a set of needles, one of which
must occur (a disjunction). A needle is a substring, or a whole identifier token (not
preceded or followed by an identifier character). Some requirements add regular
expressions, tested last.

Why each derivation is sound (never rejects a file the analyzer would flag):

* symbol ``a.b.c`` / module ``a.b``: the analyzer resolves a name only through text that
  spells every component as an identifier (``import a.b as x`` then ``x.c``; ``from a.b
  import c``; ``y = a.b`` then ``y.c``; a star import then ``c``), so every component
  occurs as a whole token, and the first one (``a``) in an import statement: when that is a
  key, it is searched in the import statements only (``import_statements``).
* attribute ``name``: an ``ast.Attribute`` is written ``.`` then ``name``, with only
  whitespace, line continuations or comments between (inside brackets). When the matcher
  needs a call, ``(`` follows (after those, or after the ``)`` of ``(x.name)(...)``); when
  its ``first_arg`` must start with a digit, the first argument's leftmost token is a
  number, after optional ``(``.
* keyword ``name``: a keyword argument spells its name as a token, followed by ``=`` (only
  whitespace, line continuations or comments between); when the matcher is limited to some
  callees, one component of one of them occurs as a token too.
* literal, idiom and explicit ``needles``: the ruleset's own needles (one of them occurs).
  A literal's value must fully match its pattern, so the substrings the pattern requires
  occur too (cut at braces: the analyzer writes ``{}`` for f-string fields, ``%d`` and
  ``+ x``), and a literal prefix of the pattern follows the opening quote.

Identifiers are also compared after NFKC normalization, as Python reads them. The limit,
shared with every text prefilter: a string literal whose value is spelled with escapes
(``"\\x63uda"``, or a backslash-newline inside the string) or split into adjacent literals
(``"cu" "da"``) does not contain the needle as text, and such a file is not checked for
that literal. On the benchmark corpus (2,548 files), analysing every file the prefilter
rejects finds nothing, for both targets.

Speed: each requirement's most selective part (its *key*) screens the text; only the
requirements whose key occurs are evaluated in full (see ``Prefilter``).

Integer devices: a matcher that fires only where a value is an integer (``.to(i)`` with
``int_arg``, the ``int-device-keyword`` and ``int-torch-device`` idioms) has a text
requirement that holds in most PyTorch files (``.to(``, ``device``), because the integer
may arrive through a variable. Their requirements are kept apart (``int_values``): when
only they hold, the text is read for a value passed there that may be an integer
(``portlint/intscreen.py``); when there may be one, ``screen`` says ``INT_VALUES`` and the
engine parses the file, then analyzes it only if the tree has one
(``RuleIndex.worth_analyzing``, ``portlint/valueflow.py``'s ``int_value_possible``).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, NamedTuple

from portlint.intscreen import int_value_in_text
from portlint.rules import Matcher

# Between two tokens inside brackets: whitespace, a backslash continuation, a comment. The
# comment must run to the end of its line, which keeps the match unambiguous (linear time).
_COMMENT = r"#[^\r\n]*(?=[\r\n]|\Z)"
_GAP = r"(?:[ \t\f\r\n\\]|" + _COMMENT + r")*"
_GAP_CLOSE = r"(?:[ \t\f\r\n\\)]|" + _COMMENT + r")*"  # also `(x.name)(...)`
_GAP_OPEN = r"(?:[ \t\f\r\n\\(]|" + _COMMENT + r")*"  # also `f((0))`
_STARTS_WITH_DIGIT = re.compile(r"^(?:\\d|\[0-9\])(?:\+|\{[1-9][0-9]*(?:,[0-9]*)?\})?(?![*?{|])")

# Identifiers too common in PyTorch code to screen on (speed only: never affects results).
_COMMON = frozenset({
    "torch", "nn", "to", "device", "utils", "data", "functional", "distributed", "backends",
    "cpu", "amp", "jit", "script", "version", "enabled", "is_available", "profiler",
    "autograd", "double", "float64", "Backend", "memory", "get", "set", "init", "optim",
})


class Needle(NamedTuple):
    text: str
    token: bool  # must occur as a whole identifier, not inside a longer one

    def implies(self, weaker: "Needle") -> bool:
        """Any text containing self contains ``weaker``."""
        if weaker.token:
            return self.token and self.text == weaker.text
        return weaker.text in self.text


_RIGHT_BOUNDED: dict[str, re.Pattern[str]] = {}


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _occurs(needle: Needle, text: str, memo: dict[Needle, bool] | None = None) -> bool:
    if memo is not None:
        known = memo.get(needle)
        if known is None:
            known = memo[needle] = _occurs(needle, text)
        return known
    if needle.text not in text:
        return False
    if not needle.token:
        return True
    # ``name(?!\w)`` keeps the regex engine's fast literal scan (a look-behind would not);
    # the left boundary is checked here.
    pattern = _RIGHT_BOUNDED.get(needle.text)
    if pattern is None:
        pattern = _RIGHT_BOUNDED[needle.text] = re.compile(re.escape(needle.text) + r"(?!\w)")
    for match in pattern.finditer(text):
        start = match.start()
        if start == 0 or not _is_word(text[start - 1]):
            return True
    return False


@dataclass(frozen=True)
class Requirement:
    """What the text must contain for one matcher (or several identical ones) to fire."""

    clauses: tuple[frozenset[Needle], ...]  # each: one of these needles occurs
    patterns: tuple[re.Pattern[str], ...] = ()  # each must search() successfully, in order
    pattern_first: bool = False  # the first pattern is cheap and selective: test it first
    # Needle texts that occur in an import statement too (a symbol's or a module's first part).
    roots: frozenset[str] = frozenset()

    def holds(self, text: str, memo: dict[Needle, bool] | None = None) -> bool:
        """``memo`` shares needle look-ups between the requirements tested on one text."""
        if self.pattern_first and self.patterns[0].search(text) is None:
            return False
        for clause in self.clauses:
            if not any(_occurs(needle, text, memo) for needle in clause):
                return False
        rest = self.patterns[1:] if self.pattern_first else self.patterns
        return all(pattern.search(text) is not None for pattern in rest)

    @cached_property
    def _single_tokens(self) -> frozenset[Needle]:
        return frozenset(n for clause in self.clauses if len(clause) == 1 for n in clause if n.token)

    def implies(self, other: "Requirement") -> bool:
        """True when ``other`` holding guarantees that ``self`` holds (self is weaker)."""
        # A one-token clause is only implied by the same one-token clause: a quick test.
        if not self._single_tokens <= other._single_tokens:
            return False
        if not set(self.patterns) <= set(other.patterns) or not self.roots <= other.roots:
            return False
        return all(any(_clause_implies(theirs, mine) for theirs in other.clauses) for mine in self.clauses)

    def key(self) -> frozenset[str] | None:
        """Substrings one of which occurs wherever this holds, for the screening pass;
        None when the requirement is screened by its first pattern instead."""
        best = max(self.clauses, key=_selectivity)
        if self.pattern_first and _selectivity(best) < 6:
            return None
        return frozenset(needle.text for needle in best)

    @property
    def key_in_imports(self) -> bool:
        """The key is a first part (``roots``): it occurs in an import statement."""
        best = max(self.clauses, key=_selectivity)
        return len(best) == 1 and next(iter(best)).text in self.roots

    @property
    def decided_by_key(self) -> bool:
        """A key substring occurring proves the requirement (one clause of substrings)."""
        return len(self.clauses) == 1 and not self.patterns and not any(n.token for n in self.clauses[0])


def _selectivity(clause: frozenset[Needle]) -> int:
    """How rarely the clause is likely to hold: its weakest needle decides."""
    return min((0 if n.text in _COMMON else len(n.text)) + (3 if n.token else 0) for n in clause)


def _clause_implies(strong: frozenset[Needle], weak: frozenset[Needle]) -> bool:
    """Any text satisfying ``strong`` satisfies ``weak``."""
    return all(any(s.implies(w) for w in weak) for s in strong)


# ``Prefilter.screen``: no requirement holds / only integer-value ones / another one.
NOTHING, INT_VALUES, ANY = 0, 1, 2


@dataclass
class Prefilter:
    """``could_match(text)``: False only when no requirement can hold.

    Screening: each requirement has a key (a few substrings, one of which must occur) or
    is screened by its first regex. The distinct key substrings, reduced to a minimal set
    (no key contains another), are tested with ``in``; the requirements of each key found
    are then evaluated in full. Measured on the benchmark corpus (2,548 files, 49 MB,
    34 keys, one core): ``in`` per key 0.74 s; one compiled alternation of the keys laid
    out as a trie (``cu(?:da|py)``), 1.0 s, because the ``re`` engine steps through every
    position where a key could start, while ``in`` runs a vectorised substring search.

    Gates: when every requirement of a key also needs one same other substring, shared with
    other keys (``float64``, ``double``, ``output_device`` ... all need ``torch``), the key is
    searched only in a text that contains it: one search of ``torch`` answers for 13 keys in
    the files that never name it (40% of the files the corpus rejects). A part of a key that
    other keys contain too gates them the same way (``flash`` for ``flash_attn``,
    ``flashinfer``, ``flash_attention_2``...) (-0.05 s on the corpus).
    """

    requirements: tuple[Requirement, ...] = ()
    always: bool = False  # some matcher has no requirement: every file must be parsed
    needles: tuple[str, ...] = ()  # one of these substrings occurs in every file kept
    # The requirements of the matchers that need an integer value (see the module's docstring),
    # and where those look: the first argument of calls to these names, these keywords' values.
    int_values: "Prefilter | None" = None
    int_calls: frozenset[str] = frozenset()
    int_keywords: frozenset[str] = frozenset()
    _keys: dict[str, tuple[tuple[Requirement, bool], ...]] = field(default_factory=dict, repr=False)
    _by_pattern: tuple[Requirement, ...] = field(default=(), repr=False)
    _gates: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # key -> its gates (see above)
    _in_imports: frozenset[str] = field(default=frozenset(), repr=False)  # keys searched in import statements

    def __post_init__(self) -> None:
        keyed: dict[str, list[Requirement]] = {}
        by_pattern = []
        for requirement in self.requirements:
            key = requirement.key()
            if key is None:
                by_pattern.append(requirement)
            else:
                for text in key:
                    keyed.setdefault(text, []).append(requirement)
        # A key containing a shorter key is found by searching for the shorter one.
        minimal = _minimal_needles(keyed)
        keys: dict[str, list[Requirement]] = {text: [] for text in minimal}
        for text, requirements in keyed.items():
            for short in minimal:
                if short in text:
                    keys[short].extend(r for r in requirements if r not in keys[short])
        # Per key: its requirements, each with "the key alone proves it".
        self._keys = {
            key: tuple((r, r.decided_by_key and key in {n.text for n in r.clauses[0]}) for r in reqs)
            for key, reqs in sorted(keys.items(), key=lambda item: (len(item[0]), item[0]))
        }
        self._by_pattern = tuple(by_pattern)
        self._gates = _gates(self._keys)
        self._in_imports = frozenset(key for key, requirements in self._keys.items()
                                     if all(r.key_in_imports for r, _ in requirements))
        if not self.needles:
            self.needles = tuple(sorted({*minimal, *(n.text for r in by_pattern
                                                       for n in max(r.clauses, key=_selectivity)),
                                         *(self.int_values.needles if self.int_values is not None else ())}))

    def could_match(self, text: str) -> bool:
        return self.screen(text) != NOTHING

    def screen(self, text: str) -> int:
        """ANY when some requirement holds, INT_VALUES when only integer-value ones do,
        else NOTHING."""
        if self.always or self._check(text):
            return ANY
        normal = _normal(text)  # (once for both sets of requirements)
        if normal is not text and self._check(normal):
            return ANY
        values = self.int_values
        if (values is not None and (values._check(text) or (normal is not text and values._check(normal)))
                and int_value_in_text(text, self.int_calls, self.int_keywords)):
            return INT_VALUES
        return NOTHING

    def _check(self, text: str) -> bool:
        tried = set()
        memo: dict[Needle, bool] = {}
        gates = self._gates
        gated: dict[str, bool] = {}  # gate -> it occurs in the text
        in_imports = self._in_imports
        imports: str | None = None  # the text's import statements, once a key needs them
        for key, requirements in self._keys.items():
            closed = False
            for gate in gates.get(key, ()):
                found = gated.get(gate)
                if found is None:
                    found = gated[gate] = gate in text
                if not found:
                    closed = True  # the key, or every requirement of the key, needs the gate
                    break
            if closed:
                continue
            if key in in_imports:
                if imports is None:
                    imports = import_statements(text)
                found = key in imports
            else:
                found = key in text
            if found:
                for requirement, decided in requirements:
                    if requirement not in tried:
                        if decided or requirement.holds(text, memo):
                            return True
                        tried.add(requirement)
        return any(requirement.holds(text, memo) for requirement in self._by_pattern)


def _normal(text: str) -> str:
    """The text as Python reads its identifiers (NFKC); ``text`` itself when that changes
    nothing (always for ASCII)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def import_statements(text: str) -> str:
    """The lines of ``text`` that hold ``import`` (and the lines a backslash joins to them).

    Where the analyzer matches a symbol or a module, the text names its first part in an import
    statement: a name refers to a module only through an import (``import a.b as x``, ``from
    a.b import c``, a star import, or an assignment of such a name), and a module matcher fires
    on the import itself. That first part is written after ``import`` or between ``from`` and
    ``import``, on the statement's logical line: only a backslash continues it (an import's
    brackets hold imported names, never a module's first part). A superset is harmless (lines
    inside strings, ``important``, a comment ending in a backslash), and a line break other than
    ``\n`` only makes the lines longer.
    """
    find = text.find
    parts = []
    end = 0  # where the last part ended
    at = find("import")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        while start > 1 and _continued(text, start - 1):
            start = text.rfind("\n", 0, start - 1) + 1
        stop = find("\n", at)
        while stop >= 0 and _continued(text, stop):
            stop = find("\n", stop + 1)
        if stop < 0:
            stop = len(text)
        parts.append(text[max(start, end):stop])
        end = stop
        at = find("import", stop)
    return "\n".join(parts)


def _continued(text: str, newline: int) -> bool:
    """Whether the line ending at ``newline`` (a ``\n``) ends with a backslash."""
    before = newline - 1
    if before >= 0 and text[before] == "\r":
        before -= 1
    return before >= 0 and text[before] == "\\"


def _gates(keys: dict[str, tuple[tuple[Requirement, bool], ...]]) -> dict[str, tuple[str, ...]]:
    """Key -> the substrings searched before it (its gates), when the key is absent from any
    text that lacks one of them, and one search answers for several keys:

    * a substring that every requirement of the key needs too (one of its one-needle
      clauses), chosen among those shared by the most keys (``torch`` for ``float64``,
      ``double``, ``output_device`` ...);
    * a part of the key itself that other keys contain too (``_autocast_`` for the four
      autocast names, ``flash`` for ``flash_attn``, ``flashinfer`` ...; see ``_shared_parts``).

    Only gates shared by two keys or more (else searching the gate costs what searching the
    key would)."""
    needs: dict[str, set[str]] = {}
    for key, requirements in keys.items():
        common: set[str] | None = None
        for requirement, _decided in requirements:
            texts = {needle.text for clause in requirement.clauses if len(clause) == 1 for needle in clause}
            common = texts if common is None else common & texts
        # (a gate inside the key occurs wherever the key does; one containing it is a longer search)
        needs[key] = {text for text in common or () if text not in key and key not in text}
    shared: dict[str, int] = {}
    for texts in needs.values():
        for text in texts:
            shared[text] = shared.get(text, 0) + 1
    parts = _shared_parts(keys)
    gates = {}
    for key, texts in needs.items():
        best = max(texts, key=lambda text: (shared[text], text), default=None)
        chain = (best,) if best is not None and shared[best] >= 2 else ()
        if key in parts:
            chain += (parts[key],)
        if chain:
            gates[key] = chain
    return gates


_MIN_PART = 4  # shorter shared parts (`cu`, `flas`...) occur in nearly every file: no gain


def _shared_parts(keys: Iterable[str]) -> dict[str, str]:
    """Key -> the substring of it (at least ``_MIN_PART`` characters) that the most other keys
    contain too (then the longest), for the keys that share one. Sound for any choice: a
    text without the part has none of the keys that contain it."""
    names = sorted(keys)
    owners: dict[str, int] = {}  # substring -> how many keys contain it
    pieces: dict[str, set[str]] = {}
    for key in names:
        pieces[key] = {key[start:end] for start in range(len(key))
                       for end in range(start + _MIN_PART, len(key) + (key[start:] != key))}
        for piece in pieces[key]:
            owners[piece] = owners.get(piece, 0) + 1
    parts = {}
    for key in names:
        best = max(pieces[key], key=lambda piece: (owners[piece], len(piece), piece), default=None)
        if best is not None and owners[best] >= 2:
            parts[key] = best
    return parts


def requirement_for(matcher: Matcher) -> Requirement | None:
    """The requirement of one matcher; None when nothing can be said (parse every file)."""
    clauses: list[frozenset[Needle]] = []
    patterns: list[re.Pattern[str]] = []
    if matcher.needles:
        clauses.append(frozenset(Needle(n, False) for n in matcher.needles))
    if matcher.kind == "literal" and matcher.pattern is not None:
        clauses.extend(_pattern_clauses(matcher.pattern))
        prefix = _literal_prefix(matcher.pattern)
        if prefix:
            # The value starts with it (fullmatch), so in the source it follows the quote.
            patterns.append(re.compile("[\"']" + re.escape(prefix)))
    name = matcher.name
    roots: frozenset[str] = frozenset()
    if matcher.kind in ("symbol", "module") and name:
        clauses.extend(frozenset((Needle(part, True),)) for part in name.split("."))
        roots = frozenset((name.split(".", 1)[0],))
    elif matcher.kind == "keyword" and name:
        clauses.append(frozenset((Needle(name, True),)))
        if matcher.calls:
            clauses.append(_callee_clause(matcher.calls))
        # (as written in a call: the name, then `=`, blanks or comments between; not `==`)
        patterns.append(re.compile(re.escape(name) + r"(?!\w)" + _GAP + r"=(?!=)"))
    elif matcher.kind == "attribute" and name:
        clauses.append(frozenset((Needle(name, True),)))
        tail = r"(?!\w)"
        if matcher.call is True:
            tail += _GAP_CLOSE + r"\("
            if matcher.first_arg is not None and _STARTS_WITH_DIGIT.match(matcher.first_arg.pattern):
                tail += _GAP_OPEN + r"[0-9]"
        # A cheap necessary test first (no leading dot), then the exact one.
        if tail != r"(?!\w)":
            patterns.append(re.compile(re.escape(name) + tail))
        patterns.append(re.compile(r"\." + _GAP + re.escape(name) + tail))
        return Requirement(_dedupe_clauses(clauses), tuple(patterns), pattern_first=True)
    if not clauses:
        return None
    return Requirement(_dedupe_clauses(clauses), tuple(patterns), roots=roots)


def _pattern_clauses(pattern: re.Pattern[str]) -> list[frozenset[Needle]]:
    """Substrings every string the pattern matches contains (as ``Requirement`` clauses).

    A literal's value is its source text, except where the analyzer put ``{}`` for an
    f-string field, a ``%d`` or a ``+ x`` (``"cuda:{}"``), so runs are cut at braces.
    Anything unusual (case-insensitive patterns, parser errors) gives no clause: only the
    ruleset's own needles are used then.
    """
    if pattern.flags & re.IGNORECASE:
        return []
    try:
        if sys.version_info >= (3, 11):
            from re import _constants as constants, _parser as parser  # type: ignore[attr-defined]
        else:  # pragma: no cover
            import sre_constants as constants
            import sre_parse as parser
        tree = parser.parse(pattern.pattern, pattern.flags)
        return [frozenset(Needle(text, False) for text in clause)
                for clause in _required(list(tree), constants) if all(clause)]
    except Exception:  # noqa: BLE001 - an internal parser API: never let it break a run
        return []


def _literal_prefix(pattern: re.Pattern[str]) -> str | None:
    """The literal text every match of ``pattern`` starts with (up to a brace), if any."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        if sys.version_info >= (3, 11):
            from re import _constants as constants  # type: ignore[attr-defined]
            from re import _parser as parser
        else:  # pragma: no cover
            import sre_constants as constants
            import sre_parse as parser
        prefix = []
        for op, value in parser.parse(pattern.pattern, pattern.flags):
            if op is constants.AT and value is constants.AT_BEGINNING:
                continue
            if op is not constants.LITERAL or chr(value) in "{}":
                break
            prefix.append(chr(value))
        return "".join(prefix) or None
    except Exception:  # noqa: BLE001 - an internal parser API: never let it break a run
        return None


def _required(items: list, constants) -> list[frozenset[str]]:
    """CNF clauses of substrings that every match of this node sequence contains."""
    clauses: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        for piece in re.split(r"[{}]", "".join(run)):
            if piece:
                clauses.append(frozenset((piece,)))
        run.clear()

    for op, value in items:
        if op is constants.LITERAL:
            run.append(chr(value))
            continue
        flush()
        if op is constants.SUBPATTERN:
            add_flags = value[1] if len(value) == 4 else 0
            if not add_flags & constants.SRE_FLAG_IGNORECASE:  # (?i:...): case-insensitive inside
                clauses.extend(_required(list(value[-1]), constants))
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT) or op is getattr(constants, "POSSESSIVE_REPEAT", None):
            low, _high, body = value
            if low >= 1:
                clauses.extend(_required(list(body), constants))
        elif op is constants.BRANCH:
            choices = []
            for branch in value[1]:
                options = [c for c in _required(list(branch), constants) if len(c) == 1]
                if not options:
                    choices = []
                    break
                choices.append(next(iter(max(options, key=lambda c: len(next(iter(c)))))))
            if choices:
                clauses.append(frozenset(choices))
        elif op is getattr(constants, "ATOMIC_GROUP", None):
            clauses.extend(_required(list(value), constants))
    flush()
    return clauses


def _callee_clause(calls: tuple[str, ...]) -> frozenset[Needle]:
    """One component of each allowed callee (``torch.cuda.x`` or ``.method``), as tokens.

    Every component of a resolved callee occurs in the text, so any one per callee gives a
    sound clause; a component shared by all callees (``cuda``) keeps the clause small.
    """
    options = [[call[1:]] if call.startswith(".") else call.split(".") for call in calls]
    counts: dict[str, int] = {}
    for parts in options:
        for part in set(parts):
            counts[part] = counts.get(part, 0) + 1
    chosen = set()
    for parts in options:
        chosen.add(max(parts, key=lambda p: (counts[p], p not in _COMMON, len(p), p)))
    return frozenset(Needle(part, True) for part in chosen)


def _dedupe_clauses(clauses: list[frozenset[Needle]]) -> tuple[frozenset[Needle], ...]:
    """Drop clauses implied by another one; test the most selective first."""
    kept: list[frozenset[Needle]] = []
    for clause in sorted(set(clauses), key=lambda c: (-_selectivity(c), sorted(c))):
        if not any(_clause_implies(other, clause) for other in kept):
            kept.append(clause)
    return tuple(kept)


def build_prefilter(matchers: Iterable[Matcher]) -> Prefilter:
    requirements: list[Requirement] = []
    int_requirements: list[Requirement] = []
    calls: set[str] = set()
    keywords: set[str] = set()
    for matcher in matchers:
        requirement = requirement_for(matcher)
        if requirement is None:
            return Prefilter(always=True)
        slots = int_slots(matcher)
        if slots is None:
            requirements.append(requirement)
        else:
            int_requirements.append(requirement)
            calls.update(slots[0])
            keywords.update(slots[1])
    # (Reduced apart: a file kept for an integer-value requirement alone may be skipped.)
    int_values = Prefilter(_weakest(int_requirements)) if int_requirements else None
    return Prefilter(_weakest(requirements), int_values=int_values, int_calls=frozenset(calls),
                     int_keywords=frozenset(keywords))


def int_slots(matcher: Matcher) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """For a matcher that fires only where a value it looks at is an integer (see the
    module's docstring): (called names whose first argument, keywords whose value); None
    for any other matcher."""
    if matcher.kind == "attribute":
        if not matcher.int_arg or not matcher.name or not matcher.device_arg:
            return None
        return (matcher.name,), (matcher.device_arg,)  # `.to(i)`, `.to(device=i)`
    if matcher.kind == "idiom" and matcher.name:
        from portlint.idioms import IDIOMS

        return IDIOMS[matcher.name].int_slots
    return None


def _weakest(requirements: list[Requirement]) -> tuple[Requirement, ...]:
    # Keep only the weakest requirements: if A holds whenever B does, B adds nothing.
    kept: list[Requirement] = []
    for requirement in sorted(set(requirements), key=_order):
        for position, other in enumerate(kept):
            if other.implies(requirement):
                if position:  # move to front: a few requirements ("cuda") absorb most
                    kept.insert(0, kept.pop(position))
                break
        else:
            kept = [other for other in kept if not requirement.implies(other)]
            kept.append(requirement)
    kept.sort(key=_order)
    return tuple(kept)


def _order(requirement: Requirement) -> tuple[int, int, list[Needle]]:
    return (len(requirement.patterns), len(requirement.clauses), sorted(requirement.clauses[0]))


def _minimal_needles(needles: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for needle in sorted(set(needles), key=len):
        if not any(short in needle for short in kept):
            kept.append(needle)
    return tuple(sorted(kept))
