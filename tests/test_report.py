"""``portlint report``: its numbers equal ``portlint check``'s in every format, for each target."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from portlint.cli import app
from portlint.errors import RulesetError
from portlint.report import svg
from portlint.report.effort import describe
from portlint.rules import default_ruleset_files, load_rulesets

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
TARGETS = ("agnostic", "npu")

# Safe, unsafe and manual fixes, a CUDA-only library with and without an NPU build, a CUDA
# extension build, a clean file and one that cannot be parsed.
FILES = {
    "train.py": (
        "import torch\n"
        "import cupy\n"
        "x = torch.zeros(2, device=\"cuda\")\n"
        "y = x.cuda()\n"
        "torch.cuda.synchronize()\n"
        "torch.backends.cudnn.benchmark = True\n"
        "if torch.cuda.is_available():\n"
        "    n = torch.cuda.device_count()\n"
    ),
    "models/layers.py": (
        "import torch\n"
        "from apex.optimizers import FusedAdam\n"
        "scaler = torch.cuda.amp.GradScaler()\n"
        "with torch.cuda.amp.autocast():\n"
        "    pass\n"
        "t = torch.ones(3).double()\n"
    ),
    "models/clean.py": "import torch\nx = torch.zeros(2)\n",
    "ops/setup.py": (
        "from setuptools import setup\n"
        "from torch.utils.cpp_extension import CUDAExtension\n"
        "setup(ext_modules=[CUDAExtension('k', ['k.cu'])])\n"
    ),
    "ops/launch.py": "import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'\nimport torch.distributed as dist\ndist.init_process_group('nccl')\n",
    "broken.py": "def f(:\n    x.cuda()\n",
    # A kernel source (PRT950, npu) is a blocker; printing where the CUDA toolkit is (PRT906)
    # builds nothing and is not (detectron2's collect_env.py was listed as a kernel).
    "ops/k.cu": "__global__ void add(float *x) { x[threadIdx.x] += 1; }\n",
    "tools/collect_env.py": (
        "from torch.utils.cpp_extension import CUDA_HOME\n"
        "print('CUDA_HOME', CUDA_HOME)\n"
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "portlint.toml").write_text("")
    # A nested configuration: its files are checked (and reported) with its settings.
    (tmp_path / "ops" / "portlint.toml").write_text('ignore = ["PRT701"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def check_numbers(target: str) -> tuple[Counter, Counter, int]:
    """Per (rule), per (rule, applicability) and total, from `portlint check -f json`."""
    result = invoke("check", ".", "--no-cache", "--target", target, "--output-format", "json", "--exit-zero")
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    per_rule = Counter(f["code"] for f in findings)
    per_kind = Counter()
    for f in findings:
        fix = f["fix"]
        kind = ("manual" if fix is None or fix["replacement"] is None else fix["applicability"])
        per_kind[(f["code"], kind)] += 1
    assert findings and set(per_rule) > {"PRT401"}
    return per_rule, per_kind, len(findings)


def write_report(name: str, *extra: str) -> str:
    result = invoke("report", ".", "--no-cache", "-o", name, *extra)
    assert result.exit_code == 1, result.output  # broken.py could not be checked
    assert f"Report written to {name}" in result.stdout
    return Path(name).read_text(encoding="utf-8")


def test_json_numbers_equal_check(project: Path) -> None:
    model = json.loads(write_report("r.json"))
    assert set(model["targets"]) == set(TARGETS)
    for target in TARGETS:
        per_rule, per_kind, total = check_numbers(target)
        data = model["targets"][target]
        assert data["findings"] == total
        assert {r["code"]: r["findings"] for r in data["rules"]} == dict(per_rule)
        for rule in data["rules"]:
            for kind in ("safe", "unsafe", "manual"):
                assert rule[kind] == per_kind[(rule["code"], kind)], (target, rule, kind)
        for kind in ("safe", "unsafe", "manual"):
            assert data["by_applicability"][kind] == sum(n for (_, k), n in per_kind.items() if k == kind)
        assert sum(f["findings"] for f in data["families"]) == total
        assert sum(d["findings"] for d in data["directories"]) == total
        assert sum(data["files"].values()) == model["files_checked"] == 8
        # (ops/k.cu has something to do for npu only: PRT950)
        assert data["files"]["error"] == 1 and data["files"]["clean"] == {"agnostic": 2, "npu": 1}[target]
    assert [e["path"] for e in model["errors"]] == ["broken.py"]
    assert "PRT701" not in {r["code"] for t in model["targets"].values() for r in t["rules"]}
    assert "PRT601" in {r["code"] for r in model["targets"]["agnostic"]["rules"]}


def test_csv_rows_equal_check(project: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(write_report("r.csv"))))
    assert list(rows[0]) == ["path", "line", "cell", "code", "rule", "family", "target", "applicability",
                             "suggested_replacement", "message"]
    for target in TARGETS:
        per_rule, per_kind, total = check_numbers(target)
        mine = [r for r in rows if r["target"] == target]
        assert len(mine) == total
        assert Counter(r["code"] for r in mine) == per_rule
        assert Counter((r["code"], r["applicability"]) for r in mine) == per_kind
    cuda = next(r for r in rows if r["code"] == "PRT401" and r["target"] == "npu")
    assert cuda["path"] == "train.py" and cuda["line"] == "3" and '"npu"' in cuda["suggested_replacement"]


def _markdown_rule_rows(text: str) -> dict[str, list[tuple[int, int, int, int]]]:
    rows = {}
    for line in text.splitlines():
        found = re.match(r"\| (PRT\d+) `[a-z0-9-]+` \| [a-z-]+ \| (.*) \|$", line)
        if found:
            cells = [re.match(r"(\d+) \((\d+) / (\d+) / (\d+)\)", c.strip()) for c in found.group(2).split("|")]
            rows[found.group(1)] = [tuple(int(g) for g in c.groups()) if c else None for c in cells]
    return rows


def test_markdown_numbers_equal_check(project: Path) -> None:
    text = write_report("r.md")
    rows = _markdown_rule_rows(text)
    for column, target in enumerate(TARGETS):
        per_rule, per_kind, total = check_numbers(target)
        assert re.search(r"^\| Findings \| " + r" \| ".join(r"[\d,]+" for _ in TARGETS) + " \\|$", text, re.M)
        totals = re.search(r"^\| Findings \| (.*) \|$", text, re.M).group(1).split(" | ")
        assert int(totals[column]) == total
        got = {code: cells[column] for code, cells in rows.items() if cells[column] is not None}
        assert got == {code: (n, per_kind[(code, "safe")], per_kind[(code, "unsafe")], per_kind[(code, "manual")])
                       for code, n in per_rule.items()}


class _Tables(HTMLParser):
    """Cell texts of the tables with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_numbers_equal_check(project: Path) -> None:
    parser = _Tables()
    parser.feed(write_report("r.html"))
    rules = parser.tables["rules-table"]
    kinds = parser.tables["applicability-table"]
    for column, target in enumerate(TARGETS):
        per_rule, per_kind, total = check_numbers(target)
        got = {}
        for row in rules[1:]:
            code = row[0].split()[0]
            cells = row[2 + 4 * column: 6 + 4 * column]
            if cells[0] != "\u2013":
                got[code] = tuple(int(c) for c in cells)
        assert got == {code: (n, per_kind[(code, "safe")], per_kind[(code, "unsafe")], per_kind[(code, "manual")])
                       for code, n in per_rule.items()}
        for row, kind in zip(kinds[1:4], ("safe", "unsafe", "manual")):
            assert int(row[1 + 2 * column]) == sum(n for (_, k), n in per_kind.items() if k == kind)
        assert int(kinds[4][1 + 2 * column]) == total


def test_github_step_summary_gets_markdown_appended(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = project / "step_summary"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_report(str(summary))
    text = summary.read_text()
    assert text.startswith("earlier step\n## portlint readiness") and "| Findings |" in text


def test_one_target_and_it_matches_check(project: Path) -> None:
    model = json.loads(write_report("npu.json", "--target", "npu"))
    assert list(model["targets"]) == ["npu"]
    assert model["targets"]["npu"]["findings"] == check_numbers("npu")[2]


EXTERNAL = re.compile(r"""(?:https?:|ftp:|file:|data:)|(?:src|href|action|srcset)\s*=\s*(?!["']?#)|url\(|@import|<script|<link|<iframe|<img""", re.I)


def test_html_is_self_contained(project: Path) -> None:
    text = write_report("r.html")
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<svg" in text and "@media print" in text


def test_html_of_the_examples_is_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "examples.html"
    result = invoke("report", str(REPO / "examples"), "--no-cache", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    # Every in-page link has its target.
    ids = set(re.findall(r'id="([^"]+)"', text))
    assert {href for href in re.findall(r'href="#([^"]+)"', text)} <= ids


def test_blockers_and_effort(project: Path) -> None:
    model = json.loads(write_report("r.json"))
    npu = model["targets"]["npu"]
    libraries = {b["code"]: b for b in npu["blockers"]["libraries"]}
    assert libraries["PRT810"]["npu_build"] is False and libraries["PRT810"]["where"] == ["train.py:2"]
    assert libraries["PRT802"]["npu_build"] is True
    assert sorted(k["path"] for k in npu["blockers"]["kernels"]) == ["ops/k.cu", "ops/setup.py"]
    agnostic = model["targets"]["agnostic"]
    assert [k["path"] for k in agnostic["blockers"]["kernels"]] == ["ops/setup.py"]  # PRT950 is npu-only
    assert "PRT906" in {r["code"] for r in npu["rules"]}  # reported, just not a blocker
    assert npu["effort"]["minutes"] > npu["effort"]["manual_minutes"] > 0
    assert "person" in npu["effort"]["text"]


def test_baseline_shows_progress(project: Path) -> None:
    write_report("before.json")
    (project / "train.py").write_text("import torch\nx = torch.zeros(2)\n")
    model = json.loads(write_report("after.json", "--baseline", "before.json"))
    for target in TARGETS:
        progress = model["progress"]["targets"][target]
        before, after = progress["findings"]
        assert after == model["targets"][target]["findings"] < before
        assert any(r["code"] == "PRT810" and r["after"] == 0 for r in progress["rules"])
    text = write_report("after.md", "--baseline", "before.json")
    assert "### Progress since" in text


@pytest.mark.parametrize("args, message", [
    (["-o", "r.txt"], "cannot tell the report format"),
    (["--baseline", "missing.json"], "does not exist"),
    (["--baseline", "portlint.toml"], "cannot read the baseline report"),
    (["-o", "no/such/dir/r.html"], "cannot write"),
])
def test_bad_input_is_one_line_and_exit_2(project: Path, args: list[str], message: str) -> None:
    result = invoke("report", ".", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_check_baseline_is_refused_with_a_hint(project: Path) -> None:
    invoke("check", ".", "--write-baseline", "b.json")
    result = invoke("report", ".", "--baseline", "b.json")
    assert result.exit_code == 2 and "not a portlint report" in result.output


# --------------------------------------------------------------------------- rule data


def test_every_shipped_family_has_effort_defaults() -> None:
    ruleset = load_rulesets(default_ruleset_files())
    assert {rule.family for rule in ruleset.rules} <= set(ruleset.families)
    assert all(family.effort > 0 for family in ruleset.families.values())


@pytest.mark.parametrize("snippet, message", [
    ("effort = -1", "'effort' must be a number of minutes"),
    ("effort = true", "'effort' must be a number of minutes"),
    ('blocker = "gpu"', "'blocker' must be one of library, kernel"),
    ('npu_build = "yes"', "'npu_build' must be true or false"),
])
def test_rule_effort_fields_are_validated(tmp_path: Path, snippet: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(f'[[rule]]\ncode = "ACM001"\nname = "x"\nfamily = "f"\nsummary = "s"\nmessage = "m"\n'
                    f'rationale = "r"\nflagged = ["import foo"]\n{snippet}\n[[rule.module]]\nname = "foo"\n')
    with pytest.raises(RulesetError, match=re.escape(message)):
        load_rulesets([path])


@pytest.mark.parametrize("table, message", [
    ("[families.f]\nblocker = \"library\"\n", "needs 'effort'"),
    ("[families.f]\neffort = 5\ncolour = 1\n", "unknown key 'colour'"),
    ("[families.f]\neffort = \"5\"\n", "must be a number of minutes"),
])
def test_family_tables_are_validated(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "families.toml"
    path.write_text(table)
    with pytest.raises(RulesetError, match=re.escape(message)):
        load_rulesets([path])


# --------------------------------------------------------------------------- pieces


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.5, max_value=1e5), min_size=1, max_size=40),
       st.integers(50, 1200), st.integers(50, 800))
def test_treemap_fills_its_box_with_areas_in_proportion(sizes, width, height) -> None:
    sizes = sorted(sizes, reverse=True)
    rects = svg.squarify(sizes, 0, 0, width, height)
    total = sum(sizes)
    for size, (x, y, w, h) in zip(sizes, rects):
        assert w * h == pytest.approx(size / total * width * height, rel=1e-6, abs=1e-6)
        assert -1e-6 <= x and x + w <= width + 1e-6 and -1e-6 <= y and y + h <= height + 1e-6
    assert sum(w * h for _, _, w, h in rects) == pytest.approx(width * height)


def test_effort_is_shown_as_a_rounded_range() -> None:
    assert describe(0) == "under an hour"
    assert describe(240) == "about 2\u20138 person-hours"
    assert describe(600) == "about 0.8\u20133 person-days"
    assert describe(60 * 100) == "about 8\u201333 person-days"


def test_check_does_not_import_the_report() -> None:
    probe = ("import sys\nsys.argv=['portlint','check','--no-cache','" + str(REPO / "examples" / "train_amp.py")
             + "']\nfrom portlint.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['portlint', 'report']))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


# --------------------------------------------------------------------------- one walk, both targets

def _walks(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts the joint walks that finished (``joint``) and those that fell back (``diverged``)."""
    from portlint.report import joint

    counts: Counter = Counter()
    run = joint._JointAnalyzer.run

    def counted(self, tree):  # type: ignore[no-untyped-def]
        try:
            model = run(self, tree)
        except joint._Diverged:
            counts["diverged"] += 1
            raise
        counts["joint"] += 1
        return model

    monkeypatch.setattr(joint._JointAnalyzer, "run", counted)
    return counts


@functools.lru_cache(maxsize=None)
def _linters(min_torch: str):  # -> (TargetsLinter, {target: Linter})
    from portlint.config import Settings
    from portlint.engine import Linter
    from portlint.report.collect import TargetsLinter
    from portlint.versions import parse_version

    settings = Settings(min_torch=parse_version(min_torch))
    return (TargetsLinter(settings, RULESET, TARGETS),
            {target: Linter(dataclasses.replace(settings, target=target), RULESET) for target in TARGETS})


def _same_as_check(text: str, min_torch: str = "2.6") -> None:
    """``report``'s findings of one file, for each target, are exactly ``check``'s."""
    from portlint.findings import finding_to_json

    both_targets, each_target = _linters(min_torch)
    both = both_targets.check_text(text, "example.py")
    for target in TARGETS:
        alone = each_target[target].check_text(text, "example.py")
        assert alone.error == both.error
        assert ([finding_to_json(f) for f in both.findings if f.target == target]
                == [finding_to_json(f) for f in alone.findings]), (target, text)


RULESET = load_rulesets(default_ruleset_files())
PYTHON_EXAMPLES = [example for rule in RULESET.rules for example in (*rule.flagged, *rule.clean)
                   if not example.startswith("# file:")]


@pytest.mark.parametrize("min_torch", ["2.6", "2.4"])
def test_one_walk_gives_each_target_what_check_gives_on_every_rule_example(
        min_torch: str, monkeypatch: pytest.MonkeyPatch) -> None:
    walks = _walks(monkeypatch)
    for example in PYTHON_EXAMPLES:
        _same_as_check(example, min_torch=min_torch)
    # Most examples take the one walk; those of rules only one target has do not.
    assert walks["joint"] > len(PYTHON_EXAMPLES) * 0.6, walks


def test_a_rule_only_one_target_has_makes_the_file_analyzed_per_target(monkeypatch: pytest.MonkeyPatch) -> None:
    walks = _walks(monkeypatch)
    # PRT112 (agnostic only) is a keyword matcher: not screened, so the walk starts and stops.
    _same_as_check("import torch\nx = torch.ones(2).cuda()\nused = torch.cuda.memory_allocated(device=0)\n")
    assert walks == Counter(diverged=1)
    # PRT004 (npu only) is a symbol matcher: screened out by its prefilter, no joint walk.
    _same_as_check("import torch\nx = torch.ones(2).cuda()\ny = x.to(memory_format=torch.channels_last)\n")
    assert walks == Counter(diverged=1)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_one_walk_gives_each_target_what_check_gives_on_generated_programs(data) -> None:
    from fuzz_programs import programs

    _same_as_check(data.draw(programs()))
