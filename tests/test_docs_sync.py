"""Generated and hand-written docs stay true: the rule reference, links, documented inputs."""

from __future__ import annotations

from portlint.kinds import split_example

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import shipped_ruleset

from portlint.docs import reference_markdown

REPO = Path(__file__).resolve().parent.parent
RULES_MD = REPO / "docs" / "rules.md"
REGENERATE = "python -m portlint.docs > docs/rules.md"


def test_rule_reference_is_up_to_date() -> None:
    assert RULES_MD.is_file(), f"docs/rules.md is missing: run `{REGENERATE}`"
    expected = reference_markdown(shipped_ruleset().rules)
    assert RULES_MD.read_text(encoding="utf-8") == expected, f"docs/rules.md is stale: run `{REGENERATE}`"


def test_generator_command_prints_the_reference() -> None:
    result = subprocess.run([sys.executable, "-m", "portlint.docs"], capture_output=True, text=True,
                            encoding="utf-8", cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference_markdown(shipped_ruleset().rules)


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_reference_covers_every_rule_with_working_anchors() -> None:
    text = reference_markdown(shipped_ruleset().rules)
    anchors = {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    for rule in shipped_ruleset().rules:
        link = f"[{rule.code}](#{rule.code.lower()}-{rule.name})"
        assert link in text, rule.code
        assert f"{rule.code.lower()}-{rule.name}" in anchors, rule.code
        section = text.split(f"### {rule.code} `{rule.name}`", 1)[1].split("\n### ", 1)[0]
        for part in ("#### What it does", "#### Why is this bad?", "#### Example", "#### Fix per target",
                     "#### Fix safety"):
            assert part in section, (rule.code, part)
        assert split_example(rule.flagged[0])[1].rstrip() in section
        table = [line for line in section.splitlines() if line.startswith("| ") and " | " in line]
        cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in table]  # unescaped pipes only
        safety = section.split("#### Fix safety", 1)[1]
        assert all(f"- **{target}**" in safety for target in rule.targets), rule.code
        assert all(len(row) == 3 for row in cells), rule.code
        assert set(rule.targets) <= {row[1].strip() for row in cells[1:]}, rule.code


def _markdown_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def test_relative_links_resolve() -> None:
    broken = []
    for path in _markdown_files():
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert not broken, broken


def test_readme_links_every_integration_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in sorted((REPO / "docs" / "integrations").glob("*.md")):
        assert f"docs/integrations/{page.name}" in readme, page.name


def test_documented_action_inputs_and_hooks_exist() -> None:
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    page = (REPO / "docs" / "integrations" / "github-actions.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w-]+)` \|", page, re.MULTILINE))
    assert documented == set(action["inputs"])
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    page = (REPO / "docs" / "integrations" / "pre-commit.md").read_text(encoding="utf-8")
    assert {hook["id"] for hook in hooks} == set(re.findall(r"^\| `([\w-]+)` \|", page, re.MULTILINE))
    for hook in hooks:
        # .pyi stubs are type `pyi`, notebooks `jupyter`, not `python`, in pre-commit (identify)
        assert hook["types_or"] == ["python", "pyi", "jupyter"] and "types" not in hook
        assert hook["require_serial"] is True and hook["language"] == "python"
        assert hook["entry"].split()[:2] in (["portlint", "check"], ["portlint", "fix"])


RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (optional: checks the docs' ruff claims)")
def test_ruff_external_keeps_portlint_noqa_codes(tmp_path: Path) -> None:
    """docs/integrations/ruff-flake8-coexistence.md: without lint.external ruff calls PRT codes
    invalid (RUF102); with it, it leaves them alone."""
    (tmp_path / "t.py").write_text('import torch\n\nx = torch.zeros(2, device="cuda")  # noqa: PRT401\n',
                                   encoding="utf-8")
    command = [RUFF, "check", "--select", "RUF100,RUF102", "--preview", "--no-cache",
               "--output-format", "concise", "t.py"]
    (tmp_path / "ruff.toml").write_text("", encoding="utf-8")
    without = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "PRT401" in without.stdout and without.returncode == 1, without.stdout + without.stderr
    (tmp_path / "ruff.toml").write_text('[lint]\nexternal = ["PRT"]\n', encoding="utf-8")
    with_external = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert with_external.returncode == 0, with_external.stdout + with_external.stderr
