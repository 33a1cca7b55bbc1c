"""Sound recordings (oral histories, radio, separated soundtracks): files with sound and
no picture are ingested by the stages that listen, and shown and exported like films
without pictures. Subtitle files beside a film are attached to it, not skipped."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ffmpeg, make_cuts_video
from deerin.media.synth import spoken_sentences

LISTENING = ("probe", "tech", "audio", "transcript", "entities", "text_embeddings", "summary")
PICTURE = ("shots", "keyframes", "proxy", "frames", "tags", "faces", "text", "captions")
JFK = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"  # noqa: E501


def deerin(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deerin", "--data-dir", str(store), *args],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def files(store: Path) -> dict[str, dict]:
    done = deerin(store, "status", "--json")
    assert done.returncode == 0, done.stderr
    return {Path(v["path"]).name: v for v in json.loads(done.stdout)["videos"]}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Speech as wav (after 1 s of line-up tone and 2 s of silence), ogg and m4a; a
    matroska file with sound only; a film with a subtitle file beside it; notes."""
    root = tmp_path_factory.mktemp("recordings")
    speech = root / "speech.wav"
    spoken_sentences(
        ("The harbour in Glasgow closed in nineteen sixty two.",), speech, pause=0, lead=0.5
    )
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:duration=1.5:sample_rate=22050",
           "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono:d=2",
           "-i", str(speech), "-filter_complex", "[0][1][2]concat=n=3:v=0:a=1",
           str(root / "oral history.wav"))  # fmt: skip
    ffmpeg("-i", str(speech), "-c:a", "libvorbis", str(root / "radio.ogg"))
    ffmpeg("-i", str(speech), "-c:a", "aac", str(root / "interview.m4a"))
    ffmpeg("-i", str(speech), "-c:a", "flac", str(root / "soundtrack.mka"))
    speech.unlink()
    for leftover in root.glob("speech-*.wav"):
        leftover.unlink()
    make_cuts_video(root / "film.mp4", ("red", "blue"), seconds=1.0)
    (root / "film.en.srt").write_text("1\n00:00:00,200 --> 00:00:01,500\nHello\n")
    (root / "notes.srt").write_text("1\n00:00:00,200 --> 00:00:01,500\nNobody's\n")
    store = root / "store"
    done = deerin(store, "ingest", str(root), "-c", "sounds", "-w", "2", "--no-proxy",
                  "--model", "speech=whisper-tiny.en")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return store, root


def test_sound_recordings_are_ingested_by_the_stages_that_listen(recordings) -> None:
    store, _ = recordings
    found = files(store)
    sounds = ("oral history.wav", "radio.ogg", "interview.m4a", "soundtrack.mka")
    assert set(sounds) | {"film.mp4"} == set(found)
    for name in sounds:
        stages = found[name]["stages"]
        assert found[name]["kind"] == "sound", name
        assert all(stages[s]["status"] == "done" for s in LISTENING), (name, stages)
        assert all(stages[s]["status"] == "skipped" for s in PICTURE), (name, stages)
    assert found["film.mp4"]["kind"] == "film"


def test_what_is_said_is_transcribed_and_exported(recordings) -> None:
    store, _ = recordings
    for name in ("radio.ogg", "interview.m4a", "oral history.wav"):
        done = deerin(store, "export", name, "--layer", "transcript", "-f", "txt")
        assert done.returncode == 0, done.stderr
        heard = set(words(done.stdout))
        assert {"harbour", "harbor"} & heard and "closed" in heard, (name, done.stdout)
    entities = deerin(store, "export", "radio.ogg", "--layer", "entities", "-f", "csv")
    found = {row["entity"]: row for row in csv.DictReader(io.StringIO(entities.stdout))}
    assert {"Glasgow", "1962"} <= set(found), entities.stdout  # names in what was said
    glasgow = found["Glasgow"]
    assert float(glasgow["end"]) - float(glasgow["start"]) < 1.0  # timed by its own word


def test_tone_silence_and_loudness_are_checked_without_a_picture(recordings) -> None:
    store, _ = recordings
    done = deerin(store, "export", "oral history.wav", "--layer", "tech", "-f", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    kinds = {row["kind"] for row in rows}
    assert {"tone", "silence"} <= kinds and not kinds & {"black", "bars", "frozen"}
    tone = next(row for row in rows if row["kind"] == "tone")
    assert float(tone["start"]) == pytest.approx(0.0, abs=0.15)
    assert float(tone["end"]) == pytest.approx(1.5, abs=0.15)
    assert tone["end_tc"] == "00:00:01:13"  # a sound recording's timecodes count 25 fps
    audio = deerin(store, "export", "oral history.wav", "--layer", "audio", "-f", "csv")
    assert "speech" in {row["kind"] for row in csv.DictReader(io.StringIO(audio.stdout))}


def test_a_sound_recording_has_no_pictures_to_export(recordings) -> None:
    store, _ = recordings
    done = deerin(store, "export", "radio.ogg")
    assert done.returncode == 2
    assert "is a sound recording: it has no pictures, so no shot list" in done.stderr


def test_a_subtitle_file_beside_a_film_is_attached_not_skipped(recordings) -> None:
    store, root = recordings
    done = deerin(store, "status", "--json")
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(done.stdout)["skipped"]}
    assert "film.en.srt" not in skipped
    assert skipped["notes.srt"] == "not a media file (.srt file)"  # no film of that name
    again = deerin(store, "ingest", str(root), "-c", "sounds", "--no-proxy",
                   "--model", "speech=whisper-tiny.en")  # fmt: skip
    assert "attached film.en.srt to film.mp4 (subtitles)" in again.stdout
    subtitles = deerin(store, "export", "film.mp4", "--layer", "subtitles", "-f", "srt")
    assert "Hello" in subtitles.stdout


def test_the_speech_in_the_shared_recordings_is_transcribed(
    shared_media: Path, tmp_path: Path
) -> None:
    """jfk.flac and the three sonnets, as a user would ingest them."""
    speech = shared_media / "speech"
    recordings = [speech / "jfk.flac", *sorted(speech.glob("sonnet_*.mp3"))]
    done = deerin(tmp_path, "ingest", *map(str, recordings), "-w", "2", "--skip", "summary")
    assert done.returncode == 0, done.stdout + done.stderr
    jfk = deerin(tmp_path, "export", "jfk.flac", "--layer", "transcript", "-f", "txt")
    assert jfk.returncode == 0 and words(jfk.stdout) == words(JFK)
    sonnet = deerin(tmp_path, "export", "sonnet_1.mp3", "--layer", "transcript", "-f", "txt")
    assert "fairest creatures" in " ".join(words(sonnet.stdout))
    found = files(tmp_path)
    assert {v["kind"] for v in found.values()} == {"sound"} and len(found) == 4
