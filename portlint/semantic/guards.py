"""Guard context: the conditions under which a node runs, recognised structurally.

The binder keeps a stack of :class:`Guard` entries while it walks (``if``/``elif``/
``else`` branches, conditional expressions, ``and`` chains, early returns, ``try`` bodies
and their ``except`` handlers); ``Binder.guards`` is that stack at the current node. A
guard is one of these kinds:

``CUDA``
    the code runs only where CUDA is in use. ``device=True`` when the test is about a
    value's device (``x.is_cuda``, ``x.device.type == "cuda"``, ``device == "cuda"``,
    ``"cuda" in str(device)``, ``device.startswith("cuda")``): the code is a CUDA fast
    path and data on any other device takes the other path. ``device=False`` for an
    availability test (``torch.cuda.is_available()``, a helper predicate such as
    ``is_torch_cuda_available()``: the ``guards`` setting). ``several=True`` when the
    ladder the branch belongs to (or a sibling ``if`` of the same block) also tests
    another backend (NPU, XPU, MPS, HPU ...): the code already has a non-CUDA path.
``BACKEND``
    the code runs only where another backend is in use (``if is_npu_available():``,
    ``if device.type == "mps":``, ``x if backend == "hip" else "cuda"`` for ROCm, a
    ``getattr(torch, device_type, torch.cuda)`` default): what it does is deliberate.
``FALLBACK``
    the code runs where a newer API is missing: the ``except ImportError`` /
    ``ModuleNotFoundError`` / ``AttributeError`` handler of a ``try``, the ``else`` of
    a version gate (``version.parse(torch.__version__) >= ...``, ``hasattr(torch,
    "accelerator")``, ``is_torch_version(...)``).
``OPTIONAL``
    the body of a ``try`` whose handler catches ImportError, or code under a check that a
    package is installed (``if is_bnb_available():``, ``_is_package_available("x")``,
    ``importlib.util.find_spec("x")``): an optional dependency, imports there have a
    fallback. The body of a test decorated with ``@require_<something>`` (``@require_bnb``)
    is OPTIONAL too: the test is skipped where the package is missing.
``PROTECTED``
    the body of a ``try`` whose handler catches everything (``except Exception``, bare
    ``except``): a failure off CUDA is handled.
``SKIP``
    a test's skip condition (``unittest.skipUnless(torch.cuda.device_count() > 1, ...)``,
    ``pytest.mark.skipif(not torch.cuda.is_available(), ...)``): off CUDA the test is
    skipped, which is its working non-CUDA path.
``OTHER``
    any other recognised condition (another backend, an accelerator test, a version
    gate's new-API branch), kept so that ladders can be described.

:func:`classify` recognises one test expression; the ``Guard`` objects also collect what
the analyzer decided under them (``suppressed``, ``region``) so that a guard's own test
can be judged after its branch has been seen.

A call of a helper whose name says it is about CUDA (``check_cuda_p2p_ib_support()``,
``is_nvidia_gpu()``; ``Test("cuda-specific")``) is a condition on a CUDA property: both
its branches get an ``OTHER`` guard with ``cuda_specific=True``. Only rules whose code
does nothing off CUDA (``noop_off_cuda``: NCCL variables, cuDNN switches) treat that as
deliberate; everything else is judged as if there were no condition.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

CUDA = "cuda"
BACKEND = "backend"
FALLBACK = "fallback"
OPTIONAL = "optional"
PROTECTED = "protected"
SKIP = "skip"
OTHER = "other"

# Helper predicates that mean "CUDA is available" (extended by the `guards` setting).
DEFAULT_GUARDS = frozenset({
    "is_torch_cuda_available", "is_cuda_available", "cuda_is_available", "is_cuda",
    "has_cuda", "is_torch_gpu_available", "is_gpu_available",
})
# Backends other than CUDA, as device types and in helper names.
OTHER_BACKENDS = ("npu", "xpu", "mps", "hpu", "mlu", "musa", "xla", "tpu", "hip", "rocm", "ipu", "dml",
                  "sdaa", "gcu", "neuron")
_OTHER_HELPER = re.compile(r"^(is_)?(torch_)?(" + "|".join(OTHER_BACKENDS) + r")(_is)?_available$")
_VERSION_CALL = re.compile(r"(?i)(version|greater_or_equal|less_than|_ge$|_gte$|at_least|is_torch_\d)")
_DEVICE_LITERAL = re.compile(r"cuda(:\d+)?")
_OTHER_LITERAL = re.compile(r"(" + "|".join(OTHER_BACKENDS) + r")(:\d+)?")
# In conditions only: values that mean CUDA (or another backend) when a program tests them.
_CUDA_TEST_VALUES = frozenset({"gpu", "nccl", "cuda:nccl", "cudnn", "nsys",  # nsys: Nsight Systems
                               "smddp"})  # smddp: SageMaker DDP, NVIDIA only
_OTHER_TEST_VALUES = frozenset({"hccl", "gloo", "xccl", "ccl", "tccl", "cncl", "mccl", "hip", "rocm", "xla"})
# A helper predicate named for a CUDA property (not in the `guards` list): check_cuda_p2p_ib_support.
_CUDA_NAMED = re.compile(r"(?i)(?:^|_)(?:cuda|nvidia|nccl|cudnn|nvml)(?:_|$)")
# A check that a package is installed (`is_bnb_available()`, `_is_package_available("x")`,
# `importlib.util.find_spec("x")`): imports under it have a fallback, the check's other branch.
_PACKAGE_CHECK = re.compile(r"^_?is_\w+_(?:available|installed)$|^find_spec$")
# A predicate named for a CUDA property: its body is CUDA detection by definition.
_CUDA_PREDICATE = re.compile(r"^_?(?:is|has|check|supports?|can)_")


def is_cuda_predicate_name(name: str) -> bool:
    """``check_cuda_fp8_capability``, ``is_nvidia_gpu``: a function that tells whether a CUDA
    property holds (its CUDA queries are its purpose, not a portability bug)."""
    return bool(_CUDA_PREDICATE.match(name)) and bool(_CUDA_NAMED.search(name))


# The CUDA word of a per-backend family of functions, and the words of its other members:
# `get_max_cuda_memory` beside `get_max_musa_memory`, `def cuda(self)` beside `def npu(self)`,
# `init_nccl_group` beside `init_hccl_group`. ("gpu" is no such word: accelerate's `_gpu_gather`
# beside `_tpu_gather` is the path of every device that is not XLA, the NPU's included.)
FAMILY_WORDS = {"cuda": OTHER_BACKENDS, "nccl": ("hccl", "cncl", "mccl", "xccl", "ccl")}
# For a port to the NPU only the NPU's member is its path (as for variant files).
NPU_FAMILY_WORDS = {"cuda": ("npu", "ascend"), "nccl": ("hccl",)}


def family_siblings(name: str, words: dict[str, tuple[str, ...]] = FAMILY_WORDS) -> list[str]:
    """The names the other backends' members of a per-backend family would have, when ``name``
    is the CUDA member's (its ``cuda`` or ``nccl`` word replaced by another backend's, from
    ``words``: ``get_max_cuda_memory`` -> ``get_max_npu_memory``, ``get_max_musa_memory``
    ...); [] for a name without such a word. Words are the parts between underscores, in any
    case."""
    lowered = name.lower()
    if "cuda" not in lowered and "nccl" not in lowered:
        return []
    parts = name.split("_")
    siblings = []
    for n, part in enumerate(parts):
        others = words.get(part.lower())
        if others is None:
            continue
        for other in others:
            word = other.upper() if part.isupper() else other.capitalize() if part[:1].isupper() else other
            siblings.append("_".join([*parts[:n], word, *parts[n + 1:]]))
    return siblings


# Variables that only another backend's runtime sets or reads: a test of them is a test of it.
_OTHER_DEVICE_VARIABLES = frozenset({"HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES",
                                     "ZE_AFFINITY_MASK", "HABANA_VISIBLE_DEVICES", "MLU_VISIBLE_DEVICES",
                                     "TPU_NAME", "XRT_TPU_CONFIG", "COLAB_TPU_ADDR"})
# Skip decorators and calls whose condition (first argument) decides where a test runs.
SKIP_CONDITIONS = frozenset({"unittest.skipIf", "unittest.skipUnless", "pytest.mark.skipif"})
_FALLBACK_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_BROAD_ERRORS = frozenset({"Exception", "BaseException"})

Resolver = Callable[[ast.expr], Optional[str]]
ValueOf = Callable[[ast.Name], Optional[ast.expr]]  # the value a name was last assigned, if known


@dataclass(frozen=True)
class Test:
    """What a condition tests. ``kind``: ``cuda`` (CUDA in use), ``other`` (another
    backend), ``several`` (CUDA among other backends), ``accelerator`` (any
    accelerator), ``version`` (a version/feature gate). ``device``: a value's device is
    tested (not availability)."""

    kind: str
    device: bool = False


@dataclass(eq=False, slots=True)  # (made for most tests of a file: slots are cheaper to fill)
class Guard:
    kind: str
    test: ast.expr | None = None  # the condition (None for try/except guards)
    device: bool = False
    several: bool = False
    suppressed: int = 0  # findings the analyzer dropped because of this guard
    deliberate: int = 0  # ... of which no-ops off CUDA (``noop_off_cuda``) done only on CUDA
    region: list[int] = field(default_factory=list)  # numbers of the findings reported under it
    test_findings: list[int] = field(default_factory=list)  # finding numbers inside the test
    accelerator: bool = False  # the code runs only where torch.accelerator.is_available() is true
    cuda_specific: bool = False  # the condition is a CUDA property (a helper named for CUDA)
    reraises: bool = False  # a try body whose ImportError handlers all raise: no fallback
    mocked: frozenset[str] = frozenset()  # names a `mock.patch` replaces here (``torch.cuda.device_count``)
    fakes_cuda: bool = False  # a test fakes CUDA here: its device strings are the mock's data


def last_name(node: ast.expr) -> str | None:
    """The name an expression ends with: `x` of `a.b.x`, `x` of `x`; None for other expressions."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _strings_in(node: ast.expr) -> list[str] | None:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [_string(e) for e in node.elts]
        return None if any(v is None for v in values) else values  # type: ignore[return-value]
    return None


def _literal_kind(value: str) -> str | None:
    if _DEVICE_LITERAL.fullmatch(value):
        return CUDA
    if _OTHER_LITERAL.fullmatch(value):
        return OTHER
    return None


def _tested_value_kind(node: ast.expr) -> str | None:
    """What a value compared in a condition stands for: ``"cuda"``, ``DeviceType.CUDA`` ->
    CUDA (a device); ``"nccl"``, ``"gpu"`` -> ``cuda-setting`` (a configuration value);
    ``"npu"``, ``"hccl"``, ``RNGType.NPU`` -> OTHER; ``"cpu"`` -> ``cpu``."""
    value = _string(node)
    if value is not None:
        if value == "cpu" or value.startswith("cpu:"):
            return "cpu"
        kind = _literal_kind(value)
        if kind is not None:
            return kind
        lowered = value.lower()
        if lowered in _CUDA_TEST_VALUES:
            return "cuda-setting"
        if lowered in _OTHER_TEST_VALUES or lowered in OTHER_BACKENDS:  # `PJRT_DEVICE == "TPU"`
            return OTHER
        return None
    if isinstance(node, ast.Attribute) and node.attr.isupper():  # an enum member: DeviceType.CUDA
        name = node.attr.lower()
        if name in ("cuda", "gpu", "nccl", "multi_gpu"):
            return CUDA
        if name in OTHER_BACKENDS or name in _OTHER_TEST_VALUES or any(
                name == f"multi_{b}" for b in OTHER_BACKENDS):
            return OTHER
    return None


def several_device_types(values: list[str], cpu: bool = False) -> bool:
    """``("cuda", "xpu", "hpu")``: CUDA among other device types (with ``cpu``: "cpu"
    counts as another one, as in a table keyed by device type)."""
    kinds = {_literal_kind(v) for v in values}
    return CUDA in kinds and (OTHER in kinds or (cpu and "cpu" in values))


def classify(test: ast.expr, resolve: Resolver, guards: frozenset[str] = DEFAULT_GUARDS,
             value_of: ValueOf | None = None, depth: int = 0) -> tuple[Test, bool] | None:
    """(what ``test`` tests, whether it is negated), or None when it is nothing known.
    ``value_of`` lets a name stand for the condition it was assigned (``is_nvidia =
    device == "cuda"``; ``if is_nvidia:``)."""
    negated = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        negated = not negated
        test = test.operand
    if isinstance(test, ast.Name) and value_of is not None and depth < 3 and test.id not in guards:
        value = value_of(test)
        if value is not None:
            found = classify(value, resolve, guards, value_of, depth + 1)
            return None if found is None else (found[0], negated ^ found[1])
    found = _classify(test, resolve, guards, value_of, depth)
    if found is None:
        return None
    test_kind, flip = found
    return test_kind, negated ^ flip


def _classify(node: ast.expr, resolve: Resolver, guards: frozenset[str], value_of: ValueOf | None,
              depth: int) -> tuple[Test, bool] | None:
    if isinstance(node, ast.BoolOp):
        parts = [classify(value, resolve, guards, value_of, depth + 1) for value in node.values]
        known = [p for p in parts if p is not None]
        if isinstance(node.op, ast.And):
            for part in known:  # `torch.cuda.is_available() and args.cuda`: CUDA when true
                if part[0].kind == CUDA and not part[1]:
                    return part
            for part in known:  # `backend == XLA and is_torch_xla_available()`: another backend
                if part[0].kind == OTHER and not part[1]:
                    return part
            for part in known:  # `is_bnb_available() and not is_adamw`: only where it is installed
                if part[0].kind == "package" and not part[1]:
                    return part
            return None
        kinds = {p[0].kind for p in known if not p[1]}
        if CUDA in kinds and (kinds & {OTHER, "several", "accelerator"}):
            return Test("several", any(p[0].device for p in known)), False
        if known and len(known) == len(parts) and len(kinds) == 1 and kinds <= {CUDA, OTHER} \
                and all(not p[1] for p in known):  # `a == "TPU" or b is not None`: one backend tested twice
            return Test(kinds.pop(), any(p[0].device for p in known)), False
        return None
    if isinstance(node, ast.Call):
        return _classify_call(node, resolve, guards)
    if isinstance(node, ast.Attribute):
        if node.attr == "is_cuda":
            return Test(CUDA, device=True), False
        if node.attr in ("is_mps", "is_xpu", "is_npu", "is_hpu", "is_cpu", "is_meta"):
            return Test(OTHER, device=True), False
        if node.attr in guards:
            return Test(CUDA), False
        return None
    if isinstance(node, ast.Name):
        return (Test(CUDA), False) if node.id in guards else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _classify_compare(node, resolve)
    return None


_TORCH_AVAILABILITY = re.compile(r"torch\.(backends\.)?(\w+)\.is_available")
_DEVICE_WORD = re.compile(r"(?i)gpu|accelerator|device")


class _NameTraits:
    """What an identifier says on its own (a callee's last name for ``_classify_call``, a
    name or attribute in a comparison for ``_mentions_version``): the regular expressions
    are run once per identifier, as the same identifiers recur in every file. ``version``:
    it names a version (``_VERSION_CALL`` is case-insensitive: also ``VERSION``,
    ``__version__``, ``version_info``)."""

    __slots__ = ("other_helper", "package_check", "version", "cuda_named")

    def __init__(self, name: str) -> None:
        self.other_helper = _OTHER_HELPER.match(name) is not None
        self.cuda_named = _CUDA_NAMED.search(name) is not None
        self.package_check = _PACKAGE_CHECK.match(name) is not None and not self.cuda_named \
            and _DEVICE_WORD.search(name) is None
        self.version = _VERSION_CALL.search(name) is not None


_NAME_TRAITS: dict[str, _NameTraits] = {}


def _traits(name: str) -> _NameTraits:
    found = _NAME_TRAITS.get(name)
    if found is None:
        if len(_NAME_TRAITS) > 50_000:  # (a long language-server session)
            _NAME_TRAITS.clear()
        found = _NAME_TRAITS[name] = _NameTraits(name)
    return found


def _classify_call(node: ast.Call, resolve: Resolver, guards: frozenset[str]) -> tuple[Test, bool] | None:
    func = node.func
    qualname = resolve(func) if isinstance(func, (ast.Attribute, ast.Name)) else None
    name = last_name(func)
    if qualname == "torch.cuda.is_available" or (name in guards and not node.args):
        return Test(CUDA), False
    if qualname == "torch.accelerator.is_available":
        return Test("accelerator"), False
    if qualname is not None and qualname.endswith(".is_available") and _TORCH_AVAILABILITY.fullmatch(qualname):
        backend = qualname.split(".")[-2]
        return Test(OTHER if backend in OTHER_BACKENDS else "accelerator"), False
    said = _traits(name) if name is not None else None
    if said is not None and said.other_helper:
        return Test(OTHER), False
    if said is not None and said.package_check:
        return Test("package"), False
    if name == "hasattr" and len(node.args) == 2:
        owner = resolve(node.args[0]) if isinstance(node.args[0], (ast.Attribute, ast.Name)) else None
        attribute = _string(node.args[1])
        if owner is not None and owner.split(".")[0] == "torch" and attribute is not None:
            if attribute in OTHER_BACKENDS:
                return Test(OTHER), False
            return Test("version"), False
    if said is not None and said.version:
        return Test("version"), False
    if qualname in ("os.environ.get", "os.getenv") and node.args and _string(node.args[0]) in _OTHER_DEVICE_VARIABLES:
        return Test(OTHER), False  # `os.environ.get("HIP_VISIBLE_DEVICES")`: set on ROCm machines
    if said is not None and said.cuda_named and (qualname is None or not qualname.startswith("torch.")):
        return Test("cuda-specific"), False
    # "cuda" in str(device) is handled as a comparison; device.startswith("cuda"):
    if name == "startswith" and isinstance(func, ast.Attribute) and node.args:
        prefix = _string(node.args[0])
        values = _strings_in(node.args[0]) or ([prefix] if prefix is not None else [])
        kinds = {_literal_kind(v) for v in values}
        if CUDA in kinds:
            return (Test("several", True) if OTHER in kinds else Test(CUDA, True)), False
        if OTHER in kinds:
            return Test(OTHER, True), False
    return None


def value_off_cuda(node: ast.expr, resolve: Resolver, guards: frozenset[str] = DEFAULT_GUARDS) -> object:
    """What a condition evaluates to on a machine without CUDA, when that is known:
    ``torch.cuda.is_available()`` is False, ``torch.cuda.device_count()`` is 0, a CUDA test
    (``device == "cuda"``, a ``guards`` helper) is False; constants, ``not``, ``and``/``or``
    and comparisons of those are computed. None: unknown."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int)):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
        qualname = resolve(node.func)
        if qualname == "torch.cuda.device_count":
            return 0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value = value_off_cuda(node.operand, resolve, guards)
        return None if value is None else not value
    if isinstance(node, ast.BoolOp):
        values = [value_off_cuda(v, resolve, guards) for v in node.values]
        deciding = False if isinstance(node.op, ast.And) else True
        if any(v is not None and bool(v) is deciding for v in values):
            return deciding
        return None if any(v is None for v in values) else not deciding
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left = value_off_cuda(node.left, resolve, guards)
        right = value_off_cuda(node.comparators[0], resolve, guards)
        if isinstance(left, int) and isinstance(right, int):
            op = type(node.ops[0])
            table = {ast.Eq: left == right, ast.NotEq: left != right, ast.Lt: left < right,
                     ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right}
            if op in table:
                return table[op]
    found = classify(node, resolve, guards)
    if found is not None and found[0].kind in (CUDA, OTHER):
        # a CUDA test is False off CUDA (True when negated); so is another backend's test
        # on the machines portlint is about (`not cuda and not is_xpu_available()`: skipped
        # on an NPU, a Mac, a CPU)
        return found[1]
    return None


def skips_off_cuda(qualname: str, condition: ast.expr, resolve: Resolver, guards: frozenset[str]) -> bool:
    """``unittest.skipUnless(torch.cuda.device_count() > 1, ...)``, ``pytest.mark.skipif(not
    torch.cuda.is_available(), ...)``: whether the test is skipped where CUDA is missing
    (``skipUnless(torch.cuda.device_count() < 2)`` is not: it runs there)."""
    value = value_off_cuda(condition, resolve, guards)
    if value is None:
        return False
    return bool(value) is (qualname != "unittest.skipUnless")


# `@require_cuda`, `@require_torch_gpu`, `@require_multi_gpu`, `@require_cuda_or_xpu`: a test
# decorator that skips the test where CUDA is missing (not `@require_non_cpu`, any accelerator).
_CUDA_REQUIREMENT = re.compile(r"(?i)^requires?_(?!non_|no_|not_)\w*?(?:cuda|gpu|nvidia)")
# A keyword of a test decorator asking for CUDA GPUs: min_cuda_gpus=2, min_gpus=1, gpus=1, cuda=True.
_CUDA_COUNT_KEYWORD = re.compile(r"(?i)^(?:min_)?(?:num_)?(?:cuda|gpu|nvidia)(?:_gpu)?s?$")
# Calls that end a test as skipped (`self.skipTest(...)`, `pytest.skip(...)`).
_SKIP_CALLS = frozenset({"skipTest", "pytest.skip", "unittest.SkipTest", "SkipTest", "pytest.skip.Exception"})


def requires_cuda(decorator: ast.expr) -> bool:
    """``@require_cuda``, ``@require_torch_gpu``, ``@require_cuda_or_xpu``, or a decorator
    asking for CUDA GPUs by keyword (``@RunIf(min_cuda_gpus=2)``, ``@skip_unless(gpus=1)``):
    a test decorator that skips the test (a function or a whole class) where CUDA is missing."""
    if isinstance(decorator, ast.Call):
        if any(keyword.arg is not None and _CUDA_COUNT_KEYWORD.match(keyword.arg) and _asks_for_some(keyword.value)
               for keyword in decorator.keywords):
            return True
        decorator = decorator.func
    name = last_name(decorator)
    return name is not None and bool(_CUDA_REQUIREMENT.match(name))


def _asks_for_some(value: ast.expr) -> bool:
    """``True`` or a count of at least one."""
    return isinstance(value, ast.Constant) and (value.value is True or (
        type(value.value) is int and value.value >= 1))


def _call_name(node: ast.expr, resolve: Resolver) -> str | None:
    """``self.skipTest`` -> ``skipTest``; ``pytest.skip`` -> its qualified name."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return resolve(node) if isinstance(node, (ast.Attribute, ast.Name)) else None


def skips_test(body: list[ast.stmt], resolve: Resolver) -> bool:
    """True when a block ends by skipping the test: ``self.skipTest(...)``,
    ``pytest.skip(...)``, ``raise unittest.SkipTest(...)``."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return _call_name(last.value, resolve) in _SKIP_CALLS
    if isinstance(last, ast.Raise) and last.exc is not None:
        return _call_name(last.exc, resolve) in _SKIP_CALLS
    return False


_PATCHERS = frozenset({"unittest.mock.patch", "mock.patch"})
OBJECT_PATCHERS = frozenset({"unittest.mock.patch.object", "mock.patch.object"})
_DICT_PATCHERS = frozenset({"unittest.mock.patch.dict", "mock.patch.dict"})


def mocked_name(node: ast.expr, resolve: Resolver) -> str | None:
    """The qualified name a ``mock.patch`` decorator or context manager replaces:
    ``patch("torch.cuda.device_count", ...)``, ``patch.object(torch.cuda, "device_count", ...)``
    -> ``torch.cuda.device_count``; None for anything else."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.func, (ast.Attribute, ast.Name)):
        return None
    qualname = resolve(node.func)
    if qualname in _PATCHERS:
        return _string(node.args[0])
    if qualname in OBJECT_PATCHERS and len(node.args) >= 2 and isinstance(node.args[0], (ast.Attribute, ast.Name)):
        owner, attribute = resolve(node.args[0]), _string(node.args[1])
        if owner is not None and attribute is not None:
            return f"{owner}.{attribute}"
    return None


_FAKED = re.compile(r"(?i)cuda|gpu|nccl|nvidia")
# A test's fixture that fakes CUDA (Lightning's `cuda_count_2`, `mock_cuda_count`).
_FAKING_FIXTURE = re.compile(r"(?i)^(?:cuda|gpu)_count_\d+$|^(?:mock|fake|patch)\w*_(?:cuda|gpu)\w*$")


def fakes_cuda(patched: "frozenset[str]", nodes: list[ast.expr], resolve: Resolver) -> bool:
    """``mock.patch`` decorators or context managers (``nodes``; ``patched``: the names they
    replace) that fake CUDA: a CUDA name is replaced (``torch.cuda.device_count``,
    ``...CUDAAccelerator.is_available``), or ``patch.dict(os.environ, {"CUDA_VISIBLE_DEVICES":
    ...})``."""
    if any(_FAKED.search(name) for name in patched):
        return True
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)) \
                and resolve(node.func) in _DICT_PATCHERS and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Dict) \
                and any(_FAKED.search(_string(key) or "") for key in node.args[1].keys if key is not None):
            return True
    return False


def is_faking_fixture(name: str) -> bool:
    """A test parameter (a pytest fixture) named for faking CUDA: ``cuda_count_2``,
    ``mock_cuda_count``."""
    return bool(_FAKING_FIXTURE.match(name))


def requires_a_package(decorator: ast.expr) -> bool:
    """``@require_bnb``, ``@require_transformer_engine``: a test decorator that skips the test
    where a package (or feature) is missing, so imports in the test have that fallback."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    name = last_name(decorator)
    return name is not None and name.startswith(("require_", "requires_"))


def _mentions_version(node: ast.expr) -> bool:
    """Whether a version is named anywhere in ``node`` (``torch.__version__``, ``VERSION``,
    ``is_torch_version(...)``). A hand-rolled walk: this runs for most comparisons."""
    stack: list[ast.AST] = [node]
    while stack:
        child = stack.pop()
        kind = type(child)
        if kind is ast.Name:
            if _traits(child.id).version:  # type: ignore[attr-defined]
                return True
        elif kind is ast.Attribute:
            if _traits(child.attr).version:  # type: ignore[attr-defined]
                return True
            stack.append(child.value)  # type: ignore[attr-defined]
        elif kind is ast.Call:
            stack.append(child.func)  # type: ignore[attr-defined]
            stack.extend(child.args)  # type: ignore[attr-defined]
            stack.extend(keyword.value for keyword in child.keywords)  # type: ignore[attr-defined]
        elif kind is not ast.Constant:
            stack.extend(ast.iter_child_nodes(child))
    return False


def _classify_compare(node: ast.Compare, resolve: Resolver) -> tuple[Test, bool] | None:
    op = node.ops[0]
    left, right = node.left, node.comparators[0]
    if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
        # (an attribute chain resolves to a name ending in its attribute: only `.cuda`/`.hip` can
        # be the build's; `x.y is None` is not resolved)
        kind = type(left)
        build = resolve(left) if kind is ast.Name or (kind is ast.Attribute and left.attr in ("cuda", "hip")) else None  # type: ignore[attr-defined]
        if build in ("torch.version.cuda", "torch.version.hip"):  # which build of torch this is
            kind = Test(CUDA) if build.endswith("cuda") else Test(OTHER)
            return kind, isinstance(op, ast.Is)
        if isinstance(left, ast.Call):  # `os.environ.get("TPU_NAME") is not None`: the call's own test
            found = _classify_call(left, resolve, frozenset())
            if found is not None and found[0].kind == OTHER:
                return found[0], found[1] ^ isinstance(op, ast.Is)
    if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
        for literal in (left, right):
            kind = _tested_value_kind(literal)
            if kind is not None:
                negated = isinstance(op, (ast.NotEq, ast.IsNot))
                if kind == "cuda-setting":
                    return Test(CUDA, device=False), negated
                return Test(kind, device=True), negated
        if _mentions_version(left) or _mentions_version(right):
            return Test("version"), False
        return None
    if isinstance(op, (ast.In, ast.NotIn)):
        negated = isinstance(op, ast.NotIn)
        needle, haystack = _string(left), right
        if needle is not None:  # "cuda" in str(device) / in device.type
            kind = _literal_kind(needle)
            if kind is not None and not isinstance(haystack, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                return Test(kind, device=True), negated
            return None
        if isinstance(right, (ast.Tuple, ast.List, ast.Set)):  # device.type in ("cuda", "xpu")
            kinds = {_tested_value_kind(e) for e in right.elts}
            if "cuda-setting" in kinds:
                kinds.add(CUDA)
            if CUDA in kinds:
                several = OTHER in kinds or "cpu" in kinds
                return (Test("several", True) if several else Test(CUDA, True)), negated
            if OTHER in kinds:
                return Test(OTHER, True), negated
        return None
    if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) and (_mentions_version(left) or _mentions_version(right)):
        return Test("version"), isinstance(op, (ast.Lt, ast.LtE))  # `< 2.4` is the old-torch branch
    return None


def try_body_kind(handlers: list[ast.ExceptHandler]) -> str | None:
    """The guard of a try body: PROTECTED when a handler catches everything, OPTIONAL when
    one catches an import error, else None."""
    kind = None
    for handler in handlers:
        names = _exception_names(handler)
        if names is None or names & _BROAD_ERRORS:
            return PROTECTED
        if names & _IMPORT_ERRORS:
            kind = OPTIONAL
    return kind


def import_errors_reraise(handlers: list[ast.ExceptHandler]) -> bool:
    """Every handler that catches an import error ends by raising (``except ImportError:
    raise RuntimeError("install x")``): the failure is not handled, there is no fallback."""
    for handler in handlers:
        names = _exception_names(handler)
        if names is not None and names & _IMPORT_ERRORS and not (handler.body and isinstance(handler.body[-1], ast.Raise)):
            return False
    return True


def is_fallback_handler(handler: ast.ExceptHandler) -> bool:
    """``except ImportError`` / ``ModuleNotFoundError`` / ``AttributeError`` (alone or
    together): the branch for an environment without the API the try body uses."""
    names = _exception_names(handler)
    return names is not None and bool(names) and names <= _FALLBACK_ERRORS


def _exception_names(handler: ast.ExceptHandler) -> set[str] | None:
    """The exception class names a handler catches; None for a bare ``except:``."""
    if handler.type is None:
        return None
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {name for name in (last_name(t) for t in types) if name is not None}


def ladder_tests(node: ast.If) -> list[ast.expr]:
    """The tests of an ``if``/``elif`` chain starting at ``node``."""
    tests = [node.test]
    while is_elif(node):
        node = node.orelse[0]  # type: ignore[assignment]
        tests.append(node.test)
    return tests


def is_elif(node: ast.If) -> bool:
    """True when the ``else`` of ``node`` is an ``elif`` (not an ``if`` nested in ``else:``)."""
    orelse = node.orelse
    return len(orelse) == 1 and isinstance(orelse[0], ast.If) and orelse[0].col_offset == node.col_offset


def terminates(body: list[ast.stmt]) -> bool:
    """True when a block always leaves its enclosing block (return/raise/continue/break, or
    a call of sys.exit/exit/quit/os._exit)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return last_name(last.value.func) in ("exit", "quit", "_exit")
    return isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break))
