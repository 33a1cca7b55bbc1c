"""Exports of time-coded events: the formats, then every layer through `deerin export`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import complete, ffmpeg, make_cuts_video, write_artefact
from deerin.cli.main import application
from deerin.export.events import clock, export_events, face_events, subtitle_events
from deerin.index import artefacts
from deerin.index.schemas import Faces, People, Subtitles
from deerin.index.store import CollectionFolder, VideoFolder, read_json
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

EVENTS = [  # out of order, overlapping, with markup, blank lines, no text, zero length
    {"start": 1.0, "end": 2.5, "kind": "text", "text": "Fish & <Chips> -->", "confidence": 0.9,
     "box": [0.1, 0.2, 0.3, 0.1], "frames": [3, 4]},
    {"start": 0.5, "end": 3.0, "kind": "face", "text": ""},
    {"start": 3661.2, "end": 3661.2, "kind": "tone", "text": "tone 1000 Hz\n\nsecond line",
     "detail": {"frequency_hz": 1000, "level_dbfs": -18.1}},
]  # fmt: skip


def test_webvtt_is_escaped_numbered_sorted_and_never_empty() -> None:
    assert export_events(EVENTS, "vtt", title="Reel --> 12\nside A", fps=25) == (
        "WEBVTT\n\n"
        "NOTE Reel -> 12 side A\n\n"
        "1\n00:00:00.500 --> 00:00:03.000\nface\n\n"
        "2\n00:00:01.000 --> 00:00:02.500\nFish &amp; &lt;Chips&gt; --&gt;\n\n"
        "3\n01:01:01.200 --> 01:01:01.240\ntone 1000 Hz\nsecond line\n"
    )


def test_srt_counts_from_one_with_comma_milliseconds() -> None:
    assert export_events(EVENTS, "srt", title="Reel", fps=25) == (
        "1\n00:00:00,500 --> 00:00:03,000\nface\n\n"
        "2\n00:00:01,000 --> 00:00:02,500\nFish & <Chips> ->\n\n"
        "3\n01:01:01,200 --> 01:01:01,240\ntone 1000 Hz\nsecond line\n\n"
    )


def test_ffmpeg_reads_our_webvtt_as_our_srt(tmp_path: Path) -> None:
    """An independent WebVTT parser (ffmpeg's) finds the same cues, times and words."""
    events = [e for e in EVENTS if "<" not in e["text"]]  # SRT would read <..> as a tag
    vtt = tmp_path / "events.vtt"
    vtt.write_text(export_events(events, "vtt", title="Reel", fps=25), encoding="utf-8")
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(vtt), "-f", "srt", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == export_events(events, "srt", title="Reel", fps=25)


def test_csv_has_timecodes_and_every_scalar_field() -> None:
    rows = list(csv.DictReader(io.StringIO(export_events(EVENTS, "csv", title="R", fps=25))))
    assert list(rows[0]) == [
        "start",
        "end",
        "start_tc",
        "end_tc",
        "kind",
        "text",
        "confidence",
        "detail.frequency_hz",
        "detail.level_dbfs",
    ]  # fmt: skip  (box and frames are lists: left out)
    assert [r["kind"] for r in rows] == ["face", "text", "tone"]
    assert rows[1] == {
        "start": "1.000", "end": "2.500", "start_tc": "00:00:01:00", "end_tc": "00:00:02:12",
        "kind": "text", "text": "Fish & <Chips> -->", "confidence": "0.9",
        "detail.frequency_hz": "", "detail.level_dbfs": "",
    }  # fmt: skip
    assert rows[2]["start_tc"] == "01:01:01:05" and rows[2]["detail.frequency_hz"] == "1000"


def test_csv_at_29_97_uses_drop_frame_timecode() -> None:
    event = {"start": 60.06, "end": 61.0, "kind": "black", "text": "black 0.9 s"}
    [row] = csv.DictReader(io.StringIO(export_events([event], "csv", title="R", fps=29.97)))
    assert (row["start_tc"], row["end_tc"]) == ("00:01:00;02", "00:01:01;00")


def test_json_keeps_everything_and_names_the_source() -> None:
    text = export_events(EVENTS, "json", title="Reel 12", fps=25, source=Path("/a/reel.mkv"))
    exported = json.loads(text)
    assert exported["title"] == "Reel 12" and exported["source"] == "/a/reel.mkv"
    assert exported["fps"] == 25 and exported["drop_frame"] is False
    first = exported["events"][1]
    assert first["box"] == [0.1, 0.2, 0.3, 0.1] and first["start_tc"] == "00:00:01:00"
    assert [e["start"] for e in exported["events"]] == [0.5, 1.0, 3661.2]


def test_clock_carries_rounded_milliseconds() -> None:
    assert clock(59.9996, ".") == "00:01:00.000"
    assert clock(0.0004, ",") == "00:00:00,000"
    assert clock(360000.5, ".") == "100:00:00.500"


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="vtt, srt, csv, json"):
        export_events(EVENTS, "ass", title="R", fps=25)


def test_subtitles_of_one_track_or_all_name_their_track() -> None:
    subtitles = Subtitles.model_validate(complete(Subtitles, SUBTITLES))
    assert [(e["track"], e["language"]) for e in subtitle_events(subtitles)] == [
        (2, "eng"), (2, "eng"), (3, "fre"),
    ]  # fmt: skip
    assert [e["text"] for e in subtitle_events(subtitles, 3)] == ["Bonjour"]


def test_faces_take_the_name_most_of_their_faces_were_given() -> None:
    faces, people = Faces.model_validate(FACES), People.model_validate(PEOPLE)
    named = face_events(faces, [people], "v1")
    assert [(e["text"], e["person_id"], e["person"]) for e in named] == [
        ("Ada Lovelace", "p0001", "Ada Lovelace"),
        ("person p0002", "p0002", None),
        ("face", None, None),
    ]
    assert named[0]["faces"] == ["3-0", "9-0", "12-1"]
    assert all(e["text"] == "face" for e in face_events(faces, [people], "another video"))


# -- through the command line ---------------------------------------------------------

SUBTITLES = {
    "video_id": "v1",
    "tracks": [
        {"stream": 2, "language": "eng", "codec": "subrip", "kind": "text", "events": [
            {"start": 0.5, "end": 1.5, "kind": "subtitle", "text": "Hello"},
            {"start": 2.0, "end": 3.0, "kind": "subtitle", "text": "Good-bye"},
        ]},
        {"stream": 3, "language": "fre", "codec": "dvd_subtitle", "kind": "bitmap", "events": [
            {"start": 0.5, "end": 1.5, "kind": "subtitle", "text": "Bonjour", "confidence": 0.8},
        ]},
    ],
    "errors": [],
}  # fmt: skip
TEXT = {
    "video_id": "v1",
    "model": {"name": "rapidocr"},
    "events": [{"start": 2.0, "end": 4.0, "kind": "text", "text": "NEWS FILM 1962",
                "confidence": 0.97, "box": [0.2, 0.4, 0.6, 0.1], "frames": [1, 2]}],
    "errors": [],
}  # fmt: skip
FACES = {
    "video_id": "v1",
    "model": {"name": "yunet-sface"},
    "faces": [],
    "appearances": [
        {"start": 0.0, "end": 1.9, "kind": "face", "text": "face", "faces": ["3-0", "9-0", "12-1"]},
        {"start": 2.0, "end": 3.5, "kind": "face", "text": "face", "faces": ["20-0"]},
        {"start": 4.0, "end": 5.0, "kind": "face", "text": "face", "faces": ["30-0"]},
    ],
    "errors": [],
}  # fmt: skip
PEOPLE = {
    "people": [
        {"id": "p0001", "name": "Ada Lovelace", "videos": ["v1"],
         "faces": [{"video_id": "v1", "face_id": "3-0"}, {"video_id": "v1", "face_id": "9-0"}],
         "representative": {"video_id": "v1", "face_id": "3-0"}},
        {"id": "p0002", "name": None, "videos": ["v1"],
         "faces": [{"video_id": "v1", "face_id": "12-1"}, {"video_id": "v1", "face_id": "20-0"}],
         "representative": {"video_id": "v1", "face_id": "20-0"}},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two reels through probe and tech, and hand-written text, subtitle and
    face artefacts (with a collection's people) for the first: what those stages write."""
    root = tmp_path_factory.mktemp("reels")
    make_cuts_video(root / "reel.mp4", colours=("black", "red", "blue"))  # 440 Hz sine
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=3", "-c:v", "libx264",
           str(root / "silent.mkv"))  # fmt: skip
    settings = Settings.from_values(
        {"data_dir": root / "store", "run.workers": 1, "proxy.enabled": False}
    )
    quiet = JsonReporter(io.StringIO())
    report = ingest([root], "reels", settings, quiet, stages=("probe", "tech"))
    assert report.ok and len(report.videos) == 2
    reel = _folder(settings.data_dir, "reel.mp4")
    for name, document in (("text.json", TEXT), ("subtitles.json", SUBTITLES)):
        write_artefact(reel, name, document)
    write_artefact(reel, "faces.json", FACES)
    people = json.loads(json.dumps(PEOPLE).replace('"v1"', json.dumps(reel.root.name)))
    collection = CollectionFolder.for_collection(settings.data_dir, "reels")
    artefacts.write(collection.path(People.file), people, People)
    return settings.data_dir


def _folder(data_dir: Path, name: str) -> VideoFolder:
    for probe_file in data_dir.glob("videos/*/*/probe.json"):
        if Path(read_json(probe_file)["media"]["path"]).name == name:
            return VideoFolder(probe_file.parent)
    raise AssertionError(f"{name} was not ingested")


def export(store: Path, *args: str) -> str:
    result = CliRunner().invoke(application(), ["--data-dir", str(store), "export", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(store: Path, *args: str) -> str:
    """The one line `deerin export` answers a mistake with (exit code 2)."""
    result = CliRunner().invoke(application(), ["--data-dir", str(store), "export", *args])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_tech_layer_as_webvtt(store: Path) -> None:
    vtt = export(store, "reel.mp4", "--layer", "tech", "--format", "vtt")
    assert vtt.startswith("WEBVTT\n\nNOTE reel\n\n1\n00:00:00.000 --> ")
    assert "\nblack 2.0 s\n" in vtt and "\ntone 440 Hz\n" in vtt
    document = read_json(_folder(store, "reel.mp4").path("tech.json"))
    assert vtt.count(" --> ") == len(document["events"])


def test_tech_of_a_silent_film_checks_only_the_picture(store: Path) -> None:
    document = read_json(_folder(store, "silent.mkv").path("tech.json"))
    assert document["checks"] == ["black", "bars", "frozen"]
    assert document["loudness"] is None and document["audio_stream"] is None
    assert json.loads(export(store, "silent.mkv", "-l", "tech", "-f", "json"))["events"] == []


def test_text_layer_as_csv(store: Path) -> None:
    [row] = csv.DictReader(io.StringIO(export(store, "reel.mp4", "--layer", "text")))
    assert row == {
        "start": "2.000", "end": "4.000", "start_tc": "00:00:02:00", "end_tc": "00:00:04:00",
        "kind": "text", "text": "NEWS FILM 1962", "confidence": "0.97",
    }  # fmt: skip


def test_subtitles_layer_all_tracks_or_one(store: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(export(store, "reel.mp4", "--layer", "subtitles"))))
    assert [(r["track"], r["language"], r["text"]) for r in rows] == [
        ("2", "eng", "Hello"), ("3", "fre", "Bonjour"), ("2", "eng", "Good-bye"),
    ]  # fmt: skip
    target = tmp_path / "fre.srt"
    export(store, "reel.mp4", "-l", "subtitles", "--track", "3", "-f", "srt", "-o", str(target))
    assert target.read_text(encoding="utf-8") == "1\n00:00:00,500 --> 00:00:01,500\nBonjour\n\n"
    assert "no subtitle track 7 (tracks by stream index: 2, 3)" in refused(
        store, "reel.mp4", "-l", "subtitles", "--track", "7"
    )


def test_faces_layer_named_by_the_collections_people(store: Path) -> None:
    srt = export(store, "reel.mp4", "--layer", "faces", "--format", "srt")
    assert [block.split("\n")[2] for block in srt.strip().split("\n\n")] == [
        "Ada Lovelace", "person p0002", "face",
    ]  # fmt: skip
    unnamed = export(store, "reel.mp4", "-l", "faces", "-f", "csv", "-c", "elsewhere")
    assert [r["text"] for r in csv.DictReader(io.StringIO(unnamed))] == ["face"] * 3


def test_a_layer_not_made_yet_is_one_clear_line(store: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deerin", "--data-dir", str(store), "export", "silent.mkv",
         "--layer", "text"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert "silent.mkv: has no on-screen text events yet — run `deerin ingest`" in " ".join(
        done.stderr.split()
    )
    # the default layer, shots, was not made either
    assert "has no shot list yet" in refused(store, "silent.mkv")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layer", "tech", "-f", "edl"], "the tech layer is not exported as edl — choose vtt"),
        (["--layer", "shots", "-f", "vtt"], "the shots layer is not exported as vtt — choose csv"),
        (["--layer", "speech"], "no such layer — did you mean tech? layers: shots, transcript"),
    ],
)
def test_a_wrong_layer_or_format_is_refused(store: Path, args: list[str], message: str) -> None:
    assert message in refused(store, "reel.mp4", *args)
