"""``--output-format gitlab``: a GitLab Code Quality report (a JSON array of issues).

Each issue has ``description``, ``check_name`` (the rule code), a ``fingerprint`` that does
not depend on line numbers (see ``portlint.baseline``), ``severity`` (rule severity
``error`` -> ``major``, ``warning`` -> ``minor``) and ``location.path`` (relative to the
project root) with ``location.lines.begin``. Use it as ``artifacts:reports:codequality``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from portlint.baseline import identities, project_root

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.rules import Rule

SEVERITIES = {"error": "major", "warning": "minor"}


def build(report: "Report", options: dict) -> list[dict[str, Any]]:
    root = options.get("root") or project_root()
    issues = []
    for finding, identity in zip(report.findings, identities(report.findings, root)):
        issues.append({
            "type": "issue",
            "description": f"{finding.code} {finding.cell_prefix()}{finding.message}",
            "check_name": finding.code,
            "fingerprint": identity.fingerprint,
            "severity": SEVERITIES.get(finding.severity, "major"),
            "categories": ["Compatibility"],
            "location": {"path": identity.path,
                         "lines": {"begin": finding.line, "end": finding.end_line}},
        })
    return issues


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    json.dump(build(report, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
