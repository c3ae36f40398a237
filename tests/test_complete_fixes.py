"""Complete fixes in JSON and SARIF: every edit `portlint fix` makes (imports, the DEVICE
definition, imports left unused), split per finding; applied together they give exactly
`portlint fix`'s output. Also the diff they are made from, and the one-finding fix."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import REPO, linter_for
from portlint import fixer
from portlint.cli import app
from portlint.fixedits import apply_edits, diff_edits, single_fix

runner = CliRunner()

# th alias: the fixer adds `import torch`; device sites share one DEVICE definition; the
# `from torch.cuda.amp import autocast` import is removed once its use is fixed.
ALIASED = """\
import torch as th
from torch.cuda.amp import autocast

model = th.nn.Linear(2, 2)
n = th.cuda.device_count()
if th.cuda.is_available():
    th.cuda.synchronize()
with autocast():
    pass
"""
DEVICES = """\
\"\"\"Docstring.\"\"\"
import torch

x = torch.zeros(2, device="cuda")
y = torch.ones(2, device="cuda:0")
torch.cuda.empty_cache()
"""
UNSAFE_ONLY = "import torch\nmodel = torch.nn.Linear(2, 2).cuda()\n"
CRLF = 'import torch\r\n\r\nx = torch.zeros(2, device="cuda")\r\nn = torch.cuda.device_count()  # é😀\r\n'
# safe (PRT101, PRT302) and unsafe (PRT404) fixes in one file: the unsafe finding's edits come
# from a `--unsafe-fixes` run, which also fixes the safe ones; their edits are not the unsafe one's
MIXED = """\
import torch

n = torch.cuda.device_count()
model = torch.nn.Linear(2, 2).cuda()
scaler = torch.cuda.amp.GradScaler()
"""
FILES = {"aliased.py": ALIASED, "devices.py": DEVICES, "unsafe_only.py": UNSAFE_ONLY, "crlf.py": CRLF,
         "mixed.py": MIXED}
BREAK = re.compile(r"\r\n|\r|\n")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    for name, text in FILES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def offset(text: str, line: int, column: int) -> int:
    """1-based line and character column -> offset, lines split at \\r\\n, \\r and \\n."""
    starts = [0, *(m.end() for m in BREAK.finditer(text))]
    return starts[line - 1] + column - 1


def apply(text: str, replacements: set[tuple[int, int, int, int, str]]) -> str:
    """Apply (line, column, end line, end column, new text) edits, each distinct one once."""
    spans = sorted((offset(text, a, b), offset(text, c, d), new) for a, b, c, d, new in replacements)
    for (start1, end1, _), (start2, end2, _) in zip(spans, spans[1:]):
        assert end1 <= start2, "overlapping edits"
        assert not start1 == end1 == start2 == end2, "two insertions at one point: order unknown"
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def fixed_by_portlint(tmp_path: Path, name: str, *args: str) -> str:
    copy = tmp_path / "copy"
    copy.mkdir(exist_ok=True)
    shutil.copy2(tmp_path / name, copy / name)
    result = runner.invoke(app, ["fix", str(copy / name), *args])
    assert result.exit_code in (0, 1), result.output
    return (copy / name).read_bytes().decode("utf-8")


def sarif_edits(document: dict, safe_only: bool) -> dict[str, set]:
    edits: dict[str, set] = {}
    for result in document["runs"][0]["results"]:
        if "fixes" not in result or (safe_only and result["properties"]["fixApplicability"] != "safe"):
            continue
        (change,) = result["fixes"][0]["artifactChanges"]
        for replacement in change["replacements"]:
            r = replacement["deletedRegion"]
            edits.setdefault(change["artifactLocation"]["uri"], set()).add(
                (r["startLine"], r["startColumn"], r["endLine"], r["endColumn"], replacement["insertedContent"]["text"]))
    return edits


def json_edits(findings: list[dict], safe_only: bool) -> dict[str, set]:
    edits: dict[str, set] = {}
    for finding in findings:
        fix = finding["fix"]
        if not fix or not fix["edits"] or (safe_only and fix["applicability"] != "safe"):
            continue
        for e in fix["edits"]:
            edits.setdefault(finding["path"], set()).add(
                (e["line"], e["column"], e["end_line"], e["end_column"], e["content"]))
    return edits


def check(*args: str):
    result = runner.invoke(app, ["check", *args])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def test_sarif_fixes_applied_together_are_portlint_fix(project: Path) -> None:
    document = check(".", "--output-format", "sarif")
    safe = sarif_edits(document, safe_only=True)
    assert set(safe) == {"aliased.py", "devices.py", "crlf.py", "mixed.py"}  # unsafe_only.py has no safe fix
    for name in safe:
        original = FILES[name]
        expected = fixed_by_portlint(project, name)
        assert expected != original
        assert apply(original, safe[name]) == expected, name
    every = sarif_edits(document, safe_only=False)
    assert apply(UNSAFE_ONLY, every["unsafe_only.py"]) == fixed_by_portlint(project, "unsafe_only.py", "--unsafe-fixes")


def test_sarif_fixes_include_imports_definitions_and_removals(project: Path) -> None:
    results = check(".", "--output-format", "sarif")["runs"][0]["results"]
    by_file: dict[str, list[dict]] = {}
    for result in results:
        if "fixes" in result:
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            by_file.setdefault(uri, []).append(result)

    def replacements(result: dict) -> list[dict]:
        return result["fixes"][0]["artifactChanges"][0]["replacements"]

    # `th` alias only: every fix adds `import torch`; only the autocast fix removes the
    # `from torch.cuda.amp import autocast` line its fix leaves unused
    for result in by_file["aliased.py"]:
        texts = [r["insertedContent"]["text"] for r in replacements(result)]
        assert "import torch\n" in texts, (result["ruleId"], texts)
        removes = any(r["deletedRegion"]["startLine"] == 2 and r["deletedRegion"]["endLine"] == 3
                      and not r["insertedContent"]["text"] for r in replacements(result))
        assert removes == (result["ruleId"] == "PRT301"), result["ruleId"]
    assert any("DEVICE = torch.accelerator" in r["insertedContent"]["text"]
               for result in by_file["devices.py"] for r in replacements(result))


def imported_names(tree: ast.Module) -> set[str]:
    return {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}


def test_each_fix_alone_leaves_valid_code_without_the_finding(project: Path) -> None:
    """A SARIF viewer may apply one result's fix alone: the code must still parse, the
    finding must be gone, and no import may be removed while a name it binds is used."""
    findings = check(".", "--output-format", "json")
    checked = 0
    for f in findings:
        if not (f["fix"] and f["fix"]["edits"]):
            continue
        original = FILES[f["path"]]
        alone = apply(original, {(e["line"], e["column"], e["end_line"], e["end_column"], e["content"])
                                 for e in f["fix"]["edits"]})
        tree = ast.parse(alone)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        lost = imported_names(ast.parse(original)) - imported_names(tree)
        assert not lost & used, (f["path"], f["code"], lost & used)
        before = [g for g in linter_for().check_text(original, f["path"]).findings if g.code == f["code"]]
        after = [g for g in linter_for().check_text(alone, f["path"]).findings if g.code == f["code"]]
        assert len(after) < len(before), (f["path"], f["code"])
        checked += 1
    assert checked >= 10


# detectron2 tests/layers/test_blocks.py: two uses of one `from torch.cuda.amp import autocast`;
# each finding's edits used to delete the import, so either applied alone broke the other use
SHARED_IMPORT = """\
import torch
from torch.cuda.amp import autocast


def first():
    with autocast():
        pass


def second(x):
    with autocast({arguments}):
        return x
"""


@pytest.mark.parametrize("target", ["agnostic", "npu"])
@pytest.mark.parametrize("arguments", ["", "enabled=True"])  # safe and safe; safe and unsafe (agnostic)
def test_a_shared_import_goes_only_with_all_its_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     target: str, arguments: str) -> None:
    source = SHARED_IMPORT.format(arguments=arguments)
    (tmp_path / ".git").mkdir()
    (tmp_path / "shared.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    findings = [f for f in check(".", "--output-format", "json", "--target", target) if f["fix"] and f["fix"]["edits"]]
    assert len(findings) == 2
    for f in findings:
        alone = apply(source, {(e["line"], e["column"], e["end_line"], e["end_column"], e["content"])
                               for e in f["fix"]["edits"]})
        tree = ast.parse(alone)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert "autocast" not in used or "autocast" in imported_names(tree), alone
        assert not [g for g in linter_for(target).check_text(alone, "shared.py").findings
                    if g.code == f["code"] and g.line == f["line"]], alone
    safe = json_edits(findings, safe_only=True)["shared.py"]
    assert apply(source, safe) == fixed_by_portlint(tmp_path, "shared.py", "--target", target)


def test_sarif_with_complete_fixes_validates(project: Path, reference_dir: Path) -> None:
    schema_path = reference_dir / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip("no SARIF schema in ../shared/reference")
    import jsonschema

    document = check(".", "--output-format", "sarif")
    validator = jsonschema.Draft4Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, errors[:5]
    assert sum("fixes" in r for r in document["runs"][0]["results"]) >= 8


def test_json_edits_applied_together_are_portlint_fix(project: Path) -> None:
    findings = check(".", "--output-format", "json")
    assert all("edits" in f["fix"] for f in findings if f["fix"])
    advice = [f for f in findings if f["fix"] and f["fix"]["replacement"] is None]
    assert all(f["fix"]["edits"] == [] for f in advice)
    safe = json_edits(findings, safe_only=True)
    assert set(safe) == {"aliased.py", "devices.py", "crlf.py", "mixed.py"}
    for name, edits in safe.items():
        assert apply(FILES[name], edits) == fixed_by_portlint(project, name), name
    every = json_edits(findings, safe_only=False)
    assert apply(UNSAFE_ONLY, every["unsafe_only.py"]) == fixed_by_portlint(project, "unsafe_only.py", "--unsafe-fixes")


def test_unsafe_fix_edits_are_its_own_and_the_file_level_ones(project: Path) -> None:
    findings = [f for f in check("mixed.py", "--output-format", "json") if f["fix"] and f["fix"]["edits"]]
    assert sorted((f["code"], f["fix"]["applicability"]) for f in findings) == [
        ("PRT101", "safe"), ("PRT302", "safe"), ("PRT404", "unsafe")]
    (cuda,) = [f for f in findings if f["code"] == "PRT404"]
    for edit in cuda["fix"]["edits"]:  # its own line, or whole lines inserted (the DEVICE definition)
        assert edit["line"] == 4 or (edit["column"] == edit["end_column"] == 1 and edit["content"].endswith("\n"))
    alone = apply(MIXED, {(e["line"], e["column"], e["end_line"], e["end_column"], e["content"])
                          for e in cuda["fix"]["edits"]})
    assert alone == fixed_by_portlint(project, "mixed.py", "--unsafe-fixes", "--select", "PRT404")


def test_complete_fixes_of_a_text_not_on_disk(tmp_path: Path) -> None:
    """Standard input (`--stdin-filename`): the checked text, not the file, is fixed."""
    from portlint.engine import Report
    from portlint.fixedits import complete_fixes
    from portlint.workspace import Workspace

    workspace = Workspace(cwd=tmp_path)
    path = str(tmp_path / "not_there.py")
    (tmp_path / "other.py").write_text(DEVICES, encoding="utf-8")  # on disk: read from disk
    findings = [*workspace.check_text(ALIASED, path).findings,
                *workspace.check_text(DEVICES, str(tmp_path / "other.py")).findings]
    edits = complete_fixes(Report(findings, [], 2, 2), workspace, texts={path: ALIASED})
    for name, text in ((path, ALIASED), (str(tmp_path / "other.py"), DEVICES)):
        placed = {(e.span.line, e.span.column, e.span.end_line, e.span.end_column, e.text)
                  for f, its in edits.items() if f.path == name and f.fix.applicability == "safe" for e in its}
        assert placed and apply(text, placed) == workspace.fix_text(text, name).text


@pytest.mark.parametrize("target", ["agnostic", "npu"])
def test_examples_json_edits_are_portlint_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__", "fixed"))
    monkeypatch.chdir(tmp_path)
    findings = check("examples", "--output-format", "json", "--target", target)
    safe = json_edits(findings, safe_only=True)
    assert len(safe) >= 3
    for path, edits in safe.items():
        original = (tmp_path / path).read_text(encoding="utf-8")
        fixed = fixer.fix_text(original, linter_for(target), path).text
        assert apply(original, edits) == fixed, path


TEXTS = st.lists(st.sampled_from(["import torch\n", "x = 1\n", "\n", "\r\n", "y = x.cuda()\n", "é😀",
                                  "DEVICE = 'cpu'\n", "a", "b(", ")", "\r"]), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS, TEXTS)
def test_diff_edits_turn_old_into_new(old: str, new: str) -> None:
    edits = diff_edits(old, new)
    assert apply_edits(old, edits) == new
    assert all(e.start <= e.end and old[e.start:e.end] != e.text for e in edits)
    assert all(a.end <= b.start and not a.start == a.end == b.start == b.end for a, b in zip(edits, edits[1:]))


def test_diff_edits_are_minimal_and_keep_names_whole() -> None:
    old = "import torch as th\n\nn = th.cuda.device_count()\nkeep = 1\n"
    new = "import torch as th\nimport torch\n\nn = torch.accelerator.device_count()\nkeep = 1\n"
    edits = diff_edits(old, new)
    assert [(old[e.start:e.end], e.text) for e in edits] == [("", "import torch\n"), ("th.cuda", "torch.accelerator")]


def test_single_fix_is_one_fixer_round_on_that_finding() -> None:
    linter = linter_for("agnostic")
    result = linter.check_text(ALIASED, "a.py")
    fixable = [f for f in result.findings if fixer.applicable(f, unsafe=True)]
    assert len(fixable) >= 3
    for finding in fixable:
        edits = single_fix(ALIASED, linter, finding)
        assert edits, finding
        rounded = fixer.apply_round(ALIASED, fixer.choose_edits(ALIASED, [finding], "agnostic"), "agnostic", "\n")
        assert apply_edits(ALIASED, edits) == rounded
        after = linter.check_text(rounded, "a.py").findings
        assert (finding.code, finding.matched) not in {(f.code, f.matched) for f in after} or \
            len([f for f in after if f.code == finding.code]) < len([f for f in fixable if f.code == finding.code])
