"""Jupyter notebooks, checked and fixed like ruff does.

The code cells are joined into one *virtual module* (so ``import torch`` in cell 1
resolves ``torch.cuda`` in cell 5), each cell introduced by a marker comment line. IPython
syntax is replaced line for line by an indexed placeholder (``pass  # portlint-magic-7``)
keeping the indentation, so the module parses: ``%magic``, ``!shell``, ``x = !cmd``,
``help?``, and whole-cell magics (``%%bash`` ...). The module goes through the ordinary
Python check; findings are mapped back to ``cell`` (1-based over *all* cells, as ruff
counts) with line and column inside the cell. ``!``/``%env``/``%pip`` lines and ``%%bash``
cells go through ``shell.scan``. Markdown and raw cells are never read. A code cell that is
not Python is reported as such and, the other cells checked, read as a script (a terminal
session pasted into a cell without ``!``).

``fix`` runs the ordinary Python fixer on the virtual module, splits it back at the
markers, puts the magics back, and rewrites only the ``source`` of the cells that changed,
in the file's own JSON style; every other byte of the file (metadata, outputs, widget
state, indentation, key order, line endings) is left as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from portlint.kinds import jsonspan, shell
from portlint.kinds.matching import Occurrence, could_match, find
from portlint.source import SourceError

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

MARKER = "# portlint-cell {}"
_MARKER = re.compile(r"^# portlint-cell (\d+)\r?\n", re.MULTILINE)
_PLACEHOLDER = re.compile(r"^([ \t]*)pass  # portlint-magic-(\d+)$", re.MULTILINE)
_MAGIC = re.compile(r"[A-Za-z_][\w.,\[\] \t]*=[ \t]*[!%]|[A-Za-z_][\w.]*(?:\(\))?\?\??$")
_SHELL_CELL = re.compile(r"%%(?:bash|sh|script[ \t]+(?:ba)?sh|system)\b")
_PYTHON_CELL = re.compile(r"%%(?:time|timeit|capture|prun|debug)\b")
_ENV_MAGIC = re.compile(r"[ \t]*%(?:env|set_env)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
_SHELL_MAGIC = re.compile(r"[ \t]*(?:[A-Za-z_][\w.,\[\] \t]*=[ \t]*)?(?:!!?|%(?:pip|conda|mamba|sx|system)[ \t])")


@dataclass
class Cell:
    number: int  # 1-based over all cells
    text: str  # the joined source
    node: jsonspan.Node | None = None  # its ``source`` value in the file (fix only)


@dataclass
class Virtual:
    """The code cells as one Python module, and the way back."""

    text: str
    lines: list[tuple[int, int]]  # virtual line (0-based) -> (cell number, line in cell, 1-based)
    magics: list[str]  # placeholder index -> the original line
    shell_cells: list[Cell] = field(default_factory=list)
    endings: dict[int, bool] = field(default_factory=dict)  # cell -> its source ended with a newline


def read_cells(text: str, with_spans: bool = False) -> list[Cell]:
    """The code cells (numbered over all cells). Raises SourceError for a non-notebook."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"not a valid notebook: {exc}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise SourceError("not a notebook (no 'cells' list; nbformat 3 notebooks are not supported)")
    nodes: list[jsonspan.Node | None] = [None] * len(cells)
    if with_spans:
        tree = jsonspan.parse(text)
        cells_node = tree.get("cells")
        assert cells_node is not None
        nodes = [item.get("source") for item in cells_node.items]
    code = []
    for number, (cell, node) in enumerate(zip(cells, nodes), start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SourceError(f"cell {number}: 'source' is not text")
        code.append(Cell(number, source, node))
    return code


def build(cells: list[Cell]) -> Virtual:
    parts: list[str] = []
    lines: list[tuple[int, int]] = []
    magics: list[str] = []
    shell_cells: list[Cell] = []
    endings: dict[int, bool] = {}
    for cell in cells:
        parts.append(MARKER.format(cell.number) + "\n")
        lines.append((cell.number, 0))
        cell_lines = cell.text.split("\n")
        endings[cell.number] = cell.text.endswith("\n")
        if endings[cell.number]:
            cell_lines.pop()
        first = cell_lines[0].lstrip() if cell_lines else ""
        whole = first.startswith("%%") and not _PYTHON_CELL.match(first)
        if whole and _SHELL_CELL.match(first):
            shell_cells.append(cell)
        for number, line in enumerate(cell_lines, start=1):
            if whole or (number == 1 and _PYTHON_CELL.match(first)) or _is_magic(line):
                indent = line[:len(line) - len(line.lstrip(" \t"))] if not whole else ""
                parts.append(f"{indent}pass  # portlint-magic-{len(magics)}\n")
                magics.append(line)
            else:
                parts.append(line + "\n")
            lines.append((cell.number, number))
    return Virtual("".join(parts), lines, magics, shell_cells, endings)


def _is_magic(line: str) -> bool:
    """IPython syntax: ``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``/``obj??``, ``?obj``."""
    stripped = line.strip()
    if not stripped or stripped[0] == "#":
        return False
    return stripped[0] in "!%?" or _MAGIC.match(stripped) is not None


class CellErrors(SourceError):
    """Some code cells are not valid Python: the findings of the others, and the reason."""

    def __init__(self, reason: str, findings: "list[Finding]") -> None:
        super().__init__(reason)
        self.findings = findings


def check(text: str, path: str, index: "RuleIndex", check_python: Callable, **_: object) -> "list[Finding] | None":
    cells = read_cells(text)
    everything = {cell.number: cell for cell in cells}
    virtual = build(cells)
    result = check_python(virtual.text, path, index)
    errors: list[str] = []
    dropped: list[Cell] = []
    limit = len(cells)  # (not len(cells), which shrinks: half the cells bad stopped the loop early)
    while result.error is not None and len(errors) < limit:
        # A cell that is not Python (Python 2, a magic we do not know): report it, check the rest.
        reason = _cell_error(result.error.reason, virtual)
        bad = _error_cell(result.error.reason, virtual)
        errors.append(reason)
        if bad is None:
            break
        dropped.append(everything[bad])
        cells = [cell for cell in cells if cell.number != bad]
        virtual = build(cells)
        result = check_python(virtual.text, path, index)
    findings = [to_cell(f, virtual) for f in result.findings] if result.error is None else []
    findings.extend(magic_findings(cells, virtual, path, index))
    findings.extend(_shell_cell_findings(dropped, path, index))
    findings.sort(key=lambda f: f.sort_key())
    if errors:
        raise CellErrors("; ".join(errors), findings)
    if not result.parsed and not findings:
        return None
    return findings


def _shell_cell_findings(cells: list[Cell], path: str, index: "RuleIndex") -> list["Finding"]:
    """Cells that are not Python are most often a terminal session pasted into the notebook
    (``CUDA_VISIBLE_DEVICES=0 swift sft ...`` without ``!``): they are still reported as not
    Python, and read as a script, so what they launch is not missed."""
    findings: list[Finding] = []
    for cell in cells:
        if could_match(cell.text, index, shell.KINDS):
            findings.extend(replace(f, cell=cell.number) for f in find(shell.scan(cell.text), cell.text, path, index))
    return findings


def _error_cell(reason: str, virtual: Virtual) -> int | None:
    found = re.search(r"cell (\d+), line", _cell_error(reason, virtual))
    return int(found.group(1)) if found else None


def to_cell(finding: "Finding", virtual: Virtual) -> "Finding":
    cell, line = virtual.lines[finding.line - 1]
    _, end_line = virtual.lines[min(finding.end_line, len(virtual.lines)) - 1]
    return replace(finding, cell=cell, line=line, end_line=max(end_line, line))


def _cell_error(reason: str, virtual: Virtual) -> str:
    """A syntax error's "line N" of the virtual module as "cell C, line L"."""
    found = re.search(r"line (\d+)", reason)
    if found is None or not 0 < int(found.group(1)) <= len(virtual.lines):
        return reason
    cell, line = virtual.lines[int(found.group(1)) - 1]
    return reason.replace(found.group(0), f"cell {cell}, line {line}", 1)


def magic_findings(cells: list[Cell], virtual: Virtual, path: str, index: "RuleIndex") -> list["Finding"]:
    """Findings of the shell inside a notebook: ``!`` lines, ``%env``, ``%pip``, ``%%bash`` cells."""
    if not virtual.magics or not could_match("\n".join(virtual.magics), index, shell.KINDS):
        return []
    findings: list[Finding] = []
    whole = {cell.number for cell in virtual.shell_cells}
    for cell in cells:
        occurrences: list[Occurrence] = []
        if cell.number in whole:
            body = cell.text.find("\n") + 1
            if body:
                occurrences.extend(shell.scan(cell.text[body:], body))
        else:
            offset = 0
            for line in cell.text.split("\n"):
                occurrences.extend(_line_occurrences(line, offset))
                offset += len(line) + 1
        if occurrences:
            findings.extend(replace(f, cell=cell.number) for f in find(occurrences, cell.text, path, index))
    return findings


def _line_occurrences(line: str, offset: int) -> list[Occurrence]:
    env = _ENV_MAGIC.match(line)
    if env is not None:
        return [Occurrence("env", env.group(1), offset + env.start(1), offset + env.end(1))]
    found = _SHELL_MAGIC.match(line)
    if found is None:
        return []
    command = line[found.end():]
    if found.group(0).rstrip().startswith("%") and not found.group(0).lstrip().startswith("%s"):
        magic = found.group(0).strip().lstrip("%")  # %pip install x -> pip install x
        prefix = " " * (found.end() - len(magic) - 1)
        return shell.scan(prefix + magic + " " + command, offset)
    return shell.scan(" " * found.end() + command, offset)


# --------------------------------------------------------------------------- fix


def split(text: str, virtual: Virtual) -> dict[int, str]:
    """The fixed virtual module back into cell texts (magics restored). Raises ValueError."""
    markers = list(_MARKER.finditer(text))
    numbers = [int(m.group(1)) for m in markers]
    if numbers != list(virtual.endings):
        raise ValueError("the cell markers did not survive the fix")
    head = text[:markers[0].start()] if markers else ""
    cells: dict[int, str] = {}
    for position, marker in enumerate(markers):
        end = markers[position + 1].start() if position + 1 < len(markers) else len(text)
        body = text[marker.end():end]
        if position == 0:
            body = head + body
        restored = _PLACEHOLDER.sub(lambda m: virtual.magics[int(m.group(2))], body)
        number = numbers[position]
        if not virtual.endings[number] and restored.endswith("\n"):
            restored = restored[:-1]
        cells[number] = restored
    if len(_PLACEHOLDER.findall(text)) != len(virtual.magics):
        raise ValueError("a notebook magic line was changed by the fix")
    return cells


def source_json(new: str, node: jsonspan.Node, original: str, ascii_only: bool) -> str:
    """``new`` as the JSON ``source`` value, written the way ``node`` was."""
    def dump(value: str) -> str:
        return json.dumps(value, ensure_ascii=ascii_only)

    if node.kind == "scalar":
        return dump(new)
    lines = new.splitlines(keepends=True)
    written = {item.value: original[item.start:item.end] for item in node.items}
    tokens = [written.get(line) or dump(line) for line in lines]
    items = node.items
    if len(items) >= 2:
        opening = original[node.start + 1:items[0].start]
        separator = original[items[0].end:items[1].start]
        closing = original[items[-1].end:node.end - 1]
    elif items:
        opening = original[node.start + 1:items[0].start]
        closing = original[items[0].end:node.end - 1]
        separator = "," + opening
    else:
        line_start = original.rfind("\n", 0, node.start) + 1
        indent = re.match(r"[ \t]*", original[line_start:]).group(0)  # type: ignore[union-attr]
        newline = "\r\n" if original[line_start - 2:line_start] == "\r\n" else "\n"
        opening = newline + indent + (indent[:len(indent) // 3] or " ")
        separator = "," + opening
        closing = newline + indent
    if not tokens:
        return "[]"
    return "[" + opening + separator.join(tokens) + closing + "]"


def rewrite(original: str, cells: list[Cell], texts: dict[int, str]) -> str:
    """The notebook with the changed cells' ``source`` replaced, every other byte kept."""
    ascii_only = re.search(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F][0-9a-fA-F])[0-9a-fA-F]{2}", original) is not None
    ascii_only = ascii_only and original.isascii()
    pieces: list[str] = []
    position = 0
    for cell in cells:
        new = texts.get(cell.number, cell.text)
        if new == cell.text or cell.node is None:
            continue
        pieces.append(original[position:cell.node.start])
        pieces.append(source_json(new, cell.node, original, ascii_only))
        position = cell.node.end
    pieces.append(original[position:])
    return "".join(pieces)


def cell_texts(path: str) -> dict[int, str]:
    """Cell number -> source of every code cell of a notebook file ({} when unreadable)."""
    from portlint.kinds import decode
    from portlint.source import read_bytes

    try:
        return {cell.number: cell.text for cell in read_cells(decode(read_bytes(path)))}
    except SourceError:
        return {}
