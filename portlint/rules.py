"""Rules as data: the schema of ``rulesets/*.toml`` and its validating loader.

A ruleset file holds ``[[rule]]`` tables. Each rule carries its documentation (summary,
rationale, examples), its per-target fixes, and one or more *matchers*, each an array of
tables named after the kind of code it matches:

* ``[[rule.symbol]]``    a dotted name resolved through the file's imports (``torch.cuda.synchronize``)
* ``[[rule.attribute]]`` an attribute or method on any object (``x.cuda()``, ``t.is_cuda``)
* ``[[rule.literal]]``   a string (or f-string) in a *context*: a device argument, a comparison...
* ``[[rule.keyword]]``   a keyword argument (``use_cuda=True``)
* ``[[rule.module]]``    an imported module (``import apex``)
* ``[[rule.idiom]]``     a whole construct, by a structural matcher registered in
  ``portlint/idioms.py`` (``"cuda" if torch.cuda.is_available() else "cpu"``)

and, for the other files of a repository (see ``portlint/kinds/``), *text matchers*:

* ``[[rule.env]]``        an environment variable set, exported or read (shell, Dockerfile
  ``ENV``, notebook ``%env``, ``env:`` maps of YAML/JSON configs): ``name`` regex
* ``[[rule.command]]``    a command run (shell, ``RUN``, notebook ``!``): ``name`` regex,
  optional ``args`` regex searched in its arguments (the finding then spans the match)
* ``[[rule.requirement]]`` a dependency (requirements, constraints, ``environment.yml``,
  ``pyproject.toml`` arrays, ``pip install``): ``name`` regex on the normalized name,
  optional ``version`` regex searched in the rest of the specifier
* ``[[rule.index]]``      a package index / find-links URL: ``pattern`` regex
* ``[[rule.image]]``      a container image (``FROM``, ``image:``, ``docker run``): ``pattern`` regex
* ``[[rule.config-key]]`` a YAML/JSON config entry: ``key`` regex on its last key, optional
  ``path`` regex searched in the dotted key path, optional ``value`` regex on the scalar
* ``[[rule.file]]``       a whole file of one kind (``kind = "cuda"``): one finding per file

Contexts (where a literal acts as a device, a backend ...) are declared once per ruleset
in ``[contexts.NAME]`` tables and shared by every rule that names them. See
``docs/rulesets.md`` for the full reference.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portlint.errors import RulesetError
from portlint.versions import ANY, Version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TARGETS = ("agnostic", "npu")
SEVERITIES = ("error", "warning")
APPLICABILITIES = ("safe", "unsafe")
BLOCKERS = ("library", "kernel")
PYTHON_MATCHER_KINDS = ("symbol", "attribute", "literal", "keyword", "module", "idiom")
TEXT_MATCHER_KINDS = ("env", "command", "requirement", "index", "image", "config-key", "file")
MATCHER_KINDS = PYTHON_MATCHER_KINDS + TEXT_MATCHER_KINDS + ("noqa",)
CODE_PATTERN = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BUILTIN_CONTEXTS = ("anywhere",)


@dataclass(frozen=True)
class FixOption:
    """One candidate fix for one target: code that replaces the match, or prose advice."""

    replace: str | None = None  # template: {source} {name} {index} {args} {sep_args} {args_sep}
    hint: str | None = None
    substitute: tuple[str, str] | None = None  # replace the first OLD in the matched source by NEW
    whole_call: bool = False  # the replacement covers the whole call, not just the matched name
    since: Version = ANY
    applicability: str = "safe"
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlaggedExample:
    """A flagged example and, per target, the code ``portlint fix --unsafe-fixes`` makes of it.

    A target missing from ``fixed`` means: the fixer leaves the example unchanged there.
    ``min_torch`` (None: the project default) selects which of the rule's fixes applies."""

    code: str
    fixed: tuple[tuple[str, str], ...] = ()  # (target, expected output)
    min_torch: Version | None = None

    def expected(self, target: str) -> str:
        return dict(self.fixed).get(target, self.code)


@dataclass(frozen=True)
class Context:
    """Where a literal plays a role: keyword names, positional slots, variable names, comparisons."""

    name: str
    keywords: frozenset[str] = frozenset()
    # callee, argument indexes (None: all) and the keyword names those parameters also take
    positional: tuple[tuple[str, tuple[int | str, ...] | None], ...] = ()
    names: str | None = None  # regex: assignment targets, parameters, dict keys, argparse options
    names_pattern: Any = None  # ``names`` compiled (time-limited for a user ruleset)
    compare: bool = False
    subscripts: tuple[str, ...] = ()  # dotted names whose subscript index is in the context


@dataclass(eq=False)
class Matcher:
    kind: str
    rule: "Rule"
    name: str | None = None  # symbol / attribute / keyword / module name
    pattern: re.Pattern[str] | None = None  # literal
    contexts: tuple[str, ...] = ()  # literal
    prefix: bool = False  # symbol: also matches unknown members below it
    call: bool | None = None  # symbol / attribute: only when called (True) / not called (False)
    nargs: int | None = None  # symbol / attribute: only with exactly this many arguments
    unless_keyword: str | None = None  # symbol: not when the call passes this keyword (or **kwargs)
    first_arg: re.Pattern[str] | None = None  # attribute: regex on the first argument's source
    # attribute: only when the call passes a device, as its first argument or as this keyword
    # (``x.cuda(i)``, ``x.cuda(device=i)``); fills the {arg0} / {sep_rest} placeholders.
    device_arg: str | None = None
    int_arg: bool = False  # attribute: ... and that device is an integer (literal or by value flow)
    fstring: bool = False  # literal: only f-strings (f"cuda:{rank}"), not "cuda:" + str(rank)
    value: re.Pattern[str] | None = None  # keyword: regex on the value's source
    calls: tuple[str, ...] = ()  # keyword: only in calls to these (qualname or ".method")
    compared: bool = True  # symbol: also where the name is compared (==, !=, is, in) or tested
    # The matched code does nothing off CUDA (no error, no other effect): not reported where
    # it only runs on CUDA, nor where it switches a CUDA feature off (default: the rule's).
    noop_off_cuda: bool = False
    covered_by: tuple[str, ...] = ()  # not reported when the same function also calls one of these
    # symbol: the fix applies only where the name is the dtype of a creation or a cast
    # (``dtype=...``, ``.to(...)``, ``.type(...)``, ``set_default_dtype(...)``); elsewhere advice
    fix_as_dtype: bool = False
    # symbol / attribute: also where the data is on the CPU (``x.cpu().double()``,
    # ``torch.zeros(n, dtype=torch.float64, device="cpu")``)
    on_cpu: bool = True
    # symbol: also where the value is only shown: printed, logged, formatted into a string, or a
    # bare expression statement (a notebook cell's displayed value). False for queries that
    # answer off CUDA without failing (is_available, device_count, torch.version.cuda).
    displayed: bool = True
    # symbol: the fix is safe only as the test of a CUDA guard whose branch it is rewritten
    # with; where the value is used otherwise (assigned to an attribute, passed, combined
    # into a setting) it is unsafe: off CUDA, on another accelerator, it now reads True
    unsafe_as_value: bool = False
    needles: tuple[str, ...] = ()  # substrings one of which a file must contain to match
    key: re.Pattern[str] | None = None  # config-key: regex on the last key
    path: re.Pattern[str] | None = None  # config-key: regex searched in the dotted key path
    args: re.Pattern[str] | None = None  # command: regex searched in the arguments
    version: re.Pattern[str] | None = None  # requirement: regex searched in the version part
    file_kind: str | None = None  # file: the kind of file (portlint/kinds)
    # env: also a shell script's own variable (assigned, never exported nor passed to a command)
    script_variables: bool = True
    message: str | None = None
    fixes: dict[str, tuple[FixOption, ...]] = field(default_factory=dict)

    def fix_options(self, target: str) -> tuple[FixOption, ...]:
        if target in self.fixes:
            return self.fixes[target]
        return self.rule.fixes.get(target, ())


@dataclass(eq=False)
class Rule:
    code: str
    name: str
    family: str
    summary: str
    message: str
    rationale: str
    severity: str
    targets: tuple[str, ...]
    source: str  # ruleset file it came from
    fixes: dict[str, tuple[FixOption, ...]] = field(default_factory=dict)
    matchers: list[Matcher] = field(default_factory=list)
    flagged: tuple[str, ...] = ()  # examples that must produce this rule's finding (their code)
    examples: tuple[FlaggedExample, ...] = ()  # the same examples with their expected fixes
    clean: tuple[str, ...] = ()  # examples that must not
    use_instead: dict[str, str] = field(default_factory=dict)  # per target, for the docs
    opt_in: bool = False  # enabled only when its code is selected by name (not by ALL or a prefix)
    noop_off_cuda: bool = False  # default of its matchers' ``noop_off_cuda``
    effort: float | None = None  # minutes of manual work per finding (None: the family's)
    blocker: str | None = None  # "library" or "kernel" (None: the family's)
    npu_build: bool | None = None  # a "library" blocker that has an Ascend build
    # per target: the torch release that made the problem go away there (not reported when
    # the project's min-torch is at least that)
    fixed_in: dict[str, Version] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """Per-family defaults for ``portlint report``'s effort model (``[families.NAME]``)."""

    name: str
    effort: float  # minutes of manual work per finding no fix resolves
    blocker: str | None = None
    title: str | None = None


@dataclass
class Ruleset:
    rules: list[Rule]
    contexts: dict[str, Context]
    ignored_symbols: frozenset[str]
    files: tuple[str, ...]
    families: dict[str, Family] = field(default_factory=dict)

    def by_code(self) -> dict[str, Rule]:
        return {rule.code: rule for rule in self.rules}


# --------------------------------------------------------------------------- loading


def default_ruleset_dir() -> Path:
    """The shipped rulesets: inside the wheel, or the repository's ``rulesets/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rulesets"
    if packaged.is_dir():
        return packaged
    return here.parent / "rulesets"


def default_ruleset_files() -> list[Path]:
    directory = default_ruleset_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise RulesetError(str(directory), None, "no ruleset files found (broken installation?)")
    return files


def load_rulesets(paths: list[Path]) -> Ruleset:
    rules: list[Rule] = []
    contexts: dict[str, Context] = {}
    ignored: set[str] = set()
    families: dict[str, Family] = {}
    seen: dict[str, str] = {}
    for path in paths:
        data = _read_toml(path)
        _check_keys(data, {"rule", "contexts", "ignore_symbols", "families"}, str(path), None, "top level")
        for name, raw in _table(data.get("families", {}), str(path), None, "families").items():
            families[name] = _parse_family(name, raw, str(path))
        for name, raw in _table(data.get("contexts", {}), str(path), None, "contexts").items():
            contexts[name] = _parse_context(name, raw, str(path))
        for symbol in _str_list(data.get("ignore_symbols", []), str(path), None, "ignore_symbols"):
            ignored.add(symbol)
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise RulesetError(str(path), None, "'rule' must be an array of tables ([[rule]])")
        for raw in raw_rules:
            rule = _parse_rule(raw, str(path))
            if rule.code in seen:
                raise RulesetError(str(path), rule.code, f"duplicate code (also in {seen[rule.code]})")
            seen[rule.code] = str(path)
            rules.append(rule)
    for rule in rules:
        for matcher in rule.matchers:
            for ctx in matcher.contexts:
                if ctx not in contexts and ctx not in BUILTIN_CONTEXTS:
                    raise RulesetError(rule.source, rule.code, f"unknown context {ctx!r}")
    rules.sort(key=lambda r: r.code)
    return Ruleset(rules, contexts, frozenset(ignored), tuple(str(p) for p in paths), families)


def _read_toml(path: Path) -> dict[str, Any]:
    from portlint.source import SourceError, read_bytes

    try:
        data = read_bytes(str(path))
    except SourceError as exc:
        raise RulesetError(str(path), None, "file not found" if str(exc) == "no such file" else str(exc)) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesetError(str(path), None, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(str(path), None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise RulesetError(str(path), None, "not valid TOML: nested too deep") from None


RULE_KEYS = {
    "code", "name", "family", "summary", "message", "rationale", "severity", "targets",
    "agnostic", "npu", "flagged", "clean", "use_instead", "opt_in", "effort", "blocker", "npu_build",
    "noop_off_cuda", "fixed_in", *MATCHER_KINDS,
}
MATCHER_KEYS = {
    "symbol": {"name", "prefix", "call", "nargs", "unless_keyword", "compared", "fix_as_dtype", "on_cpu", "displayed",
               "unsafe_as_value"},
    "attribute": {"name", "call", "nargs", "first_arg", "device_arg", "int_arg", "on_cpu"},
    "literal": {"pattern", "contexts", "needles", "fstring"},
    "keyword": {"name", "value", "calls"},
    "module": {"name"},
    "idiom": {"name", "pattern"},
    "noqa": set(),  # the unused-noqa check (portlint/noqa.py): comments, not code
    "env": {"name", "script_variables"},
    "command": {"name", "args"},
    "requirement": {"name", "version"},
    "index": {"pattern"},
    "image": {"pattern"},
    "config-key": {"key", "path", "value"},
    "file": {"kind"},
}
COMMON_MATCHER_KEYS = {"message", "agnostic", "npu", "needles", "noop_off_cuda", "covered_by"}


def _parse_rule(raw: Any, path: str) -> Rule:
    if not isinstance(raw, dict):
        raise RulesetError(path, None, "each [[rule]] must be a table")
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise RulesetError(path, str(code) if code else None,
                           "'code' must be 1-3 capital letters then 1-3 digits, like 'PRT101'")
    _check_keys(raw, RULE_KEYS, path, code, "rule")
    text = {key: _required_str(raw, key, path, code) for key in ("name", "family", "summary", "message", "rationale")}
    if not NAME_PATTERN.match(text["name"]):
        raise RulesetError(path, code, "'name' must be kebab-case, like 'cuda-synchronize'")
    severity = raw.get("severity", "error")
    if severity not in SEVERITIES:
        raise RulesetError(path, code, f"'severity' must be one of {', '.join(SEVERITIES)}")
    targets = tuple(_str_list(raw.get("targets", list(TARGETS)), path, code, "targets"))
    for target in targets:
        if target not in TARGETS:
            raise RulesetError(path, code, f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    examples = _parse_flagged(raw.get("flagged", []), targets, path, code)
    rule = Rule(
        code=code,
        severity=severity,
        targets=targets,
        source=path,
        flagged=tuple(example.code for example in examples),
        examples=examples,
        clean=tuple(_str_list(raw.get("clean", []), path, code, "clean")),
        **text,
    )
    rule.fixes = _parse_target_fixes(raw, path, code)
    if "opt_in" in raw:
        rule.opt_in = _bool(raw["opt_in"], path, code, "opt_in")
    if "noop_off_cuda" in raw:
        rule.noop_off_cuda = _bool(raw["noop_off_cuda"], path, code, "noop_off_cuda")
    use_instead = raw.get("use_instead", {})
    if not isinstance(use_instead, dict) or not all(
        k in TARGETS and isinstance(v, str) for k, v in use_instead.items()
    ):
        raise RulesetError(path, code, "'use_instead' must map targets to code strings")
    rule.use_instead = dict(use_instead)
    if "effort" in raw:
        rule.effort = _effort(raw["effort"], path, code, "effort")
    if "blocker" in raw:
        rule.blocker = _blocker(raw["blocker"], path, code, "blocker")
    if "npu_build" in raw:
        rule.npu_build = _bool(raw["npu_build"], path, code, "npu_build")
    if "fixed_in" in raw:
        rule.fixed_in = _fixed_in(raw["fixed_in"], targets, path, code)
    for kind in MATCHER_KINDS:
        entries = raw.get(kind, [])
        if not isinstance(entries, list):
            raise RulesetError(path, code, f"'{kind}' must be an array of tables ([[rule.{kind}]])")
        for entry in entries:
            rule.matchers.append(_parse_matcher(kind, entry, rule, path))
    if not rule.matchers:
        raise RulesetError(path, code, f"has no matcher ({', '.join(MATCHER_KINDS)})")
    if not rule.flagged:
        raise RulesetError(path, code, "needs at least one 'flagged' example")
    return rule


def _fixed_in(value: Any, targets: tuple[str, ...], path: str, code: str) -> dict[str, Version]:
    """``fixed_in = { npu = "2.5.1" }``: per target, the torch version that fixed it there."""
    if not isinstance(value, dict):
        raise RulesetError(path, code, "'fixed_in' must map targets to torch versions, like { npu = \"2.5.1\" }")
    fixed: dict[str, Version] = {}
    for target, version in value.items():
        if target not in targets:
            raise RulesetError(path, code, f"'fixed_in' names {target!r}, which is not among the rule's targets")
        if not isinstance(version, str):
            raise RulesetError(path, code, f"'fixed_in' {target}: the version must be a string, like \"2.5.1\"")
        try:
            fixed[target] = parse_version(version)
        except ValueError as exc:
            raise RulesetError(path, code, f"'fixed_in' {target}: {exc}") from None
    return fixed


EXAMPLE_KEYS = {"code", "min_torch", *TARGETS}


def _parse_flagged(value: Any, targets: tuple[str, ...], path: str, code: str) -> tuple[FlaggedExample, ...]:
    """``flagged = ["code", { code = "...", agnostic = "fixed code", npu = "...", min_torch = "2.9" }]``"""
    if not isinstance(value, list):
        raise RulesetError(path, code, "'flagged' must be a list of code strings or tables")
    examples = []
    for item in value:
        if isinstance(item, str):
            examples.append(FlaggedExample(item))
            continue
        if not isinstance(item, dict):
            raise RulesetError(path, code, "each 'flagged' example must be a code string or a table")
        _check_keys(item, EXAMPLE_KEYS, path, code, "flagged example")
        if not all(isinstance(v, str) for v in item.values()) or "code" not in item:
            raise RulesetError(path, code, "a 'flagged' table needs 'code' and string values")
        for target in TARGETS:
            if target in item and target not in targets:
                raise RulesetError(path, code, f"a 'flagged' example has an expected fix for {target!r}, "
                                   "which is not among the rule's targets")
        min_torch = None
        if "min_torch" in item:
            try:
                min_torch = parse_version(item["min_torch"])
            except ValueError as exc:
                raise RulesetError(path, code, f"'flagged' example 'min_torch': {exc}") from None
        fixed = tuple((target, item[target]) for target in TARGETS if target in item)
        examples.append(FlaggedExample(item["code"], fixed, min_torch))
    return tuple(examples)


# The matcher keys that are plain booleans (each a field of ``Matcher`` of the same name).
_MATCHER_FLAGS = ("prefix", "call", "fstring", "compared", "script_variables", "noop_off_cuda", "fix_as_dtype",
                  "on_cpu", "displayed", "unsafe_as_value")


def _parse_matcher(kind: str, raw: Any, rule: Rule, path: str) -> Matcher:
    code = rule.code
    if not isinstance(raw, dict):
        raise RulesetError(path, code, f"each [[rule.{kind}]] must be a table")
    _check_keys(raw, MATCHER_KEYS[kind] | COMMON_MATCHER_KEYS, path, code, kind)
    matcher = Matcher(kind=kind, rule=rule, noop_off_cuda=rule.noop_off_cuda)
    if kind in TEXT_MATCHER_KINDS:
        _parse_text_matcher(matcher, raw, path)
    if kind in ("symbol", "attribute", "keyword", "module"):
        name = _required_str(raw, "name", path, code)
        pattern = IDENT if kind in ("attribute", "keyword") else DOTTED
        if not pattern.match(name):
            raise RulesetError(path, code, f"{kind} name {name!r} is not a valid Python name")
        matcher.name = name
    if kind == "idiom":
        from portlint.idioms import IDIOMS

        name = _required_str(raw, "name", path, code)
        if name not in IDIOMS:
            raise RulesetError(path, code, f"unknown idiom {name!r} (known: {', '.join(sorted(IDIOMS))})")
        matcher.name = name
        pattern_text = IDIOMS[name].default_pattern if "pattern" not in raw else _required_str(raw, "pattern", path, code)
        matcher.pattern = _regex(pattern_text, path, code, "pattern")
    if kind == "noqa":
        matcher.name = "noqa"  # the comments it reads
    if kind == "literal":
        matcher.pattern = _regex(_required_str(raw, "pattern", path, code), path, code, "pattern")
        matcher.contexts = tuple(_str_list(raw.get("contexts", []), path, code, "contexts"))
        if not matcher.contexts:
            raise RulesetError(path, code, "a literal matcher needs 'contexts'")
    for flag in _MATCHER_FLAGS:
        if flag in raw:
            setattr(matcher, flag, _bool(raw[flag], path, code, flag))
    if "nargs" in raw:
        if not isinstance(raw["nargs"], int) or isinstance(raw["nargs"], bool) or raw["nargs"] < 0:
            raise RulesetError(path, code, "'nargs' must be a non-negative integer")
        matcher.nargs = raw["nargs"]
    if "unless_keyword" in raw:
        keyword = raw["unless_keyword"]
        if not isinstance(keyword, str) or not keyword.isidentifier():
            raise RulesetError(path, code, "'unless_keyword' must be a keyword argument's name")
        matcher.unless_keyword = keyword
    if "covered_by" in raw:
        names = _str_list(raw["covered_by"], path, code, "covered_by")
        if not all(DOTTED.match(name) for name in names):
            raise RulesetError(path, code, "'covered_by' must list dotted names")
        matcher.covered_by = tuple(names)
    if "first_arg" in raw:
        matcher.first_arg = _regex(_required_str(raw, "first_arg", path, code), path, code, "first_arg")
    if "device_arg" in raw:
        matcher.device_arg = _required_str(raw, "device_arg", path, code)
    if "int_arg" in raw:
        matcher.int_arg = _bool(raw["int_arg"], path, code, "int_arg")
        if matcher.device_arg is None:
            raise RulesetError(path, code, "'int_arg' needs 'device_arg' (the keyword the device may be passed as)")
    if "value" in raw and kind == "keyword":
        matcher.value = _regex(_required_str(raw, "value", path, code), path, code, "value")
    if "calls" in raw:
        matcher.calls = tuple(_str_list(raw["calls"], path, code, "calls"))
    if "message" in raw:
        matcher.message = _required_str(raw, "message", path, code)
    matcher.fixes = _parse_target_fixes(raw, path, code)
    needles = tuple(_str_list(raw.get("needles", []), path, code, "needles"))
    matcher.needles = needles or _derive_needles(matcher)
    if not matcher.needles:
        raise RulesetError(path, code, "literal pattern has no plain substring; add 'needles'")
    return matcher


def _parse_text_matcher(matcher: Matcher, raw: dict[str, Any], path: str) -> None:
    """The matchers of non-Python files: every pattern is a regex (names fully match)."""
    code = matcher.rule.code
    kind = matcher.kind
    if kind in ("env", "command", "requirement"):
        matcher.pattern = _regex(_required_str(raw, "name", path, code), path, code, "name")
    elif kind in ("index", "image"):
        matcher.pattern = _regex(_required_str(raw, "pattern", path, code), path, code, "pattern")
    elif kind == "config-key":
        matcher.key = _regex(_required_str(raw, "key", path, code), path, code, "key")
        if "path" in raw:
            matcher.path = _regex(_required_str(raw, "path", path, code), path, code, "path")
        if "value" in raw:
            matcher.value = _regex(_required_str(raw, "value", path, code), path, code, "value")
    elif kind == "file":
        from portlint.kinds import KINDS

        file_kind = _required_str(raw, "kind", path, code)
        if file_kind not in KINDS:
            raise RulesetError(path, code, f"unknown file kind {file_kind!r} (known: {', '.join(KINDS)})")
        matcher.file_kind = file_kind
    if "args" in raw:
        matcher.args = _regex(_required_str(raw, "args", path, code), path, code, "args")
    if "version" in raw:
        matcher.version = _regex(_required_str(raw, "version", path, code), path, code, "version")


def _derive_needles(matcher: Matcher) -> tuple[str, ...]:
    """Substrings a file must contain for this matcher to fire (used by the prefilter).

    A dotted name can only be reached through source text that spells every one of its
    components (imports, aliases and attribute chains all do), so its longest component
    is a sound needle. Literal patterns give theirs explicitly unless they are plain text.
    """
    if matcher.kind in ("symbol", "module"):
        assert matcher.name
        return (max(matcher.name.split("."), key=len),)
    if matcher.kind in ("attribute", "keyword"):
        assert matcher.name
        return (matcher.name,)
    if matcher.kind == "idiom":
        from portlint.idioms import IDIOMS

        assert matcher.name
        return IDIOMS[matcher.name].needles
    if matcher.kind == "noqa":
        return ("noqa",)
    if matcher.kind == "file":
        return (matcher.file_kind or "file",)  # never used as text: the file's kind decides
    if matcher.kind == "config-key":
        assert matcher.key is not None
        return _plain_needles(matcher.key.pattern)
    assert matcher.pattern is not None
    if matcher.kind in TEXT_MATCHER_KINDS:
        return _plain_needles(matcher.pattern.pattern)
    text = matcher.pattern.pattern
    if re.escape(text) == text or re.fullmatch(r"[A-Za-z0-9_:]+", text):
        return (text,)
    return ()


def _plain_needles(text: str) -> tuple[str, ...]:
    """Needles of a text matcher's regex: the text itself when plain, else the branches of
    a top-level alternation of plain words (``A|B|C``); otherwise the ruleset gives them."""
    branches = text.split("|") if "(" not in text and "[" not in text else [text]
    if all(b and (re.escape(b) == b or re.fullmatch(r"[A-Za-z0-9_:-]+", b)) for b in branches):
        return tuple(branches)
    return ()


def _parse_target_fixes(raw: dict[str, Any], path: str, code: str) -> dict[str, tuple[FixOption, ...]]:
    fixes: dict[str, tuple[FixOption, ...]] = {}
    for target in TARGETS:
        if target in raw:
            fixes[target] = _parse_fix_options(raw[target], path, code, target)
    return fixes


FIX_KEYS = {"replace", "hint", "substitute", "span", "since", "applicability", "imports"}


def _parse_fix_options(value: Any, path: str, code: str, target: str) -> tuple[FixOption, ...]:
    items = value if isinstance(value, list) else [value]
    options = []
    for item in items:
        if isinstance(item, str):
            options.append(FixOption(replace=item))
            continue
        if not isinstance(item, dict):
            raise RulesetError(path, code, f"'{target}' must be a string, a table or a list of them")
        _check_keys(item, FIX_KEYS, path, code, target)
        replace = item.get("replace")
        hint = item.get("hint")
        substitute = item.get("substitute")
        if substitute is not None:
            if (not isinstance(substitute, list) or len(substitute) != 2
                    or not all(isinstance(s, str) for s in substitute) or not substitute[0]):
                raise RulesetError(path, code, f"'{target}.substitute' must be [\"old\", \"new\"]")
            if replace is not None and "{source}" not in str(replace):
                raise RulesetError(path, code, f"'{target}' has 'substitute' and a 'replace' without {{source}}")
            substitute = (substitute[0], substitute[1])
            replace = "{source}" if replace is None else replace
        if replace is None and hint is None:
            raise RulesetError(path, code, f"'{target}' needs 'replace' (code), 'substitute' or 'hint' (advice)")
        for key, val in (("replace", replace), ("hint", hint)):
            if val is not None and not isinstance(val, str):
                raise RulesetError(path, code, f"'{target}.{key}' must be a string")
        try:
            since = parse_version(str(item.get("since", "any")))
        except ValueError as exc:
            raise RulesetError(path, code, f"'{target}.since': {exc}") from None
        applicability = item.get("applicability", "safe")
        if applicability not in APPLICABILITIES:
            raise RulesetError(path, code, f"'{target}.applicability' must be 'safe' or 'unsafe'")
        imports = tuple(_str_list(item.get("imports", []), path, code, f"{target}.imports"))
        span = item.get("span", "match")
        if span not in ("match", "call"):
            raise RulesetError(path, code, f"'{target}.span' must be 'match' or 'call'")
        options.append(FixOption(replace, hint, substitute, span == "call", since, applicability, imports))
    return tuple(options)


def _parse_family(name: str, raw: Any, path: str) -> Family:
    if not isinstance(raw, dict):
        raise RulesetError(path, None, f"[families.{name}] must be a table")
    _check_keys(raw, {"effort", "blocker", "title"}, path, None, f"families.{name}")
    if "effort" not in raw:
        raise RulesetError(path, None, f"[families.{name}] needs 'effort' (minutes per manual finding)")
    title = raw.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise RulesetError(path, None, f"'families.{name}.title' must be a non-empty string")
    return Family(name, _effort(raw["effort"], path, None, f"families.{name}.effort"),
                  None if "blocker" not in raw else _blocker(raw["blocker"], path, None, f"families.{name}.blocker"),
                  title)


def _effort(value: Any, path: str, code: str | None, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100_000:
        raise RulesetError(path, code, f"'{key}' must be a number of minutes from 0 to 100000")
    return float(value)


def _blocker(value: Any, path: str, code: str | None, key: str) -> str:
    if value not in BLOCKERS:
        raise RulesetError(path, code, f"'{key}' must be one of {', '.join(BLOCKERS)}")
    return value


def _parse_context(name: str, raw: Any, path: str) -> Context:
    if not isinstance(raw, dict):
        raise RulesetError(path, None, f"[contexts.{name}] must be a table")
    _check_keys(raw, {"keywords", "positional", "names", "compare", "subscripts"}, path, None, f"contexts.{name}")
    positional = []
    for callee, slots in _table(raw.get("positional", {}), path, None, f"contexts.{name}.positional").items():
        if slots == "*":
            positional.append((callee, None))
        elif isinstance(slots, list) and all((isinstance(s, int) and not isinstance(s, bool))
                                             or (isinstance(s, str) and IDENT.match(s)) for s in slots):
            positional.append((callee, tuple(slots)))
        else:
            raise RulesetError(path, None, f"contexts.{name}.positional.{callee}: give a list of indexes "
                                           "(and parameter names) or '*'")
    names = raw.get("names")
    names_pattern = None
    if names is not None:
        if not isinstance(names, str):
            raise RulesetError(path, None, f"contexts.{name}.names must be a regular expression string")
        names_pattern = _regex(names, path, None, f"contexts.{name}.names")
    return Context(
        name=name,
        keywords=frozenset(_str_list(raw.get("keywords", []), path, None, f"contexts.{name}.keywords")),
        positional=tuple(positional),
        names=names,
        names_pattern=names_pattern,
        compare=_bool(raw.get("compare", False), path, None, f"contexts.{name}.compare"),
        subscripts=tuple(_str_list(raw.get("subscripts", []), path, None, f"contexts.{name}.subscripts")),
    )


# --------------------------------------------------------------------------- small validators


def _check_keys(raw: dict[str, Any], allowed: set[str], path: str, code: str | None, where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RulesetError(path, code, f"unknown key {unknown[0]!r} in {where} (allowed: {', '.join(sorted(allowed))})")


def _required_str(raw: dict[str, Any], key: str, path: str, code: str | None) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesetError(path, code, f"'{key}' is required and must be a non-empty string")
    return value.strip()


def _str_list(value: Any, path: str, code: str | None, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesetError(path, code, f"'{key}' must be a list of strings")
    return value


def _table(value: Any, path: str, code: str | None, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesetError(path, code, f"'{key}' must be a table")
    return value


def _bool(value: Any, path: str, code: str | None, key: str) -> bool:
    if not isinstance(value, bool):
        raise RulesetError(path, code, f"'{key}' must be true or false")
    return value


def _regex(text: str, path: str, code: str | None, key: str) -> re.Pattern[str]:
    """A shipped ruleset's pattern as ``re``; a user ruleset's with a time limit."""
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise RulesetError(path, code, f"'{key}' is not a valid regular expression: {exc}") from None
    except RecursionError:
        raise RulesetError(path, code, f"'{key}' is nested too deep") from None
    if is_shipped(path):
        return compiled
    from portlint.userregex import GuardedPattern

    return GuardedPattern(compiled, path, code, key)  # type: ignore[return-value]


def is_shipped(path: str) -> bool:
    try:
        return Path(path).resolve().parent == _shipped_dir()
    except OSError:
        return False


_SHIPPED_DIR: list[Path] = []


def _shipped_dir() -> Path:
    """``default_ruleset_dir()``, resolved once (every shipped pattern asks)."""
    if not _SHIPPED_DIR:
        _SHIPPED_DIR.append(default_ruleset_dir().resolve())
    return _SHIPPED_DIR[0]
