"""Shared fixtures: real media from ../shared, synthetic media made with ffmpeg."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from deerin.index import artefacts
from deerin.index.schemas import ARTEFACTS
from deerin.index.store import VideoFolder
from deerin.media.synth import DemoTape, build_demo_tape
from deerin.settings import Settings

# The web app's fixtures (an ingested archive, a running server, headless Chromium), one
# instance per session for every module that uses them.
pytest_plugins = ["webapp", "newsreel"]

ROOT = Path(__file__).resolve().parents[1]
# The real test footage: ../shared/media beside the checkout (SHARED_MEDIA_DIR moves it).
SHARED_MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", ROOT.parent / "shared" / "media"))


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The real test footage beside the checkout. A user's fresh checkout has none, and
    its tests skip; in CI (``CI`` set) its absence fails them, so CI cannot pass by
    skipping what it was meant to check."""
    if not SHARED_MEDIA.is_dir():
        why = f"real test media not found at {SHARED_MEDIA}"
        if os.environ.get("CI"):
            pytest.fail(f"{why}, and CI must run every test: put ../shared beside the checkout")
        pytest.skip(f"{why} (a fresh checkout has none)")
    return SHARED_MEDIA


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly, failing the test with its message if it fails."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def make_cuts_video(
    path: Path,
    colours: tuple[str, ...] = ("red", "green", "blue"),
    seconds: float = 2.0,
    fps: int = 25,
    audio: bool = True,
) -> Path:
    """A video of solid-colour shots with hard cuts every ``seconds`` (a known answer)."""
    inputs: list[str] = []
    for colour in colours:
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=320x240:r={fps}:d={seconds}"]
    n = len(colours)
    graph = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    outputs = ["-map", "[v]"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds * n}"]
        outputs += ["-map", f"{n}:a", "-c:a", "aac"]
    ffmpeg(
        *inputs,
        "-filter_complex",
        graph,
        *outputs,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(fps),
        str(path),
    )
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh store, one worker, no proxy and no map (tests opt in to more;
    the map's UMAP would add seconds to every ingest)."""
    return Settings.from_values(
        {
            "data_dir": tmp_path / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "run.skip_stages": ["map"],
        }
    )


@pytest.fixture(scope="session")
def demo_tape(tmp_path_factory: pytest.TempPathFactory) -> DemoTape:
    """The synthetic archive tape with its known structure, built once per test run."""
    return build_demo_tape(tmp_path_factory.mktemp("demo") / "demo_tape.mkv")


def complete(schema: type[BaseModel], document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every required field it leaves out filled with a blank value of
    the right type, recursively: tests write only the fields a stage under test reads,
    and the typed reader still gets a whole artefact."""
    whole = dict(document)
    for name, field in schema.model_fields.items():
        key = field.alias or name
        if key in whole:
            whole[key] = _completed(field.annotation, whole[key])
        elif field.is_required():
            whole[key] = _blank(field.annotation)
    return whole


def _completed(annotation: Any, value: Any) -> Any:
    model = _model(annotation)
    if model is not None and isinstance(value, dict):
        return complete(model, value)
    inner = _model(get_args(annotation)[0]) if get_origin(annotation) is list else None
    if inner is not None and isinstance(value, list):
        return [complete(inner, item) if isinstance(item, dict) else item for item in value]
    return value


def _model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    options = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(options) == 1:
        return _model(options[0])
    return None


def _blank(annotation: Any) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin in (Union, UnionType):
        return None if type(None) in args else _blank(args[0])
    if origin in (list, tuple):
        return []
    model = _model(annotation)
    if model is not None:
        return complete(model, {})
    return {str: "", int: 0, float: 0.0, bool: False}.get(annotation)


def write_artefact(folder: VideoFolder, name: str, document: dict[str, Any]) -> None:
    """Write an artefact as its stage would, its missing fields blank (see complete)."""
    schema = next(s for s in ARTEFACTS if s.file == name)
    artefacts.write(folder.path(name), complete(schema, document), schema)
