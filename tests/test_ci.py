"""CI cannot go green by skipping: without the shared media, CI fails the tests that need it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_the_shared_media_are_here(shared_media: Path) -> None:
    assert (shared_media / "speech" / "jfk.flac").is_file()


def run_without_media(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """This file's first test again, in a fresh pytest that finds no shared media."""
    test = f"{Path(__file__).name}::test_the_shared_media_are_here"
    base = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True, text=True, cwd=ROOT / "tests", check=False,
        env={**base, "SHARED_MEDIA_DIR": str(tmp_path / "nowhere"), **env},
    )  # fmt: skip


def test_in_ci_missing_media_fail_the_tests_instead_of_skipping_them(tmp_path: Path) -> None:
    ci = run_without_media(tmp_path, CI="true")
    assert ci.returncode == 1 and "1 error" in ci.stdout, ci.stdout
    assert "CI must run every test" in ci.stdout
    fresh = run_without_media(tmp_path)  # a user's checkout without ../shared
    assert fresh.returncode == 0 and "1 skipped" in fresh.stdout, fresh.stdout
