"""Rule documentation, generated from the rulesets: ``portlint rules``, ``portlint rule``,
and the Markdown rule reference (``docs/rules.md``)."""

from __future__ import annotations

from typing import TextIO

from portlint.rules import TARGETS, FixOption, Matcher, Rule
from portlint.versions import ANY, Version, format_version


def rule_summary(rule: Rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "family": rule.family,
        "summary": rule.summary,
        "severity": rule.severity,
        "targets": list(rule.targets),
    }


def print_rule_table(rules: list[Rule], stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("code", "family", "name", "summary", "targets"):
        table.add_column(column, overflow="fold")
    for rule in rules:
        table.add_row(rule.code, rule.family, rule.name, rule.summary, ", ".join(rule.targets))
    Console(file=stream, highlight=False, width=160).print(table)


def describe_matcher(matcher: Matcher) -> str:
    if matcher.kind == "symbol":
        suffix = ".*" if matcher.prefix else ""
        call = "()" if matcher.call else ""
        return f"`{matcher.name}{suffix}{call}`"
    if matcher.kind == "attribute":
        return f"`.{matcher.name}{'()' if matcher.call else ''}` on any object"
    if matcher.kind == "keyword":
        value = f"={matcher.value.pattern}" if matcher.value is not None else "="
        where = f" in {', '.join(matcher.calls)}" if matcher.calls else ""
        return f"keyword `{matcher.name}{value}`{where}"
    if matcher.kind == "module":
        return f"`import {matcher.name}`"
    assert matcher.pattern is not None
    return f"strings matching `{matcher.pattern.pattern}` ({', '.join(matcher.contexts)})"


def _option_text(option: FixOption) -> str:
    since = "" if option.since == ANY else f" (torch >= {format_version(option.since)})"
    unsafe = " [unsafe]" if option.applicability == "unsafe" and option.replace else ""
    if option.replace is not None:
        return f"`{option.replace}`{since}{unsafe}"
    return f"{option.hint}{since}"


def fix_table(rule: Rule) -> list[tuple[str, str, str]]:
    """(matched, target, fix) rows for every matcher of a rule."""
    rows = []
    for matcher in rule.matchers:
        for target in rule.targets:
            options = matcher.fix_options(target)
            text = "; else ".join(_option_text(o) for o in options) if options else "no portable equivalent"
            rows.append((describe_matcher(matcher), target, text))
    return rows


def rule_markdown(rule: Rule, heading: str = "##") -> str:
    lines = [f"{heading} {rule.code} `{rule.name}`", ""]
    lines.append(f"Family: **{rule.family}** · severity: {rule.severity} · targets: {', '.join(rule.targets)}")
    lines += ["", f"{heading}# What it does", "", rule.summary + "."]
    lines += ["", f"{heading}# Why is this bad?", "", rule.rationale]
    lines += ["", f"{heading}# Example", "", "```python", rule.flagged[0].rstrip(), "```"]
    for target in rule.targets:
        if target in rule.use_instead:
            lines += ["", f"{heading}# Use instead ({target})", "", "```python",
                      rule.use_instead[target].rstrip(), "```"]
    lines += ["", f"{heading}# Fix per target", "", "| matches | target | fix |", "|---|---|---|"]
    for matched, target, text in fix_table(rule):
        cell = text.replace("|", "\\|")
        lines.append(f"| {matched} | {target} | {cell} |")
    return "\n".join(lines) + "\n"


def print_rule(rule: Rule, min_torch: Version, stream: TextIO) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(file=stream, highlight=False)
    if stream.isatty():
        console.print(Markdown(rule_markdown(rule, "#")))
    else:
        stream.write(rule_markdown(rule, "#"))


def reference_markdown(rules: list[Rule]) -> str:
    """The whole rule reference, one section per rule, grouped by family."""
    parts = ["# portlint rule reference", "",
             "Generated from `rulesets/*.toml` by `python -m portlint.docs`; do not edit by hand.", ""]
    families: dict[str, list[Rule]] = {}
    for rule in rules:
        families.setdefault(rule.family, []).append(rule)
    parts += ["| code | name | family | summary | targets |", "|---|---|---|---|---|"]
    for rule in rules:
        parts.append(f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) | {rule.name} | {rule.family} | "
                     f"{rule.summary} | {', '.join(rule.targets)} |")
    parts.append("")
    for family, members in families.items():
        parts += [f"## Family `{family}`", ""]
        for rule in members:
            parts.append(rule_markdown(rule, "###"))
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    import sys

    from portlint.rules import default_ruleset_files, load_rulesets

    sys.stdout.write(reference_markdown(load_rulesets(default_ruleset_files()).rules))

__all__ = ["TARGETS", "rule_markdown", "reference_markdown", "print_rule", "print_rule_table"]
