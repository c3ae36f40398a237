"""``--output-format text``: findings grouped by file, with the source line and the fix."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, TextIO

from portlint.printable import printable
from portlint.reporters.plain import escape, plain_console
from portlint.source import SourceError, read_source

if TYPE_CHECKING:
    from rich.console import Console

    from portlint.findings import Report
    from portlint.findings import Finding
    from portlint.rules import Rule

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
SEVERITY_STYLE = {"error": "red", "warning": "yellow"}


def make_console(stream: TextIO) -> "Console":
    """rich on a terminal; the same text without rich (much faster) anywhere else."""
    plain = plain_console(stream)
    if plain is not None:
        return plain  # type: ignore[return-value]
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=True, emoji=False)


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    console = make_console(stream)
    quiet = options.get("quiet", False)
    by_file: dict[str, list["Finding"]] = {}
    for finding in report.findings:
        by_file.setdefault(finding.path, []).append(finding)
    for path, findings in by_file.items():
        notebook = findings[0].cell is not None
        lines = [] if quiet or notebook else _read_lines(path)
        cells = None
        if notebook and not quiet:
            from portlint.baseline import SourceLines

            cells = SourceLines()
        console.print(f"[bold]{show(path)}[/bold]")
        for finding in findings:
            if cells is not None and finding.cell is not None:
                lines = cells.cell_lines(path, finding.cell) or []
            _render_finding(console, finding, lines, quiet)
        console.print()
    if not quiet or report.findings:
        console.print(summary(report))


def _render_finding(console: Console, finding: "Finding", lines: list[str], quiet: bool) -> None:
    style = SEVERITY_STYLE.get(finding.severity, "red")
    console.print(
        f"  [dim]{_cell(finding)}{finding.line}:{finding.column}[/dim] [{style}]{finding.code}[/{style}] "
        f"{show(finding.message)}"
    )
    if quiet:
        return
    if 0 < finding.line <= len(lines):
        source = lines[finding.line - 1].replace("\t", " ")
        number = str(finding.line)
        pad = " " * len(number)
        console.print(f"    [dim]{number} |[/dim] {show(source)}")
        # clamped to the line: a stale or forged position never prints a huge caret line
        start = min(max(0, finding.column - 1), len(source))
        end = finding.end_column - 1 if finding.end_line == finding.line else len(source)
        width = max(1, min(end, len(source)) - start)
        console.print(f"    [dim]{pad} |[/dim] {' ' * start}[{style}]{'^' * width}[/{style}]")
    fix = finding.fix
    if fix is not None:
        if fix.replacement is not None:
            label = "fix" if fix.applicability == "safe" else "unsafe fix"
            first, *rest = fix_lines(fix.replacement, finding.column)
            console.print(f"    [green]{label}:[/green] {show(first)}")
            pad = " " * (len(label) + 6)
            for line in rest:
                console.print(f"{pad}{show(line)}" if line else "")
        elif fix.hint:
            console.print(f"    [cyan]help:[/cyan] {show(fix.hint)}")
    else:
        console.print("    [cyan]help:[/cyan] no portable equivalent; keep it behind a device check or remove it")


def fix_lines(replacement: str, column: int) -> list[str]:
    """A replacement as the lines to show: a statement-level fix (an ``if`` block) spans
    several lines, whose indentation is the file's; they are shown relative to the first
    line (which starts at ``column``), not as one line with a literal ``\\n``."""
    lines = _LINE_BREAK.split(replacement)
    if len(lines) == 1:
        return lines
    indent = column - 1
    rest = [line[indent:] if line[:indent].isspace() or not line[:indent] else line.lstrip() for line in lines[1:]]
    return [lines[0], *rest]


def _cell(finding: "Finding") -> str:
    return f"cell {finding.cell}:" if finding.cell is not None else ""


def show(text: str) -> str:
    """``text`` from the project (paths, source, messages) as literal, printable markup."""
    return escape(printable(text))


def _read_lines(path: str) -> list[str]:
    try:
        _, source = read_source(path)
    except SourceError:
        return []
    text = source.text
    return text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)  # same, faster


def summary(report: "Report") -> str:
    count = len(report.findings)
    files = len({f.path for f in report.findings})
    fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.replacement is not None)
    if count == 0:
        text = f"[green]All checks passed![/green] ({report.files_checked} files checked)"
    else:
        plural = "finding" if count == 1 else "findings"
        text = (f"Found [bold]{count}[/bold] {plural} in {files} file{'s' if files != 1 else ''} "
                f"({report.files_checked} files checked); {fixable} with a suggested replacement.")
    return text


def render_statistics(report: "Report", rules: list["Rule"], stream: TextIO) -> None:
    console = make_console(stream)
    names = {rule.code: rule for rule in rules}
    counts = Counter(f.code for f in report.findings)
    fixable = Counter(f.code for f in report.findings if f.fix is not None and f.fix.replacement is not None)
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = names.get(code)
        marker = "[*]" if fixable[code] else "   "
        name = rule.name if rule else ""
        console.print(f"{count:>{width}}  {code:<7} {marker} {escape(name)}")
