"""Shared fixtures: real media from ../shared, synthetic media made with ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deerin.media.synth import DemoTape, build_demo_tape
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = ROOT.parent / "shared" / "media"


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The real test footage beside the checkout; tests skip when it is absent."""
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"real test media not found at {SHARED_MEDIA} (a fresh checkout has none)")
    return SHARED_MEDIA


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly, failing the test with its message if it fails."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr


def make_cuts_video(path: Path, colours: tuple[str, ...] = ("red", "green", "blue"),
                    seconds: float = 2.0, fps: int = 25, audio: bool = True) -> Path:
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
    ffmpeg(*inputs, "-filter_complex", graph, *outputs, "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-g", str(fps), str(path))
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh store, one worker and no proxy (tests opt in to more)."""
    return Settings(data_dir=tmp_path / "store", workers=1, proxy=False)


@pytest.fixture(scope="session")
def demo_tape(tmp_path_factory: pytest.TempPathFactory) -> DemoTape:
    """The synthetic archive tape with its known structure, built once per test run."""
    return build_demo_tape(tmp_path_factory.mktemp("demo") / "demo_tape.mkv")
