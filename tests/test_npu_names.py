"""Every torch.npu / torch_npu name that portlint suggests must exist in torch_npu.

The reference list ../shared/reference/torch_npu_api.txt holds the torch_npu API
(`NAME.*` lines mark a module whose members are all listed; `torch_npu.npu.X` is the same
object as `torch.npu.X`). A name exists when it is listed, or when it lies below a listed
module whose members are *not* all listed (torch_npu.optim, torch.npu.memory, ...) and the
other reference documents (npu_mapping.tsv, ascend-migration-notes.md,
transfer_to_npu_patches.txt, read from the torch_npu sources) name it. Below a completely
listed module (torch.npu.*), only listed names exist. The torch.cuda families (PRT1xx-3xx)
are held to the list alone.

Two checks: the fix texts of every shipped ruleset (replacements, substitutions and
hints, with `{name}` templates expanded per matcher), and the fixes actually emitted when
the flagged examples of every rule are checked for the npu target.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import REFERENCE, lint, shipped_ruleset
from portlint.rules import FixOption, Matcher

NPU_NAME = re.compile(r"(?<![\w.])(?:torch_npu|torch\.npu)(?:\.[A-Za-z_][A-Za-z0-9_]*)*\*?")
DOC_NAME = re.compile(r"(?<![\w.])(?:torch_npu|torch\.npu)(?:\.(?:[A-Za-z0-9_]|\{[A-Za-z0-9_,]+\})+)*")
BRACES = re.compile(r"\{([A-Za-z0-9_,]+)\}")
DOCUMENTS = ("npu_mapping.tsv", "ascend-migration-notes.md", "transfer_to_npu_patches.txt")
MY_FAMILIES = ("cuda-runtime", "cuda-memory", "amp")


@lru_cache(maxsize=None)
def npu_api(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(listed names, modules whose members are all listed), with torch_npu.npu normalised."""
    names: set[str] = set()
    complete: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith(".*"):
            module = normalise(line[:-2])
            complete.add(module)
            names.add(module)
        else:
            names.add(normalise(line))
    return frozenset(names), frozenset(complete)


def normalise(name: str) -> str:
    if name == "torch_npu.npu":
        return "torch.npu"
    if name.startswith("torch_npu.npu."):
        return "torch.npu." + name[len("torch_npu.npu."):]
    return name


@lru_cache(maxsize=None)
def documented_names(reference_dir: Path) -> frozenset[str]:
    """torch.npu / torch_npu names the other reference documents mention ({a,b} expanded)."""
    found: set[str] = set()
    for document in DOCUMENTS:
        path = reference_dir / document
        if not path.is_file():
            continue
        for mention in DOC_NAME.findall(path.read_text(encoding="utf-8")):
            pending = [mention]
            while pending:
                text = pending.pop()
                braces = BRACES.search(text)
                if braces is None:
                    found.add(normalise(text))
                    continue
                for part in braces.group(1).split(","):
                    pending.append(text[:braces.start()] + part + text[braces.end():])
    return frozenset(found)


def listed_in_api(name: str, reference_dir: Path) -> bool:
    """Strict: the torch_npu list itself has this name (or it is a completely listed module)."""
    names, _ = npu_api(reference_dir / "torch_npu_api.txt")
    return normalise(name) in names


def npu_name_exists(name: str, reference_dir: Path) -> bool:
    """True when torch_npu has this dotted name, by the rule in the module docstring.

    `NAME*` (a glob in prose, e.g. torch_npu.optim.NpuFused*) exists when some existing
    name starts with NAME."""
    names, complete = npu_api(reference_dir / "torch_npu_api.txt")
    if name.endswith("*"):
        stem = normalise(name[:-1])
        candidates = names | documented_names(reference_dir)
        return any(c.startswith(stem) and npu_name_exists(c, reference_dir) for c in candidates)
    name = normalise(name)
    if name in names:
        return True
    parent = name
    while "." in parent:
        parent = parent.rsplit(".", 1)[0]
        if parent in names:
            # below a completely listed module only listed names exist; below a partly
            # listed one, the other reference documents must name it
            return parent not in complete and name in documented_names(reference_dir)
    return False


def npu_names_in(text: str) -> list[str]:
    return NPU_NAME.findall(text)


def expand(text: str, matcher: Matcher) -> str:
    """Fill `{name}` the way the analyzer does: the last component of what matched."""
    if "{name}" in text and matcher.kind in ("symbol", "attribute", "keyword", "module") and matcher.name:
        return text.replace("{name}", matcher.name.rsplit(".", 1)[-1])
    return text


def option_texts(option: FixOption) -> list[str]:
    texts = [t for t in (option.replace, option.hint) if t]
    if option.substitute:
        texts.append(option.substitute[1])
    return texts


def suggested_npu_names() -> list[tuple[str, str, str]]:
    """(rule code, matcher description, name) for every npu name in every ruleset's fixes."""
    found = []
    for rule in shipped_ruleset().rules:
        if "npu" not in rule.targets:
            continue
        for matcher in rule.matchers:
            for option in matcher.fix_options("npu"):
                for text in option_texts(option):
                    for name in npu_names_in(expand(text, matcher)):
                        found.append((rule.code, matcher.name or matcher.kind, name))
    return found


def test_the_name_pattern_finds_names_in_prose() -> None:
    assert npu_names_in("use torch.npu.mstx (mark) or torch_npu.profiler.") == ["torch.npu.mstx", "torch_npu.profiler"]
    assert npu_names_in("torch_npu.optim.NpuFused* optimizers") == ["torch_npu.optim.NpuFused*"]
    assert npu_names_in("torch.npu.{name}") == ["torch.npu"]
    assert npu_names_in("xtorch.npu.y and a.torch_npu") == []


def test_the_existence_check_can_fail(reference_dir: Path) -> None:
    assert npu_name_exists("torch.npu.synchronize", reference_dir)
    assert npu_name_exists("torch_npu.npu.synchronize", reference_dir)
    assert npu_name_exists("torch.npu.amp.custom_fwd", reference_dir)
    assert npu_name_exists("torch.npu", reference_dir)
    assert npu_name_exists("torch_npu", reference_dir)
    assert not npu_name_exists("torch.npu.CUDAGraph", reference_dir)  # torch.npu is completely listed
    assert not npu_name_exists("torch_npu.npu.jiterator", reference_dir)
    assert not npu_name_exists("torch.npu.amp.GradScalerX", reference_dir)
    # below partly listed modules: confirmed by the other reference documents, or not
    assert npu_name_exists("torch.npu.memory._record_memory_history", reference_dir)
    assert npu_name_exists("torch_npu.optim.NpuFusedLamb", reference_dir)  # from NpuFused{...,Lamb,...}
    assert npu_name_exists("torch_npu.optim.NpuFused*", reference_dir)
    assert not npu_name_exists("torch.npu.memory._made_up", reference_dir)
    assert not npu_name_exists("torch_npu.optim.NpuFusedMadeUp", reference_dir)
    assert not npu_name_exists("torch_npu.optim.Nothing*", reference_dir)
    assert not npu_name_exists("torch_npux.npu", reference_dir)
    assert not listed_in_api("torch.npu.memory._record_memory_history", reference_dir)


def test_rulesets_suggest_npu_names() -> None:
    # guards the test below against passing vacuously
    names = {name for _, _, name in suggested_npu_names()}
    assert {"torch.npu.synchronize", "torch.npu.memory_allocated", "torch.npu.NPUGraph"} <= names
    assert len(names) > 60


def test_every_npu_name_in_the_rulesets_exists(reference_dir: Path) -> None:
    missing = sorted({(code, where, name) for code, where, name in suggested_npu_names()
                      if not npu_name_exists(name, reference_dir)})
    assert not missing, "fixes name torch_npu APIs that torch_npu does not have:\n" + "\n".join(
        f"  {code} ({where}): {name}" for code, where, name in missing)


def test_torch_cuda_families_use_only_listed_npu_names(reference_dir: Path) -> None:
    """The torch.cuda families name only APIs of the list itself, in fixes and in docs."""
    mine = [rule for rule in shipped_ruleset().rules if rule.family in MY_FAMILIES]
    assert len(mine) > 20
    codes = {rule.code for rule in mine}
    unlisted = {(code, where, name) for code, where, name in suggested_npu_names()
                if code in codes and not listed_in_api(name, reference_dir)}
    for rule in mine:
        for text in (rule.rationale, *rule.use_instead.values()):
            unlisted |= {(rule.code, "docs", name) for name in npu_names_in(text)
                         if not listed_in_api(name, reference_dir)}
    assert not sorted(unlisted), sorted(unlisted)


def test_npu_replacements_of_torch_cuda_names_exist_for_every_symbol(reference_dir: Path) -> None:
    """A `torch.npu.{name}` template is only valid for names torch.npu really has."""
    bad = []
    for rule in shipped_ruleset().rules:
        for matcher in rule.matchers:
            if matcher.kind != "symbol":
                continue
            for option in matcher.fix_options("npu"):
                if option.replace and "{name}" in option.replace:
                    for name in npu_names_in(expand(option.replace, matcher)):
                        if not npu_name_exists(name, reference_dir):
                            bad.append(f"{rule.code} {matcher.name}: {name}")
    assert not bad, "\n".join(bad)


EXAMPLES = [(rule.code, number, example) for rule in shipped_ruleset().rules if "npu" in rule.targets
            for number, example in enumerate(rule.flagged)]


@pytest.mark.parametrize("min_torch", ["2.2", "2.6", "2.13"])
def test_emitted_npu_fixes_name_existing_apis(reference_dir: Path, min_torch: str) -> None:
    """Check the flagged examples of every rule on the npu target (each min-torch picks other
    options) and collect the names the emitted fixes use."""
    emitted: set[str] = set()
    missing = []
    for code, number, example in EXAMPLES:
        for finding in lint(example, "npu", min_torch):
            if finding.fix is None:
                continue
            for text in (finding.fix.replacement, finding.fix.hint):
                for name in npu_names_in(text or ""):
                    emitted.add(name)
                    if not npu_name_exists(name, reference_dir):
                        missing.append(f"{code} example {number} ({finding.code}): {name}")
    assert emitted, "no example produced a torch.npu fix: the check ran on nothing"
    assert not missing, "\n".join(missing)


def test_reference_list_is_where_the_fixture_says(reference_dir: Path) -> None:
    assert reference_dir == REFERENCE
    names, complete = npu_api(reference_dir / "torch_npu_api.txt")
    assert "torch.npu" in complete and len(names) > 200
