"""``--output-format junit``: JUnit XML, one test case per checked file.

A file with findings gets one ``<failure>`` listing them (``line:col CODE message``); a file
portlint could not check gets an ``<error>``; a clean file passes. CI systems that show test
reports (GitLab ``artifacts:reports:junit``, Jenkins, Azure Pipelines ...) display it as is.
Text that XML 1.0 cannot carry (control characters) is written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, TextIO

from portlint.baseline import project_root, relative_path
from portlint.printable import printable

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.findings import Finding
    from portlint.rules import Rule

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _line(finding: "Finding") -> str:
    text = f"{finding.cell_prefix()}{finding.line}:{finding.column} {finding.code} {finding.message}"
    fix = finding.fix
    if fix is not None and fix.replacement is not None:
        text += f" (fix: {fix.replacement})"
    elif fix is not None and fix.hint:
        text += f" (help: {fix.hint})"
    return text


def build(report: "Report", options: dict) -> ET.Element:
    root = options.get("root") or project_root()
    by_file: dict[str, list["Finding"]] = {}
    for finding in report.findings:
        by_file.setdefault(finding.path, []).append(finding)
    errors = {error.path: error for error in report.errors}
    files = list(getattr(report, "files", None) or [])
    names = [*files, *(p for p in by_file if p not in set(files)), *(p for p in errors if p not in set(files))]
    seen: set[str] = set()
    suites = ET.Element("testsuites", name="portlint")
    suite = ET.SubElement(suites, "testsuite", name="portlint")
    failures = error_count = tests = 0
    for path in names:
        if path in seen:
            continue
        seen.add(path)
        tests += 1
        shown = clean(printable(relative_path(path, root)))
        case = ET.SubElement(suite, "testcase", name=shown, classname="portlint", file=shown)
        found = by_file.get(path, [])
        if found:
            failures += 1
            count = len(found)
            failure = ET.SubElement(case, "failure", type="portlint",
                                    message=f"{count} finding{'s' if count != 1 else ''}")
            failure.text = clean("\n".join(_line(f) for f in found))
        if path in errors:
            error_count += 1
            ET.SubElement(case, "error", type="portlint", message=clean(errors[path].reason))
    for element in (suites, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(error_count))
    return suites


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    tree = build(report, options)
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
