"""The prefilter (portlint/prefilter.py) must never reject a file that a rule flags, and
must reject files that cannot match, so that most files of a project are never parsed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import active_min_torch, linter_for, shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter
from portlint.kinds import EXAMPLE_PATH, kind_of, split_example
from portlint.kinds.matching import could_match as text_could_match
from portlint.prefilter import Needle, Requirement, _pattern_clauses, requirement_for
from portlint.rules import TEXT_MATCHER_KINDS, default_ruleset_files, load_rulesets
from portlint.versions import parse_version

RULES = shipped_ruleset().rules
# The unused-noqa rule reads comments after the checks and needs no parse: the prefilter does
# not cover it (tests/test_suppressions.py checks it on files the prefilter rejects).
FLAGGED = [(rule.code, target, i, example) for rule in RULES for target in rule.targets
           for i, example in enumerate(rule.flagged) if any(m.kind != "noqa" for m in rule.matchers)]


@pytest.mark.parametrize(("code", "target", "number", "example"), FLAGGED,
                         ids=[f"{c}-{t}-{n}" for c, t, n, _ in FLAGGED])
def test_prefilter_keeps_every_flagged_example(code: str, target: str, number: int, example: str) -> None:
    path, example = split_example(example)

    def could_match(index) -> bool:
        if path == EXAMPLE_PATH:
            return index.could_match(example)
        # other kinds of file: the text prefilter of portlint/kinds (a .cu file always matches)
        return kind_of(path) == "cuda" or text_could_match(example, index, TEXT_MATCHER_KINDS)

    rule = next(r for r in RULES if r.code == code)
    if not rule.opt_in:  # an opt-in rule is not in the default selection (its own index below)
        index = linter_for(target, active_min_torch(rule, target)).index
        assert could_match(index), f"{code} example {number} rejected on {target}: {example!r}"
    # ... and on its own: a prefilter built from this rule alone keeps it too.
    alone = Linter(Settings(target=target, select=(code,), min_torch=parse_version(active_min_torch(rule, target))),
                   shipped_ruleset()).index
    assert [r.code for r in alone.rules] == [rule.code]
    assert could_match(alone), f"{code}'s own requirements reject example {number}: {example!r}"


@pytest.mark.parametrize("target", ["agnostic", "npu"])
def test_plain_files_are_rejected(target: str) -> None:
    index = linter_for(target).index
    for text in [
        "",
        "import os\nprint(os.getcwd())\n",
        "import numpy as np\nx = np.zeros(3).mean()\n",
        "def total(values):\n    return sum(v for v in values)  # add them up to a total\n",
        '"""An example: go to the store."""\nimport torch\nx = torch.ones(2) + 1\n',
    ]:
        assert not index.could_match(text), text


def test_needles_are_substrings_of_every_kept_example() -> None:
    index = linter_for("agnostic").index
    assert index.needles
    for rule in index.rules:
        for example in rule.flagged:
            if split_example(example)[0] != EXAMPLE_PATH:
                continue  # other kinds of file: test_prefilter_keeps_every_flagged_example
            assert any(needle in example for needle in index.needles), (rule.code, example)


def test_attribute_call_with_number_needs_the_call_shape() -> None:
    # PRT406-style matcher: `.to(N)`; "to" alone occurs in almost every file. (`.to(name)`
    # is kept: the name may hold an integer, found by value flow.)
    index = linter_for("agnostic").index
    assert not index.could_match("import torch\nx = x.tolist()\n# go to 1 place\n")
    for text in ["x.to(0)", "x.to( 1)", "x . to (\n  # first\n  (2))", "(x.to)(3)", "x.\\\nto(4)"]:
        assert index.could_match(text), text
        assert any(f.code == "PRT406" for f in linter_for("agnostic").check_text(text).findings), text


def test_identifiers_match_after_nfkc_normalization() -> None:
    # Python reads the fullwidth identifier as `cuda`.
    text = "import torch\nx = torch.zeros(2).\uff43\uff55\uff44\uff41()\n"
    assert linter_for("agnostic").index.could_match(text)
    assert any(f.code == "PRT404" for f in linter_for("agnostic").check_text(text).findings)


def test_symbol_components_must_be_whole_tokens() -> None:
    class Fake:
        kind, name, needles, calls, call, first_arg, pattern = "symbol", "torch.amp.cpu", (), (), None, None, None

    requirement = requirement_for(Fake())  # type: ignore[arg-type]
    assert requirement is not None
    assert not requirement.holds("example = 'clamp'; torch cpu")
    assert requirement.holds("import torch\ntorch.amp.cpu.x")
    assert requirement.holds("from torch import amp\nfrom torch.amp import cpu")


def test_literal_pattern_clauses_are_cut_at_braces() -> None:
    import re

    def texts(pattern: str) -> list[list[str]]:
        return [sorted(n.text for n in clause) for clause in _pattern_clauses(re.compile(pattern))]

    assert texts(r"cuda:\{\}") == [["cuda:"]]  # f"cuda:{i}" has no "{}" in its source
    assert texts(r"(?:PYTORCH|TORCH)_[A-Z]*CUDA") == [["PYTORCH", "TORCH"], ["_"], ["CUDA"]]
    assert texts(r"(?i)cuda") == []  # case-insensitive: nothing derived
    assert texts(r"TORCH_(?i:cuda)_X") == [["TORCH_"], ["_X"]]
    assert texts(r"a|b*") == []


def test_weaker_requirements_absorb_stronger_ones() -> None:
    cuda = Requirement((frozenset({Needle("cuda", False)}),))
    sync = Requirement((frozenset({Needle("synchronize", True)}), frozenset({Needle("cuda", True)})))
    assert cuda.implies(sync)
    assert not sync.implies(cuda)


def test_user_ruleset_extends_the_prefilter(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(textwrap.dedent('''
        [[rule]]
        code = "ZZZ901"
        name = "my-accelerator-call"
        family = "tooling"
        summary = "s"
        message = "m"
        rationale = "r"
        flagged = ["import mylib\\nmylib.gpu.warm_up()"]
        clean = ["import mylib\\nmylib.cpu.warm_up()"]
        [[rule.symbol]]
        name = "mylib.gpu.warm_up"
        [[rule]]
        code = "ZZZ902"
        name = "my-keyword"
        family = "tooling"
        summary = "s"
        message = "m"
        rationale = "r"
        flagged = ["run(use_tpu_fast=True)"]
        clean = ["run()"]
        [[rule.keyword]]
        name = "use_tpu_fast"
    '''))
    base = Linter(Settings(), load_rulesets(default_ruleset_files()))
    mine = Linter(Settings(), load_rulesets([*default_ruleset_files(), extra]))
    code = "import mylib\nmylib.gpu.warm_up()\n"
    assert not base.index.could_match(code)
    assert mine.index.could_match(code)
    assert mine.index.could_match("run(use_tpu_fast=True)")
    assert not mine.index.could_match("import mylib\nmylib.cpu.warm_up()\n")
    assert set(mine.index.needles) - set(base.index.needles) & {"warm_up", "gpu", "mylib", "use_tpu_fast"}
    assert [f.code for f in mine.check_text(code).findings] == ["ZZZ901"]


def test_a_matcher_without_requirement_disables_the_prefilter() -> None:
    class Unknown:
        kind, name, needles, calls, call, first_arg, pattern = "idiom", None, (), (), None, None, None

    from portlint.prefilter import build_prefilter

    assert requirement_for(Unknown()) is None  # type: ignore[arg-type]
    assert build_prefilter([Unknown()]).could_match("anything at all")  # type: ignore[list-item]


def _every_snippet() -> list[tuple[str, str]]:
    """Every flagged and clean example of every rule, plus the example programs."""
    snippets = [(f"{rule.code}-{kind}{i}", text) for rule in RULES
                for kind, texts in (("flagged", rule.flagged), ("clean", rule.clean))
                for i, text in enumerate(texts)]
    examples = Path(__file__).resolve().parents[1] / "examples"
    for path in sorted(examples.rglob("*.py")) if examples.is_dir() else []:
        snippets.append((path.name, path.read_text(encoding="utf-8")))
    return snippets


@pytest.mark.parametrize("target", ["agnostic", "npu"])
def test_prefilter_never_hides_a_finding(target: str) -> None:
    """Differential: analysing without the prefilter finds nothing in what it rejects."""
    from portlint.engine import _parse_and_analyze

    index = linter_for(target).index
    checked = 0
    for name, text in _every_snippet():
        if index.could_match(text):
            continue
        checked += 1
        unfiltered = _parse_and_analyze(text, name, (index,))
        filtered = linter_for(target).check_text(text, name)
        assert [f.code for f in unfiltered.findings] == [f.code for f in filtered.findings], name
    assert checked  # some snippets are rejected, so the comparison means something


def test_literal_values_must_start_after_a_quote() -> None:
    from portlint.prefilter import _literal_prefix, build_prefilter
    import re

    assert _literal_prefix(re.compile(r"cuda(:\d+)?")) == "cuda"  # noqa: PRT403
    assert _literal_prefix(re.compile(r"cuda:\{\}")) == "cuda:"
    assert _literal_prefix(re.compile(r"c?uda")) is None
    assert _literal_prefix(re.compile(r"(?i)cuda")) is None
    devices = [m for rule in RULES if rule.code == "PRT401" for m in rule.matchers]
    prefilter = build_prefilter(devices)
    assert not prefilter.could_match("if is_torch_cuda_available():\n    pass  # cuda only\n")
    for text in ['x = "cuda"', "x = 'cuda:0'", 'x = f"cuda:{i}"', 'x = "cuda:%d" % i',
                 'x = """cuda"""', 'x = rb"cuda"', 'x = "cuda:" + str(i)']:
        assert prefilter.could_match(text), text
