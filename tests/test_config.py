"""Strict, hierarchical configuration: every misconfiguration exits 2 with one line naming
the file, the line and the key; each file gets the configuration nearest to it, whatever
the other paths on the command line and their order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app
from portlint.config import KNOWN_KEYS, Settings, setting_fields, toml_name
from portlint.errors import ConfigError
from portlint.workspace import Workspace

runner = CliRunner()
CUDA_CODE = 'import torch\nx = torch.zeros(2, device="cuda")\ny = x.cuda()\n'


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(CUDA_CODE)
    return tmp_path


def one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- the false greens of the issue


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
@pytest.mark.parametrize("selector, hint", [("PRT999", "did you mean 'PRT"), ("FOO", "portlint rules"),
                                            ("PRT4041", "did you mean 'PRT404'"), ("prt-4", "not a rule code")])
def test_unknown_selector_on_the_command_line(project: Path, option: str, selector: str, hint: str) -> None:
    one_line_error(invoke("check", option, selector, "."), selector.upper(), hint, option)


def test_did_you_mean_names_a_close_code(project: Path) -> None:
    one_line_error(invoke("check", "--select", "PRT4044", "."), "'PRT4044'", "did you mean 'PRT404'")


def test_known_prefixes_and_all_are_accepted(project: Path) -> None:
    assert invoke("check", "--select", "PRT4", "--ignore", "PRT40", ".").exit_code == 0
    assert invoke("check", "--select", "ALL", ".").exit_code == 1


def test_unknown_selector_in_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.portlint]\ntarget = "npu"\n'
                                            'ignore = ["PRT404", "PRT998"]\n')
    one_line_error(invoke("check", "."), "pyproject.toml:6:", "[tool.portlint] 'ignore'", "'PRT998'")


def test_unknown_selector_in_per_file_ignores(project: Path) -> None:
    (project / "portlint.toml").write_text('[per-file-ignores]\n"tests/*" = ["PRT404"]\n"gen/*" = ["XYZ1"]\n')
    one_line_error(invoke("check", "."), "portlint.toml", "per-file-ignores", "'XYZ1'")


def test_invalid_toml_pyproject_is_an_error_with_its_line(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\nselect = ["PRT4"\nignore = []\n')
    line = one_line_error(invoke("check", "."), "pyproject.toml:3:", "not valid TOML")
    assert "(at line" not in line
    # also when the file has no portlint table we cannot know that: it is still an error
    (project / "pyproject.toml").write_text('[project\nname = "x"\n')
    one_line_error(invoke("check", "."), "pyproject.toml:1:", "not valid TOML")


def test_min_torch_float_is_an_error_that_says_why(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\nmin-torch = 2.10\n')
    one_line_error(invoke("check", "."), "pyproject.toml:2:", "'min-torch'", "string", "2.1", "quoted")
    (project / "pyproject.toml").write_text('[tool.portlint]\nmin-torch = "2.10"\n')
    settings = Workspace().settings_for("train.py")
    assert settings.min_torch == (2, 10)


def test_missing_path_is_a_usage_error(project: Path) -> None:
    one_line_error(invoke("check", "missing_dir"), "missing_dir", "no such file")
    one_line_error(invoke("fix", "train.py", "missing.py"), "missing.py")
    assert (project / "train.py").read_text() == CUDA_CODE  # nothing fixed


# --------------------------------------------------------------------------- malformed structures (issue 14, item 4)

@pytest.mark.parametrize("text, needles", [
    ("[tool]\nportlint = 1\n", ("pyproject.toml:2:", "'tool.portlint' must be a table", "integer")),
    ("tool = 1\n", ("pyproject.toml:1:", "'tool' must be a table")),
    ("[[tool.portlint]]\nselect = []\n", ("pyproject.toml:1:", "'tool.portlint'", "[[tool.portlint]]")),
    ("[tool.portlint]\nselect = 1\n", ("pyproject.toml:2:", "'select'", "list of rule codes")),
    ("[tool.portlint]\nselect = [1]\n", ("'select'", "list of rule codes")),
    ("[tool.portlint]\nselect = [[\"PRT4\"]]\n", ("'select'",)),
    ("[tool.portlint]\nexclude = \"gen\"\n", ("'exclude'", "list of strings")),
    ("[tool.portlint]\nexclude = [{a = 1}]\n", ("'exclude'", "list of strings")),
    ("[tool.portlint]\nrulesets = 3\n", ("'rulesets'",)),
    ("[tool.portlint]\nper-file-ignores = [\"a\"]\n", ("'per-file-ignores'", "table")),
    ("[tool.portlint.per-file-ignores]\n\"a/*\" = 1\n", ("'per-file-ignores'", "'a/*'")),
    ("[tool.portlint.per-file-ignores]\n\"a/*\" = {x = 1}\n", ("'per-file-ignores'",)),
    ("[tool.portlint]\ntarget = 1\n", ("'target'", "integer")),
    ("[tool.portlint]\ntarget = [\"npu\"]\n", ("'target'",)),
    ("[tool.portlint]\nrespect-gitignore = \"no\"\n", ("'respect-gitignore'", "true or false")),
    ("[tool.portlint]\nmin-torch = [2, 6]\n", ("'min-torch'",)),
    ("[tool.portlint]\nmin-torch = true\n", ("'min-torch'",)),
    ("[tool.portlint]\nextend = 1\n", ("'extend'",)),
    ("[tool.portlint]\nselect = " + "[" * 5000 + "]" * 5000 + "\n", ("pyproject.toml", "TOML")),
    ("[tool.portlint]\nx = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", ("pyproject.toml",)),
    ("[tool.portlint]\nmin_torch = \"2.6\"\n", ("pyproject.toml:2:", "'min_torch'", "did you mean 'min-torch'")),
])
def test_malformed_config_is_one_line_naming_file_and_key(project: Path, text: str, needles: tuple[str, ...]) -> None:
    (project / "pyproject.toml").write_text(text)
    one_line_error(invoke("check", "train.py"), *needles)


def test_non_utf8_config(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(b'[tool.portlint]\n# caf\xe9\nselect = ["PRT4"]\n')
    one_line_error(invoke("check", "train.py"), "pyproject.toml:2:", "not UTF-8")
    (project / "pyproject.toml").unlink()
    (project / "portlint.toml").write_bytes(b'target = "\xff"\n')
    one_line_error(invoke("check", "train.py"), "portlint.toml:1:", "not UTF-8")


def test_unreadable_config(project: Path) -> None:
    (project / "portlint.toml").mkdir()  # not a file: ignored as a config, like a missing one
    assert invoke("check", "train.py").exit_code == 1
    one_line_error(invoke("check", "train.py", "--config", "portlint.toml"), "config file not found")


# --------------------------------------------------------------------------- hierarchy

def monorepo(root: Path) -> None:
    """Three pyproject.toml files with portlint settings, one without."""
    (root / "pyproject.toml").write_text('[tool.portlint]\nignore = ["PRT404"]\n')
    for directory, text in [("pkgA", '[tool.portlint]\nselect = ["PRT404"]\n'),
                            ("pkgB", '[project]\nname = "b"\n[tool.portlint]\ntarget = "npu"\n'),
                            ("pkgC", '[project]\nname = "c"\n')]:
        (root / directory).mkdir()
        (root / directory / "pyproject.toml").write_text(text)
    (root / "pkgB" / "deep").mkdir()
    (root / "pkgA" / "a.py").write_text(CUDA_CODE)
    (root / "pkgB" / "deep" / "b.py").write_text(CUDA_CODE)
    (root / "pkgC" / "c.py").write_text(CUDA_CODE)
    (root / "top.py").write_text(CUDA_CODE)


EXPECTED = {
    ("pkgA/a.py", "PRT404", "agnostic"),  # pkgA selects only PRT404
    ("pkgB/deep/b.py", "PRT401", "npu"), ("pkgB/deep/b.py", "PRT404", "npu"),  # its own config, no ignore
    ("pkgC/c.py", "PRT401", "agnostic"),  # no [tool.portlint] in pkgC: the root's
    ("top.py", "PRT401", "agnostic"),
}


def findings_of(result, base: Path) -> set[tuple[str, str, str]]:
    assert result.exit_code == 1, result.output
    return {(Path(os.path.abspath(item["path"])).relative_to(base).as_posix(), item["code"], item["target"])
            for item in json.loads(result.stdout)}


@pytest.mark.parametrize("args", [
    ["."],
    ["pkgA/a.py", "pkgB/deep/b.py", "pkgC/c.py", "top.py"],
    ["top.py", "pkgC/c.py", "pkgB/deep/b.py", "pkgA/a.py"],
    ["pkgB", "pkgA", "top.py", "pkgC"],
    ["pkgA", "pkgB", "pkgC", "top.py"],
])
def test_monorepo_each_file_gets_its_nearest_config(project: Path, args: list[str]) -> None:
    (project / "train.py").unlink()
    monorepo(project)
    assert findings_of(invoke("check", "-f", "json", "--no-cache", *args), project) == EXPECTED


def test_monorepo_from_a_subdirectory_and_two_files_in_both_orders(project: Path, monkeypatch) -> None:
    (project / "train.py").unlink()
    monorepo(project)
    forward = findings_of(invoke("check", "-f", "json", "pkgA/a.py", "pkgB/deep/b.py"), project)
    backward = findings_of(invoke("check", "-f", "json", "pkgB/deep/b.py", "pkgA/a.py"), project)
    assert forward == backward == {e for e in EXPECTED if e[0].startswith(("pkgA", "pkgB"))}
    monkeypatch.chdir(project / "pkgB")
    assert findings_of(invoke("check", "-f", "json", "../pkgA/a.py", "deep"), project) == forward


def test_monorepo_fix_uses_each_files_config(project: Path) -> None:
    (project / "train.py").unlink()
    monorepo(project)
    result = invoke("fix", "--unsafe-fixes", "pkgB/deep/b.py", "pkgA/a.py")
    assert result.exit_code in (0, 1), result.output
    assert "npu" in (project / "pkgB" / "deep" / "b.py").read_text()  # target npu there
    a = (project / "pkgA" / "a.py").read_text()
    assert "npu" not in a and ".cuda()" not in a and 'device="cuda"' in a  # only PRT404 selected in pkgA


def test_exclude_of_a_nested_config_applies_inside_it(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text('[tool.portlint]\nexclude = ["gen"]\n')
    (project / "sub" / "gen").mkdir()
    (project / "sub" / "gen" / "g.py").write_text(CUDA_CODE)
    (project / "sub" / "s.py").write_text(CUDA_CODE)
    paths = {item["path"] for item in json.loads(invoke("check", "-f", "json", ".").stdout)}
    assert paths == {"train.py", os.path.join("sub", "s.py")}


def test_explicit_config_applies_to_every_file(project: Path) -> None:
    monorepo(project)
    (project / "only.toml").write_text('select = ["PRT401"]\n')
    found = findings_of(invoke("check", "-f", "json", "--config", "only.toml", "pkgA", "pkgB"), project)
    assert found == {("pkgA/a.py", "PRT401", "agnostic"), ("pkgB/deep/b.py", "PRT401", "agnostic")}


def test_command_line_overrides_every_config(project: Path) -> None:
    (project / "train.py").unlink()
    monorepo(project)
    found = findings_of(invoke("check", "-f", "json", "--target", "npu", "--select", "PRT401", "."), project)
    assert found == {(p, "PRT401", "npu") for p in ("pkgB/deep/b.py", "pkgC/c.py", "top.py")} | {
        ("pkgA/a.py", "PRT401", "npu")}


def test_a_bad_nested_config_is_an_error_even_if_named_second(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text('[tool.portlint]\nselect = ["NOPE1"]\n')
    (project / "sub" / "s.py").write_text(CUDA_CODE)
    one_line_error(invoke("check", "train.py", "sub/s.py"), "sub", "pyproject.toml", "'NOPE1'")


# --------------------------------------------------------------------------- extend

def test_extend_inherits_and_merges_like_ruff(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.portlint]\ntarget = "npu"\nignore = ["PRT401"]\nmin-torch = "2.8"\n')
    (project / "pkg").mkdir()
    (project / "pkg" / "pyproject.toml").write_text(
        '[tool.portlint]\nextend = "../pyproject.toml"\nignore = ["PRT402"]\n')
    settings = Workspace().settings_for("pkg/x.py")
    assert settings.target == "npu" and settings.min_torch == (2, 8)
    assert settings.ignore == ("PRT401", "PRT402")  # without a new select, ignores add up
    assert settings.root == (project / "pkg").resolve()
    (project / "pkg" / "pyproject.toml").write_text(
        '[tool.portlint]\nextend = "../pyproject.toml"\nselect = ["PRT4"]\ntarget = "agnostic"\n')
    settings = Workspace().settings_for("pkg/x.py")
    assert settings.ignore == () and settings.select == ("PRT4",) and settings.target == "agnostic"
    assert settings.min_torch == (2, 8)


def test_extend_errors(project: Path) -> None:
    (project / "portlint.toml").write_text('extend = "missing.toml"\n')
    one_line_error(invoke("check", "train.py"), "portlint.toml:1:", "'extend'", "missing.toml")
    (project / "portlint.toml").write_text('extend = "other.toml"\n')
    (project / "other.toml").write_text('extend = "portlint.toml"\n')
    one_line_error(invoke("check", "train.py"), "cycle")
    (project / "other.toml").write_text('select = ["PRT999"]\n')
    one_line_error(invoke("check", "train.py"), "other.toml:1:", "'PRT999'")


def test_extended_rulesets_are_relative_to_their_own_file(project: Path) -> None:
    (project / "shared").mkdir()
    (project / "shared" / "base.toml").write_text('rulesets = ["team.toml"]\n')
    (project / "shared" / "team.toml").write_text("")
    (project / "portlint.toml").write_text('extend = "shared/base.toml"\n')
    assert Workspace().settings_for("train.py").rulesets == ((project / "shared" / "team.toml").resolve(),) or \
        Workspace().settings_for("train.py").rulesets == (project.resolve() / "shared" / "team.toml",)


# --------------------------------------------------------------------------- the API the language server uses

def test_workspace_api_check_and_fix_a_buffer(project: Path) -> None:
    monorepo(project)
    workspace = Workspace()
    assert workspace.settings_for("pkgB/deep/b.py").target == "npu"
    result = workspace.check_text("import torch\ny = torch.zeros(1).cuda()\nz = torch.zeros(1, device='cuda')\n",
                                  "pkgA/new.py")
    assert [f.code for f in result.findings] == ["PRT404"]
    fixed = workspace.fix_text("import torch\ny = torch.zeros(1).cuda()\n", "pkgB/deep/new.py", unsafe=True)
    assert "npu" in fixed.text
    (project / "pkgA" / "pyproject.toml").write_text('[tool.portlint]\nexclude = ["gen"]\n')
    assert not workspace.is_excluded("pkgA/gen/x.py")  # cached until reload
    workspace.reload()
    assert workspace.is_excluded("pkgA/gen/x.py") and not workspace.is_excluded("pkgA/x.py")
    (project / "pkgA" / "pyproject.toml").write_text('[tool.portlint]\nselect = "PRT12345"\n')
    workspace.reload()
    with pytest.raises(ConfigError, match="PRT12345"):
        workspace.check_text("x = 1\n", "pkgA/x.py")


# --------------------------------------------------------------------------- one place per key

def test_every_key_is_documented_and_checked() -> None:
    import portlint.config as config

    for key in setting_fields():
        name = toml_name(key.name)
        assert key.metadata["doc"] and callable(key.metadata["check"])
        assert f"``{name}``" in config.__doc__, name
        assert name in KNOWN_KEYS
    assert KNOWN_KEYS == {"extend", *(toml_name(k.name) for k in setting_fields())}
    # the cache key follows the keys that change findings
    assert Settings(target="npu").fingerprint() != Settings().fingerprint()
    assert Settings(exclude=("x",)).fingerprint() == Settings().fingerprint()
