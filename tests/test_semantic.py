"""The semantic model (portlint/semantic/): which binding a name refers to at each point,
and the analyzer/fixer questions answered from it."""

from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import linter_for
from portlint.semantic import build_model
from portlint.semantic.binder import Binder


def resolutions(code: str, name: str = "cuda") -> list[str | None]:
    """What every load of ``name`` (as the root of ``name.synchronize``-like chains or
    alone) resolves to, in source order."""
    tree = ast.parse(textwrap.dedent(code))
    found: list[tuple[int, int, str | None]] = []

    class Probe(Binder):
        def visit_name(self, node: ast.Name) -> None:
            if isinstance(node.ctx, ast.Load) and node.id == name:
                found.append((node.lineno, node.col_offset, self.model.resolve(node)))
            super().visit_name(node)

    Probe().run(tree)
    return [q for _, _, q in sorted(found, key=lambda item: (item[0], item[1]))]


REBINDINGS = {
    "import": ("from torch import cuda\ncuda\n", ["torch.cuda"]),
    "assignment": ("from torch import cuda\ncuda = Thing()\ncuda\n", [None]),
    "alias-assignment": ("import torch\ncuda = torch.cuda\ncuda\n", ["torch.cuda"]),
    "tuple-assignment": ("from torch import cuda\ncuda, x = a, b\ncuda\n", [None]),
    "augmented": ("from torch import cuda\ncuda += 1\ncuda\n", [None]),
    "annotated": ("from torch import cuda\ncuda: Thing = Thing()\ncuda\n", [None]),
    "annotation-only": ("from torch import cuda\ncuda: Thing\ncuda\n", ["torch.cuda"]),
    "for": ("from torch import cuda\nfor cuda in backends:\n    cuda\ncuda\n", [None, None]),
    "for-iterable-first": ("from torch import cuda\nfor cuda in cuda.x:\n    pass\n", ["torch.cuda"]),
    "with": ("from torch import cuda\nwith open(p) as cuda:\n    cuda\n", [None]),
    "except": ("from torch import cuda\ntry:\n    pass\nexcept E as cuda:\n    cuda\ncuda\n",
               [None, "torch.cuda"]),
    "walrus": ("from torch import cuda\nif (cuda := get()):\n    cuda\n", [None]),
    "walrus-in-comprehension": ("from torch import cuda\nxs = [(cuda := y) for y in ys]\ncuda\n", [None]),
    "comprehension": ("from torch import cuda\nxs = [cuda for cuda in backends]\ncuda\n", [None, "torch.cuda"]),
    "comprehension-first-iterable": (
        "from torch import cuda\nxs = [cuda for cuda in cuda.list()]\n", [None, "torch.cuda"]),
    "match-capture": (
        "from torch import cuda\nmatch x:\n    case Point(x=cuda):\n        cuda\n", [None]),
    "match-star": ("from torch import cuda\nmatch x:\n    case [*cuda]:\n        cuda\n", [None]),
    "match-rest": ("from torch import cuda\nmatch x:\n    case {**cuda}:\n        cuda\n", [None]),
    "match-as": ("from torch import cuda\nmatch x:\n    case [1] as cuda:\n        cuda\n", [None]),
    "del": ("from torch import cuda\ndel cuda\ncuda\n", [None]),
    "def": ("from torch import cuda\ndef cuda():\n    pass\ncuda\n", [None]),
    "class": ("from torch import cuda\nclass cuda:\n    pass\ncuda\n", [None]),
    "parameter": ("from torch import cuda\ndef f(cuda):\n    cuda\n", [None]),
    "kwonly-parameter": ("from torch import cuda\ndef f(*, cuda=1):\n    cuda\n", [None]),
    "vararg": ("from torch import cuda\ndef f(*cuda):\n    cuda\n", [None]),
    "lambda-parameter": ("from torch import cuda\nf = lambda cuda: cuda\n", [None]),
    "function-sees-final-module-binding": (
        "def f():\n    cuda\nfrom torch import cuda\n", ["torch.cuda"]),
    # the module-level read runs before f is called; g (run later) sees f's global binding
    "global": ("from torch import cuda\ndef f():\n    global cuda\n    cuda = 1\n    cuda\ncuda\n"
               "def g():\n    cuda\n", [None, "torch.cuda", None]),
    "nonlocal": ("from torch import cuda\ndef f():\n    cuda = 1\n    def g():\n        nonlocal cuda\n"
                 "        cuda\n    cuda\n", [None, None]),
    "class-body-hidden-from-methods": (
        "from torch import cuda\nclass A:\n    cuda = 1\n    def f(self):\n        cuda\n", ["torch.cuda"]),
    "optional-import-kept": (
        "try:\n    from torch import cuda\nexcept ImportError:\n    cuda = None\ncuda\n", ["torch.cuda"]),
    "relative-import": ("from . import cuda\ncuda\n", [None]),
    "local-import": ("def f():\n    from torch import cuda\n    cuda\ncuda\n", ["torch.cuda", None]),
}


@pytest.mark.parametrize("case", sorted(REBINDINGS))
def test_rebinding(case: str) -> None:
    code, expected = REBINDINGS[case]
    assert resolutions(code) == expected


def test_issue_case_4_loop_variable_is_not_torch_cuda() -> None:
    code = "from torch import cuda\nfor cuda in backends:\n    cuda.synchronize()\n"
    for target in ("agnostic", "npu"):
        findings = linter_for(target).check_text(code).findings
        assert not [f for f in findings if f.line == 3], findings
    # and the same shape with the import's name still flagged
    flagged = linter_for("agnostic").check_text("from torch import cuda\ncuda.synchronize()\n").findings
    assert [f.code for f in flagged] == ["PRT103"]


def test_issue_case_4_fix_changes_nothing(tmp_path) -> None:
    from portlint.fixer import fix_text

    code = "from torch import cuda\nfor cuda in backends:\n    cuda.synchronize()\n"
    for target in ("agnostic", "npu"):
        outcome = fix_text(code, linter_for(target), unsafe=True)
        assert outcome.text == code


def test_uses_and_imports() -> None:
    model = build_model(ast.parse(
        "from torch.cuda.amp import autocast as ac\nimport os\n__all__ = ['os']\n"
        "def f():\n    with ac():\n        pass\n"))
    assert model.uses_of("ac") == 1
    assert model.uses_of("os") == 1  # listed in __all__
    assert model.imports_module("torch")
    assert not model.imports_module("torch_npu")


def test_undefined_and_early_names() -> None:
    model = build_model(ast.parse("x = DEVICE\nDEVICE = 1\ndef f():\n    return missing + DEVICE\n"))
    assert model.used_before_bound() == {"DEVICE"}
    assert model.undefined_names() == {"missing"}
    starred = build_model(ast.parse("from m import *\nprint(anything)\n"))
    assert starred.undefined_names() == set()
    local_late = build_model(ast.parse("def f():\n    print(y)\n    y = 1\n"))
    assert local_late.undefined_names() == set()  # a local read too early is not "undefined"


def test_owners_and_scope_of() -> None:
    tree = ast.parse("class A:\n    def f(self):\n        x = 1\n")
    model = build_model(tree)
    cls = tree.body[0]
    method = cls.body[0]
    assert model.scope_of(method).names == {"self", "x"}
    assert model.owners(model.scope_of(method)) == [cls, method]
    assert "self" in model.identifiers
