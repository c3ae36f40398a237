"""Rule documentation, generated from the rulesets: ``portlint rules``, ``portlint rule``,
and the Markdown rule reference (``docs/rules.md``)."""

from __future__ import annotations

from typing import TextIO

from portlint.kinds import EXAMPLE_PATH, kind_of, split_example
from portlint.rules import TARGETS, FixOption, Matcher, Rule
from portlint.versions import ANY, Version, format_version

# Where docs/rules.md is published; each rule's section has the anchor of ``rule_anchor``.
RULES_URL = "https://github.com/portlint/portlint/blob/main/docs/rules.md"


def rule_anchor(rule: Rule) -> str:
    """The anchor of the rule's section in docs/rules.md (GitHub's heading slug)."""
    return f"{rule.code.lower()}-{rule.name}"


def rule_url(rule: Rule) -> str:
    """The rule's documentation page (SARIF ``helpUri``, LSP ``codeDescription.href``)."""
    return f"{RULES_URL}#{rule_anchor(rule)}"


FENCES = {"python": "python", "notebook": "python", "shell": "sh", "dockerfile": "dockerfile",
          "requirements": "text", "pyproject": "toml", "yaml": "yaml", "json": "json", "cuda": "cuda"}


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
    if matcher.kind == "idiom":
        from portlint.idioms import IDIOMS

        assert matcher.name and matcher.pattern is not None
        return f"the idiom {IDIOMS[matcher.name].summary} (`{matcher.pattern.pattern}`)"
    if matcher.kind == "noqa":
        return "codes in `# noqa` comments that suppress nothing"
    if matcher.kind == "file":
        return f"every `{matcher.file_kind}` file"
    if matcher.kind == "config-key":
        assert matcher.key is not None
        text = f"config key `{matcher.key.pattern}`"
        if matcher.path is not None:
            text += f" at a path matching `{matcher.path.pattern}`"
        if matcher.value is not None:
            text += f" with a value matching `{matcher.value.pattern}`"
        return text
    assert matcher.pattern is not None
    if matcher.kind in ("env", "command", "requirement"):
        label = {"env": "environment variable", "command": "command", "requirement": "dependency"}[matcher.kind]
        extra = matcher.args if matcher.kind == "command" else matcher.version
        suffix = f" with `{extra.pattern}`" if extra is not None else ""
        return f"{label} `{matcher.pattern.pattern}`{suffix}"
    if matcher.kind in ("index", "image"):
        label = "package index" if matcher.kind == "index" else "container image"
        return f"{label} matching `{matcher.pattern.pattern}`"
    return f"strings matching `{matcher.pattern.pattern}` ({', '.join(matcher.contexts)})"


def _option_text(option: FixOption) -> str:
    since = "" if option.since == ANY else f" (torch >= {format_version(option.since)})"
    if option.replace is None:
        return f"{option.hint}{since}"
    if option.substitute is not None:
        old, new = option.substitute
        text = f"the same code with `{old}` changed to `{new}`"
    elif option.whole_call:
        text = f"the whole call becomes `{option.replace}`"
    else:
        text = f"`{option.replace}`"
    if option.imports:
        text += " (adds " + ", ".join(f"`{_import_line(name)}`" for name in option.imports) + ")"
    text = f"{text}{since} [{option.applicability}]"
    return f"{text}: {option.hint}" if option.hint else text


def _import_line(entry: str) -> str:
    return entry if entry.startswith(("import ", "from ")) else f"import {entry}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


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
    opt_in = " · opt-in: enabled only when selected by its code" if rule.opt_in else ""
    fixed = "".join(f" · not reported for {target} when min-torch >= {format_version(version)} (fixed there)"
                    for target, version in sorted(rule.fixed_in.items()))
    lines.append(f"Family: **{rule.family}** · severity: {rule.severity} · targets: {', '.join(rule.targets)}"
                 f"{opt_in}{fixed}")
    lines += ["", f"{heading}# What it does", "", rule.summary + "."]
    lines += ["", f"{heading}# Why is this bad?", "", rule.rationale]
    name, example = split_example(rule.flagged[0])
    language = FENCES.get(kind_of(name) or "python", "text")
    shown = f"`{name}`:" if name != EXAMPLE_PATH else ""
    lines += ["", f"{heading}# Example", "", *([shown, ""] if shown else []), f"```{language}", example.rstrip(), "```"]
    for target in rule.targets:
        if target in rule.use_instead:
            own_name, snippet = split_example(rule.use_instead[target])
            fence = FENCES.get(kind_of(own_name) or "python", "text") if own_name != EXAMPLE_PATH else language
            lines += ["", f"{heading}# Use instead ({target})", "", f"```{fence}", snippet.rstrip(), "```"]
    lines += ["", f"{heading}# Fix per target", "", "| matches | target | fix |", "|---|---|---|"]
    for matched, target, text in fix_table(rule):
        lines.append(f"| {_cell(matched)} | {target} | {_cell(text)} |")
    lines += ["", f"{heading}# Fix safety", "", *fix_safety(rule)]
    return "\n".join(lines) + "\n"


def fix_safety(rule: Rule) -> list[str]:
    """Per target, at the default min-torch: which matches get a safe fix, which an unsafe
    one and why, which only advice (README "What a safe fix is")."""
    from portlint.config import DEFAULT_MIN_TORCH
    from portlint.index import _choose_fix
    from portlint.versions import parse_version

    version = parse_version(DEFAULT_MIN_TORCH)
    lines = []
    for target in rule.targets:
        groups: dict[tuple[str, str], list[str]] = {}
        for matcher in rule.matchers:
            fix = _choose_fix(matcher, target, version).fix
            if fix is None or fix.replacement is None:
                key = ("advice", "")
            elif fix.applicability == "safe":
                key = ("safe", "")
            else:
                key = ("unsafe", fix.hint or "it may change what the code does on CUDA")
            groups.setdefault(key, []).append(describe_matcher(matcher))
        parts = []
        for (kind, reason), matched in groups.items():
            names = "every match" if len(groups) == 1 else ", ".join(matched)
            if kind == "safe":
                parts.append(f"safe for {names} (the same behaviour on CUDA, and every name it calls "
                             "exists on each backend it can reach)")
            elif kind == "unsafe":
                parts.append(f"unsafe for {names} ({reason.removeprefix('unsafe: ')})")
            else:
                parts.append(f"advice only for {names}")
        lines.append(f"- **{target}** (min-torch {DEFAULT_MIN_TORCH}): " + "; ".join(parts) + ".")
    if any(m.fix_as_dtype for m in rule.matchers):
        names = ", ".join(describe_matcher(m) for m in rule.matchers if m.fix_as_dtype)
        lines.append(f"- {names}: rewritten only as the dtype of a creation or a cast (`dtype=`, `.to()`, "
                     "`.type()`, `set_default_dtype()`); anywhere else, advice.")
    return lines


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
    from portlint.devicevar import DEVICE_EXPRESSIONS

    rules = sorted(rules, key=lambda rule: rule.code)
    parts = ["# portlint rule reference", "",
             "Generated from `rulesets/*.toml` by `python -m portlint.docs > docs/rules.md`; "
             "do not edit by hand (a test checks that it is up to date).", "",
             "Each rule lists what it flags, why, an example, and its fix per target "
             "(`--target agnostic`: any device, `--target npu`: torch_npu on Ascend). A fix is "
             "replacement code, marked `[safe]` (`portlint fix` applies it: behaviour on a CUDA "
             "machine is unchanged) or `[unsafe]` (applied only with `--unsafe-fixes`: review it), "
             "or advice when no code can be written for you. When a fix needs a newer torch than "
             "the project's `min-torch` (default: the lower bound of the project's torch requirement, else 2.6), the next option is used. In replacement "
             "code, `{index}` is the device index of the flagged string, `{args}` the call's "
             "arguments, `{sep_args}` the same with a leading comma, `{args_sep}` with a trailing one, "
             "`{name}` the flagged name, "
             "`{source}` the flagged code, and `{device}` a module-level device variable "
             f"(`DEVICE = {DEVICE_EXPRESSIONS['agnostic']}`; on the npu target "
             f"`DEVICE = {DEVICE_EXPRESSIONS['npu']}`) that `portlint fix` defines "
             "once per file after the imports, or reuses when the file already has it.", ""]
    families: dict[str, list[Rule]] = {}
    for rule in rules:
        families.setdefault(rule.family, []).append(rule)
    parts += ["| code | name | family | summary | targets |", "|---|---|---|---|---|"]
    for rule in rules:
        parts.append(f"| [{rule.code}](#{rule_anchor(rule)}) | {rule.name} | {rule.family} | "
                     f"{_cell(rule.summary)} | {', '.join(rule.targets)} |")
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
