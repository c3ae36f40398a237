"""Property fuzz of ``portlint fix --unsafe-fixes`` on generated programs (issue 14, item 9).

The generator (tests/fuzz_programs.py) mixes CUDA constructs with aliases, shadowing of
``torch`` (parameter, local, loop, ``with`` and ``except`` target), lazy imports, nested
f-strings, comments in odd places, decorators, classes and comprehensions. For every
program and target: the fixed code parses with the oldest supported Python's grammar,
there is no internal error, no fix adds a read of a name that the scope binds itself
(a shadowing binding), no new undefined name, every comment is kept, and a second fix
changes nothing. CI runs a few hundred programs per target; the by-hand run
(``python tests/fuzz_programs.py --programs 5000``) runs thousands. What the fuzz found is
in tests/test_fuzz_regressions.py, one minimal reproducer per class.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import linter_for
from fuzz_programs import check_program, programs, shadowed_references
from portlint.fixer import fix_text

PROGRAMS_PER_TARGET = 300


def test_the_generator_makes_valid_old_python() -> None:
    @settings(max_examples=50, deadline=None, database=None)
    @given(program=programs())
    def valid(program: str) -> None:
        ast.parse(program, feature_version=(3, 10))

    valid()


def test_the_shadowing_check_can_fail() -> None:
    """The invariant catches a fix that reads a shadowed name (it is not vacuous)."""
    original = "import torch as th\ndef f(torch):\n    th.cuda.synchronize()\n    return torch\n"
    broken = "import torch as th\ndef f(torch):\n    torch.accelerator.synchronize()\n    return torch\n"
    assert shadowed_references(original, broken) == [".f: torch (1 -> 2 reads)"]
    assert shadowed_references(original, original) == []


@pytest.mark.parametrize("target", ["agnostic", "npu"])
def test_fix_invariants_on_generated_programs(target: str) -> None:
    linter = linter_for(target)

    @settings(max_examples=PROGRAMS_PER_TARGET, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(program=programs())
    def holds(program: str) -> None:
        problems = check_program(program, lambda text: fix_text(text, linter, "gen.py", unsafe=True))
        assert problems == [], f"{problems}\n--- program:\n{program}"

    holds()
