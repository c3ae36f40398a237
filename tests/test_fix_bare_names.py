"""A name imported with `from m import name` and rewritten by a fix: the replacement is the
full dotted name, and the import the fix left unused goes away."""

from __future__ import annotations

from conftest import linter_for
from portlint.fixer import fix_text


def test_bare_name_substitution_is_qualified_and_its_import_removed() -> None:
    source = "from torch.distributed import is_nccl_available\nuse = is_nccl_available()\n"
    fixed = fix_text(source, linter_for("npu"), "m.py", unsafe=True)
    assert fixed.error is None
    assert fixed.text == "import torch\nimport torch_npu  # noqa: F401\nuse = torch.distributed.is_hccl_available()\n"


def test_import_still_used_elsewhere_stays() -> None:
    source = ("from torch.distributed import is_nccl_available\n"
              "use = is_nccl_available()\nkeep = [is_nccl_available]  # noqa: PRT603\n")
    fixed = fix_text(source, linter_for("npu"), "m.py", unsafe=True)
    assert fixed.error is None
    assert fixed.text.startswith("from torch.distributed import is_nccl_available\n")
    assert "use = torch.distributed.is_hccl_available()" in fixed.text
