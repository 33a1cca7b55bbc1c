"""Fixture of the question-answering, graph and places tests: two short newsreels with a
known answer to every question, ingested once with the real models.

``clyde.mp4`` (catalogued 1962, "Clyde shipyards") shows the astronaut (a face), then a
title card "CLYDE SHIPYARDS", then the coffee cup, while espeak-ng says::

    In the city of Glasgow the mayor opened a new shipyard on the River Clyde.
    Workers from Lisbon and New York came to see the ships.
    The shipyards closed in nineteen seventy one because the orders fell.

``harbour.mp4`` (catalogued 1968, "Lisbon harbour") shows the astronaut again while it
says::

    The mayor visited the harbour of Lisbon with the United Nations delegation.
    Fishing boats returned to Lisbon at dawn.

The astronaut's face is one person of the collection, named "Eileen Collins" through
`deerin people name`, as an archivist would. ``NEWSREEL`` holds each sentence's known
start (seconds) for citation checks.

``tests/conftest.py`` registers this module as a plugin, so the archive is ingested once
per session; ``newsreel_store`` hands each test module a private copy.
"""

from __future__ import annotations

import csv
import io
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps
from skimage import data
from typer.testing import CliRunner

from conftest import ffmpeg
from deerin.cli.main import application
from deerin.media.synth import spoken_sentences
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings
from test_faces import astronaut, still_video

COLLECTION = "news"
PAUSE = 2.0
LEAD = 1.0
FILMS = {
    "clyde.mp4": (
        "In the city of Glasgow the mayor opened a new shipyard on the River Clyde.",
        "Workers from Lisbon and New York came to see the ships.",
        "The shipyards closed in nineteen seventy one because the orders fell.",
    ),
    "harbour.mp4": (
        "The mayor visited the harbour of Lisbon with the United Nations delegation.",
        "Fishing boats returned to Lisbon at dawn.",
    ),
}
CATALOGUE = (
    ("clyde.mp4", "Clyde shipyards", "1962", "NEWS-62"),
    ("harbour.mp4", "Lisbon harbour", "1968", "NEWS-68"),
)
PERSON = "Eileen Collins"
STAGES = (
    "probe", "shots", "keyframes", "frames", "tags", "faces", "text", "transcript",
    "entities", "text_embeddings",
)  # fmt: skip


@dataclass(frozen=True)
class Newsreel:
    """The ingested template store, its media, and when each sentence starts."""

    root: Path
    media: Path
    starts: dict[str, list[float]]  # file name → each sentence's start, seconds

    @property
    def store(self) -> Path:
        return self.root / "store"

    def said(self, words: str) -> tuple[str, float]:
        """The file and start of the sentence holding ``words``."""
        for name, sentences in FILMS.items():
            for sentence, start in zip(sentences, self.starts[name], strict=True):
                if words.lower() in sentence.lower():
                    return name, start
        raise KeyError(words)


def newsreel_settings(store: Path, **more: object) -> Settings:
    return Settings.from_values(
        {
            "data_dir": store,
            "run.workers": 1,
            "proxy.enabled": False,
            "models.speech": "whisper-tiny.en",
            **more,
        }
    )


def card(text: str) -> Image.Image:
    picture = Image.new("RGB", (640, 480), "black")
    font = ImageFont.load_default(size=64)
    ImageDraw.Draw(picture).text((320, 240), text, fill="white", font=font, anchor="mm")
    return picture


def newsreel_film(
    path: Path, sentences: tuple[str, ...], pictures: list[Image.Image]
) -> list[float]:
    """A film showing ``pictures`` in equal parts while espeak-ng says ``sentences``;
    returns each sentence's start."""
    sound = path.with_suffix(".wav")
    starts = spoken_sentences(sentences, sound, pause=PAUSE, lead=LEAD)
    with wave.open(str(sound)) as handle:
        seconds = handle.getnframes() / handle.getframerate()
    pictured = path.with_name(f"{path.stem}-pictures.mkv")
    still_video(pictured, [(p, seconds / len(pictures)) for p in pictures])
    ffmpeg("-i", str(pictured), "-i", str(sound), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
           "-c:a", "aac", "-shortest", str(path))  # fmt: skip
    pictured.unlink()
    sound.unlink()
    return starts


@pytest.fixture(scope="session")
def newsreel(tmp_path_factory: pytest.TempPathFactory) -> Newsreel:
    root = tmp_path_factory.mktemp("newsreel")
    media = root / "media"
    media.mkdir()
    face = astronaut()
    coffee = Image.fromarray(data.coffee())
    starts = {
        "clyde.mp4": newsreel_film(
            media / "clyde.mp4", FILMS["clyde.mp4"], [face, card("CLYDE SHIPYARDS"), coffee]
        ),
        "harbour.mp4": newsreel_film(
            media / "harbour.mp4", FILMS["harbour.mp4"], [ImageOps.mirror(face), face]
        ),
    }
    with (media / "catalogue.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "title", "date", "identifier"])
        writer.writerows(CATALOGUE)
    store = root / "store"
    report = ingest(
        [media / "catalogue.csv"],
        COLLECTION,
        newsreel_settings(store),
        JsonReporter(io.StringIO()),
        stages=STAGES,
    )
    assert report.ok, (report.failed, report.steps)
    named = CliRunner().invoke(
        application(),
        ["--data-dir", str(store), "people", "name", "p0001", PERSON, "-c", COLLECTION],
        env={"DEERIN_SCREENSHOTS": None},  # the tests' own variable is no setting
    )
    assert named.exit_code == 0, named.output
    return Newsreel(root, media, starts)


@pytest.fixture(scope="module")
def newsreel_store(newsreel: Newsreel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the ingested store for one test module (the media stay shared)."""
    into = tmp_path_factory.mktemp("newsreel-copy") / "store"
    shutil.copytree(newsreel.store, into, symlinks=True)
    return into
