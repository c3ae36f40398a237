"""``--output-format sarif``: schema-valid SARIF 2.1.0, rules, locations, fixes, fingerprints."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app
from portlint.docs import RULES_URL
from portlint.rules import default_ruleset_files, load_rulesets

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

TRAIN = """\
import torch

model = torch.nn.Linear(2, 2).cuda()
x = torch.zeros(2, device="cuda:0")
y = x.cuda()
y = x.cuda()
if x.device.type == "cuda":
    pass
"""


def sarif(*args: str) -> dict:
    result = runner.invoke(app, ["check", *args, "--output-format", "sarif"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the project root is the git root
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "src" / "pkg" / "clean.py").write_text("import torch\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "src")  # run from a subdirectory: paths stay root-relative
    return tmp_path


@pytest.fixture
def schema(reference_dir: Path) -> dict:
    path = reference_dir / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.skip("sarif-schema-2.1.0.json is not in ../shared/reference")
    return json.loads(path.read_text(encoding="utf-8"))


def validate(document: dict, schema: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_examples_validate_against_the_sarif_schema(tmp_path, monkeypatch, schema) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    document = sarif("examples")
    validate(document, schema)
    results = document["runs"][0]["results"]
    assert results, "the examples should have findings"
    assert any("fixes" in result for result in results)


def test_empty_run_and_file_errors_validate(project: Path, schema: dict) -> None:
    (project / "src" / "pkg" / "broken.py").write_text("import torch\nx.cuda(\n", encoding="utf-8")
    validate(sarif("pkg/clean.py"), schema)
    document = sarif("pkg/broken.py")
    validate(document, schema)
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "syntax error" in notes[0]["message"]["text"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/pkg/broken.py"


def test_driver_lists_every_loaded_rule(project: Path) -> None:
    driver = sarif("pkg")["runs"][0]["tool"]["driver"]
    loaded = load_rulesets(default_ruleset_files()).rules
    assert driver["name"] == "portlint"
    assert driver["version"] and driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in loaded]
    by_id = {rule.code: rule for rule in loaded}
    for descriptor in driver["rules"]:
        rule = by_id[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == rule.rationale
        assert rule.rationale in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"].startswith(f"# {rule.code}")
        assert descriptor["defaultConfiguration"]["level"] == rule.severity
        assert descriptor["helpUri"] == f"{RULES_URL}#{rule.code.lower()}-{rule.name}"


def github_slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_help_uris_point_at_headings_of_the_rule_reference(project: Path) -> None:
    anchors = {github_slug(line.lstrip("#")) for line in (REPO / "docs" / "rules.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("### ")}
    rules = sarif("pkg")["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    for descriptor in rules:
        page, _, anchor = descriptor["helpUri"].partition("#")
        assert page.endswith("/docs/rules.md") and anchor in anchors, descriptor["helpUri"]


def test_results_point_at_root_relative_regions(project: Path) -> None:
    run = sarif("pkg")["runs"][0]
    root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root_uri == project.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    lines = TRAIN.splitlines()
    assert len(run["results"]) == 5
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "src/pkg/train.py", "uriBaseId": "%SRCROOT%"}
        region = location["region"]
        assert region["startLine"] == region["endLine"]
        flagged = lines[region["startLine"] - 1][region["startColumn"] - 1:region["endColumn"] - 1]
        assert "cuda" in flagged
    levels = {result["ruleId"]: result["level"] for result in run["results"]}
    assert levels["PRT403"] == "warning" and levels["PRT404"] == "error"


def test_fixes_replace_the_flagged_region(project: Path) -> None:
    results = sarif("pkg")["runs"][0]["results"]
    fixed = [r for r in results if "fixes" in r]
    assert fixed and len(fixed) < len(results)  # the comparison (PRT403) only has advice
    lines = TRAIN.splitlines()
    for result in fixed:
        change = result["fixes"][0]["artifactChanges"][0]
        assert change["artifactLocation"]["uri"] == "src/pkg/train.py"
        flagged = result["locations"][0]["physicalLocation"]["region"]
        own = [r for r in change["replacements"] if r["deletedRegion"]["startLine"] == flagged["startLine"]
               and r["deletedRegion"]["endColumn"] > 1]
        assert len(own) == 1  # the finding's own edit; the others add the DEVICE definition
        region = own[0]["deletedRegion"]
        assert flagged["startColumn"] <= region["startColumn"] <= region["endColumn"] <= flagged["endColumn"]
        line = lines[region["startLine"] - 1]
        new = line[:region["startColumn"] - 1] + own[0]["insertedContent"]["text"] + line[region["endColumn"] - 1:]
        assert new != line and ("accelerator" in new or "DEVICE" in new)
        for other in change["replacements"]:
            if other is not own[0]:  # whole lines inserted before the first use
                assert other["deletedRegion"]["startColumn"] == other["deletedRegion"]["endColumn"] == 1
                assert "DEVICE = " in other["insertedContent"]["text"]


def fingerprints(document: dict) -> dict[tuple[str, str], list[str]]:
    """(rule, flagged source line) -> fingerprints, for the train.py fixture."""
    found: dict[tuple[str, str], list[str]] = {}
    for result in document["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        line = Path("pkg/train.py").read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
        found.setdefault((result["ruleId"], " ".join(line.split())), []).append(result["partialFingerprints"]["portlint/v1"])
    return found


def test_fingerprints_survive_unrelated_edits(project: Path) -> None:
    before = fingerprints(sarif("pkg"))
    all_before = [fp for fps in before.values() for fp in fps]
    assert len(set(all_before)) == len(all_before) == 5  # the two identical lines differ too
    assert len(before[("PRT404", "y = x.cuda()")]) == 2

    path = project / "src" / "pkg" / "train.py"
    text = path.read_text(encoding="utf-8")
    text = '"""A docstring added on top."""\nimport os\n\n' + text  # every line moves down by 3
    text = text.replace('x = torch.zeros(2, device="cuda:0")', 'x = torch.zeros(2,   device="cuda:0")')  # whitespace only
    text = text.replace("model = torch.nn.Linear(2, 2).cuda()", "model = torch.nn.Linear(4, 4).cuda()")  # edited
    path.write_text(text, encoding="utf-8")
    after = fingerprints(sarif("pkg"))

    for key in [("PRT404", "y = x.cuda()"), ('PRT401', 'x = torch.zeros(2, device="cuda:0")'),
                ("PRT403", 'if x.device.type == "cuda":')]:
        assert after[key] == before[key]
    assert after[("PRT404", "model = torch.nn.Linear(4, 4).cuda()")] != before[("PRT404", "model = torch.nn.Linear(2, 2).cuda()")]


def test_fingerprints_depend_on_the_path(project: Path) -> None:
    first = fingerprints(sarif("pkg"))
    (project / "src" / "pkg" / "train.py").rename(project / "src" / "pkg" / "moved.py")
    (project / "src" / "pkg" / "train.py").write_text(TRAIN, encoding="utf-8")
    document = sarif("pkg/moved.py")
    moved = {r["partialFingerprints"]["portlint/v1"] for r in document["runs"][0]["results"]}
    assert moved.isdisjoint(fp for fps in first.values() for fp in fps)


def test_output_file(project: Path) -> None:
    result = runner.invoke(app, ["check", "pkg", "-f", "sarif", "--output-file", "report.sarif"])
    assert result.exit_code == 1
    assert result.stdout == ""
    document = json.loads((project / "src" / "report.sarif").read_text(encoding="utf-8"))
    assert len(document["runs"][0]["results"]) == 5


def test_unwritable_output_file_is_one_line_error(project: Path) -> None:
    result = runner.invoke(app, ["check", "pkg", "-f", "sarif", "--output-file", "missing-dir/report.sarif"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
