"""Every mistake a user can make on the command line is one clear line and exit code 2:
what is wrong and what to do, never a traceback. One test per mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_cuts_video


def refused(tmp_path: Path, *args: str, data_dir: Path | None = None) -> str:
    """Run `deerin` in ``tmp_path``; assert it refused with one line; that line."""
    store = data_dir or tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-m", "deerin", "--data-dir", str(store), *args],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={**os.environ, "COLUMNS": "80"},  # a narrow terminal must not wrap the line
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cuts_video(tmp_path_factory.mktemp("film") / "film.mp4", ("red",), 1.0)


def test_an_unknown_stage_in_skip(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--skip", "captoins", str(film))
    assert "--skip captoins: there is no stage" in line and "did you mean captions?" in line


def test_an_unknown_stage_in_redo(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--redo", "facez", str(film))
    assert "--redo facez" in line and "did you mean faces?" in line


def test_a_typo_in_the_settings_file(tmp_path: Path, film: Path) -> None:
    (tmp_path / "deerin.toml").write_text('shot_methd = "x"\n')
    line = refused(tmp_path, "ingest", str(film))
    assert "unknown setting 'shot_methd' in deerin.toml" in line
    assert "did you mean 'shots' under [models]?" in line


def test_an_unknown_environment_variable(tmp_path: Path, film: Path) -> None:
    os.environ["DEERIN_FACES_MIN_SCORES"] = "0.5"
    try:
        line = refused(tmp_path, "status")
    finally:
        del os.environ["DEERIN_FACES_MIN_SCORES"]
    assert "DEERIN_FACES_MIN_SCORES" in line and "did you mean DEERIN_FACES_MIN_SCORE?" in line


def test_skipping_the_probe(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--skip", "probe", str(film))
    assert "--skip probe: every file starts with the probe" in line


def test_two_flags_choosing_the_shot_detector(tmp_path: Path, film: Path) -> None:
    line = refused(
        tmp_path, "ingest", "--shot-method", "pyscenedetect", "--model", "shots=transnetv2",
        str(film),
    )  # fmt: skip
    assert "--shot-method and --model shots= both choose the shot detector" in line
    alone = refused(tmp_path, "ingest", "--model", "shots=pyscenedetect", str(tmp_path / "x"))
    assert "x: does not exist" in alone  # --model shots= alone is fine: the path is not


def test_a_missing_model(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--model", "speech=/nonexistent", str(film))
    assert "models.speech = '/nonexistent': no such file or folder" in line
    assert "whisper-base" in line  # what to choose instead


def test_an_unknown_capability(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--model", "speeh=whisper-base", str(film))
    assert "--model speeh=whisper-base" in line and "did you mean speech?" in line


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    line = refused(tmp_path, "ingest", str(tmp_path / "reels" / "reel 12.mkv"))
    assert "reel 12.mkv: does not exist" in line and "check the path" in line


def test_a_data_dir_that_is_a_file(tmp_path: Path, film: Path) -> None:
    (tmp_path / "deerin-data").write_text("not a folder")
    line = refused(tmp_path, "ingest", str(film), data_dir=tmp_path / "deerin-data")
    assert "the data dir is a file, not a folder" in line


def test_an_unknown_option(tmp_path: Path, film: Path) -> None:
    line = refused(tmp_path, "ingest", "--workrs", "2", str(film))
    assert "No such option: --workrs" in line and "deerin ingest --help" in line


def test_an_unknown_command(tmp_path: Path) -> None:
    assert "No such command 'ingset'" in refused(tmp_path, "ingset")


def test_a_video_not_in_the_catalogue(tmp_path: Path) -> None:
    line = refused(tmp_path, "export", "nothing.mkv")
    assert "nothing.mkv: is not in the catalogue" in line
