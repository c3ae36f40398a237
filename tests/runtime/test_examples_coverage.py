"""The example programs behind the README's first command show the breadth of the rules.

No torch needed: this only lints ``examples/*.py`` (not ``examples/fixed/``).
"""

from __future__ import annotations

from pathlib import Path

from conftest import linter_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED_FAMILIES = {
    "device", "cuda-runtime", "cuda-memory", "amp", "backends", "distributed", "env",
    "third-party", "tooling", "traps",
}


def _families(target: str) -> dict[str, set[str]]:
    linter = linter_for(target)
    families = {rule.code: rule.family for rule in linter.ruleset.rules}
    found: dict[str, set[str]] = {}
    for path in sorted(EXAMPLES.glob("*.py")):
        result = linter.check_file(str(path))
        assert result.error is None, result.error
        for finding in result.findings:
            found.setdefault(families[finding.code], set()).add(path.name)
    return found


def test_examples_exist() -> None:
    names = {path.name for path in EXAMPLES.glob("*.py")}
    assert {"train_amp.py", "distributed_setup.py", "inference.py", "kernels_and_libs.py"} <= names


def test_default_target_alone_shows_ten_families() -> None:
    """`portlint check examples/` (the README's main command, agnostic target) shows at
    least ten rule families."""
    found = _families("agnostic")
    assert len(found) >= 10, sorted(found)
    assert EXPECTED_FAMILIES <= set(found), sorted(EXPECTED_FAMILIES - set(found))


def test_examples_are_flagged_by_every_family() -> None:
    """Across both targets the examples trigger every rule family the ruleset has."""
    found = _families("agnostic")
    for family, files in _families("npu").items():
        found.setdefault(family, set()).update(files)
    shipped = {rule.family for rule in linter_for("agnostic").ruleset.rules}
    missing = (EXPECTED_FAMILIES & shipped) - set(found)
    assert not missing, f"no example triggers the families {sorted(missing)}; found {sorted(found)}"
    assert len(found) >= min(10, len(shipped)), sorted(found)


def test_each_runnable_example_has_findings() -> None:
    linter = linter_for("agnostic")
    for name in ("train_amp.py", "distributed_setup.py", "inference.py", "kernels_and_libs.py"):
        result = linter.check_file(str(EXAMPLES / name))
        assert len(result.findings) >= 5, (name, [f.code for f in result.findings])
