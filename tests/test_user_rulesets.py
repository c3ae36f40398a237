"""A user's own ruleset cannot hang a scan, and its mistakes are reported as its own.

Shipped rulesets are portlint's code (reviewed, tested); a user ruleset is input. Its
regular expressions run with a time limit, and a pattern that backtracks for ever is
stopped and reported naming the ruleset and the rule or context; a replacement that
does not make valid code is reported against the rule that wrote it, not as portlint's
own internal error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CUDA = "import torch\nx = torch.zeros(3).cuda()\n"

RULE = '''
[[rule]]
code = "ACM001"
name = "acme-helper"
family = "team"
summary = "Our legacy CUDA helper"
message = "use the shared device helper instead of {{name}}"
rationale = "The helper hard-codes CUDA."
flagged = ["import acme.gpu\\nacme.gpu.to_gpu(x)"]
clean = ["to_gpu(x)"]
[[rule.symbol]]
name = "acme.gpu.to_gpu"
agnostic = {agnostic}
'''


def run(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_catastrophic_context_pattern_cannot_hang_the_scan(tmp_path: Path) -> None:
    rule = '''
[contexts.team_device]
names = "^(x+x+)+y$"

[[rule]]
code = "ACM003"
name = "acme-gpu-string"
family = "team"
summary = "gpu strings"
message = "no"
rationale = "no"
flagged = ['xy = "gpu"']
clean = ['z = "gpu"']
[[rule.literal]]
pattern = "gpu"
contexts = ["team_device"]
'''
    (tmp_path / "team.toml").write_text(rule)
    (tmp_path / "portlint.toml").write_text('rulesets = ["team.toml"]\n')
    name = "x" * 40  # ~2**40 steps with a backtracking engine
    (tmp_path / "hang.py").write_text(f'import torch\n{name} = "gpu"\ny = torch.ones(1).cuda()\n')
    (tmp_path / "ok.py").write_text(CUDA)
    started = time.monotonic()
    proc = run(tmp_path, "check", "--no-cache", ".")
    assert time.monotonic() - started < 30
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    # Either the match ends (the regex engine sees this one through) or it is stopped and
    # reported against the ruleset's context; never a hang, never portlint's own error.
    for line in proc.stderr.splitlines():
        assert "team.toml" in line and "team_device" in line and "took longer than" in line, line
    assert "ok.py" in proc.stdout and "hang.py" in proc.stdout  # both files were checked


def test_catastrophic_pattern_in_a_matcher(tmp_path: Path) -> None:
    from conftest import linter_for  # noqa: F401 - the shipped rules load as usual

    rule = '''
[[rule]]
code = "ACM002"
name = "acme-string"
family = "team"
summary = "Strings"
message = "no"
rationale = "no"
flagged = ['f("aab")']
clean = ['f("b")']
[[rule.literal]]
pattern = "(a|aa)+b"
contexts = ["anywhere"]
needles = ["a"]
'''
    (tmp_path / "team.toml").write_text(rule)
    (tmp_path / "portlint.toml").write_text('rulesets = ["team.toml"]\n')
    (tmp_path / "hang.py").write_text('s = "' + "a" * 60 + 'c"\nt = "b"\n')
    (tmp_path / "ok.py").write_text('s = "aab"\n')
    proc = run(tmp_path, "check", "--no-cache", ".")
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert "ACM002" in proc.stdout and "ok.py" in proc.stdout  # the pattern still works elsewhere
    [line] = [line for line in proc.stderr.splitlines() if "hang.py" in line]
    assert "team.toml" in line and "ACM002" in line and "took longer than" in line, line


def test_shipped_rulesets_do_not_pay_for_the_guard() -> None:
    """The time limit is for user patterns; the shipped ones stay plain ``re`` patterns."""
    import re

    from conftest import shipped_ruleset

    for rule in shipped_ruleset().rules:
        for matcher in rule.matchers:
            for pattern in (matcher.pattern, matcher.first_arg, matcher.value):
                assert pattern is None or isinstance(pattern, re.Pattern)


def test_broken_replacement_is_the_rulesets_error_not_portlints(tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text(RULE.format(agnostic='"acme.device.to_device("'))
    (tmp_path / "portlint.toml").write_text('rulesets = ["team.toml"]\n')
    source = "import acme.gpu\nacme.gpu.to_gpu(1)\n"
    (tmp_path / "use.py").write_text(source)
    (tmp_path / "ok.py").write_text(CUDA)
    proc = run(tmp_path, "fix", "--unsafe-fixes", ".")
    assert "internal error" not in proc.stderr and "please report" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    [line] = [line for line in proc.stderr.splitlines() if "use.py" in line]
    assert "ACM001" in line and "team.toml" in line, line
    assert (tmp_path / "use.py").read_text() == source  # untouched
    assert ".cuda()" not in (tmp_path / "ok.py").read_text()  # the run went on


def test_ruleset_that_is_not_utf8_or_too_deep(tmp_path: Path) -> None:
    (tmp_path / "portlint.toml").write_text('rulesets = ["team.toml"]\n')
    (tmp_path / "ok.py").write_text(CUDA)
    for data in (b"# caf\xe9\n", b"x = " + b"[" * 100000 + b"]" * 100000 + b"\n"):
        (tmp_path / "team.toml").write_bytes(data)
        proc = run(tmp_path, "check", "ok.py")
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("portlint: error: invalid ruleset ") and "team.toml: " in line, line
        assert "internal error" not in line
    if hasattr(os, "mkfifo"):
        (tmp_path / "team.toml").unlink()
        os.mkfifo(tmp_path / "team.toml")
        proc = run(tmp_path, "check", "ok.py", timeout=30)
        assert proc.returncode == 2 and "not a regular file" in proc.stderr
