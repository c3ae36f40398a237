"""The Markdown report: for pull-request comments and ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from typing import Any

from portlint.report.model import APPLICABILITIES, APPLICABILITY_TEXT, FILE_STATES, STATE_TEXT

TOP = 10


def _cell(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def render(model: dict[str, Any]) -> str:
    targets = model["targets"]
    names = list(targets)
    out = [f"## portlint readiness: `{_cell(model['project'])}`", "",
           f"{_n(model['files_checked'])} files, {_n(model['lines'])} lines checked "
           f"({model['generated']}, portlint {model['portlint']}).", ""]
    out += ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "--:|" * len(names)]
    out.append("| **Files ready after `portlint fix`** | "
               + " | ".join(f"**{t['readiness']['percent']:g}%** ({t['readiness']['ready_files']}/{t['readiness']['files']})"
                            for t in targets.values()) + " |")
    out.append("| Files ready with `--unsafe-fixes` | "
               + " | ".join(f"{t['readiness']['after_unsafe_fixes_percent']:g}%" for t in targets.values()) + " |")
    out.append("| Findings | " + " | ".join(_n(t["findings"]) for t in targets.values()) + " |")
    for kind in APPLICABILITIES:
        out.append(f"| \u2003{_cell(APPLICABILITY_TEXT[kind])} | "
                   + " | ".join(_n(t["by_applicability"][kind]) for t in targets.values()) + " |")
    for state in FILE_STATES:
        out.append(f"| Files: {_cell(STATE_TEXT[state])} | "
                   + " | ".join(_n(t["files"][state]) for t in targets.values()) + " |")
    out.append("| Estimated effort | " + " | ".join(_cell(t["effort"]["text"]) for t in targets.values()) + " |")
    out += ["", f"*Readiness:* {model['readiness_definition']}", "",
            f"*Effort:* {model['effort_model']}", ""]
    if model.get("progress"):
        out += _progress(model["progress"])
    first = targets["npu"] if "npu" in targets else next(iter(targets.values()))
    out += _blockers(first)
    rules: dict[str, dict[str, Any]] = {}
    for name, t in targets.items():
        for rule in t["rules"]:
            rules.setdefault(rule["code"], {"rule": rule, "per": {}})["per"][name] = rule
    if rules:
        out += ["### Findings by rule", "",
                "| Rule | Family | " + " | ".join(f"`{n}` (safe / unsafe / manual)" for n in names) + " |",
                "|---|---|" + "--:|" * len(names)]
        for entry in sorted(rules.values(), key=lambda e: (-max(p["findings"] for p in e["per"].values()),
                                                           e["rule"]["code"])):
            rule = entry["rule"]
            cells = []
            for name in names:
                p = entry["per"].get(name)
                cells.append("\u2013" if p is None else f"{p['findings']} ({p['safe']} / {p['unsafe']} / {p['manual']})")
            out.append(f"| {rule['code']} `{rule['name']}` | {rule['family']} | " + " | ".join(cells) + " |")
        out += ["", "`portlint rule CODE` prints a rule's documentation.", ""]
    out += [f"### Top files (`{first['target']}`)", "", "| File | Findings | safe | unsafe | manual | est. hours |",
            "|---|--:|--:|--:|--:|--:|"]
    for f in first["top_files"][:TOP]:
        out.append(f"| `{_cell(f['path'])}` | {f['findings']} | {f['safe']} | {f['unsafe']} | {f['manual']} | "
                   f"{_n(f['minutes'] / 60)} |")
    if model["errors"]:
        out += ["", f"{len(model['errors'])} files could not be checked."]
    return "\n".join(out) + "\n"


def _blockers(target: dict[str, Any]) -> list[str]:
    out = [f"### Blockers (`{target['target']}`)", ""]
    libs, kernels = target["blockers"]["libraries"], target["blockers"]["kernels"]
    if not libs and not kernels:
        return out + ["No CUDA-only libraries or CUDA kernels found.", ""]
    if libs:
        out += ["| Library (rule) | NPU build | uses | files | where used |", "|---|---|--:|--:|---|"]
        for b in libs:
            where = ", ".join(f"`{_cell(w)}`" for w in b["where"][:4]) + (" \u2026" if len(b["where"]) > 4 else "")
            out.append(f"| {b['code']} `{b['name']}` | {'yes' if b['npu_build'] else '**no**'} | {b['findings']} | "
                       f"{b['files']} | {where} |")
        out.append("")
    if kernels:
        out += ["| Kernel / extension file | rules | findings |", "|---|---|--:|"]
        for k in kernels:
            out.append(f"| `{_cell(k['path'])}` | {', '.join(k['codes'])} | {k['findings']} |")
        out.append("")
    return out


def _progress(progress: dict[str, Any]) -> list[str]:
    out = [f"### Progress since {progress['since']}", "", "| target | readiness | findings | manual | est. hours |",
           "|---|---|---|---|---|"]
    for name, p in progress["targets"].items():
        r, f, m, e = p["readiness_percent"], p["findings"], p["by_applicability"]["manual"], p["effort_minutes"]
        out.append(f"| `{name}` | {r[0]:g}% \u2192 {r[1]:g}% | {f[0]} \u2192 {f[1]} | {m[0]} \u2192 {m[1]} | "
                   f"{_n(e[0] / 60)} \u2192 {_n(e[1] / 60)} |")
    return out + [""]
