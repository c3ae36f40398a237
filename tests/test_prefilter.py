"""The prefilter (portlint/prefilter.py) must never reject a file that a rule flags, and
must reject files that cannot match, so that most files of a project are never parsed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import active_min_torch, linter_for, shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter
from portlint.kinds import EXAMPLE_PATH, kind_of, split_example
from portlint.kinds.matching import could_match as text_could_match
from portlint.prefilter import Needle, Requirement, _normal, _pattern_clauses, requirement_for
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
    # ... and for the integer-value requirements too (`x.ｔｏ(0)` is `x.to(0)`), one normalization for both
    from portlint.prefilter import INT_VALUES, NOTHING

    prefilter = linter_for("agnostic").index.prefilter
    assert prefilter.screen("gpu = 0\nx = x.\uff54\uff4f(gpu)\n") == INT_VALUES
    assert prefilter.screen("gpu = 0\nx = \uff54\uff4f(gpu)\n") == NOTHING  # (a function `to`, not a method)
    assert any(f.code == "PRT406" for f in linter_for("agnostic").check_text(
        "import torch\ngpu = 0\nx = torch.ones(1).\uff54\uff4f(gpu)\n").findings)


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


# Integer devices: the value reaches `.to(...)` / `device=` / `torch.device(...)` through names.
_INT_FLOWS = [
    "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--gpu-id', type=int)\n"
    "args = parser.parse_args()\nmodel.to(args.gpu_id)\n",
    "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--gpu', default=0)\n"
    "args = parser.parse_args()\nmodel.to(args.gpu)\n",
    "from dataclasses import dataclass\n@dataclass\nclass Cfg:\n    gpu: int = 0\ncfg = Cfg()\nx = x.to(cfg.gpu)\n",
    "class Cfg:\n    gpu = None\ncfg = Cfg(gpu=1)\nx = x.to(cfg.gpu)\n",
    "name, rank = 'x', 1\nx = x.to(rank)\n",
    "import torch\nif (n := 3):\n    t = torch.zeros(2, device=n)\n",
    "class T:\n    index = 0\n    def go(self, x):\n        return x.to(self.index)\n",
    "import os\nrank = int(os.environ['RANK'])\ngpu = rank\ndev = gpu\nx = x.to(dev)\n",
    "import torch\nclass C:\n    def __init__(self, g: int):\n        self.g = g\n    def run(self):\n"
    "        return torch.ones(1, device=self.g)\n",
    "import torch\ndef f(k=-1):\n    return torch.device(k)\n",
    "import torch\nx = torch.empty(3, device=(0))\ny = x.to(device=2)\n",
]


@pytest.mark.parametrize("target", ["agnostic", "npu"])
def test_integer_value_screen_never_hides_a_finding(target: str) -> None:
    """Differential: a file kept by the text prefilter only for integer-device matchers, then
    judged by the text screen or the tree screen to pass no value that may be an int, has no
    finding."""
    import ast

    from portlint.analyzer import analyze
    from portlint.prefilter import INT_VALUES

    index = linter_for(target).index
    prefilter = index.prefilter
    assert prefilter.int_values is not None
    by_text = by_tree = flagged = 0
    texts = [*_every_snippet(), *((f"trap{i}", t) for i, t in enumerate(_TEXT_TRAPS)),
             *((f"flow{i}", t) for i, t in enumerate(_INT_FLOWS))]
    for name, text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        found = analyze(tree, text, name, index)
        if name.startswith("flow"):
            assert any(f.code == "PRT406" for f in found), text  # value flow proves the int
            flagged += 1
        normal = _normal(text)  # (NFKC changes no ASCII: what holds in the text holds here)
        if prefilter._check(normal) or not prefilter.int_values._check(normal):
            continue
        if not index.could_match(text):
            by_text += 1
            assert found == [], (name, found)
        elif not index.worth_analyzing(text, tree):
            assert prefilter.screen(text) == INT_VALUES
            by_tree += 1
            assert found == [], (name, found)
    assert by_text and flagged


def test_integer_device_files_without_an_integer_are_not_analyzed() -> None:
    import ast

    from portlint.prefilter import INT_VALUES

    index = linter_for("agnostic").index
    for text in ["import torch\nx = x.to(device)\n",
                 "import torch\ndevice = torch.device('cpu')\nx = torch.zeros(2, device=device).to(torch.float16)\n",
                 "import torch\ndef f(x, n: int, device=None):\n    return x.to(device)[:n]\n"]:
        assert not index.could_match(text), text  # the text screen: never parsed
        # beyond the text screen (a non-ASCII name): parsed, but not analyzed
        beyond = "é = 1\n" + text
        assert index.prefilter.screen(beyond) == INT_VALUES, text
        assert not index.worth_analyzing(beyond, ast.parse(beyond)), text
    for text in ["x = x.to(int(rank))", "gpu = 0\nx = x.to(gpu)", "def f(x, gpu: int):\n    return x.to(gpu)"]:
        assert index.prefilter.screen(text) == INT_VALUES, text
        assert index.worth_analyzing(text, ast.parse(text)), text


# The text screen (portlint/intscreen.py) must see every int the tree screen sees.
_TEXT_TRAPS = [
    "x = x.to(\n    # a comment (\n    gpu_id\n)\ngpu_id = 0\n",
    "(a,\n gpu) = ('x', 1)\nx = x.to(gpu)\n",
    "gpu, \\\n  name = 1, 'x'\nx.to(gpu)\n",
    "s = '(('\nrank = int(s)\nx.to(rank)\n",
    "x.to((\n  -1))\n",
    "import torch\ndef f(gpu: int):\n    return torch.zeros(1, device=gpu)\n",
    "class A:\n    def __init__(self):\n        self.gpu = 3\n    def f(self, x):\n        return x.to(self.gpu)\n",
    "a = b = 0\nx.to(a)\n",
    "gpu = 1; x.to(gpu)\n",
    "f = lambda gpu=0: x.to(gpu)\n",
    "s = '#'; gpu = 0\nx.to(gpu)\n",
    "# it's\ngpu = 0\nx.to(gpu)\n",
    "k = r'\\''; gpu = (\n    2)\nx.to(gpu)\n",
    "g = {'a': 1}\nrank: 'Optional[int]' = 0\nx.to(rank)\n",
    "a, b = [0, (1)]\nx.to(b)\n",
    "n = 'é'\nrank = +1\ny = x.to(rank)\n",
    "x.to(device=(3))\n",
    "def f(x, *, gpu=0):\n    return x.to(gpu)\n",
    "dev = self_id\nself_id = 0\nx.to(dev)\n",
    "x.to(y.z(0).w)\nw = int(s)\n",
    "import torch\nd = torch.device(\n    i)\ni = 1\n",
    "x.to(rank)\nrank = 0 if a else 1\nrank = 1\n",
    "(x.to)(gpu)\n[a, gpu] = 'x', 1\n",
    "x = x.to(\\\n    gpu)\ngpu=1\n",
    's = f"{x.to(gpu)}"\ngpu = 0\n',
    "p.add_argument('--gpu-id', type=int)\nargs = p.parse_args()\nx.to(args.gpu_id)\n",
    'p.add_argument("rank", default=0)\nargs = p.parse_args()\nx.to(args.rank)\n',
]


def test_text_screen_keeps_what_the_tree_screen_keeps() -> None:
    from portlint.intscreen import int_value_in_text

    prefilter = linter_for("agnostic").index.prefilter
    calls, keywords = prefilter.int_calls, prefilter.int_keywords
    assert calls and keywords
    kept = _text_screen_keeps([*_TEXT_TRAPS, *_INT_FLOWS, *(text for _, text in _every_snippet())])
    for text in _TEXT_TRAPS:
        assert int_value_in_text(text, calls, keywords), text
    assert kept > len(_TEXT_TRAPS)


def test_text_screen_blanks_comments_and_literals() -> None:
    """The reader's view of the text: comments removed, each literal `""` with its prefix kept,
    the literals' places in the result recorded; None for a quote left over or an f-string
    field that may hold a candidate."""
    from portlint.intscreen import _blank_literals

    calls, keywords = frozenset({"to", "device"}), frozenset({"device"})
    text = ("x = f\"{a}\" + rb'\\''  # it's \"quoted\"\n"
            "s = '''a\n#b'''; t = \"#\"\x7f\n"  # (DEL: the scan's spare first character)
            "\"\" f\"{x}\"if\"{\"\n")
    opaque: set[str] = set()
    literals: list[tuple[int, str]] = []
    code = _blank_literals(text, calls, keywords, opaque, literals)
    assert code == "x = f\"\" + rb\"\"  \ns = \"\"; t = \"\"\x7f\n\"\" f\"\"if\"\"\n"
    assert [body for _, body in literals] == ["\"{a}\"", "'\\''", "'''a\n#b'''", "\"#\"", "\"\"", "\"{x}\"", "\"{\""]
    assert all(code[at:at + 2] == "\"\"" for at, _ in literals)
    assert _blank_literals("s = f'{g(gpu=1)}'\n", calls, keywords, opaque) == "s = f\"\"\n" and opaque == {"gpu"}
    for beyond in ["s = 'open\n", "x = \"\"\"never closed\n", "s = f'{x.to(0)}'", "s = F'{g(device=0)}'",
                   "s = rf'{x.to  # c\n(1)}'"]:
        assert _blank_literals(beyond, calls, keywords, set()) is None, beyond
    # Not f-strings, so their braces are text: `if` before the quote is a keyword, and a prefix is a whole word.
    for plain in ["y = if_'{x.to(0)}'", "y = x if'{x.to(0)}' else 0", "y = b'{x.to(0)}'"]:
        assert _blank_literals(plain, calls, keywords, set()) is not None, plain


def test_text_screen_rejects_plain_device_code() -> None:
    from portlint.intscreen import int_value_in_text

    prefilter = linter_for("agnostic").index.prefilter
    calls, keywords = prefilter.int_calls, prefilter.int_keywords
    for text in [
        "import torch\ndef f(x, device=None, dtype=torch.float32):\n    device = x.device if device is None else device\n"
        "    return torch.zeros(2, device=device).to(dtype)\n",
        "x = x.to(self.device)  # to(0) in a comment\ns = 'x.to(0)'\n",
        "t = torch.arange(10, device=hidden.device).to(torch.long)[None, :]\n",
        "def f(self, a, b):\n    dtype, device = a.dtype, a.device\n    return b.to(device=device, dtype=dtype)\n",
        "import torch\nfor k in range(2):\n    x = torch.ones(1, device=k if k else 0)\n",  # not an int: a choice
    ]:
        assert not int_value_in_text(text, calls, keywords), text
    for text in ["x = 'ü'\nx.to(ｇpu)", "x.to(f'{g(device=1)}')", "s = f'{x.to(1)}'", "s = f'{g(ｄ=1)}'",
                 # Python 3.12 f-strings: a quote of the same kind in a field, comments in fields
                 's = f"{g("a", device=0)}"\n', 'x.to(dev)\ns = f"""{g(dev  # c\n=0)}"""\n',
                 's = f"""{x.to  # c\n(1)}"""\n']:
        assert int_value_in_text(text, calls, keywords), text  # beyond the reader


def test_shared_parts_gate_keys_that_contain_them() -> None:
    from portlint.prefilter import _shared_parts

    parts = _shared_parts(["flash_attn", "flashinfer", "pynvml", "py3nvml", "cuda"])
    assert parts["flash_attn"] == parts["flashinfer"] == "flash"
    assert parts["pynvml"] == parts["py3nvml"] == "nvml"
    assert "cuda" not in parts  # shares nothing of four characters with another key
    assert _shared_parts(["cuda", "cudnn"]) == {}  # "cud": too short to be worth a search


_FRAGMENTS = ["flash", "_attn", "infer", "nvml", "py", "py3", "_autocast_", "set", "enabled", "torch",
              "torch.", "cuda", "CUDA", "_", "Extension", "x", " ", "\n", "import ", "(", ")"]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_gates_never_change_the_screen(parts: list[str]) -> None:
    """Differential: the screen with its gates answers as the same screen without any."""
    import dataclasses

    prefilter = linter_for("agnostic").index.prefilter
    ungated = dataclasses.replace(prefilter)
    ungated._gates = {}
    assert prefilter._gates  # (else the comparison means nothing)
    text = "".join(parts)
    assert prefilter._check(text) == ungated._check(text)


def test_import_statements_are_the_lines_holding_import() -> None:
    from portlint.prefilter import import_statements

    text = ("'''Uses apex.'''\nimport os, \\\n    apex as a\nx = 1\nfrom \\\n  cupy \\\r\n  import y\n"
            "def f():\n    import numba; z = 2\nprint('important')")
    assert import_statements(text) == ("import os, \\\n    apex as a\nfrom \\\n  cupy \\\r\n  import y\n"
                                       "    import numba; z = 2\nprint('important')")
    assert import_statements("x = 1\n") == ""
    assert import_statements("import a\\") == "import a\\"  # (no line end after a backslash)


def test_module_names_are_searched_in_import_statements() -> None:
    """A module's or a symbol's first part (`apex`, `cupy`) occurs in an import statement
    wherever the analyzer matches it: mentioned elsewhere only, the file is not parsed."""
    prefilter = linter_for("agnostic").index.prefilter
    assert {"apex", "cupy", "pynvml", "xformers"} <= prefilter._in_imports
    assert "cuda" not in prefilter._in_imports  # (also a device string, an attribute...)
    for text in ['"""Fused kernels, as apex and cupy have them."""\nx = 1\n', "# needs pynvml\nimportant = 1\n",
                 "def f(apex):\n    return apex.amp.initialize(m)\n"]:
        assert not prefilter.could_match(text), text
    for text in ["import apex\n", "import os, \\\n    apex.amp as amp\n", "from \\\n apex import amp\n",
                 "x = 1; import cupy as cp\n", "def f():\n    from pynvml import nvmlInit\n",
                 "from apex \\\r\n   import amp\r\n"]:
        assert prefilter.could_match(text), text


_IMPORT_SHAPES = ["import {m}", "import {m} as alias", "import os, {m}", "import {m}.sub as s", "from {m} import x",
                  "from {m}.sub import x", "from {m} import *", "from . import {m}", "x = 1; import {m}"]


@given(st.sampled_from(sorted(linter_for("agnostic").index.prefilter._in_imports)), st.sampled_from(_IMPORT_SHAPES),
       st.lists(st.sampled_from([" ", " \\\n", "\\\n ", " \\\n        "]), min_size=6, max_size=6),
       st.sampled_from(["", "def f():\n    "]), st.sampled_from(["\n", "\r\n"]))
@settings(max_examples=300, deadline=None)
def test_screening_in_import_statements_never_hides_a_finding(module: str, shape: str, gaps: list[str],
                                                              indent: str, newline: str) -> None:
    """Differential: any import statement, its words joined by backslash continuations, then a
    use of the module; a file the analysis flags is kept."""
    import ast

    from portlint.analyzer import analyze

    words = shape.format(m=module).split(" ")
    statement = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:]))
    use = {"import {m} as alias": "alias", "import {m}.sub as s": "s"}.get(shape, module)
    text = (indent + statement + "\n" + ("    " if indent else "") + f"{use}.run(x)\n").replace("\n", newline)
    tree = ast.parse(text)
    for target in ("agnostic", "npu"):
        index = linter_for(target).index
        if analyze(tree, text, "t.py", index):
            assert index.prefilter.could_match(text), text


# Each rule of the text reader (portlint/intscreen.py): a text it answers False for (as the
# tree screen does), and a near miss it must keep (the tree screen keeps it: an int flows).
_READER_RULES = {
    "float literals": ("eps = 1e-2\nx.to(eps)\nn = 0.5\nx.to(n)\nx.to(.5)\nx.to(1j)\n",
                       "eps = 1_0\nx.to(eps)\nn = 0x1e\nx.to(n)\n"),
    "an int inside an expression": ("k = 2 * n\nx.to(k)\nj = 1 if c else 2\nx.to(j)\nx.to(-1 + n)\n",
                                    "k = (2)\nx.to(k)\nj = -(1)\nx.to(j)\n"),
    "int(...) inside an expression": ("k = int(s) + 1\nx.to(k)\nx.to(int(s).bit_length())\n",
                                      "k = -(int(s))\nx.to(k)\n"),
    "a parenthesized int called": ("x.to((int))\nx.to(float(s))\n", "torch.device((int)(s))\n"),
    "a call's arguments": ("k = torch.flip(k, [1]).float()\nx.to(k)\nd = g(n)\nn = 0\nx.to(d)\n",
                           "d = (n)\nn = 0\nx.to(d)\n"),
    "an element with an operator": ("k = (a * n)\nn = 0\nx.to(k)\nd = not n\nx.to(d)\n",
                                    "k = (a.n)\nn = 0\nx.to(k)\n"),
    "an annotation before `=`": ("def f(x, dim: int = -1):\n    return x.to(torch.int)\nn: float = 2\nx.to(torch.float)\n",
                                 "if c: int = 2\nx.to(torch.int)\n"),
    "an annotation's subscript": ("t: Tuple[int, int] = (0, 0)\nx.to(torch.int)\nm[(g(a, dev), 1)] = 1\nx.to(dev)\n",
                                  "x.to(dev)\n(a, [b, dev]) = 0, [1, 2]\n"),
    "an annotation without a value": ("class C:\n    gpu: int\nx.to(c.gpu)\n",
                                      "def f(x, gpu: int):\n    return x.to(gpu)\n"),
    "a lambda's `:`": ("x = lambda: n\nn = 0\nx.to(x)\n",
                       "x, dev = lambda: dev, 1_0\nx.to(x)\ny: lambda: int = 0\nx.to(y)\n"),
    "a walrus": ("if (n := len(a)):\n    x.to(n)\n", "if (n := 0) is None:\n    pass\nx.to(n)\n"),
    "an f-string's fields": ("s = f'{g(k=1)}{a == b}{c=}{\"┴\".join(d)}'\nx.to(dev)\ndev = None\n",
                             "s = f'{g(dev=1)}'\nx.to(dev)\n"),
    "a string after `if`, not an f-string": ('x.to(d)\nif "{" in s:\n    pass\n',
                                            'x.to(d)\nif f"{g(d=1)}":\n    pass\n'),
    "literals outside add_argument": ("p.add_argument('--gpu', type=str)\nd = {'float16': 1}\nx.to(torch.float16)\n",
                                      "p.add_argument('--float16', type=int)\nx.to(args.float16)\n"),
    "an option's default and type": ("p.add_argument('--dtype', default='bf16', type=str)\nx.to(args.dtype)\n",
                                     "p.add_argument('--dtype', default=(0))\nx.to(args.dtype)\n"),
    "an option named by joined literals": ("p.add_argument('--gpu' '-id', type=float)\nx.to(args.gpu_id)\n",
                                           "p.add_argument('--gpu' '-id', type=int)\nx.to(args.gpu_id)\n"),
    "an option with an escape": ("p.add_argument('--rank\\x2did', type=str)\nx.to(args.rank_id)\n",
                                 "p.add_argument('--rank\\x2did', type=(int))\nx.to(args.rank_id)\n"),
}


@pytest.mark.parametrize("rule", sorted(_READER_RULES))
def test_text_reader_rule(rule: str) -> None:
    import ast

    from portlint.intscreen import int_value_in_text
    from portlint.valueflow import int_value_possible

    prefilter = linter_for("agnostic").index.prefilter
    calls, keywords = prefilter.int_calls, prefilter.int_keywords
    rejected, kept = _READER_RULES[rule]
    assert not int_value_possible(ast.parse(rejected), calls, keywords), rejected
    assert not int_value_in_text(rejected, calls, keywords), rejected
    assert int_value_possible(ast.parse(kept), calls, keywords), kept
    assert int_value_in_text(kept, calls, keywords), kept


def test_text_screen_keeps_what_the_tree_screen_keeps_on_random_programs() -> None:
    """Differential, on small random programs made of the shapes the text reader reads (and
    near misses of them): wherever the tree screen may find an int, the text screen does."""
    import random

    pick = random.Random(8).choice
    names = ["a", "dev", "gpu", "int", "float", "device", "x"]

    def value(depth: int = 0) -> str:
        n = pick(names)
        if depth < 2 and pick(range(4)) == 0:
            shape = pick(["(%s, %s)", "[%s, %s]", "f(%s, %s)", "{%s: %s}", "%s[%s]", "(%s or %s)", "%s + %s"])
            return shape % (value(depth + 1), value(depth + 1))
        return pick(["0", "1.5", "-1", "+2", "1e-2", "0x1f", "1_0", "1j", "None", "'s'", "int(s)", "int(s) + 1",
                     "2 * n", "(0)", "-(1)", "(-(int(q)))", "((int))(q)", n, f"self.{n}", f"f({n})", f"g({n}).{n}", f"[{n}]",
                     f"not {n}", f"{n} if c else {n}", f"lambda: {n}", f"torch.{n}", f"''.{n}", f"f'{{{n}}}'"])

    def statement() -> str:
        n, v, m = pick(names), value(), pick(names)
        return pick([f"{n} = {v}", f"{n}: int = {v}", f"{n}: Optional[{m}] = {v}", f"{m}, {n} = {v}, {value()}",
                     f"({m}, [{n}, {m}]) = {v}", f"{n}: {m}", f"def f({m}, {n}={v}, *, k: int = {value()}):\n    pass",
                     f"def h({n}: int):\n    pass", f"q({n}={v})", f"x.to({v})", f"x.to({v}, {value()})",
                     f"torch.zeros(1, device={v})", f"torch.device({v})", f"if c: {n} = {v}",
                     f"if ({n} := {v}):\n    pass", f"m[{n}] = {v}", f"m[g({m}, {n})] = {v}", f"self.{n} = {v}",
                     f"p.add_argument('--{n}', type={pick(['int', 'str', '(int)'])}, default={v})",
                     f"s = f'{{g({n}={v})}}'", f"s = f'{{{n}=}}'", f"{n} = {m} = {v}",
                     f"class C:\n    {n}: int\n    {m} = {v}", f"{n} += {v}", f"for {n} in {v}:\n    pass",
                     f"lambda {n}={v}: {n}", f"{m}, {n} = lambda: {m}, {v}", f"{n}: lambda: int = {v}",
                     f"{n} = (\n    {v}\n)", f"x = x.to(\\\n    {v})", f"{n} = {v}  # x.to(0)"])

    programs = ["\n".join(statement() for _ in range(pick(range(1, 6)))) + "\n" for _ in range(1500)]
    assert _text_screen_keeps(programs) > 100


def _text_screen_keeps(texts: list[str]) -> int:
    """Check that the text screen keeps each text (that parses) the tree screen keeps; how
    many those are."""
    import ast
    import warnings

    from portlint.intscreen import int_value_in_text
    from portlint.valueflow import int_value_possible

    prefilter = linter_for("agnostic").index.prefilter
    calls, keywords = prefilter.int_calls, prefilter.int_keywords
    kept = 0
    for text in texts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (SyntaxWarning: `1if`)
                tree = ast.parse(text)
        except SyntaxError:
            continue
        if int_value_possible(tree, calls, keywords):
            kept += 1
            assert int_value_in_text(text, calls, keywords), text
    return kept


def test_keyword_matchers_need_the_name_followed_by_an_equals_sign() -> None:
    class Keyword:
        kind, name, needles, calls, call, first_arg, pattern = "keyword", "output_device", (), (), None, None, None

    requirement = requirement_for(Keyword())  # type: ignore[arg-type]
    assert requirement is not None
    assert requirement.holds("DDP(m, output_device=0)")
    assert requirement.holds("DDP(m, output_device  # the GPU\n    = 0)")
    assert requirement.holds("DDP(m, output_device \\\n= 0)")
    assert not requirement.holds("print(m.output_device)")
    assert not requirement.holds("if output_device == 0: pass")
    assert not requirement.holds("x = {'output_device': 0}")
