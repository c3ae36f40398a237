"""Minimal reproducers of what the fixer's property fuzz found (tests/test_fuzz.py), one per
class, as regular tests (issue 14).

Class "shadowed module name": the module is ``import torch as pt`` and ``torch`` is bound in
the function (a parameter, a local, a loop, ``with`` or ``except`` target, a comprehension
variable, bound after the use); a fix wrote ``torch.`` there, which reads the local. The
fixer now asks the semantic model what each module name it writes refers to where it is
written, and uses a visible alias of the module (``pt``) or a fresh module-level one.
"""

from __future__ import annotations

import pytest

from conftest import linter_for
from fuzz_programs import check_program, shadowed_references
from portlint.fixer import fix_text
from portlint.semantic import build_model

TARGETS = ["agnostic", "npu"]

SHADOWED = {
    "parameter": "import torch as pt\n\ndef f(torch):\n    pt.cuda.synchronize()\n    return torch\n",
    "local": "import torch as pt\n\ndef f():\n    torch = object()\n    pt.cuda.synchronize()\n    return torch\n",
    "local bound after the use": "import torch as pt\n\ndef f():\n    pt.cuda.synchronize()\n    torch = 1\n    return torch\n",
    "loop": "import torch as pt\n\ndef f(items):\n    for torch in items:\n        pt.cuda.synchronize()\n",
    "with": "import torch as pt\n\ndef f(cm):\n    with cm as torch:\n        pt.cuda.synchronize()\n",
    "except": ("import torch as pt\n\ndef f():\n    try:\n        pass\n    except Exception as torch:\n"
               "        pt.cuda.synchronize()\n"),
    "comprehension": "import torch as pt\n\ndef f(xs):\n    return [pt.cuda.device_count() for torch in xs]\n",
    "keyword-only parameter": "import torch as th\n\ndef f(*, torch=None):\n    th.cuda.empty_cache()\n    return torch\n",
    "closure": ("import torch as pt\n\ndef f(torch):\n    def g():\n        pt.cuda.synchronize()\n"
                "    return g, torch\n"),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(SHADOWED))
def test_a_fix_names_the_module_through_a_visible_alias(case: str, target: str) -> None:
    source = SHADOWED[case]
    fixed = fix_text(source, linter_for(target), "m.py", unsafe=True)
    assert fixed.error is None and fixed.applied, case
    assert shadowed_references(source, fixed.text) == [], fixed.text
    assert check_program(source, lambda text: fix_text(text, linter_for(target), "m.py", unsafe=True)) == []
    alias = "th" if "as th" in source else "pt"
    assert f"{alias}.cuda" not in fixed.text and f"{alias}." in fixed.text.split("def f", 1)[1]


def test_the_parameter_case_reads_as_a_reviewer_would_write_it() -> None:
    fixed = fix_text(SHADOWED["parameter"], linter_for("npu"), "m.py", unsafe=True)
    assert fixed.text == ("import torch as pt\nimport torch_npu  # noqa: F401\n\n"
                          "def f(torch):\n    pt.npu.synchronize()\n    return torch\n")


@pytest.mark.parametrize("target", TARGETS)
def test_without_a_visible_alias_a_fresh_one_is_imported(target: str) -> None:
    source = "import torch\nfrom torch import cuda as c\n\ndef f(torch):\n    c.empty_cache()\n    return torch\n"
    fixed = fix_text(source, linter_for(target), "m.py", unsafe=True)
    assert fixed.error is None and fixed.applied
    assert "import torch as torch_\n" in fixed.text
    assert "torch_." in fixed.text.split("def f", 1)[1]
    assert shadowed_references(source, fixed.text) == []


@pytest.mark.parametrize("target", TARGETS)
def test_reads_of_the_local_that_a_fix_keeps_stay(target: str) -> None:
    """``torch`` here is the caller's object: the fix keeps it as it is."""
    source = "import torch as pt\n\ndef f(torch):\n    return torch.ones(1).cuda()\n"
    fixed = fix_text(source, linter_for(target), "m.py", unsafe=True)
    assert fixed.error is None
    assert "return torch.ones(1)." in fixed.text
    assert shadowed_references(source, fixed.text) == []


def test_the_model_says_what_a_name_may_be_in_a_whole_scope() -> None:
    import ast

    tree = ast.parse("import torch as pt\nimport torch\n\ndef f():\n    x = torch\n    torch = 1\n\n"
                     "def g():\n    global torch\n    return torch\n")
    model = build_model(tree)
    f_scope = model.scope_of(tree.body[2])
    g_scope = model.scope_of(tree.body[3])
    assert [b.kind for b in model.meaning("torch", f_scope)] == ["assignment"]
    assert [b.qualified for b in model.meaning("pt", f_scope)] == ["torch"]
    assert [b.qualified for b in model.meaning("torch", g_scope)] == ["torch"]
    assert model.meaning("nothing", f_scope) == []
