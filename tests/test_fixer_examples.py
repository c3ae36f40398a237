"""examples/fixed/<target>/ holds what ``portlint fix --unsafe-fixes`` makes of each example.

Regenerate after changing a rule or the fixer: ``python -m portlint.fixer --regen-examples``.
"""

from __future__ import annotations


import pytest

from portlint.fixer import EXAMPLES_DIR, example_linter, example_sources, fixed_example_text
from portlint.rules import TARGETS

SOURCES = example_sources()
REGEN = "run `python -m portlint.fixer --regen-examples`"


def test_there_are_examples() -> None:
    assert SOURCES, f"no example programs under {EXAMPLES_DIR}"


@pytest.mark.parametrize("target", TARGETS)
def test_fixed_examples_are_in_sync(target: str) -> None:
    linter = example_linter(target)
    for source in SOURCES:
        fixed = EXAMPLES_DIR / "fixed" / target / source.relative_to(EXAMPLES_DIR)
        assert fixed.is_file(), f"{fixed} is missing: {REGEN}"
        expected = fixed_example_text(source, target, linter)
        assert fixed.read_bytes().decode("utf-8") == expected, f"{fixed} is stale: {REGEN}"
        assert expected != source.read_text(encoding="utf-8"), f"{source}: the fixer changed nothing"


@pytest.mark.parametrize("target", TARGETS)
def test_no_orphaned_fixed_examples(target: str) -> None:
    folder = EXAMPLES_DIR / "fixed" / target
    wanted = {source.relative_to(EXAMPLES_DIR) for source in SOURCES}
    present = {path.relative_to(folder) for path in folder.rglob("*.py")} if folder.is_dir() else set()
    assert present <= wanted, f"fixed examples without a source: {sorted(map(str, present - wanted))}; {REGEN}"
