"""Property tests for the fixer: programs mixing CUDA constructs with arbitrary code.

For any generated program, on either target, with or without unsafe fixes:

* the fixer never fails internally and the result parses;
* fixing is idempotent: fix(fix(x)) == fix(x);
* the code between the CUDA snippets (statements, comments, strings) is left byte for
  byte unchanged and in order (only the snippets and the import block may change).
"""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import linter_for
from portlint.fixer import fix_text

HEADER = "import torch\nimport torch.nn as nn\n\n"

# Each snippet is complete statements at module level; {n} makes its names unique.
SNIPPETS = [
    'x_{n} = torch.zeros(2, device="cuda")',
    "m_{n} = nn.Linear(2, 2).cuda()",
    'd_{n} = "cuda" if torch.cuda.is_available() else "cpu"',
    'e_{n} = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")',
    't_{n} = torch.ones(1).to("cuda:0")',
    't_{n} = torch.ones(1).to("cuda:3", non_blocking=True)',
    "torch.cuda.synchronize()",
    "with torch.cuda.amp.autocast():\n    pass",
    "scaler_{n} = torch.cuda.amp.GradScaler()",
    'device = "cuda"',
    'def f_{n}(dev="cuda:1"):\n    return torch.ones(1).cuda(non_blocking=True)',
    "from torch.cuda.amp import autocast as ac_{n}\nwith ac_{n}(enabled=True):\n    pass",
    'y_{n} = torch.ones(1).to(f"cuda:{{n_{n}}}")',
    "on_{n} = torch.ones(1).is_cuda",
    "torch.backends.cudnn.benchmark = True",
    "z_{n} = torch.ones(1).cuda(0)",
    'with torch.autocast("cuda", dtype=torch.bfloat16):\n    w_{n} = 1',
    "torch.cuda.empty_cache()",
    "mem_{n} = torch.cuda.memory_allocated()",
    "if len(__name__) > {n}:\n    from torch.cuda import synchronize as s_{n}\ndef w_{n}():\n    s_{n}()",
    "try:\n    import torch as tt_{n}\nexcept ImportError:\n    tt_{n} = None\nq_{n} = tt_{n}.zeros(1).cuda()",
    "class K_{n}:\n    dev = \"cuda:0\"\n    def go(self, x):\n        return x.to(\"cuda\")",
]

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters='"\\'),
                max_size=30)


@st.composite
def fillers(draw: st.DrawFn, n: int) -> str:
    kind = draw(st.integers(0, 7))
    text = draw(_TEXT)
    if kind == 0:
        return f"# {text}".rstrip()
    if kind == 1:
        return f's_{n} = "{text}"'
    if kind == 2:
        a, b = draw(st.integers(-1000, 1000)), draw(st.integers(0, 1000))
        return f"v_{n} = {a} + {b} * ({a} - {b})"
    if kind == 3:
        return f'def g_{n}(a, b={draw(st.integers(0, 9))}):\n    """{text}"""\n    return a + b'
    if kind == 4:
        return f'if v_{n} if False else True:\n    log_{n} = ["{text}", "cuda"]\nelse:\n    pass'
    if kind == 5:
        return f'class C_{n}:\n    """cuda docs: {text}"""\n    device_name = "{text}"'
    if kind == 6:
        return f'from os import path as p_{n}  # {text}'.rstrip()
    return f'print("{text}", "running on cuda")  # {text}'.rstrip()


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, list[str]]:
    count = draw(st.integers(1, 8))
    parts: list[str] = []
    kept: list[str] = []
    for n in range(count):
        if draw(st.booleans()):
            snippet = draw(st.sampled_from(SNIPPETS)).format(n=n)
            if draw(st.booleans()):  # the same construct inside a function body
                snippet = f"def h_{n}(n_{n}=0):\n" + "\n".join("    " + line for line in snippet.splitlines())
            parts.append(snippet)
        else:
            filler = draw(fillers(n))
            parts.append(filler)
            kept.append(filler)
    separator = draw(st.sampled_from(["\n", "\n\n", "\n\n\n"]))
    text = HEADER + separator.join(parts) + "\n"
    if draw(st.booleans()):  # Windows line endings: kept, also in inserted code
        text = text.replace("\n", "\r\n")
        kept = [filler.replace("\n", "\r\n") for filler in kept]
    return text, kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), target=st.sampled_from(["agnostic", "npu"]), unsafe=st.booleans())
def test_fixing_is_safe_idempotent_and_local(program: tuple[str, list[str]], target: str, unsafe: bool) -> None:
    text, kept = program
    linter = linter_for(target)
    first = fix_text(text, linter, "gen.py", unsafe=unsafe)
    assert first.error is None, f"{first.error}\n---\n{text}"
    ast.parse(first.text)
    if "\r\n" in text:
        assert "\n" not in first.text.replace("\r\n", ""), "a bare LF was inserted into a CRLF file"
    second = fix_text(first.text, linter, "gen.py", unsafe=unsafe)
    assert second.error is None, second.error
    assert second.text == first.text, f"not idempotent:\n{first.text}\n---\n{second.text}"
    position = 0
    for filler in kept:
        found = first.text.find(filler, position)
        assert found >= 0, f"filler changed or moved: {filler!r}\n---\n{first.text}"
        position = found + len(filler)
