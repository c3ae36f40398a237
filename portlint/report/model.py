"""The report's numbers, computed once from the check's findings; every format renders them.

The model is plain data (dicts, lists, numbers, strings) so that the JSON output *is* the
model; the HTML, Markdown and terminal renderers only format it. ``rows`` gives the
per-finding rows of the CSV.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from portlint import __version__
from portlint.baseline import relative_path
from portlint.engine import Report
from portlint.findings import Finding
from portlint.fixer import applicable
from portlint.report import effort
from portlint.rules import Ruleset

SCHEMA = "portlint-report/1"
APPLICABILITIES = ("safe", "unsafe", "manual")
FILE_STATES = ("clean", "safe", "unsafe", "manual", "error")
TOP_FILES = 15
WHERE_USED = 12  # locations listed per blocker
GROUPS = 24  # directories (or files) in the breakdown

READINESS_DEFINITION = (
    "Share of the checked files with nothing left to do for this target after `portlint fix` "
    "(safe fixes only): files with no finding, plus files whose every finding has a safe fix. "
    "Files that could not be checked count as not ready."
)
APPLICABILITY_TEXT = {
    "safe": "fixed by `portlint fix`",
    "unsafe": "fixed by `portlint fix --unsafe-fixes` (review each)",
    "manual": "manual: advice only, a person must change the code",
}
STATE_TEXT = {
    "clean": "no findings",
    "safe": "ready after `portlint fix`",
    "unsafe": "ready after `--unsafe-fixes`",
    "manual": "need manual work",
    "error": "could not be checked",
}


def applicability(finding: Finding) -> str:
    """``safe``, ``unsafe`` or ``manual``: what ``portlint fix`` would do with this finding."""
    if applicable(finding):
        return "safe"
    if applicable(finding, unsafe=True):
        return "unsafe"
    return "manual"


def docs_anchor(code: str, name: str) -> str:
    return f"docs/rules.md#{code.lower()}-{name}"


@dataclass
class Inputs:
    reports: dict[str, Report]  # per target, as `portlint check --target T` reports it
    ruleset: Ruleset
    root: Path
    paths: list[str]


class _Relative(dict):
    """Paths relative to the project root, each computed once."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, path: str) -> str:
        value = self[path] = relative_path(path, self.root)
        return value


def build(inputs: Inputs, baseline: dict[str, Any] | None = None,
          now: datetime.datetime | None = None) -> dict[str, Any]:
    any_report = next(iter(inputs.reports.values()))
    root = _Relative(inputs.root)
    files = [root[path] for path in any_report.files]
    error_files = sorted({root[error.path] for error in any_report.errors})
    lines = _line_counts(any_report.files, files)
    groups = _directory_groups(files, lines)
    model: dict[str, Any] = {
        "schema": SCHEMA,
        "portlint": __version__,
        "generated": (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        "project": _project_name(inputs.paths, inputs.root),
        "paths": list(inputs.paths),
        "files_checked": any_report.files_checked,
        "lines": sum(lines.values()),
        "errors": [{"path": root[e.path], "reason": e.reason} for e in any_report.errors],
        "readiness_definition": READINESS_DEFINITION,
        "effort_model": effort.MODEL_TEXT,
        "targets": {},
    }
    for target, report in inputs.reports.items():
        model["targets"][target] = _target(target, report, inputs.ruleset, root, files, error_files, lines, groups)
    if baseline is not None:
        model["progress"] = progress(baseline, model)
    return model


def _project_name(paths: list[str], root: Path) -> str:
    """The one directory reported on (``portlint report examples``), else the project root's name."""
    if len(paths) == 1 and paths[0] not in (".", ""):
        return Path(paths[0]).resolve().name or str(root)
    return root.name or str(root)


def _target(target: str, report: Report, ruleset: Ruleset, root: _Relative, files: list[str],
            error_files: list[str], lines: dict[str, int], groups: dict[str, str]) -> dict[str, Any]:
    rules = ruleset.by_code()
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    minutes_per_file: Counter[str] = Counter()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    rule_minutes: Counter[str] = Counter()
    blockers: dict[tuple[str, str], list[tuple[str, Finding]]] = defaultdict(list)
    totals: Counter[str] = Counter()
    charged: set[tuple[str, str]] = set()  # (rule, file) of blockers already costed
    manual_minutes = 0.0
    for finding in report.findings:
        path = root[finding.path]
        kind = applicability(finding)
        rule = rules.get(finding.code)
        blocker = effort.blocker_kind(rule, ruleset.families)
        cost = effort.minutes(kind, rule, ruleset.families)
        if blocker is not None and kind == "manual":
            # Porting a library use or an extension is one piece of work per file.
            cost = 0.0 if (finding.code, path) in charged else cost
            charged.add((finding.code, path))
        if kind == "manual":
            manual_minutes += cost
        totals[kind] += 1
        per_file[path][kind] += 1
        minutes_per_file[path] += cost
        per_rule[finding.code][kind] += 1
        rule_minutes[finding.code] += cost
        if blocker == "library":
            blockers[("library", finding.code)].append((path, finding))
        elif blocker == "kernel":
            blockers[("kernel", path)].append((path, finding))
    states = Counter(_state(path, per_file.get(path), error_files) for path in files)
    checked = report.files_checked
    ready = states["clean"] + states["safe"]
    total_minutes = sum(rule_minutes.values())
    return {
        "target": target,
        "findings": len(report.findings),
        "by_applicability": {kind: totals[kind] for kind in APPLICABILITIES},
        "files": {state: states[state] for state in FILE_STATES},
        "files_with_findings": len(per_file),
        "readiness": {
            "percent": _percent(ready, checked),
            "ready_files": ready,
            "files": checked,
            "after_unsafe_fixes_percent": _percent(ready + states["unsafe"], checked),
            "fixed_by_portlint_percent": _percent(totals["safe"], len(report.findings)),
        },
        "effort": {"minutes": round(total_minutes, 1), "text": effort.describe(total_minutes),
                   "manual_minutes": round(manual_minutes, 1)},
        "families": _families(per_rule, rule_minutes, rules, ruleset),
        "rules": _rules(per_rule, rule_minutes, rules),
        "directories": _directories(files, lines, groups, per_file, minutes_per_file),
        "top_files": _top_files(per_file, minutes_per_file, lines),
        "blockers": _blockers(blockers, rules, target),
    }


def _state(path: str, counts: Counter[str] | None, error_files: list[str]) -> str:
    if path in error_files:
        return "error"
    if not counts:
        return "clean"
    if counts["manual"]:
        return "manual"
    return "unsafe" if counts["unsafe"] else "safe"


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def _counts(counter: Counter[str]) -> dict[str, int]:
    return {kind: counter[kind] for kind in APPLICABILITIES}


def _families(per_rule, rule_minutes, rules, ruleset: Ruleset) -> list[dict[str, Any]]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    minutes: Counter[str] = Counter()
    for code, counts in per_rule.items():
        family = rules[code].family if code in rules else "other"
        grouped[family].update(counts)
        minutes[family] += rule_minutes[code]
    out = []
    for family, counts in grouped.items():
        info = ruleset.families.get(family)
        out.append({"family": family, "title": info.title if info and info.title else family,
                    "findings": sum(counts.values()), **_counts(counts), "minutes": round(minutes[family], 1)})
    return sorted(out, key=lambda item: (-item["findings"], item["family"]))


def _rules(per_rule, rule_minutes, rules) -> list[dict[str, Any]]:
    out = []
    for code, counts in per_rule.items():
        rule = rules.get(code)
        name = rule.name if rule else ""
        out.append({"code": code, "name": name, "family": rule.family if rule else "other",
                    "summary": rule.summary if rule else "", "severity": rule.severity if rule else "",
                    "findings": sum(counts.values()), **_counts(counts),
                    "minutes": round(rule_minutes[code], 1), "docs": docs_anchor(code, name)})
    return sorted(out, key=lambda item: (-item["findings"], item["code"]))


def _line_counts(absolute: list[str], relative: list[str]) -> dict[str, int]:
    counts = {}
    for path, name in zip(absolute, relative):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            counts[name] = 0
            continue
        counts[name] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return counts


def _directory_groups(files: list[str], lines: dict[str, int]) -> dict[str, str]:
    """Each file's group for the breakdown: start with the directories just below the files'
    common directory, then split the largest group (by lines) into its subdirectories and
    files until there are ``GROUPS`` groups or nothing left to split. Big directories get
    detail, small ones stay whole; a small project's groups are its files."""
    split = {path: path.split("/") for path in files}
    common = 0
    if files:
        shortest = min(len(parts) for parts in split.values()) - 1  # never the file name itself
        while common < shortest and len({parts[common] for parts in split.values()}) == 1:
            common += 1
    depth = {path: common + 1 for path in files}

    def key(path: str) -> str:
        return "/".join(split[path][:depth[path]])

    for _ in range(4 * GROUPS):
        sizes: Counter[str] = Counter()
        members: dict[str, list[str]] = defaultdict(list)
        for path in files:
            sizes[key(path)] += lines.get(path, 0) + 1
            members[key(path)].append(path)
        if len(sizes) >= GROUPS:
            break
        splittable = [group for group in sizes if any(len(split[p]) > depth[p] for p in members[group])]
        if not splittable:
            break
        largest = max(splittable, key=lambda group: (sizes[group], group))
        for path in members[largest]:
            if len(split[path]) > depth[path]:
                depth[path] += 1
    return {path: key(path) for path in files}


def _directories(files, lines, groups, per_file, minutes_per_file) -> list[dict[str, Any]]:
    sizes: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    minutes: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for path in files:
        group = groups[path]
        members[group] += 1
        sizes[group] += lines.get(path, 0)
        counts[group].update(per_file.get(path, Counter()))
        minutes[group] += minutes_per_file.get(path, 0)
    out = []
    for group in members:
        findings = sum(counts[group].values())
        out.append({"path": group, "files": members[group], "lines": sizes[group], "findings": findings,
                    **_counts(counts[group]), "minutes": round(minutes[group], 1),
                    "minutes_per_kloc": round(1000 * minutes[group] / sizes[group], 1) if sizes[group] else 0.0})
    return sorted(out, key=lambda item: (-item["minutes"], -item["lines"], item["path"]))


def _top_files(per_file, minutes_per_file, lines) -> list[dict[str, Any]]:
    ranked = sorted(per_file, key=lambda path: (-minutes_per_file[path], -sum(per_file[path].values()), path))
    return [{"path": path, "lines": lines.get(path, 0), "findings": sum(per_file[path].values()),
             **_counts(per_file[path]), "minutes": round(minutes_per_file[path], 1)} for path in ranked[:TOP_FILES]]


def _blockers(blockers, rules, target: str) -> dict[str, list[dict[str, Any]]]:
    libraries, kernels = [], []
    for (kind, key), items in blockers.items():
        where = [_location(path, finding) for path, finding in items]
        first = items[0][1]
        advice = first.fix.describe() if first.fix is not None else ""
        entry = {"findings": len(items), "files": len({path for path, _ in items}),
                 "where": where[:WHERE_USED], "more": max(0, len(where) - WHERE_USED), "advice": advice}
        if kind == "library":
            rule = rules.get(key)
            entry = {"code": key, "name": rule.name if rule else key, "summary": rule.summary if rule else "",
                     "npu_build": bool(rule and rule.npu_build),
                     "used": sorted({finding.matched for _, finding in items})[:8], **entry}
            libraries.append(entry)
        else:
            codes = sorted({finding.code for _, finding in items})
            entry = {"path": key, "codes": codes, "used": sorted({finding.matched for _, finding in items})[:8],
                     **entry}
            kernels.append(entry)
    libraries.sort(key=lambda e: (e["npu_build"], -e["findings"], e["code"]))
    kernels.sort(key=lambda e: (-e["findings"], e["path"]))
    return {"libraries": libraries, "kernels": kernels}


def _location(path: str, finding: Finding) -> str:
    cell = getattr(finding, "cell", None)  # notebooks: the line is within the cell
    return f"{path}:{'' if cell is None else f'cell {cell}:'}{finding.line}"


# --------------------------------------------------------------------------- progress


def progress(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed since an earlier report (``--baseline old.json``)."""
    out: dict[str, Any] = {"since": old.get("generated", "?"), "targets": {}}
    for target, now in new["targets"].items():
        before = old.get("targets", {}).get(target)
        if not isinstance(before, dict):
            continue
        old_rules = {r["code"]: r["findings"] for r in before.get("rules", [])}
        new_rules = {r["code"]: r["findings"] for r in now["rules"]}
        changed = sorted(({"code": code, "before": old_rules.get(code, 0), "after": new_rules.get(code, 0)}
                          for code in set(old_rules) | set(new_rules)
                          if old_rules.get(code, 0) != new_rules.get(code, 0)),
                         key=lambda item: (item["after"] - item["before"], item["code"]))
        out["targets"][target] = {
            "findings": [before.get("findings", 0), now["findings"]],
            "by_applicability": {kind: [before.get("by_applicability", {}).get(kind, 0), now["by_applicability"][kind]]
                                 for kind in APPLICABILITIES},
            "readiness_percent": [before.get("readiness", {}).get("percent", 0.0), now["readiness"]["percent"]],
            "effort_minutes": [before.get("effort", {}).get("minutes", 0.0), now["effort"]["minutes"]],
            "files_checked": [old.get("files_checked", 0), new["files_checked"]],
            "rules": changed,
        }
    return out


def read_baseline(path: str) -> dict[str, Any]:
    """An earlier ``portlint report -o FILE.json``; a clear error for anything else."""
    import json

    from portlint.errors import PortlintError

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise PortlintError(f"baseline report {path} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PortlintError(f"cannot read the baseline report {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("targets"), dict):
        raise PortlintError(f"{path} is not a portlint report in JSON (write one with "
                            "'portlint report -o FILE.json'; a 'check --write-baseline' file is another thing)")
    return data


# --------------------------------------------------------------------------- CSV rows

CSV_COLUMNS = ("path", "line", "cell", "code", "rule", "family", "target", "applicability",
               "suggested_replacement", "message")


def rows(reports: dict[str, Report], ruleset: Ruleset, root: Path) -> Iterable[list[str]]:
    rules = ruleset.by_code()
    for target, report in reports.items():
        for finding in report.findings:
            rule = rules.get(finding.code)
            cell = getattr(finding, "cell", None)
            yield [relative_path(finding.path, root), str(finding.line), "" if cell is None else str(cell),
                   finding.code, finding.rule, rule.family if rule else "", target, applicability(finding),
                   finding.fix.describe() if finding.fix is not None else "", finding.message]
