"""Settings: grouped, layered (defaults < file < environment < flags), every mistake named
with the closest valid key, every value's source shown, secrets never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deerin.errors import DeerinError
from deerin.settings import MASK, Settings, load


def loaded(tmp_path: Path, toml: str = "", flags: dict | None = None, **env: str):
    """Settings from a deerin.toml holding ``toml``, the variables ``env`` and ``flags``."""
    (tmp_path / "deerin.toml").write_text(toml, encoding="utf-8")
    return load(flags, {"DEERIN_CONFIG": str(tmp_path / "deerin.toml"), **env})


def test_settings_are_grouped_by_what_they_configure() -> None:
    settings = Settings()
    assert settings.run.workers >= 1 and settings.run.executor == "local"
    assert settings.models.speech == "whisper-base" and settings.faces.min_score == 0.8
    assert settings.tech.loudness_target == -23.0 and settings.proxy.enabled is True
    changed = settings.merged({"faces.min_score": 0.9, "run.workers": 3})
    assert (changed.faces.min_score, changed.run.workers) == (0.9, 3)
    assert settings.faces.min_score == 0.8  # settings are values: merged makes a new one


def test_each_layer_wins_over_the_one_below_and_says_so(tmp_path: Path) -> None:
    toml = '[run]\nworkers = 3\nexecutor = "ray"\n\n[faces]\nmin_size = 40\n'
    result = loaded(
        tmp_path, toml, {"run.workers": 5}, DEERIN_RUN_EXECUTOR="local", DEERIN_DATA_DIR="/x"
    )
    settings = result.settings
    assert (settings.run.workers, settings.run.executor) == (5, "local")
    assert (settings.faces.min_size, settings.data_dir) == (40, Path("/x"))
    rows = {key: (value, source) for key, value, source in result.rows()}
    assert rows["run.workers"] == ("5", "flag")
    assert rows["run.executor"] == ("local", "environment DEERIN_RUN_EXECUTOR")
    assert rows["faces.min_size"] == ("40", f"file {tmp_path / 'deerin.toml'}")
    assert rows["faces.min_score"] == ("0.8", "default")


def test_lists_come_from_the_environment_as_json_or_commas(tmp_path: Path) -> None:
    settings = loaded(tmp_path, DEERIN_RUN_SKIP_STAGES="captions, text").settings
    assert settings.run.skip_stages == ("captions", "text")
    questions = '["Who is in it?", "Where is it?"]'
    assert loaded(tmp_path, DEERIN_VLM_QUESTIONS=questions).settings.vlm.questions == (
        "Who is in it?", "Where is it?",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ('shot_methd = "x"\n', {}, "unknown setting 'shot_methd' in "),
        ("[faces]\nmin_scor = 0.5\n", {}, "unknown setting 'min_scor' under [faces]"),
        ("workers = 2\n", {}, "did you mean 'workers' under [run]?"),
        ('[model]\ntags = "x"\n', {}, "unknown group [model] in "),
        ('[modles]\ntags = "x"\n', {}, "did you mean [models]?"),
        ("", {"DEERIN_RUN_WORKRS": "2"}, "did you mean DEERIN_RUN_WORKERS?"),
        ("", {"DEERIN_WORKERS": "2"}, "unknown setting DEERIN_WORKERS in the environment"),
    ],
)
def test_an_unknown_key_is_an_error_naming_the_closest(
    tmp_path: Path, toml: str, env: dict, message: str
) -> None:
    with pytest.raises(DeerinError) as caught:
        loaded(tmp_path, toml, **env)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_an_old_flat_key_says_where_it_went(tmp_path: Path) -> None:
    with pytest.raises(DeerinError, match=r"did you mean 'shots' under \[models\]\?"):
        loaded(tmp_path, 'shot_method = "pyscenedetect"\n')
    with pytest.raises(DeerinError, match=r"did you mean 'min_score' under \[faces\]\?"):
        loaded(tmp_path, "faces_min_score = 0.9\n")


def test_a_bad_value_names_the_key_its_source_and_why(tmp_path: Path) -> None:
    with pytest.raises(DeerinError) as caught:
        loaded(tmp_path, "[run]\nworkers = 0\n")
    assert "setting run.workers = 0 (from file" in caught.value.message
    assert "greater than or equal to 1" in caught.value.message
    with pytest.raises(DeerinError, match="cannot read the settings file"):
        loaded(tmp_path, "[run\nworkers = 1\n")
    with pytest.raises(DeerinError, match="named by DEERIN_CONFIG does not exist"):
        load(None, {"DEERIN_CONFIG": str(tmp_path / "nowhere.toml")})


def test_secrets_are_masked_in_settings_shown_and_in_errors(tmp_path: Path) -> None:
    key, password = "sk-very-secret-123", "hunter2"
    result = loaded(
        tmp_path,
        f'[llm]\napi_key = "{key}"\n[vlm]\nendpoint = "http://me:{password}@gpu:8000/v1"\n',
    )
    assert result.settings.llm.api_key.get_secret_value() == key  # the client gets it
    shown = {name: value for name, value, _ in result.rows()}
    assert shown["llm.api_key"] == MASK and shown["vlm.api_key"] == "(not set)"
    assert shown["vlm.endpoint"] == f"http://me:{MASK}@gpu:8000/v1"
    assert key not in repr(result.settings)  # nor in a log or a traceback of the object
    with pytest.raises(DeerinError) as caught:
        loaded(tmp_path, "[llm]\napi_key = 12345678\n")
    assert "12345678" not in caught.value.message and MASK in caught.value.message


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("x")
    with pytest.raises(DeerinError, match="the data dir is a file, not a folder"):
        Settings.from_values({"data_dir": tmp_path / "a file"})


def test_config_command_prints_values_sources_and_masks_keys(tmp_path: Path) -> None:
    (tmp_path / "deerin.toml").write_text('[llm]\napi_key = "sk-abcdef"\n[run]\nworkers = 2\n')
    env = {**os.environ, "DEERIN_FACES_MIN_SIZE": "33", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "deerin", "--data-dir", str(tmp_path / "d"), "config"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert "file deerin.toml" in lines["run.workers"]
    assert "environment DEERIN_FACES_MIN_SIZE" in lines["faces.min_size"]
    assert "flag" in lines["data_dir"] and "default" in lines["faces.min_score"]
    assert "sk-abcdef" not in done.stdout and MASK in lines["llm.api_key"]
