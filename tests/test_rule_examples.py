"""Every rule is its own test table: its flagged examples must produce its code (on each
target it applies to) and its clean examples must not."""

from __future__ import annotations

import pytest

from conftest import lint, shipped_ruleset

RULES = shipped_ruleset().rules
OPT_IN = tuple(rule.code for rule in RULES if rule.opt_in)  # selected by name for their examples
FLAGGED = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
           for i, example in enumerate(rule.flagged)]
CLEAN = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
         for i, example in enumerate(rule.clean)]


@pytest.mark.parametrize(("code", "target", "number", "example"), FLAGGED,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in FLAGGED])
def test_flagged_example_is_flagged(code: str, target: str, number: int, example: str) -> None:
    found = [f.code for f in lint(example, target, extend_select=OPT_IN)]
    assert code in found, f"{code} example {number} not flagged on {target}: {example!r} -> {found}"


@pytest.mark.parametrize(("code", "target", "number", "example"), CLEAN,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in CLEAN])
def test_clean_example_is_clean(code: str, target: str, number: int, example: str) -> None:
    found = [f.code for f in lint(example, target, extend_select=OPT_IN)]
    assert code not in found, f"{code} clean example {number} flagged on {target}: {example!r}"


def test_every_rule_has_docs_and_both_kinds_of_example() -> None:
    for rule in RULES:
        assert rule.summary and rule.rationale and rule.message, rule.code
        assert rule.flagged, f"{rule.code} has no flagged example"
        assert rule.clean, f"{rule.code} has no clean example"


def test_codes_are_flake8_compatible_and_unique() -> None:
    import re

    seen = set()
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]{1,3}[0-9]{0,3}", rule.code)
        assert rule.code.startswith("PRT")
        assert rule.code not in seen
        seen.add(rule.code)
