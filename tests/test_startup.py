"""Start-up: what a one-file check (pre-commit) imports, the plain text path, the progress bar."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portlint import progress
from portlint.reporters.plain import PlainConsole, escape, plain_console

PROBE = """
import json, sys
sys.argv = ["portlint", *sys.argv[1:]]
from portlint.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("MODULES=" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
"""


def modules_loaded(*args: str, cwd: Path) -> set[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)
    line = [entry for entry in done.stderr.splitlines() if entry.startswith("MODULES=")]
    assert line, done.stderr
    return set(json.loads(line[0][len("MODULES="):]))


def test_one_file_check_imports_no_rich_libcst_or_pool(tmp_path: Path) -> None:
    source = tmp_path / "f.py"
    source.write_text("import torch\nx = torch.zeros(2).cuda()\n")
    advice = tmp_path / "g.py"  # a finding without replacement code: nothing to fix
    advice.write_text("import torch\ng = torch.cuda.CUDAGraph()\n")
    # JSON and SARIF carry complete fixes, which come from running the fixer (libcst) on the
    # files that have fixable findings; without such findings they import no more than text.
    for output, path in (([], source), (["--quiet"], source), (["--output-format", "json"], advice)):
        loaded = modules_loaded("check", *output, str(path), cwd=tmp_path)
        assert "portlint" in loaded
        assert not loaded & {"rich", "libcst", "multiprocessing", "pathspec", "torch", "pygls", "lsprotocol"}, \
            (output, loaded)
    assert "libcst" in modules_loaded("check", "--output-format", "json", str(source), cwd=tmp_path)


def test_plain_console_for_files_rich_for_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JPY_PARENT_PID"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(plain_console(io.StringIO()), PlainConsole)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert plain_console(Terminal()) is None
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert plain_console(io.StringIO()) is None


TEXT = st.lists(st.sampled_from(
    ["[", "]", "\\", "/", "a", "b", "#", "@", "=", " ", ":", "fire", "\t", "\r", "\x0c", "\x1b",
     "\x00", "é", "😀", "[bold]", "[/]", "\\["]), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_plain_output_equals_rich_output(text: str) -> None:
    from rich.console import Console
    from rich.markup import escape as rich_escape

    assert escape(text) == rich_escape(text)
    for markup in (escape(text), f"[bold]{escape(text)}[/bold] [red]X[/red] {escape(text)}",
                   f"    [dim]12 |[/dim] {escape(text)}", f"  [cyan]help:[/cyan] {escape(text)}"):
        ours, theirs = io.StringIO(), io.StringIO()
        PlainConsole(ours).print(markup)
        Console(file=theirs, highlight=False, soft_wrap=True, emoji=False).print(markup)
        assert ours.getvalue() == theirs.getvalue(), markup


def test_text_report_is_the_same_with_and_without_rich(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import portlint.reporters.text as text
    from conftest import linter_for

    source = tmp_path / "m.py"
    source.write_text("import torch\nx = torch.zeros(2).cuda()  # [red]not markup[/red] \\\\[x]\n"
                      "y = x.to('cuda:0')\t# :fire:\n")
    lint = linter_for("agnostic")
    report = lint.check_paths([str(source)], jobs=1)
    assert report.findings
    outputs = []
    for use_plain in (True, False):
        if not use_plain:
            monkeypatch.setattr(text, "plain_console", lambda stream: None)
        for quiet in (False, True):
            stream = io.StringIO()
            text.render(report, lint.ruleset.rules, stream, {"quiet": quiet})
            outputs.append(stream.getvalue())
        stream = io.StringIO()
        text.render_statistics(report, lint.ruleset.rules, stream)
        outputs.append(stream.getvalue())
    assert outputs[:3] == outputs[3:]
    assert "[red]not markup[/red]" in outputs[0] and ":fire:" in outputs[0]


def test_progress_bar_only_on_an_interactive_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.wanted()  # not a terminal
    assert progress.ProgressBar(True).callback is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert progress.wanted()
    assert not progress.wanted(enabled=False)  # machine-readable output, --quiet
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.wanted()
    monkeypatch.setenv("TERM", "xterm")

    with progress.ProgressBar(True) as bar:  # too few files: no bar, no rich
        callback = bar.callback
        assert callback is not None
        callback(0, 10)
        callback(10, 10)
    assert terminal.getvalue() == ""
    with progress.ProgressBar(True) as bar:
        callback = bar.callback
        assert callback is not None
        for done in range(0, progress.MIN_FILES + 51, 50):
            callback(done, progress.MIN_FILES + 50)
    assert "Checking" in terminal.getvalue()


def test_a_linter_no_file_uses_never_builds_its_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The working directory's linter is built at start-up (its settings and rulesets are
    checked there), but its rule index only when a file is checked with it."""
    from portlint.workspace import Workspace

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "portlint.toml").write_text('target = "npu"\n')
    (tmp_path / "sub" / "a.py").write_text("import torch\nx = torch.zeros(1).cuda()\n")
    monkeypatch.chdir(tmp_path)
    workspace = Workspace(config=None, overrides={})
    default = workspace.default_linter
    report = workspace.check_paths(["sub"], jobs=1)
    assert [f.code for f in report.findings] == ["PRT404"]
    used = workspace.linter_for("sub/a.py")
    assert used is not default and used.settings.target == "npu" and "index" in vars(used)
    assert "index" not in vars(default)  # never needed: sub/ has its own settings
