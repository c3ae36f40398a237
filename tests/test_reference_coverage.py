"""Every torch.cuda name of the reference mapping is covered by a specific rule.

../shared/reference/npu_mapping.tsv lists every public name of `dir(torch.cuda)` on torch
2.13 (plus a few related rows) with its device-agnostic replacement, the first torch
version that has it, and the torch_npu replacement. For each torch.cuda row:

* the name (and, for functions and classes, a call of it) is flagged by a rule that lists
  it, never by the PRT100 catch-all; "n/a" rows (stdlib/typing re-exports) are not flagged
  at all;
* the agnostic fixes agree with the table: the API the table names appears in the rule's
  fix options, with the table's minimum torch version; "none (CUDA-only)" rows get advice,
  never a replacement; the npu fixes mention the table's torch_npu API when torch_npu has
  it;
* every replacement that is emitted, applied to the program, still parses.
"""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest

from conftest import REFERENCE, lint, shipped_ruleset
from portlint.findings import Finding
from portlint.rules import Matcher
from portlint.versions import format_version, parse_version
from test_npu_names import listed_in_api, normalise, npu_names_in

CATCH_ALL = "PRT100"
DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
TORCH_NAME = re.compile(r"(?<![\w.])torch(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
NPU_COLUMN_NAME = re.compile(r"(?<![\w.])(?:torch_npu|torch)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
VERSION = re.compile(r"^\s*(\d+(?:\.\d+){0,2})\b(?!\.x)")
# Rows (other than plain torch.cuda names) that belong to the torch.cuda families.
EXTRA_ROWS = {
    "torch.cuda.nvtx.range_push / range_pop / mark / range",
    "torch.cuda.memory._record_memory_history / _snapshot / _dump_snapshot",
    "torch.cpu.amp.autocast / torch.cpu.amp.GradScaler",
    "torch.get_autocast_gpu_dtype / torch.set_autocast_gpu_dtype",
}
NO_ARG_ROW = "torch.is_autocast_enabled() (no arg)"


def load_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def expand(cuda_api: str) -> list[str]:
    """'torch.cuda.memory._snapshot / _dump_snapshot' -> both full dotted names."""
    parts = [part.strip() for part in cuda_api.split(" / ")]
    first = parts[0]
    parent = first.rsplit(".", 1)[0]
    return [part if part.startswith("torch.") else f"{parent}.{part}" for part in parts]


def cases() -> list[tuple[str, dict[str, str], int, str]]:
    """(name, row, position of the name in its row, number of names in the row)."""
    if not REFERENCE.is_dir():
        return []
    found = []
    for row in load_rows(REFERENCE / "npu_mapping.tsv"):
        api = row["cuda_api"].strip()
        if (api.startswith("torch.cuda.") and DOTTED.match(api)) or api in EXTRA_ROWS:
            names = expand(api)
            for position, name in enumerate(names):
                found.append((name, row, position, len(names)))
    return found


CASES = cases()


def programs(name: str, kind: str) -> list[str]:
    progs = [f"import torch\nx = {name}\n"]
    if kind in ("function", "class"):
        progs.append(f"import torch\nx = {name}()\n")
    return progs


def symbol_matchers(name: str) -> list[Matcher]:
    return [m for rule in shipped_ruleset().rules for m in rule.matchers
            if m.kind == "symbol" and m.name == name]


def fill(text: str, name: str) -> str:
    return text.replace("{name}", name.rsplit(".", 1)[-1])


def applied(program: str, finding: Finding) -> str:
    """The program with the finding's replacement applied (columns are 1-based characters)."""
    assert finding.fix is not None and finding.fix.replacement is not None
    lines = program.split("\n")
    start = sum(len(line) + 1 for line in lines[:finding.line - 1]) + finding.column - 1
    end = sum(len(line) + 1 for line in lines[:finding.end_line - 1]) + finding.end_column - 1
    return program[:start] + finding.fix.replacement + program[end:]


def part(column: str, position: int, count: int) -> str:
    """The piece of an `a / b` column that goes with the position-th name of the row."""
    pieces = [p.strip() for p in column.split(" / ")]
    return pieces[position] if len(pieces) == count else column


def test_the_reference_table_is_read(reference_dir: Path) -> None:
    rows = load_rows(reference_dir / "npu_mapping.tsv")
    plain = [r for r in rows if r["cuda_api"].startswith("torch.cuda.") and DOTTED.match(r["cuda_api"])]
    assert len(plain) >= 150  # the 147 names of dir(torch.cuda), the amp classes, graphs...
    assert {r["cuda_api"] for r in rows} >= EXTRA_ROWS | {NO_ARG_ROW}
    assert len(CASES) >= len(plain) + 10


@pytest.mark.parametrize(("name", "row", "position", "count"), CASES, ids=[c[0] for c in CASES])
def test_row_is_flagged_by_a_specific_rule(name: str, row: dict[str, str], position: int, count: int,
                                           reference_dir: Path) -> None:
    agnostic = row["agnostic_replacement"].strip()
    for target in ("agnostic", "npu"):
        for program in programs(name, row["kind"]):
            findings = [f for f in lint(program, target) if f.line == 2]
            if agnostic.startswith("n/a"):
                assert findings == [], f"{name} is a re-export and must not be flagged: {findings}"
                continue
            codes = {f.code for f in findings}
            assert codes, f"{name} is not flagged on {target}"
            assert CATCH_ALL not in codes, f"{name} only reaches the catch-all ({codes})"
            listed = {m.rule.code for m in symbol_matchers(name)}
            assert codes & listed, f"{name}: flagged by {codes}, but listed in {listed}"
            for finding in findings:
                if finding.fix is not None and finding.fix.replacement is not None:
                    ast.parse(applied(program, finding))  # the rewrite is valid Python


@pytest.mark.parametrize(("name", "row", "position", "count"), CASES, ids=[c[0] for c in CASES])
def test_agnostic_fixes_agree_with_the_table(name: str, row: dict[str, str], position: int, count: int,
                                             reference_dir: Path) -> None:
    column = part(row["agnostic_replacement"].strip(), position, count)
    if column.startswith("n/a"):
        return  # covered above: not flagged at all
    matchers = symbol_matchers(name)
    assert matchers, f"{name} has no symbol matcher of its own"
    options = [option for m in matchers for option in m.fix_options("agnostic")]
    if column.startswith("none (CUDA-only)"):
        assert options, f"{name}: give advice even without an equivalent"
        assert all(o.replace is None for o in options), f"{name} is CUDA-only; a replacement would be wrong"
        return
    if column.startswith("none"):
        return  # no public agnostic API in the table; any advice is ours
    tokens = TORCH_NAME.findall(column)
    assert tokens, f"cannot read the table's replacement for {name}: {column!r}"
    token = tokens[0]
    texts = [fill(t, name) for o in options for t in (o.replace, o.hint) if t]
    assert any(token in text for text in texts), f"{name}: no fix mentions {token} ({texts})"
    version = VERSION.match(row["min_torch"])
    if version:
        wanted = parse_version(version.group(1))
        exact = re.compile(re.escape(token) + r"(?![\w])")
        for option in options:
            if option.replace and exact.search(fill(option.replace, name)):
                # A fix guarded by torch.accelerator.is_available(), or using the device
                # variable (which is defined with it), so that it also runs on a machine
                # without an accelerator, needs torch 2.6 for the guard itself.
                guarded = "torch.accelerator.is_available()" in option.replace or "{device}" in option.replace
                needs = max(wanted, parse_version("2.6")) if guarded else wanted
                # The references disagree on torch.accelerator's memory functions: 2.8 here
                # (the 2.8 docs), 2.9 in device-agnostic-api.md (read from the wheels'
                # torch.accelerator.__all__); the fixes take the later one.
                later = parse_version("2.9") if token.startswith("torch.accelerator.") and wanted == (2, 8) \
                    and "memory" in row["agnostic_replacement"] + token + name else needs
                assert option.since in (needs, later), f"{name}: {token} needs torch {format_version(needs)}"


@pytest.mark.parametrize(("name", "row", "position", "count"), CASES, ids=[c[0] for c in CASES])
def test_npu_fixes_agree_with_the_table(name: str, row: dict[str, str], position: int, count: int,
                                        reference_dir: Path) -> None:
    column = part(row["npu_replacement"].strip(), position, count)
    if column.startswith(("n/a", "none")) or row["agnostic_replacement"].startswith("n/a"):
        return
    wanted = set()
    for token in NPU_COLUMN_NAME.findall(column):
        token = normalise(token)
        if not token.startswith(("torch.npu", "torch_npu")):
            wanted.add(token)  # torch.amp.autocast, torch.OutOfMemoryError, torch.distributed ...
            continue
        # the name itself if torch_npu's list has it, else its closest listed module
        # (torch.npu.mstx for torch_npu.npu.mstx.range_push): fixes name only listed APIs
        while "." in token and not listed_in_api(token, reference_dir):
            token = token.rsplit(".", 1)[0]
        if token not in ("torch", "torch.npu", "torch_npu"):
            wanted.add(token)
    if not wanted:
        return
    options = [option for m in symbol_matchers(name) for option in m.fix_options("npu")]
    texts = [fill(t, name) for o in options for t in (o.replace, o.hint) if t]
    mentioned = {n.replace("torch_npu.npu.", "torch.npu.") for text in texts for n in npu_names_in(text)}
    mentioned |= {t for text in texts for t in wanted if t in text}
    assert wanted & mentioned, f"{name}: npu fixes {texts} mention none of {sorted(wanted)}"


def test_is_autocast_enabled_without_argument(reference_dir: Path) -> None:
    rows = {r["cuda_api"]: r for r in load_rows(reference_dir / "npu_mapping.tsv")}
    assert "torch.is_autocast_enabled(device_type)" in rows[NO_ARG_ROW]["agnostic_replacement"]
    [finding] = lint("import torch\nok = torch.is_autocast_enabled()\n")
    assert finding.code == "PRT305"
    assert finding.fix is not None and finding.fix.replacement == 'torch.is_autocast_enabled("cuda")'
    assert lint("import torch\nok = torch.is_autocast_enabled('cuda')\n", "npu") == [] or all(
        f.code != "PRT305" for f in lint("import torch\nok = torch.is_autocast_enabled('cuda')\n", "npu"))
    assert [f.code for f in lint("import torch\nok = torch.is_autocast_enabled(device.type)\n")] == []


def test_catch_all_still_reports_names_the_table_does_not_have() -> None:
    findings = lint("import torch\ntorch.cuda.brand_new_api(1)\n")
    assert [(f.code, f.matched, f.column, f.end_column) for f in findings] == [
        (CATCH_ALL, "torch.cuda.brand_new_api", 1, 25)]


def test_min_torch_selects_the_fallbacks() -> None:
    def fix(code: str, min_torch: str) -> str | None:
        [finding] = lint(code, "agnostic", min_torch)
        assert finding.fix is not None
        return finding.fix.replacement

    program = "import torch\nx = torch.cuda.memory_allocated()\n"
    guard = " if torch.accelerator.is_available() else 0)"
    assert fix(program, "2.9") == "(torch.accelerator.memory_allocated()" + guard
    assert fix(program, "2.6") == "(torch.get_device_module().memory_allocated()" + guard
    assert fix(program, "2.4") == "torch.get_device_module().memory_allocated"
    assert fix(program, "2.3") is None  # advice only
    stats = "import torch\ns = torch.cuda.memory_stats(0)\n"
    assert fix(stats, "2.13") == "(torch.accelerator.memory_stats(0) if torch.accelerator.is_available() else dict())"
    sync = "import torch\ntorch.cuda.synchronize()\n"
    # From 2.6 torch.accelerator, checked first: it raises when no accelerator is usable,
    # even on a CUDA build without a GPU.
    assert fix(sync, "2.13") == fix(sync, "2.6") == (
        "if torch.accelerator.is_available():\n    torch.accelerator.synchronize()")
    assert fix(sync, "2.5") == fix(sync, "2.4") == "torch.get_device_module().synchronize"
    assert fix(sync, "2.3") is None
    assert fix("import torch\nn = torch.cuda.device_count()\n", "2.6") == "torch.accelerator.device_count"
    assert fix("import torch\nn = torch.cuda.device_count()\n", "2.5") == "torch.get_device_module().device_count"


def test_guarded_fixes_keep_the_expression_intact() -> None:
    """The guard is parenthesised: `x / 2**20` must divide the guarded value, not the else."""
    [finding] = lint("import torch\nmb = torch.cuda.max_memory_allocated(dev) / 2**20\n", "agnostic", "2.9")
    assert finding.fix is not None
    rewritten = applied("import torch\nmb = torch.cuda.max_memory_allocated(dev) / 2**20\n", finding)
    assert rewritten == ("import torch\nmb = (torch.accelerator.max_memory_allocated(dev)"
                         " if torch.accelerator.is_available() else 0) / 2**20\n")
    tree = ast.parse(rewritten)
    division = tree.body[1].value
    assert isinstance(division, ast.BinOp) and isinstance(division.left, ast.IfExp)
