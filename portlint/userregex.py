"""Regular expressions from a user's ruleset: matched with a time limit.

The shipped rulesets are portlint's own code and use ``re``. A user ruleset is input: a
pattern such as ``^(x+x+)+y$`` backtracks for ever on a 40-character name with a
backtracking engine like ``re``, which has no time limit. Such patterns are matched with
the ``regex`` package instead, whose ``timeout=`` stops a match that runs too long; the
pattern is then reported against its ruleset and rule (or context) as the error of the
file being checked, and the run goes on. Each match has its own limit (no pattern is
switched off for the rest of a run), so which files fail does not depend on their order.

A time limit rather than a validation of pattern shapes: catastrophic backtracking is not
only nested quantifiers (``(a|aa)+b`` is exponential too), no static check catches all of
it, and a well-kept engine with a time limit does.
"""

from __future__ import annotations

import re
from typing import Any

from portlint.errors import RulesetError

TIME_LIMIT = 0.25  # seconds per match; a sane pattern on a name or a literal takes microseconds


class GuardedPattern:
    """What portlint uses of ``re.Pattern`` (``pattern``, ``flags``, ``search``, ``match``,
    ``fullmatch``), for a pattern of the user ruleset ``source``."""

    __slots__ = ("pattern", "flags", "source", "owner", "key", "_compiled")

    def __init__(self, checked: re.Pattern[str], source: str, owner: str | None, key: str) -> None:
        self.pattern = checked.pattern  # ``re`` syntax (validated, and read by the prefilter)
        self.flags = checked.flags
        self.source = source
        self.owner = owner  # the rule code (None for a context: ``key`` names it)
        self.key = key
        self._compiled: Any = None

    def _run(self, method: str, text: str) -> Any:
        if self._compiled is None:
            import regex  # only for user rulesets with patterns

            self._compiled = regex.compile(self.pattern, self.flags | regex.VERSION0)
        try:
            return getattr(self._compiled, method)(text, timeout=TIME_LIMIT)
        except TimeoutError:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise RulesetError(self.source, self.owner,
                               f"'{self.key}' took longer than {TIME_LIMIT} s on {shown!r} and was stopped "
                               "(catastrophic backtracking?); simplify the pattern") from None

    def search(self, text: str) -> Any:
        return self._run("search", text)

    def match(self, text: str) -> Any:
        return self._run("match", text)

    def fullmatch(self, text: str) -> Any:
        return self._run("fullmatch", text)

    def __reduce__(self) -> Any:  # sent to spawned workers: rebuilt there
        return (_rebuild, (self.pattern, self.flags, self.source, self.owner, self.key))


def _rebuild(pattern: str, flags: int, source: str, owner: str | None, key: str) -> GuardedPattern:
    return GuardedPattern(re.compile(pattern, flags), source, owner, key)
