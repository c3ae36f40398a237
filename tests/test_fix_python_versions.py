"""Fixed code is valid on the oldest Python the project supports, whatever Python runs
portlint (portlint/pyversion.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import linter_for
from portlint.config import Settings
from portlint.engine import Linter
from portlint.fixer import fix_text
from portlint.pyversion import grammar_problem, invalid_fstring_fields, oldest_python
from conftest import shipped_ruleset

PYENV = Path.home() / ".pyenv" / "versions"


def fix(code: str, target_version: tuple[int, int] | None = None, target: str = "agnostic") -> str:
    linter = Linter(Settings(target=target, target_version=target_version), shipped_ruleset()) \
        if target_version else linter_for(target)
    outcome = fix_text(code, linter, "example.py", unsafe=True)
    assert outcome.error is None, outcome.error
    return outcome.text


GPU_NAME = 'import torch\nprint(f"GPU: {torch.cuda.get_device_name(0)}")\n'


@pytest.mark.parametrize("version", [(3, 10), (3, 11), (3, 12)])
def test_a_fix_inside_an_fstring_uses_the_other_quote(version: tuple[int, int]) -> None:
    fixed = fix(GPU_NAME, version)
    assert fixed == ('import torch\nprint(f"GPU: {(torch.get_device_module().get_device_name(0) '
                     "if torch.accelerator.is_available() else 'cpu')}\")\n")
    assert grammar_problem(GPU_NAME, ast.parse(GPU_NAME), fixed, ast.parse(fixed), (3, 10)) is None


def test_single_quoted_fstrings_get_double_quotes() -> None:
    fixed = fix("import torch\nprint(f'GPU: {torch.cuda.get_device_name(0)}')\n")
    assert 'else "cpu")}' in fixed


def test_nested_fstrings_use_the_quote_left_free() -> None:
    code = "import torch\nprint(f\"\"\"{f'{torch.cuda.get_device_name(0)}'}\"\"\")\n"
    fixed = fix(code)
    assert 'else "cpu")}' in fixed  # a single " does not end the triple-quoted string
    assert grammar_problem(code, ast.parse(code), fixed, ast.parse(fixed), (3, 10)) is None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="quote reuse only parses on Python >= 3.12")
def test_the_verifier_rejects_what_only_python_312_parses() -> None:
    old = 'x = f"{a}"\n'
    new = 'x = f"{a["k"]}"\n'
    assert invalid_fstring_fields(new, ast.parse(new)) == 1
    assert "3.12" in grammar_problem(old, ast.parse(old), new, ast.parse(new), (3, 11))
    assert grammar_problem(old, ast.parse(old), new, ast.parse(new), (3, 12)) is None
    assert grammar_problem(new, ast.parse(new), new, ast.parse(new), (3, 11)) is None  # not introduced


def test_the_oldest_python_comes_from_the_setting_then_requires_python(tmp_path: Path) -> None:
    assert oldest_python(Settings(target_version=(3, 11))) == (3, 11)
    assert oldest_python(Settings()) == (3, 9)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nrequires-python = ">=3.10, <4"\n')
    assert oldest_python(Settings(config_file=pyproject)) == (3, 10)


@pytest.mark.parametrize("python", ["3.10.13", "3.11.7", "3.13.0"])
def test_fixed_fstrings_compile_on_each_python(python: str, tmp_path: Path) -> None:
    """The real interpreters agree: the fixed f-string compiles on 3.10, 3.11 and 3.13."""
    interpreter = PYENV / python / "bin" / "python3"
    if not interpreter.exists():
        pytest.skip(f"no Python {python} in ~/.pyenv")
    path = tmp_path / "fixed.py"
    path.write_text(fix(GPU_NAME) + fix("import torch\nprint(f'{torch.cuda.memory_allocated() / 2**30:.2f}')\n"))
    result = subprocess.run([str(interpreter), "-c", f"import ast; ast.parse(open({str(path)!r}).read())"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
