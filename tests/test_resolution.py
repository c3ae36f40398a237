"""Alias-aware name resolution for the torch.cuda rules: every spelling of a torch.cuda
name is found once, at the exact place (line and character column), and names that
merely look like torch.cuda (shadowed, relative, a user's own `cuda` module) are not."""

from __future__ import annotations

import pytest

from conftest import linter_for

MINE = ("PRT1", "PRT2", "PRT3")  # the torch.cuda / amp families


def found(code: str, target: str = "agnostic") -> list[tuple[str, int, int]]:
    """(code, line, column) of the torch.cuda-family findings, without dedenting the source
    (tabs, CRLF and non-ASCII text must reach the analyzer untouched)."""
    result = linter_for(target).check_text(code, "example.py")
    assert result.error is None, result.error
    return sorted((f.code, f.line, f.column) for f in result.findings if f.code.startswith(MINE))


CASES = {
    "import-as": ("import torch as th\nth.cuda.synchronize()\n", [("PRT103", 2, 1)]),
    "from-torch-import-cuda": ("from torch import cuda\ncuda.synchronize()\n", [("PRT103", 2, 1)]),
    "from-torch-cuda-import-amp": (
        "from torch.cuda import amp\nwith amp.autocast():\n    pass\n", [("PRT301", 2, 6)]),
    "from-import-as": (
        "from torch.cuda.amp import autocast as ac\nwith ac():\n    pass\n", [("PRT301", 2, 6)]),
    "import-submodule-as": ("import torch.cuda as tc\nn = tc.device_count()\n", [("PRT101", 2, 5)]),
    "import-submodule": ("import torch.cuda\ntorch.cuda.synchronize()\n", [("PRT103", 2, 1)]),
    "function-local-import": (
        "def f():\n    import torch\n    torch.cuda.synchronize()\n", [("PRT103", 3, 5)]),
    "function-local-import-does-not-leak": (
        "def f():\n    import torch\n\ntorch.cuda.synchronize()\n", []),
    "module-import-below-the-def": (
        "def f():\n    torch.cuda.synchronize()\n\n\nimport torch\n", [("PRT103", 2, 5)]),
    "import-inside-try": (
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n\ndef f():\n    torch.cuda.empty_cache()\n",
        [("PRT202", 7, 5)]),
    "class-body-use": (
        "import torch\nclass Timer:\n    sync = torch.cuda.synchronize\n", [("PRT103", 3, 12)]),
    "class-body-import": (
        "class A:\n    from torch import cuda\n    n = cuda.device_count()\n", [("PRT101", 3, 9)]),
    "method-in-class": (
        "import torch\nclass A:\n    def f(self):\n        return torch.cuda.current_device()\n",
        [("PRT101", 4, 16)]),
    "alias-assignment": (
        "import torch\nc = torch.cuda\nc.synchronize()\n", [("PRT100", 2, 5), ("PRT103", 3, 1)]),
    "alias-of-alias": (  # the alias and its use are both reported
        "import torch\nmem = torch.cuda.memory_allocated\nused = mem()\n", [("PRT201", 2, 7), ("PRT201", 3, 8)]),
    "star-import": ("from torch.cuda import *\nsynchronize()\n", [("PRT103", 2, 1)]),
    "star-import-amp": ("from torch.cuda.amp import *\nscaler = GradScaler()\n", [("PRT302", 2, 10)]),
    "parameter-named-torch": (
        "import torch\ndef f(torch):\n    torch.cuda.synchronize()\n", []),
    "lambda-parameter-named-torch": (
        "import torch\nf = lambda torch: torch.cuda.synchronize()\n", []),
    "local-cuda-object": (
        "from torch import cuda\ndef f():\n    cuda = MyThing()\n    cuda.synchronize()\n", []),
    "module-level-rebinding": (
        "from torch import cuda\ncuda = MyThing()\ncuda.synchronize()\n", []),
    "relative-import-module": ("from . import cuda\ncuda.synchronize()\n", []),
    "relative-import-member": ("from .cuda import synchronize\nsynchronize()\n", []),
    "relative-import-parent": ("from ..torch import cuda\ncuda.synchronize()\n", []),
    "user-module-named-cuda": ("import mypkg.cuda as cuda\ncuda.synchronize()\n", []),
    "user-package-cuda": ("from mypkg import cuda\ncuda.empty_cache()\n", []),
    "numba-cuda-is-not-torch": ("from numba import cuda\ncuda.synchronize()\n", []),
    "attribute-chain-reports-longest-once": (
        "import torch\nwith torch.cuda.amp.autocast():\n    pass\n", [("PRT301", 2, 6)]),
    "attribute-chain-not-called": (
        "import torch\nctx = torch.cuda.amp.autocast\n", [("PRT301", 2, 7)]),
    "attribute-on-a-listed-name": (
        "import torch\ndoc = torch.cuda.memory_allocated.__doc__\n", [("PRT201", 2, 7)]),
    "member-of-submodule": (
        "import torch\ntorch.cuda.memory._dump_snapshot('s.pickle')\n", [("PRT204", 2, 1)]),
    "unknown-member-reported-below-prefix": (
        "import torch\ntorch.cuda.amp.common.amp_definitely_not_available()\n", [("PRT306", 2, 1)]),
    "ignored-re-export": ("import torch\nT = torch.cuda.Optional[int]\n", []),
    "tab-indented": ("import torch\nif True:\n\ttorch.cuda.synchronize()\n", [("PRT103", 3, 2)]),
    "crlf": ("import torch\r\nx = 1\r\ntorch.cuda.synchronize()\r\n", [("PRT103", 3, 1)]),
    "crlf-and-tabs": ("import torch\r\nif x:\r\n\tif y:\r\n\t\ttorch.cuda.empty_cache()\r\n",
                      [("PRT202", 4, 3)]),
    "decorator": ("import torch\n@torch.cuda.amp.custom_fwd\ndef forward(ctx, x):\n    return x\n",
                  [("PRT303", 2, 2)]),
    # a type annotation names a type, it runs no CUDA code (issue 8): not reported
    "annotation": ("import torch\ndef f(s: torch.cuda.Stream) -> None:\n    pass\n", []),
    "annotation-default-still-runs": ("import torch\ndef f(s: torch.cuda.Stream = torch.cuda.Stream()) -> None:\n    pass\n",
                                      [("PRT104", 2, 30)]),
    "string-is-not-code": ("x = 'torch.cuda.synchronize()'\n", []),
    "comment-is-not-code": ("import torch\n# torch.cuda.synchronize()\n", []),
    "unrelated-torch-attribute": ("import torch\ntorch.accelerator.synchronize()\n", []),
    # regressions for the analyzer's scope handling
    "star-import-own-def-hides-name": (
        "from torch.cuda import *\ndef init():\n    pass\ninit()\n", []),
    "star-import-own-class-hides-name": (
        "from torch.cuda import *\nclass Stream:\n    pass\ns = Stream()\n", []),
    "redefined-imported-function": (
        "from torch.cuda import synchronize\ndef synchronize():\n    pass\nsynchronize()\n", []),
    "import-below-a-def-of-the-same-name": (
        "def cuda():\n    pass\nfrom torch import cuda\ncuda.synchronize()\n", [("PRT103", 4, 1)]),
    "class-attribute-does-not-hide-global-in-method": (
        "from torch import cuda\nclass A:\n    cuda = None\n    def f(self):\n        cuda.synchronize()\n",
        [("PRT103", 5, 9)]),
    "class-level-import-invisible-in-method": (
        "from mylib import cuda\nclass A:\n    from torch import cuda\n    def f(self):\n        cuda.synchronize()\n",
        []),
    "none-fallback-keeps-import": (
        "try:\n    from torch.cuda.amp import autocast\nexcept ImportError:\n    autocast = None\nwith autocast():\n    pass\n",
        [("PRT301", 5, 6)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_resolution(name: str) -> None:
    code, expected = CASES[name]
    assert found(code) == sorted(expected)


def test_non_ascii_before_the_match_gives_character_columns() -> None:
    line = "x = 'héllo → 世界'; torch.cuda.synchronize()"
    code = "import torch\n" + line + "\n"
    result = linter_for("agnostic").check_text(code, "example.py")
    [finding] = [f for f in result.findings if f.code == "PRT103"]
    start = line.index("torch.cuda")
    assert (finding.line, finding.column) == (2, start + 1)
    assert finding.end_column == start + len("torch.cuda.synchronize()") + 1  # the fix replaces the call
    # the byte offset would be larger: the columns really are characters
    assert len(line[:start].encode("utf-8")) > start


def test_non_ascii_identifier_before_the_match() -> None:
    code = "import torch\nπ = 3; torch.cuda.empty_cache()\n"
    assert found(code) == [("PRT202", 2, 8)]


def test_span_of_a_multi_line_call_for_a_whole_call_fix() -> None:
    code = "import torch\nscaler = torch.cuda.amp.GradScaler(\n    init_scale=1024.0,\n)\n"
    result = linter_for("agnostic").check_text(code, "example.py")
    [finding] = [f for f in result.findings if f.code == "PRT302"]
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (2, 10, 4, 2)
    assert finding.fix is not None
    assert finding.fix.replacement == 'torch.amp.GradScaler("cuda", init_scale=1024.0)'


def test_same_finding_on_both_targets() -> None:
    code = "import torch as th\nth.cuda.synchronize()\n"
    assert found(code, "agnostic") == found(code, "npu") == [("PRT103", 2, 1)]


def test_matched_name_is_the_resolved_name() -> None:
    code = "from torch.cuda.amp import autocast as ac\nwith ac():\n    pass\n"
    result = linter_for("agnostic").check_text(code, "example.py")
    [finding] = result.findings
    assert finding.matched == "torch.cuda.amp.autocast"
    assert "torch.cuda.amp.autocast" in finding.message


def test_whole_call_fix_on_a_reference_becomes_advice_with_the_name_filled_in() -> None:
    result = linter_for("agnostic").check_text("import torch\nf = torch.cuda.memory_allocated\n", "example.py")
    [finding] = result.findings
    assert finding.fix is not None and finding.fix.replacement is None
    assert "{name}" not in (finding.fix.hint or "")
    assert "torch.get_device_module().memory_allocated(...)" in (finding.fix.hint or "")
