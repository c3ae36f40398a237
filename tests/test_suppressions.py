"""File-level ``# portlint: noqa: CODE``, the unused-noqa rule (PRT990) and ``--add-noqa``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import codes, lint
from portlint.cli import app
from portlint.noqa import add_noqa, commentable_lines, file_codes

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- file level

def test_file_level_codes() -> None:
    source = 'import torch\n# portlint: noqa: PRT404\nx = torch.zeros(2, device="cuda")\ny = x.cuda()\nz = x.cuda()\n'
    assert codes(source) == ["PRT401"]
    assert codes(source.replace("PRT404", "PRT404, PRT401")) == []
    assert codes(source.replace("PRT404", "PRT4")) == []  # a prefix
    assert codes(source.replace("# portlint: noqa: PRT404", "#   PORTLINT:noqa:PRT404,PRT401")) == []
    # not a file-level directive when it follows code
    assert codes(source.replace("# portlint: noqa: PRT404\n", "w = 1  # portlint: noqa: PRT404\n")) == [
        "PRT401", "PRT404", "PRT404"]
    assert file_codes("# portlint: noqa: PRT404 PRT6\n") == {"PRT404", "PRT6"}
    assert file_codes("x = 1\n") == frozenset()


def test_directives_in_any_case() -> None:
    """`# NOQA` (as flake8 and ruff read it) suppresses, and `# PORTLINT: NOQA` exempts the
    file, also where no lower-case "noqa" is written anywhere in the file."""
    source = "import torch\nx = torch.zeros(2).cuda()  # NOQA: PRT404\ny = torch.zeros(2).cuda()  # NoQa\n"
    assert codes(source) == []
    assert codes(source.replace("# NoQa", "")) == ["PRT404"]
    assert codes("# PORTLINT: NOQA\nimport torch\nx = torch.zeros(2).cuda()\n") == []
    assert codes("#PortLint:NOQA:PRT404\nimport torch\nx = torch.zeros(2).cuda()\n") == []
    assert codes("import torch\nx = torch.zeros(2)  # NOQA: PRT404\n") == ["PRT990"]  # stale, in any case


# --------------------------------------------------------------------------- unused noqa

def unused(source: str, **options) -> list[tuple[int, str, str | None]]:
    return [(f.line, f.message, f.fix.replacement if f.fix else None)
            for f in lint(source, **options) if f.code == "PRT990"]


def test_stale_code_is_reported_with_a_safe_fix() -> None:
    found = lint("import torch\nx = torch.zeros(2)  # noqa: PRT404\n")
    assert [(f.code, f.line, f.column, f.end_column, f.severity) for f in found] == [("PRT990", 2, 19, 35, "warning")]
    assert found[0].message == "unused `noqa` directive (unused: PRT404)"
    assert found[0].fix is not None and found[0].fix.replacement == "" and found[0].fix.applicability == "safe"


def test_partly_used_unknown_and_foreign_codes() -> None:
    assert unused("y = x.cuda()  # noqa: PRT404, PRT401, E501\n") == [
        (1, "unused `noqa` directive (unused: PRT401)", "PRT404, E501")]
    assert unused("y = x.cuda()  # noqa: PRT4O4\n") == [(1, "unused `noqa` directive (unknown: PRT4O4)", "")]
    assert unused("y = x.cuda()  # noqa: PRT404\n") == []
    assert unused("y = 1  # noqa: E501, F401\n") == []  # other tools' codes: not ours to judge
    assert unused("y = 1  # noqa\n") == []  # a bare noqa names no code
    assert unused("y = 1  # noqa: PRT401, PRT990\n") == []  # kept on purpose
    assert unused("y = 1  # noqa: PRT404 -- the wrapper moves it\n") == [
        (1, "unused `noqa` directive (unused: PRT404)", "  # -- the wrapper moves it")]


def test_codes_of_rules_not_running_are_not_judged() -> None:
    source = "import torch\ndist.init_process_group('gloo')  # noqa: PRT601\nx = torch.zeros(2)  # noqa: PRT404\n"
    from conftest import linter_for  # noqa: F401 - same shipped ruleset

    from portlint.config import Settings
    from portlint.engine import Linter
    from conftest import shipped_ruleset

    linter = Linter(Settings(select=("PRT4", "PRT990")), shipped_ruleset())
    found = linter.check_text(source, "x.py").findings
    assert [(f.code, f.line) for f in found] == [("PRT990", 3)]  # PRT601 does not run: not judged
    assert Linter(Settings(ignore=("PRT990",)), shipped_ruleset()).check_text(source, "x.py").findings == []


def test_file_level_directive_can_be_stale_too() -> None:
    assert unused("# portlint: noqa: PRT601, PRT404\nimport torch\ny = torch.zeros(1).cuda()\n") == [
        (1, "unused `noqa` directive (unused: PRT601)", "PRT404")]
    assert unused("# portlint: noqa: PRT601\nx = 1\n") == [(1, "unused `noqa` directive (unused: PRT601)", "")]


def test_unused_noqa_needs_no_cuda_code_in_the_file(project: Path) -> None:
    """The prefilter skips files without CUDA code; their stale noqa is still reported."""
    (project / "a.py").write_text("import os\nx = os.getcwd()  # noqa: PRT404\n")
    result = invoke("check", "--output-format", "concise", "--no-cache", "a.py")
    assert result.exit_code == 1
    assert result.stdout == "a.py:2:16: PRT990 unused `noqa` directive (unused: PRT404)\n"


def test_fix_removes_stale_codes_and_keeps_the_rest(project: Path) -> None:
    source = ("import torch\n"
              "x = torch.zeros(2)  # noqa: PRT404\n"
              "y = torch.zeros(2).cuda()  # noqa: PRT404, PRT401\n"
              "z = 1  # noqa: PRT404, E501\n"
              "w = 2  # noqa: PRT404 -- moved to the helper\n")
    (project / "a.py").write_bytes(source.replace("\n", "\r\n").encode())
    result = invoke("fix", "--no-cache", "a.py")
    assert result.exit_code == 0, result.output
    assert (project / "a.py").read_bytes().decode() == (
        "import torch\n"
        "x = torch.zeros(2)\n"
        "y = torch.zeros(2).cuda()  # noqa: PRT404\n"
        "z = 1  # noqa: E501\n"
        "w = 2  # -- moved to the helper\n").replace("\n", "\r\n")
    assert invoke("check", "--no-cache", "a.py").exit_code == 0


def test_user_ruleset_namespace_is_judged(project: Path) -> None:
    (project / "team.toml").write_text('''
[[rule]]
code = "ACM001"
name = "no-legacy-helper"
family = "team"
summary = "legacy helper"
message = "use the shared helper instead of {name}"
rationale = "The helper hard-codes CUDA."
flagged = ["import acme.gpu\\nacme.gpu.to_gpu(x)"]
[[rule.symbol]]
name = "acme.gpu.to_gpu"
''')
    (project / "portlint.toml").write_text('rulesets = ["team.toml"]\n')
    (project / "a.py").write_text("x = 1  # noqa: ACM001, ACM002, XYZ1\n")
    result = invoke("check", "-f", "json", "--no-cache", "a.py")
    assert [d["message"] for d in json.loads(result.stdout)] == [
        "unused `noqa` directive (unused: ACM001; unknown: ACM002)"]


# --------------------------------------------------------------------------- --add-noqa

CUDA = 'import torch\nx = torch.zeros(2, device="cuda")\ny = x.cuda()  # noqa: E501\n'


def test_add_noqa_text() -> None:
    findings = lint(CUDA)
    text, added, skipped = add_noqa(CUDA, findings)
    assert (added, skipped) == (2, [])
    assert text == ('import torch\nx = torch.zeros(2, device="cuda")  # noqa: PRT401\n'
                    'y = x.cuda()  # noqa: E501, PRT404\n')
    assert codes(text) == []


def test_add_noqa_avoids_lines_inside_strings_and_continuations() -> None:
    source = 'import torch\nx = f"""\n{y.cuda()}"""\nz = torch.zeros(2, \\\n device="cuda")\n'
    assert commentable_lines(source) == {1, 3, 5, 6}
    text, added, skipped = add_noqa(source, lint(source))
    assert skipped == [] and added == 2
    assert codes(text) == [], text
    compile(text, "t.py", "exec")
    inside = 'x = f"""\n{y.cuda()}\n"""\n'  # the only line of the finding is inside the string
    text, added, skipped = add_noqa(inside, lint(inside))
    assert (text, added, [f.code for f in skipped]) == (inside, 0, ["PRT404"])


def test_add_noqa_cli(project: Path) -> None:
    (project / "a.py").write_bytes(CUDA.replace("\n", "\r\n").encode("utf-8"))
    (project / "b.py").write_text("# -*- coding: latin-1 -*-\nimport torch\ns = 'caf\xe9'\nt = torch.zeros(1).cuda()\n",
                                  encoding="latin-1")
    (project / "clean.py").write_text("x = 1\n")
    result = invoke("check", "--add-noqa", ".")
    assert result.exit_code == 0, result.output
    assert "Added 3 noqa directives to 2 files." in result.stderr
    assert b"\r\n" in (project / "a.py").read_bytes() and b"\n" not in (project / "a.py").read_bytes().replace(b"\r\n", b"")
    assert (project / "b.py").read_text(encoding="latin-1").splitlines()[2:] == [
        "s = 'caf\xe9'", "t = torch.zeros(1).cuda()  # noqa: PRT404"]
    assert (project / "clean.py").read_text() == "x = 1\n"
    assert invoke("check", "--no-cache", ".").exit_code == 0
    again = invoke("check", "--add-noqa", ".")
    assert again.exit_code == 0 and "Added 0 noqa directives to 0 files." in again.stderr


NOQA_CASES = [
    CUDA,
    CUDA.replace("\n", "\r\n"),
    CUDA.replace("\n", "\r"),  # old Mac line ends: the lines ast counts
    "import torch\nx = torch.zeros(2).cuda()  # noqa\n",  # a bare noqa: nothing to add
    "import torch\nx = torch.zeros(2).cuda()  # noqa:E501\n",
    'import torch\nx = f"""{\n  y.cuda()\n}"""\nz = torch.zeros(2, \\\n    device="cuda")\n',
    "import torch\nt = (torch.zeros(2)\n     .cuda())   \n",  # trailing spaces stay after the comment
]


@pytest.mark.parametrize("source", NOQA_CASES)
def test_add_noqa_and_the_editor_action_are_one_implementation(source: str) -> None:
    """The server's "add noqa" action edits exactly what ``--add-noqa`` does for that finding."""
    from portlint.codeactions import add_noqa as action
    from portlint.fixedits import apply_edits

    findings = lint(re.sub(r"  # noqa[^\r\n]*", "", source))  # (as if not suppressed yet)
    assert findings, source
    for finding in findings:
        text, added, skipped = add_noqa(source, [finding])
        edit = action(source, finding)
        assert (source if edit is None else apply_edits(source, [edit])) == text
        assert added == (edit is not None)
    text, _, skipped = add_noqa(source, findings)
    assert [f.code for f in lint(text)] == [f.code for f in skipped], text
    compile(text, "t.py", "exec")


def test_add_noqa_keeps_the_comment_out_of_multi_line_fstring_fields() -> None:
    source = 'import torch\nx = f"""{\n  y.cuda()\n}"""\n'
    assert commentable_lines(source) == {1, 4, 5}
    text, added, skipped = add_noqa(source, lint(source))
    assert (text, added, [f.code for f in skipped]) == (source, 0, ["PRT404"])


def test_add_noqa_by_kind_of_file() -> None:
    """Scripts take the comment on any line not continued; JSON, notebooks and CUDA none."""
    from portlint.noqa import noqa_edits

    script = "export CUDA_VISIBLE_DEVICES=0\npython train.py \\\n  --gpus 0\n"
    findings = lint("# file: run.sh\n" + script)
    assert findings
    text, added, skipped = add_noqa(script, findings, "shell")
    assert added == 1 and not skipped and text.splitlines()[0].endswith("# noqa: " + findings[0].code)
    for kind in ("json", "notebook", "cuda"):
        assert noqa_edits(script, findings, kind) == ([], findings)


def test_an_exempt_file_reports_no_stale_noqa_either() -> None:
    """``# portlint: noqa`` exempts the whole file: its other directives are not judged,
    whether or not the file has CUDA code (the prefilter keeps it or not)."""
    assert unused("# portlint: noqa\nimport os\nx = os.getcwd()  # noqa: PRT404\n") == []
    assert unused("# portlint: noqa\nimport torch\ny = torch.zeros(1).cuda()  # noqa: PRT601\n") == []
    assert unused("import os\nx = os.getcwd()  # noqa: PRT404\n") != []  # (without it: reported)
