"""Sidecar subtitles: SubRip and WebVTT files beside a video, read as tracks of their own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_cuts_video
from deerin.cli.main import application
from deerin.enrich.subtitles.sidecars import sidecar_track
from deerin.index.store import VideoFolder, read_json
from deerin.media.sidecars import sidecar_files
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

# Hand-made SubRip at its worst: a BOM, CRLF, no blank line between two cues, italics.
SRT = (
    "\ufeff1\r\n00:00:00,500 --> 00:00:01,750\r\nHello from the <i>archive</i>\r\n"
    "2\r\n00:00:02,000 --> 00:00:03,000\r\nTwo lines\r\nof text\r\n\r\n\r\n"
    "3\r\n00:00:03,500 --> 00:00:04,000\r\nTHE END\r\n"
)
SRT_CUES = [(0.5, 1.75, "Hello from the archive"), (2.0, 3.0, "Two lines\nof text"),
            (3.5, 4.0, "THE END")]  # fmt: skip
# WebVTT without hours, with a header, a note, cue identifiers, settings, voices, entities.
VTT = """WEBVTT - English

NOTE written by hand

intro
00:00.250 --> 00:01.000 align:start line:90%
<v Narrator>Fish &amp; chips</v>

00:01.500 --> 00:02.500
<c.yellow>Good evening</c>
"""
VTT_CUES = [(0.25, 1.0, "Fish & chips"), (1.5, 2.5, "Good evening")]


def cues(track: dict) -> list[tuple[float, float, str]]:
    return [(c["start"], c["end"], c["text"]) for c in track["events"]]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 4 s video with no subtitle stream, a .srt and an .en.vtt beside it, and files
    that are not its sidecars."""
    video = make_cuts_video(tmp_path / "clip.mp4", ("gray",), seconds=4.0, audio=False)
    (tmp_path / "clip.srt").write_bytes(SRT.encode("utf-8"))
    (tmp_path / "clip.en.vtt").write_text(VTT, encoding="utf-8")
    (tmp_path / "clip.proxy.srt").write_text(SRT, encoding="utf-8")  # "proxy" is no language
    (tmp_path / "other.srt").write_text(SRT, encoding="utf-8")
    return video


def ingested(settings: Settings, video: Path) -> tuple[str | None, dict]:
    """Ingest the video through the subtitles stage: the stage's problem and its document."""
    quiet = JsonReporter(io.StringIO())
    [video_id] = ingest([video], "c", settings, quiet, stages=("probe", "subtitles")).videos
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    manifest = folder.read_manifest("subtitles")
    assert manifest is not None, "the subtitles stage did not run"
    return manifest["problem"], read_json(folder.path("subtitles.json"))


def test_sidecars_are_the_files_named_after_the_video(clip: Path) -> None:
    assert [p.name for p in sidecar_files(clip)] == ["clip.en.vtt", "clip.srt"]
    track = sidecar_track(clip, clip.parent / "clip.en.vtt")
    assert (track["language"], track["codec"], track["stream"]) == ("en", "webvtt", None)
    assert cues(track) == VTT_CUES


def test_sidecar_tracks_sit_beside_the_streams(clip: Path, settings: Settings) -> None:
    problem, document = ingested(settings, clip)
    assert problem is None
    tracks = document["tracks"]
    assert [(t["source"], t["stream"], t["path"], t["language"], t["kind"]) for t in tracks] == [
        ("sidecar", None, str(clip.parent / "clip.en.vtt"), "en", "text"),
        ("sidecar", None, str(clip.parent / "clip.srt"), None, "text"),
    ]
    assert [cues(t) for t in tracks] == [VTT_CUES, SRT_CUES]
    assert document["errors"] == []


def test_a_broken_sidecar_is_an_error_and_the_others_are_read(
    clip: Path, settings: Settings
) -> None:
    broken = clip.parent / "clip.fr.srt"
    broken.write_text("1\nthis was never a subtitle file\n", encoding="utf-8")
    problem, document = ingested(settings, clip)
    assert problem is not None and str(broken) in problem
    [error] = document["errors"]
    assert error["path"] == str(broken) and "no cue" in error["problem"]
    assert [t["language"] for t in document["tracks"]] == ["en", None]


def test_a_sidecar_track_exports_as_srt(clip: Path, settings: Settings) -> None:
    ingested(settings, clip)
    args = ["--data-dir", str(settings.data_dir), "export", str(clip), "-l", "subtitles"]
    result = CliRunner().invoke(application(), [*args, "-f", "srt", "--track", "clip.en.vtt"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "1\n00:00:00,250 --> 00:00:01,000\nFish & chips\n\n"
        "2\n00:00:01,500 --> 00:00:02,500\nGood evening\n\n"
    )
    missing = CliRunner().invoke(application(), [*args, "--track", "clip.de.srt"])
    assert missing.exit_code == 2 and "sidecar files: clip.en.vtt, clip.srt" in missing.output


def test_a_new_or_edited_sidecar_is_read_on_the_next_ingest(clip: Path, settings: Settings) -> None:
    _, before = ingested(settings, clip)
    assert len(before["tracks"]) == 2
    (clip.parent / "clip.de.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHallo\n")
    _, after = ingested(settings, clip)  # no --redo: the sidecar is part of the fingerprint
    assert [t["language"] for t in after["tracks"]].count("de") == 1
    assert len(after["tracks"]) == 3
