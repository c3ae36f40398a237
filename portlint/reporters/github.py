"""``--output-format github``: GitHub Actions workflow commands, one annotation per finding.

    ::error file=src/train.py,line=3,col=9,endLine=3,endColumn=15,title=PRT404 (cuda-method)::message

Severity ``error`` becomes ``::error``, ``warning`` becomes ``::warning``. GitHub turns only the
first ``ANNOTATIONS_PER_STEP`` errors and as many warnings of a step into annotations, in the order
printed: errors come first (then files that could not be checked, then warnings), each group by
path and line; the job summary says how many were not annotated. Paths are relative to
the project root (the git root), which is what GitHub resolves annotation paths against.
Escaping follows GitHub's workflow-command rules: in the message ``%``, CR and LF are
percent-encoded; in property values ``:`` and ``,`` are too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from portlint.baseline import project_root, relative_path
from portlint.printable import printable

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.findings import Finding
    from portlint.rules import Rule

COMMANDS = {"error": "error", "warning": "warning"}
ANNOTATIONS_PER_STEP = 10  # of each kind (error, warning, notice); and at most 50 per job


def unannotated(report: "Report") -> dict[str, int]:
    """How many errors and warnings of the report GitHub will not show as annotations."""
    counts = {"error": len(report.errors), "warning": 0}
    for finding in report.findings:
        counts[COMMANDS.get(finding.severity, "error")] += 1
    return {kind: max(0, count - ANNOTATIONS_PER_STEP) for kind, count in counts.items()}


def escape_data(text: str) -> str:
    # then no other control character (ESC...) nor undecodable byte reaches the log raw
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def message(finding: "Finding") -> str:
    text = finding.cell_prefix() + finding.message
    fix = finding.fix
    if fix is not None and fix.replacement is not None:
        label = "fix" if fix.applicability == "safe" else "unsafe fix"
        text += f"\n{label}: {fix.replacement}"
    elif fix is not None and fix.hint:
        text += f"\nhelp: {fix.hint}"
    return text


def annotation(finding: "Finding", path: str) -> str:
    command = COMMANDS.get(finding.severity, "error")
    properties = [
        ("file", path),
        ("line", str(finding.line)),
        ("col", str(finding.column)),
        ("endLine", str(finding.end_line)),
        ("endColumn", str(finding.end_column)),
        ("title", f"{finding.code} ({finding.rule})"),
    ]
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{command} {props}::{escape_data(message(finding))}"


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    root = options.get("root") or project_root()
    paths: dict[str, str] = {}
    errors = [f for f in report.findings if COMMANDS.get(f.severity, "error") == "error"]
    warnings = [f for f in report.findings if COMMANDS.get(f.severity, "error") != "error"]
    for finding in errors:
        stream.write(_annotation_line(finding, paths, root))
    for error in report.errors:
        path = escape_property(relative_path(error.path, root))
        stream.write(f"::error file={path},title=portlint::{escape_data('cannot check: ' + error.reason)}\n")
    for finding in warnings:
        stream.write(_annotation_line(finding, paths, root))


def _annotation_line(finding: "Finding", paths: dict[str, str], root) -> str:
    if finding.path not in paths:
        paths[finding.path] = relative_path(finding.path, root)
    return annotation(finding, paths[finding.path]) + "\n"
