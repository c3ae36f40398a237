"""A Markdown job summary for GitHub Actions (``$GITHUB_STEP_SUMMARY``).

``portlint check --output-format github`` appends it when ``GITHUB_STEP_SUMMARY`` is set: the
totals, findings per rule and per target, and the files with the most findings. Appending
(not overwriting) lets several portlint steps in one job (say, one per target) each add
their section.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from portlint.baseline import project_root, relative_path
from portlint.printable import printable

if TYPE_CHECKING:
    from portlint.engine import Report
    from portlint.rules import Rule

TOP_FILES = 10


def _cell(text: str) -> str:
    text = printable(text)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else _cell(text)


def markdown(report: "Report", rules: list["Rule"], target: str, root: Path | None = None,
             baseline_known: int | None = None) -> str:
    root = root or project_root()
    findings = report.findings
    files = Counter(relative_path(f.path, root) for f in findings)
    fixable = Counter(f.code for f in findings if f.fix is not None and f.fix.replacement is not None)
    per_rule = Counter(f.code for f in findings)
    names = {rule.code: rule for rule in rules}
    count = len(findings)
    lines = []
    if count:
        lines.append(f"### portlint: {count} finding{'s' if count != 1 else ''} in "
                     f"{len(files)} file{'s' if len(files) != 1 else ''} (target `{target}`)")
    else:
        lines.append(f"### portlint: no findings (target `{target}`)")
    details = [f"{report.files_checked} files checked",
               f"{sum(fixable.values())} findings with a suggested replacement"]
    if baseline_known is not None:
        details.append(f"{baseline_known} known findings hidden by the baseline")
    if report.errors:
        details.append(f"{len(report.errors)} files could not be checked")
    lines += ["", " · ".join(details), ""]
    hidden = _unannotated_line(report)
    if hidden:
        lines += [hidden, ""]
    if not count:
        return "\n".join(lines) + "\n"
    lines += ["| Rule | Name | Severity | Findings | With fix |", "|---|---|---|--:|--:|"]
    for code, number in sorted(per_rule.items(), key=lambda item: (-item[1], item[0])):
        rule = names.get(code)
        lines.append(f"| {code} | {_cell(rule.name) if rule else ''} | {rule.severity if rule else ''} "
                     f"| {number} | {fixable[code]} |")
    per_target = Counter(f.target for f in findings)
    lines += ["", "| Target | Findings |", "|---|--:|"]
    for name, number in sorted(per_target.items()):
        lines.append(f"| {name} | {number} |")
    lines += ["", "| File | Findings |", "|---|--:|"]
    for path, number in sorted(files.items(), key=lambda item: (-item[1], item[0]))[:TOP_FILES]:
        lines.append(f"| {_code(path)} | {number} |")
    if len(files) > TOP_FILES:
        lines += ["", f"… and {len(files) - TOP_FILES} more files."]
    return "\n".join(lines) + "\n"


def _unannotated_line(report: "Report") -> str:
    """The findings GitHub will not annotate (it shows 10 errors and 10 warnings per step)."""
    from portlint.reporters.github import ANNOTATIONS_PER_STEP, unannotated

    hidden = unannotated(report)
    parts = [f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in hidden.items() if count]
    if not parts:
        return ""
    return (f"> **{' and '.join(parts)} not shown as annotations**: GitHub annotates only the first "
            f"{ANNOTATIONS_PER_STEP} errors and {ANNOTATIONS_PER_STEP} warnings of a step (errors are "
            "printed first). The full list is in this step's log (one `::error`/`::warning` line per "
            "finding), or run `portlint check` locally; upload the SARIF report to see every finding "
            "in code scanning.")


def append(path: str, text: str) -> None:
    """Append to the summary file; a summary is a convenience, so problems only warn."""
    import sys

    try:
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        sys.stderr.write(f"portlint: warning: cannot write the job summary {path}: {exc.strerror or exc}\n")
