"""Notebook round trip: check and fix notebooks with outputs, widget metadata, CRLF and
non-ASCII text; cells that were not fixed stay byte-identical, the notebook stays valid."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter
from portlint.kinds import jsonspan, notebook
from portlint.kinds.fixing import fix_document, fix_file

NOTEBOOKS = Path(__file__).parent / "fixtures" / "minirepo" / "notebooks"


def linter(target: str = "npu") -> Linter:
    return Linter(Settings(target=target), shipped_ruleset())


def cell_slices(text: str) -> list[str]:
    tree = jsonspan.parse(text)
    cells = tree.get("cells")
    assert cells is not None
    return [text[cell.start:cell.end] for cell in cells.items]


def without_sources(text: str) -> dict:
    data = json.loads(text)
    for cell in data["cells"]:
        cell.pop("source")
    return data


def assert_valid(text: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.reads(text, as_version=4))


def fixed(text: str, target: str = "npu", unsafe: bool = True):
    outcome = fix_document(text, linter(target), "train.ipynb", "notebook", unsafe=unsafe)
    assert outcome.error is None, outcome.error
    return outcome


def test_fix_changes_only_the_fixed_cells_sources() -> None:
    original = (NOTEBOOKS / "train.ipynb").read_text(encoding="utf-8")
    outcome = fixed(original)
    new = outcome.text
    before, after = cell_slices(original), cell_slices(new)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [2, 3, 6]  # markdown (1), the plain cell (4) and the raw cell (5) are untouched
    assert without_sources(new) == without_sources(original)  # outputs, widgets, ids, metadata
    # everything outside the cells is byte-identical too
    tree_old, tree_new = jsonspan.parse(original), jsonspan.parse(new)
    assert original[tree_old.get("cells").end:] == new[tree_new.get("cells").end:]  # type: ignore[union-attr]
    sources = {c["id"]: "".join(c["source"]) for c in json.loads(new)["cells"]}
    assert sources["setup"] == ("import torch\nimport torch_npu  # noqa: F401\n!nvidia-smi\n"
                                "%env ASCEND_RT_VISIBLE_DEVICES=0\n%matplotlib inline")
    assert sources["train"] == ("x = torch.randn(8, 4).npu()  # données\nfor step in range(2):\n"
                                "    !echo step\n    torch.npu.synchronize()\nx.shape?")
    assert sources["shell"] == "%%bash\nexport ASCEND_RT_VISIBLE_DEVICES=1\npython train.py\n"
    assert "Call `model.cuda()`" in sources["intro"]
    assert "données" in new and "\\u00e9" not in new  # written as the file was: UTF-8, not escaped
    assert_valid(new)
    assert fixed(new).text == new  # a fixed point


def test_a_notebook_without_applicable_fixes_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    shutil.copy(NOTEBOOKS / "train.ipynb", path)
    before = path.read_bytes()
    outcome = fix_file(linter("npu"), str(path), "notebook", unsafe=False, write=True)
    assert outcome.error is None
    safe_only = path.read_bytes()
    assert safe_only != before  # the safe npu fixes (.npu(), torch.npu.synchronize) were applied
    assert b"CUDA_VISIBLE_DEVICES" in safe_only  # the unsafe env var rename was not
    outcome = fix_file(linter("npu"), str(path), "notebook", unsafe=False, write=True)
    assert not outcome.changed and path.read_bytes() == safe_only
    original = (NOTEBOOKS / "train.ipynb").read_text(encoding="utf-8")
    assert notebook.rewrite(original, notebook.read_cells(original, with_spans=True), {}) == original


def test_crlf_notebook_keeps_its_line_endings() -> None:
    original = (NOTEBOOKS / "train.ipynb").read_text(encoding="utf-8").replace("\n", "\r\n")
    new = fixed(original).text
    assert new != original
    assert "\n" not in new.replace("\r\n", "")  # every line of the file still ends with CRLF
    before, after = cell_slices(original), cell_slices(new)
    assert [a == b for a, b in zip(before, after)] == [True, False, False, True, True, False]
    assert '"import torch\\n",\r\n    "import torch_npu  # noqa: F401\\n",\r\n' in new
    assert_valid(new)


def test_escaped_ascii_style_indent_two_and_no_final_newline_are_kept() -> None:
    original = (NOTEBOOKS / "explore.ipynb").read_text(encoding="utf-8")
    assert original.isascii() and "\\u00e9" in original and not original.endswith("\n")
    new = fixed(original).text
    assert new.isascii() and not new.endswith("\n")
    data = json.loads(new)
    assert data["cells"][1]["source"] == "z = torch.ones(2).to('npu')" or \
        data["cells"][1]["source"] == ["z = torch.ones(2).to('npu')"]
    assert '\n        "y = torch.zeros(2, device=device)  # d\\u00e9j\\u00e0 portable\\n"' in new
    assert_valid(new)


def test_a_string_source_stays_a_string() -> None:
    text = json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                  "source": "import torch\nx = torch.ones(1).cuda()"}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    new = fixed(text).text
    assert json.loads(new)["cells"][0]["source"] == "import torch\nimport torch_npu  # noqa: F401\nx = torch.ones(1).npu()"


def test_cells_are_one_module_for_names_and_magics_are_not_errors() -> None:
    text = json.dumps({"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import torch as th\n"},
        {"cell_type": "markdown", "metadata": {}, "source": "th.cuda.synchronize()"},
        {"cell_type": "code", "metadata": {}, "outputs": [],
         "source": "%time th.cuda.synchronize()\nfiles = !ls\nth.cuda.synchronize()\nth.cuda?\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "%%writefile x.py\nimport torch\ntorch.cuda.init()\n"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    result = linter("agnostic").check_bytes(text.encode(), "nb.ipynb")
    assert result.error is None
    assert [(f.cell, f.line, f.code) for f in result.findings] == [(3, 3, "PRT103")]


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=3), children, max_size=3), max_leaves=12),
       st.sampled_from([None, 1, 2]), st.booleans())
def test_jsonspan_reads_what_json_reads(value, indent, ascii_only) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)

    def plain(node: jsonspan.Node):
        if node.kind == "object":
            return {key: plain(child) for key, _, child in node.members}
        if node.kind == "array":
            return [plain(child) for child in node.items]
        return node.value

    node = jsonspan.parse(text)
    assert plain(node) == json.loads(text)
    assert (node.start, node.end) == (0, len(text))
