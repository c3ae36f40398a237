"""Every torch.npu / torch_npu name the fixer writes (npu target) exists in torch_npu.

The other helper's tests/test_npu_names.py checks the fix texts of the rulesets; this one
checks the fixer's actual output: fixture inputs, the examples, the runtime programs and
the flagged examples of every rule are fixed for the npu target (unsafe fixes included)
and every torch.npu/torch_npu dotted name that appears in the output but not in the input
(replacements, the `import torch_npu` the fixer adds, the device expression) must be in
../shared/reference/torch_npu_api.txt.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO, linter_for, shipped_ruleset
from portlint.devicevar import DEVICE_EXPRESSIONS
from portlint.fixer import example_sources, fix_text
from test_npu_names import npu_name_exists


def api(reference_dir: Path) -> tuple[set[str], set[str]]:
    names, complete = set(), set()
    for raw in (reference_dir / "torch_npu_api.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name = line[:-2] if line.endswith(".*") else line
        if name.startswith("torch_npu.npu"):
            name = "torch.npu" + name[len("torch_npu.npu"):]
        names.add(name)
        if line.endswith(".*"):
            complete.add(name)
    return names, complete


def npu_names(code: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(m for m in modules if m.split(".")[0] == "torch_npu")
        elif isinstance(node, ast.Attribute):
            parts = []
            current: ast.expr = node
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and current.id in ("torch", "torch_npu"):
                dotted = ".".join([current.id, *reversed(parts)])
                if dotted.startswith(("torch.npu", "torch_npu")):
                    found.add(dotted)
    return found


def exists(name: str, names: set[str], complete: set[str]) -> bool:
    if name.startswith("torch_npu.npu"):
        name = "torch.npu" + name[len("torch_npu.npu"):]
    if name in names:
        return True
    parent = name.rsplit(".", 1)[0]
    return parent in names and parent not in complete and "." in name


def inputs() -> list[tuple[str, str]]:
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in (REPO / "tests" / "fixtures" / "fix").glob("*.in.py")]
    sources += [(str(p), p.read_text(encoding="utf-8")) for p in example_sources()]
    sources += [(p.name, p.read_text(encoding="utf-8")) for p in (REPO / "tests" / "runtime" / "programs").glob("*.py")]
    for rule in shipped_ruleset().rules:
        if "npu" in rule.targets:
            sources += [(f"{rule.code} example {i}", example) for i, example in enumerate(rule.flagged)]
    return sources


def test_fixer_output_uses_only_existing_npu_names(reference_dir: Path) -> None:
    names, complete = api(reference_dir)
    linter = linter_for("npu")
    checked = 0
    problems = []
    for label, code in inputs():
        try:
            ast.parse(code)
        except SyntaxError:
            continue
        outcome = fix_text(code, linter, label, unsafe=True)
        if outcome.error is not None:
            continue  # test_fixer.py::test_fixing_every_flagged_example_succeeds reports these
        for name in sorted(npu_names(outcome.text) - npu_names(code)):
            checked += 1
            # deeper than one level below a partly listed module (torch_npu.profiler.
            # ProfilerActivity.NPU): the other reference documents must name it
            if not exists(name, names, complete) and not npu_name_exists(name, reference_dir):
                problems.append(f"{label}: {name}")
    assert checked >= 20, "too few npu names were written to prove anything"
    assert not problems, "names not in torch_npu:\n" + "\n".join(problems)


def test_npu_device_expression_names_exist(reference_dir: Path) -> None:
    names, complete = api(reference_dir)
    for name in npu_names(DEVICE_EXPRESSIONS["npu"]):
        assert exists(name, names, complete), name
