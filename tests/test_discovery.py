from __future__ import annotations

from pathlib import Path

from portlint.config import Settings
from portlint.discovery import discover


def names(root: Path, **settings) -> list[str]:
    found = discover([str(root)], Settings(root=root, **settings))
    return sorted(Path(p).resolve().relative_to(root.resolve()).as_posix() for p in found.files)


def test_skips_vcs_venv_cache_and_build_dirs(tmp_path: Path) -> None:
    for rel in ["a.py", "pkg/b.py", "pkg/c.pyi", "pkg/data.txt", ".git/x.py", "__pycache__/y.py",
                "build/z.py", "node_modules/n.py", "myenv/lib/v.py", "pkg.egg-info/e.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert names(tmp_path) == ["a.py", "pkg/b.py", "pkg/c.pyi"]


def test_a_package_named_dist_or_build_is_source(tmp_path: Path) -> None:
    """mmengine/dist/ (torch.distributed wrappers) is a package, not a build output."""
    for rel in ["mmengine/dist/__init__.py", "mmengine/dist/utils.py", "dist/wheel_stub.py",
                "build/lib/mmengine/x.py", "tools/build/__init__.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    assert names(tmp_path) == ["mmengine/dist/__init__.py", "mmengine/dist/utils.py", "tools/build/__init__.py"]


def test_gitignore_is_honoured_and_can_be_disabled(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n*_pb2.py\n!keep_pb2.py\n")
    for rel in ["a.py", "generated/g.py", "x_pb2.py", "keep_pb2.py", "sub/y_pb2.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    (tmp_path / "sub" / "local.py").write_text("x = 1\n")
    assert names(tmp_path) == ["a.py", "keep_pb2.py"]
    assert len(names(tmp_path, respect_gitignore=False)) == 6


def test_exclude_globs(tmp_path: Path) -> None:
    for rel in ["a.py", "third_party/t.py", "tests/data/d.py", "tests/test_x.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    assert names(tmp_path, exclude=("third_party", "tests/data/**")) == ["a.py", "tests/test_x.py"]


def test_same_file_given_twice_is_checked_once(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    found = discover([str(tmp_path / "a.py"), str(tmp_path)], Settings(root=tmp_path))
    assert len(found.files) == 1


def test_force_exclude_applies_to_files_named_on_the_command_line(tmp_path: Path) -> None:
    for rel in ["gen/deep/a.py", "src/b.py", "c_pb2.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    named = [str(tmp_path / rel) for rel in ["gen/deep/a.py", "src/b.py", "c_pb2.py"]]
    settings = Settings(root=tmp_path, exclude=("gen", "*_pb2.py"))
    assert len(discover(named, settings).files) == 3  # named files are checked by default
    forced = discover(named, Settings(root=tmp_path, exclude=("gen", "*_pb2.py"), force_exclude=True))
    assert [Path(p).name for p in forced.files] == ["b.py"]
