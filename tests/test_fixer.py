"""``portlint fix``: fixture pairs per target, imports, device variable, overlaps, safety.

Fixture pairs live in ``tests/fixtures/fix``: ``NAME.in.py`` and the expected output per
target, ``NAME.agnostic.out.py`` and ``NAME.npu.out.py``. The input's first line may set
options: ``# fixture: select=PRT4 unsafe min-torch=2.5``. After a deliberate change to a
fix template, regenerate the outputs with ``PORTLINT_REGEN_FIXTURES=1 pytest
tests/test_fixer.py`` and review the diff.
"""

from __future__ import annotations

from portlint.kinds import split_example

import ast
import builtins as builtins_module
import os
import re
import stat
import symtable
import textwrap
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import shipped_ruleset
from portlint import fixer
from portlint.config import Settings
from portlint.devicevar import DEVICE_EXPRESSIONS
from portlint.engine import Linter
from portlint.findings import Finding, Fix
from portlint.rules import load_rulesets
from portlint.versions import parse_version

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fix"
CASES = sorted(p.name[: -len(".in.py")] for p in FIXTURES.glob("*.in.py"))
TARGETS = ("agnostic", "npu")
OPTIONS = re.compile(r"^# fixture:(?P<options>.*)$", re.MULTILINE)


@lru_cache(maxsize=None)
def make_linter(target: str = "agnostic", select: tuple[str, ...] = ("ALL",), min_torch: str = "2.6",
                extra: str | None = None) -> Linter:
    settings = Settings(target=target, select=select, min_torch=parse_version(min_torch))
    ruleset = shipped_ruleset() if extra is None else load_rulesets([Path(extra)])
    return Linter(settings, ruleset)


def fixture_options(text: str) -> dict:
    options = {"select": ("ALL",), "unsafe": False, "min_torch": "2.6"}
    found = OPTIONS.search(text.splitlines()[0] if text else "")
    if found:
        for item in found.group("options").split():
            key, _, value = item.partition("=")
            if key == "select":
                options["select"] = tuple(value.split(","))
            elif key == "unsafe":
                options["unsafe"] = True
            elif key == "min-torch":
                options["min_torch"] = value
    return options


def fix(text: str, target: str = "agnostic", unsafe: bool = True, select: tuple[str, ...] = ("ALL",),
        min_torch: str = "2.6", linter: Linter | None = None) -> fixer.FileFix:
    from portlint.kinds import kind_of, split_example
    from portlint.kinds.fixing import fix_document

    linter = linter or make_linter(target, select, min_torch)
    path, text = split_example(text)  # ruleset examples of other kinds start with "# file: NAME"
    return fix_document(text, linter, path, kind_of(path) or "python", unsafe=unsafe)


def bound_everywhere(code: str) -> None:
    """No NameError at import time: every global a scope reads is bound at module level."""
    compile(code, "fixed.py", "exec")
    table = symtable.symtable(code, "fixed.py", "exec")
    module_names = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    builtins = set(dir(builtins_module))
    stack = [table]
    while stack:
        current = stack.pop()
        for symbol in current.get_symbols():
            name = symbol.get_name()
            if symbol.is_referenced() and (current.get_type() == "module" or symbol.is_global()):
                assert name in module_names or name in builtins, f"{name} is used but never bound"
        stack.extend(current.get_children())


# --------------------------------------------------------------------------- fixture pairs


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", CASES)
def test_fixture_pair(case: str, target: str) -> None:
    source = (FIXTURES / f"{case}.in.py").read_text(encoding="utf-8")
    options = fixture_options(source)
    outcome = fix(source, target, options["unsafe"], options["select"], options["min_torch"])
    assert outcome.error is None, outcome.error
    expected_path = FIXTURES / f"{case}.{target}.out.py"
    if os.environ.get("PORTLINT_REGEN_FIXTURES"):
        expected_path.write_text(outcome.text, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.name}; run with PORTLINT_REGEN_FIXTURES=1"
    assert outcome.text == expected_path.read_text(encoding="utf-8")
    ast.parse(outcome.text)
    bound_everywhere(outcome.text)
    again = fix(outcome.text, target, options["unsafe"], options["select"], options["min_torch"])
    assert again.text == outcome.text and not again.applied, "fixing is not idempotent"


def test_every_fixture_has_both_outputs() -> None:
    assert len(CASES) >= 8
    for case in CASES:
        for target in TARGETS:
            assert (FIXTURES / f"{case}.{target}.out.py").is_file(), f"{case}.{target}.out.py"


def test_fixture_outputs_differ_from_inputs() -> None:
    """A fixture whose output equals its input would test nothing (noqa_kept changes one line)."""
    for case in CASES:
        source = (FIXTURES / f"{case}.in.py").read_text(encoding="utf-8")
        for target in TARGETS:
            out = FIXTURES / f"{case}.{target}.out.py"
            if out.exists():
                assert out.read_text(encoding="utf-8") != source, f"{case}.{target}: nothing fixed"


# --------------------------------------------------------------------------- device variable


def test_device_variable_is_defined_once_after_the_imports() -> None:
    code = textwrap.dedent('''\
        import os
        import torch

        def a():
            return torch.ones(1, device="cuda")

        def b(x):
            return x.cuda()
        ''')
    text = fix(code, select=("PRT4",)).text
    definition = f"DEVICE = {DEVICE_EXPRESSIONS['agnostic']}"
    assert text.count(definition) == 1
    lines = text.splitlines()
    assert lines.index(definition) > lines.index("import torch")
    assert lines.index(definition) < lines.index("def a():")
    assert 'device=DEVICE' in text and "x.to(DEVICE)" in text


def test_device_variable_avoids_names_the_file_uses() -> None:
    code = "import torch\nDEVICE = 3\nACCELERATOR_DEVICE = 4\nx = torch.ones(1, device='cuda')\n"
    text = fix(code, select=("PRT4",)).text
    assert "device=PORTABLE_DEVICE" in text
    assert "DEVICE = 3" in text


def test_device_variable_not_reused_where_a_parameter_shadows_it() -> None:
    code = textwrap.dedent('''\
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"

        def f(device):
            return torch.ones(1, device="cuda")
        ''')
    text = fix(code, select=("PRT4",)).text
    assert 'device=DEVICE' in text  # not `device=device`, which would be the parameter
    bound_everywhere(text)


def test_user_device_variable_is_reused_after_its_idiom_is_fixed() -> None:
    code = textwrap.dedent('''\
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"

        def f():
            return torch.ones(1, device="cuda")
        ''')
    text = fix(code, select=("PRT4",)).text
    assert "DEVICE" not in text
    assert "torch.ones(1, device=device)" in text


def test_module_level_use_before_a_later_definition_gets_its_own_variable() -> None:
    code = 'import torch\nx = torch.ones(1, device="cuda")\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
    text = fix(code, select=("PRT4",)).text
    bound_everywhere(text)
    assert text.index("DEVICE =") < text.index("x = torch.ones(1, device=DEVICE)")


def test_min_torch_too_old_gives_advice_not_code() -> None:
    code = 'import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\nx = torch.ones(1, device="cuda")\n'
    outcome = fix(code, select=("PRT4",), min_torch="2.5")
    assert outcome.text == code and not outcome.applied
    assert outcome.remaining and all(f.fix is None or f.fix.replacement is None for f in outcome.remaining)


# --------------------------------------------------------------------------- imports (own ruleset)

AMP_RULESET = '''
[[rule]]
code = "TST301"
name = "test-cuda-amp-autocast"
family = "amp"
summary = "test rule"
message = "test"
rationale = "test"
flagged = ["import torch\\ntorch.cuda.amp.autocast()"]
clean = ["x = 1"]

[[rule.symbol]]
name = "torch.cuda.amp.autocast"
call = true
agnostic = { replace = 'torch.amp.autocast("cuda"{sep_args})', span = "call" }
npu = { replace = 'torch.amp.autocast("npu"{sep_args})', span = "call" }

[[rule]]
code = "TST302"
name = "test-cuda-synchronize"
family = "cuda-runtime"
summary = "test rule"
message = "test"
rationale = "test"
flagged = ["import torch\\ntorch.cuda.synchronize()"]
clean = ["x = 1"]

[[rule.symbol]]
name = "torch.cuda.synchronize"
agnostic = "torch.get_device_module().synchronize"
npu = "torch.npu.synchronize"
'''


@pytest.fixture(scope="module")
def amp_linters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Linter]:
    path = tmp_path_factory.mktemp("rules") / "amp.toml"
    path.write_text(AMP_RULESET, encoding="utf-8")
    return {target: make_linter(target, extra=str(path)) for target in TARGETS}


def test_torchfix_alias_bug_imports_torch(amp_linters: dict[str, Linter]) -> None:
    code = "import torch as th\nfrom torch.cuda.amp import autocast as ac\n\nwith ac():\n    pass\n"
    outcome = fix(code, linter=amp_linters["agnostic"])
    assert outcome.text == 'import torch as th\nimport torch\n\nwith torch.amp.autocast("cuda"):\n    pass\n'
    bound_everywhere(outcome.text)


def test_unused_torch_cuda_import_is_removed_but_used_ones_stay(amp_linters: dict[str, Linter]) -> None:
    code = textwrap.dedent('''\
        import torch
        from torch.cuda.amp import autocast as ac, GradScaler

        scaler = GradScaler()
        with ac(enabled=True):
            pass
        ''')
    text = fix(code, linter=amp_linters["agnostic"]).text
    assert "from torch.cuda.amp import GradScaler\n" in text
    assert "ac" not in re.findall(r"\w+", text)
    assert 'with torch.amp.autocast("cuda", enabled=True):' in text
    assert text.count("import torch\n") == 1


def test_import_that_was_already_unused_is_left_alone(amp_linters: dict[str, Linter]) -> None:
    code = "import torch\nfrom torch.cuda import amp\nimport torch.cuda.amp as unused\n\ntorch.cuda.synchronize()\n"
    text = fix(code, linter=amp_linters["agnostic"]).text
    assert "from torch.cuda import amp\n" in text and "import torch.cuda.amp as unused\n" in text
    assert "torch.get_device_module().synchronize()" in text


def test_future_import_stays_first(amp_linters: dict[str, Linter]) -> None:
    code = '"""Doc."""\nfrom __future__ import annotations\nfrom torch.cuda.amp import autocast\n\nwith autocast():\n    pass\n'
    text = fix(code, linter=amp_linters["agnostic"]).text
    body = ast.parse(text).body
    assert isinstance(body[1], ast.ImportFrom) and body[1].module == "__future__"
    assert isinstance(body[2], ast.Import) and body[2].names[0].name == "torch"
    bound_everywhere(text)


def test_torch_npu_imported_once_right_after_torch(amp_linters: dict[str, Linter]) -> None:
    code = "import os\nimport torch\nimport numpy\n\ntorch.cuda.synchronize()\ntorch.cuda.synchronize()\n"
    text = fix(code, "npu", linter=amp_linters["npu"]).text
    assert text.splitlines()[:4] == ["import os", "import torch", "import torch_npu  # noqa: F401", "import numpy"]
    assert text.count("import torch_npu") == 1
    again = fix(text, "npu", linter=amp_linters["npu"])
    assert again.text == text


def test_torch_npu_not_added_when_already_imported(amp_linters: dict[str, Linter]) -> None:
    code = "import torch\ntry:\n    import torch_npu\nexcept ImportError:\n    pass\ntorch.cuda.synchronize()\n"
    text = fix(code, "npu", linter=amp_linters["npu"]).text
    assert text.count("torch_npu") == 1 and "torch.npu.synchronize()" in text


def test_no_torch_npu_for_agnostic_target(amp_linters: dict[str, Linter]) -> None:
    text = fix("import torch\ntorch.cuda.synchronize()\n", linter=amp_linters["agnostic"]).text
    assert "torch_npu" not in text


def test_function_local_torch_import_is_enough(amp_linters: dict[str, Linter]) -> None:
    code = "def f():\n    import torch\n    torch.cuda.synchronize()\n"
    text = fix(code, linter=amp_linters["agnostic"]).text
    assert text == "def f():\n    import torch\n    torch.get_device_module().synchronize()\n"


# --------------------------------------------------------------------------- overlaps


def _finding(line: int, column: int, end_column: int, code: str, replacement: str) -> Finding:
    return Finding(code, "r", "m", "p", line, column, line, end_column, "agnostic", "error",
                   Fix(replacement, None, "safe", "2.6"), "x")


def test_overlapping_edits_resolve_deterministically() -> None:
    text = "abcdefgh\n"
    findings = [
        _finding(1, 3, 5, "PRT002", "X"),   # "cd"
        _finding(1, 2, 7, "PRT009", "Y"),   # "bcdef": starts first -> kept
        _finding(1, 6, 8, "PRT001", "Z"),   # "fg": overlaps the kept one -> next round
        _finding(1, 7, 9, "PRT003", "W"),   # "gh": after the kept one -> kept
        _finding(1, 2, 4, "PRT001", "V"),   # "bc": same start, shorter -> dropped
    ]
    for order in (findings, findings[::-1], findings[2:] + findings[:2]):
        edits = fixer.select_edits(fixer.to_edits(text, order, "\n"))
        assert [(e.start, e.end, e.finding.code) for e in edits] == [(1, 6, "PRT009"), (6, 8, "PRT003")]
        assert fixer.splice(text, edits)[0] == "aYW\n"


def test_same_span_ties_break_by_code() -> None:
    text = "abc\n"
    edits = fixer.select_edits(fixer.to_edits(text, [_finding(1, 1, 3, "PRT500", "B"),
                                                     _finding(1, 1, 3, "PRT100", "A")], "\n"))
    assert [e.text for e in edits] == ["A"]


def test_idiom_fix_wins_over_the_fixes_inside_it() -> None:
    code = 'import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
    outcome = fix(code, select=("PRT1", "PRT4"))
    assert [f.code for f in outcome.applied] == ["PRT408"]
    assert outcome.text == f"import torch\ndevice = {DEVICE_EXPRESSIONS['agnostic']}\n"


def test_inner_findings_of_an_idiom_are_not_reported() -> None:
    linter = make_linter("agnostic", ("PRT1", "PRT4"))
    result = linter.check_text('import torch\nd = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n')
    assert [f.code for f in result.findings] == ["PRT408"]
    without_idiom = make_linter("agnostic", ("PRT1", "PRT401"))
    result = without_idiom.check_text('import torch\nd = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n')
    assert sorted(f.code for f in result.findings) == ["PRT102", "PRT401"]


# --------------------------------------------------------------------------- safety


def test_syntax_error_file_is_untouched_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    data = b"import torch\nx = torch.ones(1).cuda(\n"
    path.write_bytes(data)
    run = fixer.fix_paths(make_linter("agnostic"), [str(path)], unsafe=True)
    assert path.read_bytes() == data
    assert run.report.errors and "syntax error" in run.report.errors[0].reason
    assert run.applied == 0


def test_broken_replacement_is_caught_and_nothing_is_written(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.py"
    data = b"import torch\nx = torch.ones(1).cuda()\n"
    path.write_bytes(data)
    real = fixer.to_edits

    def broken(text, findings, newline):  # every replacement becomes unparsable
        return [fixer.Edit(e.start, e.end, e.text + "(((", e.finding) for e in real(text, findings, newline)]

    monkeypatch.setattr(fixer, "to_edits", broken)
    run = fixer.fix_paths(make_linter("agnostic"), [str(path)], unsafe=True)
    assert path.read_bytes() == data
    [error] = run.report.errors
    assert "internal error" in error.reason and "does not parse" in error.reason
    assert run.report.findings, "the findings are still reported"
    assert run.applied == 0


def test_replacement_with_undefined_name_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fixer.to_edits

    def undefined(text, findings, newline):
        return [fixer.Edit(e.start, e.end, "no_such_helper()", e.finding) for e in real(text, findings, newline)]

    monkeypatch.setattr(fixer, "to_edits", undefined)
    outcome = fix('import torch\nx = torch.ones(1, device="cuda")\n', select=("PRT4",))
    assert outcome.internal_error and "no_such_helper" in outcome.error.reason
    assert outcome.text == outcome.original


def test_verify_rejects_use_before_binding() -> None:
    old = "import torch\nx = 1\n"
    new = "import torch\nx = DEVICE\nDEVICE = 1\n"
    with pytest.raises(fixer.FixVerificationError, match="before it is bound"):
        fixer.verify(old, ast.parse(old), new)


def _write_and_fix(tmp_path: Path, data: bytes, mode: int = 0o644) -> bytes:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    os.chmod(path, mode)
    run = fixer.fix_paths(make_linter("agnostic", ("PRT4",)), [str(path)], unsafe=True)
    assert not run.report.errors, run.report.errors
    assert stat.S_IMODE(path.stat().st_mode) == mode
    return path.read_bytes()


def test_crlf_line_endings_are_kept_also_in_inserted_code(tmp_path: Path) -> None:
    data = b'import torch\r\n\r\ndef f():\r\n    return torch.ones(1, device="cuda")\r\n'
    out = _write_and_fix(tmp_path, data)
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert b"DEVICE = torch.accelerator" in out and out.count(b"\r\n") == data.count(b"\r\n") + 2


def test_multiline_replacement_follows_the_file_newline(tmp_path: Path) -> None:
    data = b'import torch\r\nx = torch.zeros(2).to(\r\n    "cuda")\r\n'
    out = _write_and_fix(tmp_path, data)
    assert b"\n" not in out.replace(b"\r\n", b"")


def test_bom_is_kept(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbfimport torch\nx = torch.ones(1, device="cuda")  # \xc3\xa9t\xc3\xa9\n'
    out = _write_and_fix(tmp_path, data)
    assert out.startswith(b"\xef\xbb\xbfimport torch\n") and out.count(b"\xef\xbb\xbf") == 1
    assert "# été".encode() in out and b"device=DEVICE" in out


def test_coding_cookie_encoding_is_kept(tmp_path: Path) -> None:
    data = '# -*- coding: latin-1 -*-\nimport torch\nx = torch.ones(1, device="cuda")  # café\n'.encode("latin-1")
    out = _write_and_fix(tmp_path, data)
    assert out.decode("latin-1").endswith("device=DEVICE)  # café\n")
    assert "café".encode("utf-8") not in out


def test_file_mode_is_kept(tmp_path: Path) -> None:
    data = b'#!/usr/bin/env python\nimport torch\nx = torch.ones(1).cuda()\n'
    out = _write_and_fix(tmp_path, data, mode=0o755)
    assert b"x = torch.ones(1).to(DEVICE)" in out
    assert not list(tmp_path.glob(".portlint-*")), "temporary files left behind"


def test_symlink_target_is_rewritten_and_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("import torch\nx = torch.ones(1).cuda()\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    fixer.fix_paths(make_linter("agnostic", ("PRT4",)), [str(link)], unsafe=True)
    assert link.is_symlink() and "to(DEVICE)" in real.read_text()


def test_diff_mode_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.ones(1).cuda()\n")
    run = fixer.fix_paths(make_linter("agnostic", ("PRT4",)), [str(path)], unsafe=True, write=False)
    assert path.read_text() == "import torch\nx = torch.ones(1).cuda()\n"
    diff = run.changed_files[0].diff()
    assert "-x = torch.ones(1).cuda()" in diff and "+x = torch.ones(1).to(DEVICE)" in diff


# --------------------------------------------------------------------------- counts and stats


def test_safe_run_counts_what_unsafe_fixes_would_add(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text('import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
                    'x = torch.ones(1).cuda()\ny = torch.ones(1).cuda()\n')
    run = fixer.fix_paths(make_linter("agnostic", ("PRT4",)), [str(path)], unsafe=False)
    assert run.applied == 1 and run.unsafe_available == 2
    assert fixer.summary_lines(run) == ["Fixed: 1 fix applied in 1 file (2 findings remaining).",
                                        "2 more fixes available with --unsafe-fixes."]


def test_fix_stats_cover_every_rule() -> None:
    rules = shipped_ruleset().rules
    stats = fixer.fix_stats(rules, parse_version("2.6"))
    for target in TARGETS:
        counted = [code for group in stats[target].values() for code, _ in group]
        assert sorted(counted) == sorted(r.code for r in rules if target in r.targets)
        assert ("PRT408", "") in stats[target]["safe"]
        assert all(reason for _, reason in stats[target]["none"])
    old = fixer.fix_stats(rules, parse_version("2.0"))
    assert any(code == "PRT408" for code, _ in old["agnostic"]["none"])
    assert "no fix" in fixer.render_stats(stats)


@pytest.mark.parametrize("target", TARGETS)
def test_fixing_every_flagged_example_succeeds(target: str) -> None:
    """Every rule's flagged examples, fixed with unsafe fixes: no internal error (the
    verification guard), the result parses and is a fixed point."""
    problems = []
    for rule in shipped_ruleset().rules:
        if target not in rule.targets:
            continue
        for number, example in enumerate(rule.flagged):
            outcome = fix(example, target)
            if outcome.error is not None:
                problems.append(f"{rule.code} example {number}: {outcome.error.reason}")
                continue
            header = example[:len(example) - len(split_example(example)[1])]  # "# file: NAME\n" or ""
            again = fix(header + outcome.text, target)
            if again.text != outcome.text:
                problems.append(f"{rule.code} example {number}: not idempotent")
    assert not problems, "\n".join(problems)


def test_optional_torch_import_stays_optional(amp_linters: dict[str, Linter]) -> None:
    code = textwrap.dedent('''\
        import os

        if os.environ.get("HAVE_TORCH"):
            # the CUDA helper
            from torch.cuda import synchronize as sync


        def wait():
            sync()
        ''')
    text = fix(code, linter=amp_linters["agnostic"]).text
    assert text == code.replace("from torch.cuda import synchronize as sync", "import torch").replace(
        "    sync()", "    torch.get_device_module().synchronize()")


def test_device_variable_follows_an_optional_torch_import() -> None:
    code = textwrap.dedent('''\
        import os

        if os.environ.get("HAVE_TORCH"):
            import torch


        def make():
            return torch.ones(1, device="cuda")
        ''')
    text = fix(code, select=("PRT4",)).text
    assert f"    import torch\n    DEVICE = {DEVICE_EXPRESSIONS['agnostic']}\n" in text
    assert "\nimport torch" not in text  # no unconditional import was added
    again = fix(text, select=("PRT4",))
    assert again.text == text
