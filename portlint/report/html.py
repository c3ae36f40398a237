"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external
resource), readable in any browser without JavaScript, and printable."""

from __future__ import annotations

from html import escape
from typing import Any

from portlint.report import svg
from portlint.report.model import APPLICABILITIES, APPLICABILITY_TEXT, FILE_STATES, STATE_TEXT
from portlint.rules import Ruleset

TARGET_TITLES = {"agnostic": "Any device (device-agnostic)", "npu": "Ascend NPU (torch_npu)"}
MAX_TREEMAP = 60
MAX_DIRECTORY_ROWS = 25
YES = '<span class="tag yes">Ascend build exists</span>'
NO = '<span class="tag no">no NPU build</span>'
SHORT_DEFINITION = ("= (files with no finding + files whose findings all have a safe fix) \u00f7 files checked. "
                    "The rest need `--unsafe-fixes` or a person.")

CSS = """
:root { --text:#202124; --muted:#5f6368; --line:#dadce0; --bg:#f8f9fa; --accent:#1a73e8; }
* { box-sizing: border-box; }
body { margin:0; color:var(--text); background:#fff;
  font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
header { background:#202124; color:#fff; padding:28px 40px 22px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:650; letter-spacing:-.2px; }
header .meta { color:#bdc1c6; font-size:13px; }
header .brand { color:#8ab4f8; font-weight:600; font-size:13px; text-transform:uppercase; letter-spacing:.8px; }
main { max-width:1180px; margin:0 auto; padding:8px 40px 48px; }
h2 { font-size:19px; margin:34px 0 6px; padding-bottom:6px; border-bottom:1px solid var(--line); }
h3 { font-size:15px; margin:18px 0 6px; }
p.lead { color:var(--muted); margin:4px 0 12px; max-width:900px; }
.cards { display:flex; flex-wrap:wrap; gap:18px; }
.card { flex:1 1 520px; border:1px solid var(--line); border-radius:10px; padding:18px 20px; background:#fff;
  break-inside:avoid; page-break-inside:avoid; }
.card h3 { margin:0 0 10px; font-size:16px; }
.glance { display:flex; gap:18px; align-items:center; } .glance > svg { flex:none; }
.figure-def { font-size:13px; color:var(--muted); }
.figure-def strong { color:var(--text); }
.kv { display:grid; grid-template-columns:auto auto; gap:2px 14px; font-size:13px; margin:10px 0 4px; }
.kv span:nth-child(odd) { color:var(--muted); }
.effort { margin-top:10px; padding:8px 12px; background:var(--bg); border-radius:6px; font-size:13px; }
table { border-collapse:collapse; width:100%; margin:8px 0 4px; font-size:13px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:var(--bg); font-weight:600; white-space:nowrap; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr { break-inside:avoid; page-break-inside:avoid; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px; }
td.wide { min-width:240px; }
.path { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px; word-break:break-all; }
.dot { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; vertical-align:-1px; }
.tag { display:inline-block; white-space:nowrap; padding:0 7px; border-radius:9px; font-size:11px; font-weight:600; }
.tag.no { background:#fce8e6; color:#a50e0e; } .tag.yes { background:#e6f4ea; color:#137333; }
.where { color:var(--muted); font-size:12px; }
.chart { display:block; max-width:100%; height:auto; }
.treemap-wrap { border:1px solid var(--line); border-radius:8px; padding:10px; break-inside:avoid; }
.two { display:flex; flex-wrap:wrap; gap:18px; } .two > div { flex:1 1 520px; min-width:0; }
.up { color:#a50e0e; } .down { color:#137333; }
details { border:1px solid var(--line); border-radius:8px; padding:8px 12px; margin:6px 0; }
details summary { cursor:pointer; font-weight:600; }
.rule-doc p { margin:6px 0; white-space:pre-line; }
.note { color:var(--muted); font-size:12px; }
footer { color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding:14px 40px; text-align:center; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
@media print {
  header { background:#fff; color:#000; border-bottom:2px solid #000; padding:10px 0; }
  header .meta, header .brand { color:#333; }
  main { padding:0; max-width:none; }
  h2 { break-after:avoid; page-break-after:avoid; }
  details { border:none; padding:0; } details > summary { list-style:none; }
  details:not([open]) > *:not(summary) { display:block; }
  a { color:inherit; }
  @page { margin:14mm; }
}
"""


def _e(value: Any) -> str:
    return escape(str(value))


def _md_code(text: str) -> str:
    """Escape, then show `backticks` as code (the model's definitions use Markdown-style code)."""
    parts = str(text).split("`")
    return "".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p) for i, p in enumerate(parts))


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "\u2013"


def render(model: dict[str, Any], ruleset: Ruleset | None = None) -> str:
    targets = model["targets"]
    body = [
        _header(model),
        "<main>",
        _glance(model),
        _applicability(targets),
        _blockers(targets),
        _directories(targets),
        _families(targets),
        _rules_table(targets),
    ]
    if model.get("progress"):
        body.append(_progress(model["progress"]))
    body += [_method(model), _rule_docs(targets, ruleset), "</main>",
             f"<footer>Generated by portlint {_e(model['portlint'])} on {_e(model['generated'])}. "
             "portlint reads code statically; it never ran this code on a GPU or an NPU.</footer>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Portability readiness: {_e(model['project'])}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def _header(model: dict[str, Any]) -> str:
    paths = ", ".join(model["paths"]) or "."
    return (f"<header><div class=\"brand\">portlint readiness report</div>"
            f"<h1>How far is <span class=\"mono\" style=\"font-size:24px\">{_e(model['project'])}</span> "
            "from running off CUDA?</h1>"
            f"<div class=\"meta\">{_n(model['files_checked'])} files \u00b7 {_n(model['lines'])} lines \u00b7 "
            f"checked: {_e(paths)} \u00b7 {_e(model['generated'])}</div></header>")


def _glance(model: dict[str, Any]) -> str:
    cards = []
    for name, t in model["targets"].items():
        r = t["readiness"]
        files = t["files"]
        by = t["by_applicability"]
        file_bar = svg.stacked_bar([(STATE_TEXT[s].replace("`", ""), files[s], svg.COLOURS[s]) for s in FILE_STATES
                                    if files[s] or s != "error"], title=f"Files by state, target {name}")
        finding_bar = svg.stacked_bar([(APPLICABILITY_TEXT[k].split(":")[0].replace("`", ""), by[k], svg.COLOURS[k])
                                       for k in APPLICABILITIES], title=f"Findings by applicability, target {name}")
        cards.append(
            f"<div class=\"card\" id=\"target-{_e(name)}\"><h3>{_e(TARGET_TITLES.get(name, name))} "
            f"<span class=\"note\">--target {_e(name)}</span></h3>"
            f"<div class=\"glance\">{svg.gauge(r['percent'], 'Files ready after portlint fix')}"
            f"<div class=\"figure-def\"><strong>{r['percent']:g}% of files ready after <code>portlint fix</code></strong>"
            f" ({_n(r['ready_files'])} of {_n(r['files'])}).<br>{_md_code(SHORT_DEFINITION)}"
            f"<div class=\"kv\"><span>Findings</span><span>{_n(t['findings'])} in {_n(t['files_with_findings'])} files</span>"
            f"<span>Fixed by <code>portlint fix</code></span><span>{r['fixed_by_portlint_percent']:g}% of findings</span>"
            f"<span>Ready with <code>--unsafe-fixes</code></span><span>{r['after_unsafe_fixes_percent']:g}% of files</span>"
            "</div></div></div>"
            f"<h3>Files</h3>{file_bar}<h3>Findings</h3>{finding_bar}"
            f"<div class=\"effort\"><strong>Estimated effort: {_e(t['effort']['text'])}</strong> "
            f"<span class=\"note\">(point estimate {_n(t['effort']['minutes'] / 60)} h; "
            f"<a href=\"#method\">model</a>)</span></div></div>")
    return ("<h2 id=\"readiness\">Readiness</h2><p class=\"lead\"><strong>Definition.</strong> "
            f"{_md_code(model['readiness_definition'])} It counts files, not lines.</p>"
            f"<div class=\"cards\">{''.join(cards)}</div>")


def _applicability(targets: dict[str, Any]) -> str:
    head = "".join(f"<th class=\"n\">{_e(n)}</th><th class=\"n\">share</th>" for n in targets)
    rows = []
    for kind in APPLICABILITIES:
        cells = "".join(f"<td class=\"n\">{_n(t['by_applicability'][kind])}</td>"
                        f"<td class=\"n\">{_pct(t['by_applicability'][kind], t['findings'])}</td>"
                        for t in targets.values())
        rows.append(f"<tr><td><span class=\"dot\" style=\"background:{svg.COLOURS[kind]}\"></span>"
                    f"{_md_code(APPLICABILITY_TEXT[kind])}</td>{cells}</tr>")
    total = "".join(f"<td class=\"n\"><strong>{_n(t['findings'])}</strong></td><td></td>" for t in targets.values())
    return ("<h2 id=\"applicability\">Findings by what resolves them</h2>"
            "<p class=\"lead\">Safe fixes keep behaviour on every machine where the code worked; unsafe fixes "
            "may change it and need review; manual findings come with advice only.</p>"
            f"<table id=\"applicability-table\"><thead><tr><th>Resolved by</th>{head}</tr></thead><tbody>{''.join(rows)}"
            f"<tr><td><strong>Total</strong></td>{total}</tr></tbody></table>")


def _blockers(targets: dict[str, Any]) -> str:
    name = "npu" if "npu" in targets else next(iter(targets))
    blockers = targets[name]["blockers"]
    parts = ["<h2 id=\"blockers\">Blockers</h2><p class=\"lead\">Dependencies that no rewrite of a line fixes: "
             "CUDA-only third-party libraries and CUDA kernels or extension builds, with where they are used. "
             f"Advice for target <code>{_e(name)}</code>.</p>"]
    libs = blockers["libraries"]
    parts.append("<h3>CUDA-only third-party libraries</h3>")
    if libs:
        rows = "".join(
            f"<tr><td><a href=\"#rule-{_e(b['code'].lower())}\">{_e(b['code'])}</a> <strong>{_e(b['name'])}</strong>"
            f"<div class=\"where\">{_md_code(b['summary'])}</div></td>"
            f"<td>{YES if b['npu_build'] else NO}</td>"
            f"<td class=\"n\">{b['findings']}</td><td class=\"n\">{b['files']}</td>"
            f"<td class=\"where\">{_where(b)}</td><td>{_e(b['advice'])}</td></tr>" for b in libs)
        parts.append("<table><thead><tr><th>Library (rule)</th><th>NPU</th><th class=\"n\">uses</th>"
                     f"<th class=\"n\">files</th><th>where used</th><th>advice</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>None found.</p>")
    parts.append("<h3>CUDA kernels and extensions</h3>")
    kernels = blockers["kernels"]
    if kernels:
        rows = "".join(
            f"<tr><td class=\"path wide\">{_e(k['path'])}</td><td>{', '.join(_rule_link(c) for c in k['codes'])}</td>"
            f"<td class=\"n\">{k['findings']}</td><td class=\"where\">{_where(k, k['path'])}</td>"
            f"<td>{_e(k['advice'])}</td></tr>"
            for k in kernels)
        parts.append("<table><thead><tr><th>File</th><th>rules</th><th class=\"n\">findings</th><th>where</th>"
                     f"<th>advice</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>None found.</p>")
    return "".join(parts)


def _where(entry: dict[str, Any], path: str | None = None) -> str:
    """The locations; within one file (``path``), just its line numbers."""
    places = [w[len(path) + 1:] if path and w.startswith(path + ":") else w for w in entry["where"]]
    text = ("lines " if path else "") + ", ".join(f"<span class=\"mono\">{_e(w)}</span>" for w in places)
    if entry["more"]:
        text += f" and {entry['more']} more"
    return text


def _rule_link(code: str) -> str:
    return f"<a href=\"#rule-{_e(code.lower())}\">{_e(code)}</a>"


def _directories(targets: dict[str, Any]) -> str:
    parts = ["<h2 id=\"directories\">Where the work is</h2><p class=\"lead\">Each rectangle is a directory: "
             "its area is its lines of code, its colour the estimated work left per 1,000 lines "
             "(<a href=\"#method\">effort model</a>). Hover for the numbers.</p>"]
    for name, t in targets.items():
        dirs = t["directories"]
        shown = sorted(dirs, key=lambda d: -d["lines"])[:MAX_TREEMAP]
        values = sorted(d["minutes_per_kloc"] for d in dirs if d["minutes_per_kloc"] > 0)
        high = values[int(0.9 * (len(values) - 1))] if values else 1.0
        items = [(d["path"], d["lines"], d["minutes_per_kloc"],
                  f"{d['path']}: {d['files']} files, {d['lines']:,} lines, {d['findings']} findings "
                  f"({d['safe']} safe, {d['unsafe']} unsafe, {d['manual']} manual), ~{d['minutes'] / 60:.1f} h")
                 for d in shown]
        rows = "".join(
            f"<tr><td class=\"path\">{_e(d['path'])}</td><td class=\"n\">{_n(d['files'])}</td>"
            f"<td class=\"n\">{_n(d['lines'])}</td><td class=\"n\">{d['findings']}</td><td class=\"n\">{d['safe']}</td>"
            f"<td class=\"n\">{d['unsafe']}</td><td class=\"n\">{d['manual']}</td><td class=\"n\">{_n(d['minutes'] / 60)}</td></tr>"
            for d in dirs[:MAX_DIRECTORY_ROWS] if d["findings"])
        files = "".join(
            f"<tr><td class=\"path\">{_e(f['path'])}</td><td class=\"n\">{_n(f['lines'])}</td>"
            f"<td class=\"n\">{f['findings']}</td><td class=\"n\">{f['safe']}</td><td class=\"n\">{f['unsafe']}</td>"
            f"<td class=\"n\">{f['manual']}</td><td class=\"n\">{_n(f['minutes'] / 60)}</td></tr>" for f in t["top_files"])
        more = len(shown) < len(dirs)
        parts.append(
            f"<h3>{_e(TARGET_TITLES.get(name, name))}</h3><div class=\"treemap-wrap\">"
            f"{svg.treemap(items, width=1076, height=400, title=f'Directories by size and work left, target {name}')}"
            f"{svg.heat_legend(high)}"
            + (f"<div class=\"note\">The {len(shown)} largest of {len(dirs)} directories.</div>" if more else "")
            + "</div><div class=\"two\">"
            "<div><h3>Directories with the most work</h3><table><thead><tr><th>Directory or file</th><th class=\"n\">files</th>"
            "<th class=\"n\">lines</th><th class=\"n\">findings</th><th class=\"n\">safe</th><th class=\"n\">unsafe</th>"
            f"<th class=\"n\">manual</th><th class=\"n\">est. h</th></tr></thead><tbody>{rows}</tbody></table></div>"
            "<div><h3>Top files</h3><table><thead><tr><th>File</th><th class=\"n\">lines</th><th class=\"n\">findings</th>"
            "<th class=\"n\">safe</th><th class=\"n\">unsafe</th><th class=\"n\">manual</th><th class=\"n\">est. h</th>"
            f"</tr></thead><tbody>{files}</tbody></table></div></div>")
    return "".join(parts)


def _families(targets: dict[str, Any]) -> str:
    parts = ["<h2 id=\"families\">By family</h2><div class=\"two\">"]
    for name, t in targets.items():
        rows = [(f["title"], [(k, f[k], svg.COLOURS[k]) for k in APPLICABILITIES]) for f in t["families"]]
        chart = svg.bar_rows(rows, title=f"Findings per family, target {name}") if rows else "<p>No findings.</p>"
        parts.append(f"<div><h3>{_e(TARGET_TITLES.get(name, name))}</h3>{chart}</div>")
    return "".join(parts) + "</div>"


def _rules_table(targets: dict[str, Any]) -> str:
    names = list(targets)
    rules: dict[str, dict[str, Any]] = {}
    for name in names:
        for rule in targets[name]["rules"]:
            rules.setdefault(rule["code"], {"rule": rule, "per": {}})["per"][name] = rule
    head = "".join(f"<th class=\"n\">{_e(n)}</th><th class=\"n\">safe</th><th class=\"n\">unsafe</th>"
                   f"<th class=\"n\">manual</th>" for n in names)
    ordered = sorted(rules.values(), key=lambda r: (-max(p["findings"] for p in r["per"].values()), r["rule"]["code"]))
    rows = []
    for entry in ordered:
        rule = entry["rule"]
        cells = ""
        for name in names:
            per = entry["per"].get(name)
            cells += ("<td class=\"n\">\u2013</td>" * 4 if per is None else
                      f"<td class=\"n\"><strong>{per['findings']}</strong></td><td class=\"n\">{per['safe']}</td>"
                      f"<td class=\"n\">{per['unsafe']}</td><td class=\"n\">{per['manual']}</td>")
        rows.append(f"<tr><td>{_rule_link(rule['code'])} <span class=\"mono\">{_e(rule['name'])}</span>"
                    f"<div class=\"where\">{_md_code(rule['summary'])}</div></td><td>{_e(rule['family'])}</td>{cells}</tr>")
    return ("<h2 id=\"rules\">By rule</h2><p class=\"lead\">Each rule links to its documentation below "
            "(also in <code>docs/rules.md</code> and <code>portlint rule CODE</code>).</p>"
            f"<table id=\"rules-table\"><thead><tr><th>Rule</th><th>family</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _progress(progress: dict[str, Any]) -> str:
    parts = [f"<h2 id=\"progress\">Progress since {_e(progress['since'])}</h2><div class=\"two\">"]
    for name, p in progress["targets"].items():
        def line(label: str, pair: list[float], good_down: bool = True, unit: str = "") -> str:
            before, after = pair
            delta = after - before
            cls = "" if delta == 0 else ("down" if (delta < 0) == good_down else "up")
            sign = "+" if delta > 0 else ""
            return (f"<tr><td>{label}</td><td class=\"n\">{_n(before)}{unit}</td><td class=\"n\">{_n(after)}{unit}</td>"
                    f"<td class=\"n {cls}\">{sign}{_n(delta)}{unit}</td></tr>")
        rows = [line("Files ready after <code>portlint fix</code>", p["readiness_percent"], good_down=False, unit="%"),
                line("Findings", p["findings"])]
        rows += [line(_md_code(APPLICABILITY_TEXT[k].split(":")[0]), p["by_applicability"][k]) for k in APPLICABILITIES]
        rows.append(line("Estimated effort (hours)", [p["effort_minutes"][0] / 60, p["effort_minutes"][1] / 60]))
        rules = "".join(f"<tr><td>{_rule_link(r['code'])}</td><td class=\"n\">{r['before']}</td><td class=\"n\">{r['after']}</td>"
                        f"<td class=\"n {'down' if r['after'] < r['before'] else 'up'}\">{r['after'] - r['before']:+d}</td></tr>"
                        for r in p["rules"][:20])
        parts.append(f"<div><h3>{_e(TARGET_TITLES.get(name, name))}</h3><table><thead><tr><th></th><th class=\"n\">then</th>"
                     f"<th class=\"n\">now</th><th class=\"n\">change</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
                     + (f"<table><thead><tr><th>Rule</th><th class=\"n\">then</th><th class=\"n\">now</th>"
                        f"<th class=\"n\">change</th></tr></thead><tbody>{rules}</tbody></table>" if rules else "")
                     + "</div>")
    return "".join(parts) + "</div>"


def _method(model: dict[str, Any]) -> str:
    errors = model["errors"]
    error_text = ("<p>All files could be checked.</p>" if not errors else
                  f"<h3>{len(errors)} files could not be checked</h3><table><tbody>"
                  + "".join(f"<tr><td class=\"path\">{_e(e['path'])}</td><td>{_e(e['reason'])}</td></tr>" for e in errors[:50])
                  + "</tbody></table>")
    return ("<h2 id=\"method\">How these numbers are made</h2>"
            f"<p><strong>Readiness.</strong> {_md_code(model['readiness_definition'])} A file's state comes from "
            "its findings' fixes as <code>portlint check</code> reports them for the target; the report does not "
            "run the fixer, so a fix that fails verification on a file would leave it not ready.</p>"
            f"<p><strong>Effort.</strong> {_md_code(model['effort_model'])}</p>"
            "<p><strong>What is not counted.</strong> portlint finds CUDA-specific code statically; it cannot see "
            "numerical differences, missing operators on the device, or performance. A file with no findings is "
            "ready as far as portlint can tell.</p>" + error_text)


def _rule_docs(targets: dict[str, Any], ruleset: Ruleset | None) -> str:
    codes = sorted({rule["code"] for t in targets.values() for rule in t["rules"]})
    if not codes:
        return ""
    rules = ruleset.by_code() if ruleset is not None else {}
    parts = ["<h2 id=\"rule-docs\">Rule documentation</h2>"]
    for code in codes:
        rule = rules.get(code)
        if rule is None:
            parts.append(f"<details id=\"rule-{_e(code.lower())}\"><summary>{_e(code)}</summary></details>")
            continue
        fixes = "".join(
            f"<p><strong>Fix ({_e(target)}):</strong> "
            + "; ".join(_e(option.replace if option.replace else option.hint or "") for option in rule.fixes[target])
            + "</p>" for target in targets if target in rule.fixes)
        parts.append(
            f"<details id=\"rule-{_e(code.lower())}\"><summary>{_e(code)} <span class=\"mono\">{_e(rule.name)}</span> "
            f"\u2013 {_md_code(rule.summary)}</summary><div class=\"rule-doc\"><p>{_md_code(rule.rationale)}</p>{fixes}"
            f"<p class=\"note\">Reference: <code>docs/rules.md#{_e(code.lower())}-{_e(rule.name)}</code> "
            f"\u00b7 <code>portlint rule {_e(code)}</code></p></div></details>")
    return "".join(parts)
