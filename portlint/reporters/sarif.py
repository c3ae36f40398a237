"""``--output-format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver.rules`` lists every loaded rule (with its documentation as help
text); each result points at a path relative to ``%SRCROOT%`` (the project root, declared
in ``originalUriBaseIds``), carries ``partialFingerprints`` that do not depend on line
numbers (see ``portlint.baseline``) and, when ``portlint fix`` fixes it, a ``fixes`` entry
with every edit the fixer makes for it, imports and definitions included (``portlint.fixedits``). Columns count Unicode code points (``columnKind``), as portlint does.
Files that could not be checked become tool execution notifications.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from portlint import __version__
from portlint.baseline import (
    FINGERPRINT_VERSION,
    SourceLines,
    identities,
    project_root,
    relative_path,
)

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.findings import Finding
    from portlint.fixedits import PlacedEdit
    from portlint.rules import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/portlint/portlint"
ROOT_ID = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning"}


def rule_descriptor(rule: "Rule") -> dict[str, Any]:
    from portlint.docs import rule_markdown, rule_url

    text = f"{rule.summary}.\n\n{rule.rationale}"
    for target in rule.targets:
        if target in rule.use_instead:
            text += f"\n\nUse instead ({target}):\n{rule.use_instead[target].rstrip()}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": text, "markdown": rule_markdown(rule, "#")},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "error")},
        "properties": {"tags": ["portability", rule.family], "targets": list(rule.targets)},
    }


def artifact_location(path: str) -> dict[str, str]:
    """A project-relative path as a URI reference against %SRCROOT%; outside the project,
    an absolute ``file:`` URI."""
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    # errors: the bytes of a file name that is not UTF-8 are percent-encoded as they are
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": ROOT_ID}


def _region(finding: "Finding") -> dict[str, int]:
    return {"startLine": finding.line, "startColumn": finding.column,
            "endLine": finding.end_line, "endColumn": finding.end_column}


def _message(finding: "Finding") -> str:
    fix = finding.fix
    if finding.cell is not None:  # SARIF regions have no cells: the message names it
        finding = replace(finding, message=finding.cell_prefix() + finding.message)
    if fix is None:
        return finding.message
    if fix.replacement is not None:
        label = "Fix" if fix.applicability == "safe" else "Unsafe fix"
        return f"{finding.message}. {label}: `{fix.replacement}`"
    if fix.hint:
        return f"{finding.message}. Help: {fix.hint}"
    return finding.message


def _fixes(finding: "Finding", location: dict[str, Any], edits: list["PlacedEdit"]) -> list[dict[str, Any]]:
    """The complete fix: every edit ``portlint fix`` makes for the finding (see fixedits)."""
    fix = finding.fix
    if fix is None or fix.replacement is None or not edits:
        return []
    description = f"Replace with `{fix.replacement}`"
    if len(edits) > 1:
        description += " (with the imports and definitions portlint fix adds or removes)"
    if fix.applicability != "safe":
        description += " [unsafe: may change behaviour; review it]"
    return [{
        "description": {"text": description},
        "artifactChanges": [{
            "artifactLocation": location,
            "replacements": [{"deletedRegion": {"startLine": e.span.line, "startColumn": e.span.column,
                                                "endLine": e.span.end_line, "endColumn": e.span.end_column},
                              "insertedContent": {"text": e.text}} for e in edits],
        }],
    }]


def build(report: "Report", rules: list["Rule"], options: dict) -> dict[str, Any]:
    root = options.get("root") or project_root()
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    sources = SourceLines()
    fix_edits = options.get("fix_edits") or {}
    results = []
    for finding, identity in zip(report.findings, identities(report.findings, root, sources)):
        location = artifact_location(identity.path)
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS.get(finding.severity, "error"),
            "message": {"text": _message(finding)},
            "locations": [{"physicalLocation": {"artifactLocation": location, "region": _region(finding)}}],
            "partialFingerprints": {FINGERPRINT_VERSION: identity.fingerprint},
            "properties": {"target": finding.target},
        }
        if finding.code in rule_index:
            result["ruleIndex"] = rule_index[finding.code]
        if finding.cell is not None:
            result["properties"]["cell"] = finding.cell
        # A notebook's lines are counted per cell: a region edit of the file would be wrong.
        fixes = _fixes(finding, location, fix_edits.get(finding, [])) if finding.cell is None else []
        if fixes:
            result["fixes"] = fixes
            result["properties"]["fixApplicability"] = finding.fix.applicability  # type: ignore[union-attr]
        results.append(result)
    notifications = [{
        "level": "error",
        "message": {"text": f"cannot check: {error.reason}"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(relative_path(error.path, root))}}],
    } for error in report.errors]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "portlint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [rule_descriptor(rule) for rule in rules],
        }},
        "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    json.dump(build(report, rules, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
