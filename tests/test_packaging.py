"""The package as it is published: the sdist holds what its own tests read, the LICENSE
and the project URLs are there. (The dependency floors are proven by .ci/run, which installs
the lowest allowed versions with uv's ``--resolution lowest-direct`` and runs the CLI tests.)"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling (the build backend) is in the test extra")
    out = tmp_path_factory.mktemp("sdist")
    proc = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (archive,) = out.glob("portlint-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out / "unpacked", filter="data") if sys.version_info >= (3, 12) else \
            tar.extractall(out / "unpacked")  # noqa: S202 - our own archive
    (root,) = (out / "unpacked").iterdir()
    return root


def test_sdist_holds_license_docs_and_integration_files(sdist: Path) -> None:
    for name in ("LICENSE", "README.md", "CHANGELOG.md", "action.yml", ".pre-commit-hooks.yaml", "docs/rules.md",
                 "docs/integrations/pre-commit.md", "rulesets/devices.toml", "examples/train_amp.py", ".ci/run"):
        assert (sdist / name).is_file(), name
    license_text = (sdist / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert not list(sdist.rglob("__pycache__")) and not (sdist / "benchmarks" / "corpus").exists()


def test_sdist_metadata_has_license_and_project_urls(sdist: Path) -> None:
    metadata = Parser().parsestr((sdist / "PKG-INFO").read_text())
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL"))
    assert {"Documentation", "Changelog", "Issues", "Source"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert metadata["License-Expression"] == "Apache-2.0" or metadata["License"] == "Apache-2.0"
    assert "LICENSE" in (metadata.get_all("License-File") or [])


def test_the_sdists_own_tests_pass_from_the_sdist(sdist: Path) -> None:
    """The tests that read docs/, action.yml and .pre-commit-hooks.yaml failed in the sdist."""
    env = {**os.environ, "PYTHONPATH": str(sdist)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_docs_sync.py",
                           "tests/test_config.py::test_every_key_is_documented_and_checked"],
                          cwd=sdist, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1]
