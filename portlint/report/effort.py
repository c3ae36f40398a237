"""The effort model: minutes per finding, by how the finding gets resolved.

* a finding ``portlint fix`` resolves (safe fix): ``SAFE_REVIEW_MINUTES`` to glance at the diff;
* a finding ``--unsafe-fixes`` resolves: ``UNSAFE_REVIEW_MINUTES`` to review and test it;
* a manual finding: the rule's ``effort`` (``rulesets/*.toml``), else its family's
  (``rulesets/families.toml``), else ``DEFAULT_MANUAL_MINUTES``; for a blocker rule
  (``blocker = "library"`` or ``"kernel"``) once per rule and file (``model.py``).

The total is a planning weight, not a measurement, so it is shown as a range from
``LOW`` to ``HIGH`` times the point estimate, rounded to one or two significant figures.
"""

from __future__ import annotations

from typing import Any

from portlint.rules import Family, Rule

SAFE_REVIEW_MINUTES = 1.0
UNSAFE_REVIEW_MINUTES = 5.0
DEFAULT_MANUAL_MINUTES = 15.0
LOW, HIGH = 0.5, 2.0
HOURS_PER_DAY = 6.0  # focused engineering hours in a working day


def _own_or_family(rule: Rule | None, families: dict[str, Family], attribute: str, default: object) -> Any:
    """The rule's own value of ``attribute``, else its family's, else ``default``."""
    if rule is None:
        return default
    own = getattr(rule, attribute)
    if own is not None:
        return own
    family = families.get(rule.family)
    return getattr(family, attribute) if family is not None else default


def manual_minutes(rule: Rule | None, families: dict[str, Family]) -> float:
    return _own_or_family(rule, families, "effort", DEFAULT_MANUAL_MINUTES)


def minutes(applicability: str, rule: Rule | None, families: dict[str, Family]) -> float:
    if applicability == "safe":
        return SAFE_REVIEW_MINUTES
    if applicability == "unsafe":
        return UNSAFE_REVIEW_MINUTES
    return manual_minutes(rule, families)


def blocker_kind(rule: Rule | None, families: dict[str, Family]) -> str | None:
    return _own_or_family(rule, families, "blocker", None)


def _round(value: float) -> float:
    """One significant figure below 10, two above: 3.4 -> 3, 27 -> 27, 143 -> 140."""
    if value <= 0:
        return 0
    if value < 1:
        return round(value, 1)
    if value < 10:
        return float(round(value))
    digits = len(str(int(value))) - 2
    return float(round(value, -digits))


def describe(total_minutes: float) -> str:
    """``about 2-8 person-days``: the range, in hours or days, never more precise than that."""
    hours = total_minutes / 60
    low, high = hours * LOW, hours * HIGH
    if high < 1:
        return "under an hour"
    if high <= 2 * HOURS_PER_DAY:
        return f"about {_fmt(_round(low))}\u2013{_fmt(_round(high))} person-hours"
    return f"about {_fmt(_round(low / HOURS_PER_DAY))}\u2013{_fmt(_round(high / HOURS_PER_DAY))} person-days"


def _fmt(value: float) -> str:
    return f"{value:g}"


MODEL_TEXT = (
    f"Each finding that `portlint fix` resolves counts {SAFE_REVIEW_MINUTES:g} minute of review, each one "
    f"`--unsafe-fixes` resolves {UNSAFE_REVIEW_MINUTES:g} minutes of review and testing, and each manual "
    "finding the minutes its rule's family sets in rulesets/families.toml (or the rule's own `effort`); "
    "a blocker (a CUDA-only library, a CUDA extension) counts once per rule and file, not per mention. "
    f"These are planning weights, not measurements: the range shown is {LOW:g}\u00d7 to {HIGH:g}\u00d7 the sum, "
    f"in person-days of {HOURS_PER_DAY:g} focused hours. It counts editing and local testing, not "
    "performance tuning, accuracy validation on the new device, or waiting for hardware."
)
