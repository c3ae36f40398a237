"""A bad ruleset is reported with file, rule and reason; a good one loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from portlint.errors import RulesetError
from portlint.rules import default_ruleset_files, load_rulesets

GOOD = '''
[[rule]]
code = "ACM001"
name = "acme-rule"
family = "team"
summary = "s"
message = "m"
rationale = "r"
flagged = ["import acme\\nacme.gpu()"]
[[rule.symbol]]
name = "acme.gpu"
'''


def load(tmp_path: Path, text: str):
    path = tmp_path / "r.toml"
    path.write_text(text)
    return load_rulesets([path])


@pytest.mark.parametrize(("mutation", "reason"), [
    (('code = "ACM001"', 'code = "acme1"'), "'code' must be"),
    (('code = "ACM001"', 'code = "ACME001"'), "'code' must be"),
    (('name = "acme-rule"', 'name = "Acme Rule"'), "kebab-case"),
    (('summary = "s"\n', ''), "'summary' is required"),
    (('[[rule.symbol]]\nname = "acme.gpu"', ''), "has no matcher"),
    (('name = "acme.gpu"', 'name = "acme..gpu"'), "not a valid Python name"),
    (('name = "acme.gpu"', 'name = "acme.gpu"\nfoo = 1'), "unknown key 'foo'"),
    (('name = "acme.gpu"', 'name = "acme.gpu"\nunless_keyword = "device type"'), "'unless_keyword' must be"),
    (('name = "acme.gpu"', 'name = "acme.gpu"\nagnostic = { since = "2.6" }'), "needs 'replace'"),
    (('name = "acme.gpu"', 'name = "acme.gpu"\nagnostic = { replace = "x", since = "two" }'), "since"),
    (('name = "acme.gpu"', 'name = "acme.gpu"\nnpu = { replace = "x", applicability = "maybe" }'), "applicability"),
    (('flagged = ["import acme\\nacme.gpu()"]', ''), "flagged"),
    (('[[rule.symbol]]\nname = "acme.gpu"', '[[rule.literal]]\npattern = "cu(da"\ncontexts = ["device"]'), "regular expression"),
    (('[[rule.symbol]]\nname = "acme.gpu"', '[[rule.literal]]\npattern = "cuda"\ncontexts = ["nowhere"]'), "unknown context"),
    (('[[rule.symbol]]\nname = "acme.gpu"', '[[rule.literal]]\npattern = "cu.a"\ncontexts = ["anywhere"]'), "needles"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'flagged = [{ code = "x", fixed = "y" }]'), "unknown key 'fixed'"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'flagged = [{ agnostic = "y" }]'), "needs 'code'"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'flagged = [{ code = "x", min_torch = "new" }]'), "min_torch"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'flagged = [1]'), "code string or a table"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'targets = ["agnostic"]\nflagged = [{ code = "x", npu = "y" }]'),
     "not among the rule's targets"),
    (('flagged = ["import acme\\nacme.gpu()"]', 'flagged = [{ code = "x", agnostic = "y", min_torch = "2.9" }]'), None),
    (('severity', 'severity'), None),
])
def test_bad_rulesets_name_file_rule_and_reason(tmp_path: Path, mutation, reason) -> None:
    old, new = mutation
    text = GOOD.replace(old, new, 1)
    if reason is None:
        load(tmp_path, text)
        return
    with pytest.raises(RulesetError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "r.toml" in message
    assert reason in message


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="not valid TOML"):
        load(tmp_path, "[[rule]\n")


def test_duplicate_code_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD)
    with pytest.raises(RulesetError, match="duplicate code"):
        load_rulesets([tmp_path / "a.toml", tmp_path / "b.toml"])


def test_user_rule_cannot_reuse_a_shipped_code(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD.replace("ACM001", "PRT401"))
    with pytest.raises(RulesetError, match="duplicate code"):
        load_rulesets([*default_ruleset_files(), tmp_path / "a.toml"])


def test_shipped_rulesets_load() -> None:
    ruleset = load_rulesets(default_ruleset_files())
    assert len(ruleset.rules) >= 7
    assert {"device", "compare", "backend", "device_type"} <= set(ruleset.contexts)
