"""Every rule is its own test table: its flagged examples must produce its code (on each
target it applies to) and its clean examples must not."""

from __future__ import annotations

import ast
import json

import pytest

from conftest import active_min_torch, check_example, fix_example, linter_for, lint, shipped_ruleset
from portlint.config import DEFAULT_MIN_TORCH, Settings
from portlint.engine import Linter
from portlint.kinds import EXAMPLE_PATH, split_example
from portlint.index import _choose_fix
from portlint.rules import FlaggedExample
from portlint.versions import format_version, parse_version

RULES = shipped_ruleset().rules
OPT_IN = tuple(rule.code for rule in RULES if rule.opt_in)  # selected by name for their examples
FLAGGED = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
           for i, example in enumerate(rule.flagged)]
CLEAN = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
         for i, example in enumerate(rule.clean)]


@pytest.mark.parametrize(("code", "target", "number", "example"), FLAGGED,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in FLAGGED])
def test_flagged_example_is_flagged(code: str, target: str, number: int, example: str) -> None:
    rule = next(r for r in RULES if r.code == code)
    found = [f.code for f in lint(example, target, active_min_torch(rule, target), extend_select=OPT_IN)]
    assert code in found, f"{code} example {number} not flagged on {target}: {example!r} -> {found}"


@pytest.mark.parametrize(("code", "target", "number", "example"), CLEAN,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in CLEAN])
def test_clean_example_is_clean(code: str, target: str, number: int, example: str) -> None:
    rule = next(r for r in RULES if r.code == code)
    found = [f.code for f in lint(example, target, active_min_torch(rule, target), extend_select=OPT_IN)]
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


# --------------------------------------------------------------------------- expected fixes


def _example_min_torch(code: str, target: str, example: FlaggedExample) -> str:
    rule = next(r for r in RULES if r.code == code)
    return active_min_torch(rule, target, format_version(example.min_torch) if example.min_torch else DEFAULT_MIN_TORCH)


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


FIXED = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
         for i, example in enumerate(rule.examples)]


@pytest.mark.parametrize(("code", "target", "number", "example"), FIXED,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in FIXED])
def test_flagged_example_fixes_as_expected(code: str, target: str, number: int, example: FlaggedExample) -> None:
    """`portlint fix --unsafe-fixes` makes of each flagged example exactly the code its
    table gives for the target (no entry: the example stays as it is)."""
    linter = linter_for(target, _example_min_torch(code, target, example))
    outcome = fix_example(linter, example.code)
    assert outcome.error is None, f"{code} example {number} ({target}): {outcome.error.reason}"
    wanted = example.expected(target)
    assert outcome.text == wanted, (
        f"{code} example {number} on {target}: the fixer wrote\n{outcome.text}\n\nbut the ruleset expects\n"
        f"{wanted}\n\nAfter checking the new output by hand, the entry is: {target} = {_toml_string(outcome.text)}"
        if outcome.text != example.code else
        f"{code} example {number} on {target}: the fixer changed nothing; drop '{target}' from its table")


USE_INSTEAD = [(rule.code, target, snippet) for rule in RULES for target, snippet in rule.use_instead.items()]


@pytest.mark.parametrize(("code", "target", "snippet"), USE_INSTEAD,
    ids=[f"{c}-{t}" for c, t, _ in USE_INSTEAD])
def test_use_instead_is_clean(code: str, target: str, snippet: str) -> None:
    """The documented replacement parses and is not flagged by its own rule."""
    rule = next(r for r in RULES if r.code == code)
    assert target in rule.targets, f"{code}: use_instead.{target} for a target the rule does not have"
    path = split_example(rule.flagged[0])[0]  # a rule about scripts, configs ... shows one of those
    if path != EXAMPLE_PATH and split_example(snippet)[0] == EXAMPLE_PATH:
        snippet = f"# file: {path}\n{snippet}"
    if split_example(snippet)[0] == EXAMPLE_PATH:
        ast.parse(snippet)
    found = [f.code for f in lint(snippet, target)]
    assert code not in found, f"{code} use_instead.{target} is flagged by its own rule: {snippet!r}"


def _templates(min_torch: str) -> dict[tuple[str, str, str, tuple[str, str] | None], str]:
    """Every code fix the rules can emit at ``min_torch``: (rule, target, template,
    substitution) -> a description of the matcher."""
    version = parse_version(min_torch)
    found = {}
    for rule in RULES:
        for matcher in rule.matchers:
            for target in rule.targets:
                plan = _choose_fix(matcher, target, version)
                if plan.fix is not None and plan.fix.replacement is not None:
                    key = (rule.code, target, plan.fix.replacement, plan.substitute)
                    found.setdefault(key, f"{matcher.kind} {matcher.name or (matcher.pattern or matcher.key).pattern}")  # type: ignore[union-attr]
    return found


def _covered_templates() -> set[tuple[str, str, str, tuple[str, str] | None]]:
    """The fix templates that fired on examples whose table gives an expected output."""
    covered = set()
    for rule in RULES:
        for example in rule.examples:
            for target, _ in example.fixed:
                linter = Linter(Settings(target=target, min_torch=parse_version(_example_min_torch(rule.code, target, example))),
                                shipped_ruleset())
                chosen = linter.index.fix_for
                used = []

                def recording(matcher, chosen=chosen, used=used):  # type: ignore[no-untyped-def]
                    plan = chosen(matcher)
                    used.append((matcher, plan))
                    return plan

                linter.index.fix_for = recording  # type: ignore[method-assign]
                check_example(linter, example.code)
                for matcher, plan in used:
                    if matcher.rule is rule and plan.fix is not None and plan.fix.replacement is not None:
                        covered.add((rule.code, target, plan.fix.replacement, plan.substitute))
    return covered


@pytest.mark.parametrize("min_torch", [DEFAULT_MIN_TORCH, "2.9"])
def test_every_fix_template_has_an_example_with_its_expected_output(min_torch: str) -> None:
    templates = _templates(min_torch)
    assert len(templates) > 50  # the walk found the rules' fixes
    covered = _covered_templates()
    missing = sorted(f"{code} {target} ({where}): {template!r}" + (f" substitute={sub}" if sub else "")
                     for (code, target, template, sub), where in templates.items()
                     if (code, target, template, sub) not in covered)
    assert not missing, (f"fix templates chosen at min-torch {min_torch} that no flagged example shows with its "
                         "expected output (add one, with min_torch = ... if needed):\n" + "\n".join(missing))
