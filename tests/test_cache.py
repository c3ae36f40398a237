"""The result cache (portlint/cache.py): reuse, invalidation, distrust of bad entries."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import shipped_ruleset
from portlint import __version__
from portlint.cache import CACHE_FORMAT, Cache, configuration_key
from portlint.config import Settings
from portlint.engine import Linter

CUDA = "import torch\nx = torch.zeros(2).cuda()\ntorch.cuda.synchronize()\n"
PLAIN = "import os\nprint(os.sep)\n"
OLD = time.time() - 3600  # an mtime well before the run: the stat fast path applies


def make_tree(root: Path, files: dict[str, str], old: bool = True) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if old:
            os.utime(path, (OLD, OLD))


def linter(root: Path, target: str = "agnostic") -> Linter:
    return Linter(Settings(root=root, target=target), shipped_ruleset())


def run(root: Path, cache_dir: Path, target: str = "agnostic"):
    return linter(root, target).check_paths([str(root)], jobs=1, cache=cache_dir)


def summary(report) -> list[tuple]:
    return [(f.path, f.line, f.column, f.code, f.message, f.fix) for f in report.findings]


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("v*.json"))


def test_warm_run_reuses_every_result(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", {"a.py": CUDA, "b.py": PLAIN, "pkg/c.py": CUDA})
    cache_dir = tmp_path / "cache"
    cold = run(tmp_path / "src", cache_dir)
    assert cold.files_cached == 0 and len(cold.findings) >= 4
    warm = run(tmp_path / "src", cache_dir)
    assert warm.files_cached == 3
    assert summary(warm) == summary(cold)
    assert warm.files_parsed == cold.files_parsed
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(cache_files(cache_dir)) == 1
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]


def test_stat_hit_does_not_read_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "src", {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    run(tmp_path / "src", cache_dir)
    import portlint.parallel

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(portlint.parallel, "check_one", no_reading)
    assert run(tmp_path / "src", cache_dir).files_cached == 1


def test_changed_file_is_checked_again(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA, "b.py": PLAIN})
    cache_dir = tmp_path / "cache"
    run(src, cache_dir)
    (src / "b.py").write_text("import torch\ntorch.cuda.empty_cache()\n")  # same mtime second is fine
    report = run(src, cache_dir)
    assert report.files_cached == 1
    assert any(f.path.endswith("b.py") and f.code.startswith("PRT") for f in report.findings)
    (src / "b.py").write_text(PLAIN)
    assert not any(f.path.endswith("b.py") for f in run(src, cache_dir).findings)


def test_touched_file_is_matched_by_content_and_refreshed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    first = run(src, cache_dir)
    new = OLD + 60
    os.utime(src / "a.py", (new, new))
    second = run(src, cache_dir)
    assert second.files_cached == 1 and summary(second) == summary(first)
    entry = json.loads(cache_files(cache_dir)[0].read_text())["entries"][str((src / "a.py").resolve())]
    assert entry[0] == os.stat(src / "a.py").st_mtime_ns  # the new stat was stored


def test_recently_modified_file_is_stored_without_stat(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA}, old=False)
    cache_dir = tmp_path / "cache"
    run(src, cache_dir)
    entry = next(iter(json.loads(cache_files(cache_dir)[0].read_text())["entries"].values()))
    assert entry[:3] == [None, None, None]
    assert run(src, cache_dir).files_cached == 1  # still reused, through the digest


def test_settings_and_target_select_another_cache_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    run(src, cache_dir, "agnostic")
    npu = run(src, cache_dir, "npu")
    assert npu.files_cached == 0
    assert {f.target for f in npu.findings} == {"npu"}
    assert len(cache_files(cache_dir)) == 2
    base = linter(src)
    other = Linter(Settings(root=src, ignore=("PRT404",)), shipped_ruleset())
    assert configuration_key(base) != configuration_key(other)


def test_ruleset_contents_are_part_of_the_key(tmp_path: Path) -> None:
    from portlint.rules import default_ruleset_files, load_rulesets

    extra = tmp_path / "mine.toml"
    extra.write_text("")
    one = configuration_key(Linter(Settings(), load_rulesets([*default_ruleset_files(), extra])))
    extra.write_text("# changed\n")
    two = configuration_key(Linter(Settings(), load_rulesets([*default_ruleset_files(), extra])))
    assert one != two


@pytest.mark.parametrize("garbage", [
    b"", b"\x00\xff not json", b"[1, 2, 3]", b'{"format": 1}', b"{" * 10000,
])
def test_garbage_cache_file_is_ignored_and_replaced(tmp_path: Path, garbage: bytes) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    expected = summary(run(src, cache_dir))
    target = cache_files(cache_dir)[0]
    target.write_bytes(garbage)
    report = run(src, cache_dir)
    assert report.files_cached == 0
    assert summary(report) == expected
    data = json.loads(target.read_text())
    assert data["format"] == CACHE_FORMAT and len(data["entries"]) == 1


def test_foreign_version_is_ignored(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    expected = summary(run(src, cache_dir))
    target = cache_files(cache_dir)[0]
    data = json.loads(target.read_text())
    data["portlint"] = "0.0.0-foreign"
    for entry in data["entries"].values():
        entry[4]["findings"] = []  # a foreign cache claiming the file is clean
    target.write_text(json.dumps(data))
    report = run(src, cache_dir)
    assert report.files_cached == 0 and summary(report) == expected


@pytest.mark.parametrize("tamper", [
    lambda e: e.__setitem__(4, "not a dict"),
    lambda e: e.__setitem__(3, "short"),
    lambda e: e.__setitem__(0, "yesterday"),
    lambda e: e[4]["findings"].append({"code": 1}),
    lambda e: e[4]["findings"][0].__setitem__("line", "one"),
    lambda e: e[4]["findings"][0].__setitem__("extra", True),
    lambda e: e[4]["findings"][0]["fix"].__setitem__("imports", "import os") if e[4]["findings"][0]["fix"] else e.pop(),
    lambda e: e[4].__setitem__("parsed", "yes"),
    lambda e: e.append("sixth"),
])
def test_malformed_entry_is_not_trusted(tmp_path: Path, tamper) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    expected = summary(run(src, cache_dir))
    target = cache_files(cache_dir)[0]
    data = json.loads(target.read_text())
    tamper(next(iter(data["entries"].values())))
    target.write_text(json.dumps(data))
    report = run(src, cache_dir)
    assert report.files_cached == 0
    assert summary(report) == expected


def test_concurrent_saves_merge_and_stay_valid(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA, "b.py": PLAIN})
    cache_dir = tmp_path / "cache"
    lint = linter(src)
    first = Cache.open(lint, cache_dir)
    second = Cache.open(lint, cache_dir)
    assert first is not None and second is not None
    a, b = lint.check_file(str(src / "a.py")), lint.check_file(str(src / "b.py"))
    first.store(str(src / "a.py"), None, "0" * 32, a)
    second.store(str(src / "b.py"), None, "1" * 32, b)
    first.save()
    second.save()  # merges what the first one wrote
    entries = json.loads(first.file.read_text())["entries"]
    assert set(entries) == {os.path.abspath(src / "a.py"), os.path.abspath(src / "b.py")}
    assert json.loads(first.file.read_text())["portlint"] == __version__


def test_unreadable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    report = run(src, blocker / "cache")
    assert report.findings and not report.errors


def test_read_errors_are_not_cached(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA})
    cache_dir = tmp_path / "cache"
    lint = linter(src)
    gone = str(src / "gone.py")
    report = lint.check_paths([str(src / "a.py"), gone], jobs=1, cache=cache_dir)
    assert [e.path for e in report.errors] == [gone]
    entries = json.loads(cache_files(cache_dir)[0].read_text())["entries"]
    assert os.path.abspath(gone) not in entries


def test_cli_cache_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from portlint.cli import app

    project = tmp_path / "project"
    make_tree(project, {"a.py": CUDA, "pyproject.toml": "[tool.portlint]\n"})
    monkeypatch.chdir(project)
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--no-cache", "a.py"])
    assert result.exit_code == 1 and "PRT404" in result.output
    assert not (project / ".portlint_cache").exists()
    result = runner.invoke(app, ["check", "a.py"])
    assert result.exit_code == 1
    assert (project / ".portlint_cache" / ".gitignore").is_file()
    elsewhere = tmp_path / "elsewhere"
    result = runner.invoke(app, ["check", "--cache-dir", str(elsewhere), "a.py"])
    assert result.exit_code == 1 and cache_files(elsewhere)


def test_entries_of_deleted_files_are_pruned(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, {"a.py": CUDA, "b.py": PLAIN})
    cache_dir = tmp_path / "cache"
    run(src, cache_dir)
    (src / "b.py").unlink()
    (src / "c.py").write_text(PLAIN)  # something changes, so the cache is saved
    run(src, cache_dir)
    entries = json.loads(cache_files(cache_dir)[0].read_text())["entries"]
    assert sorted(Path(k).name for k in entries) == ["a.py", "c.py"]
