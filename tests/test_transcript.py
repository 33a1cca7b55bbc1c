"""Transcripts: espeak-ng sentences at known times, silence, no audio, exports, bundled models."""

from __future__ import annotations

import io
import itertools
import json
import re
import tracemalloc
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ffmpeg, make_cuts_video
from deerin.cli.main import application
from deerin.enrich.speech import audio
from deerin.enrich.text.events import distance
from deerin.index.store import VideoFolder, read_json
from deerin.media.synth import spoken_sentences
from deerin.models.bundled import WHISPER_BASE_JOINED_SHA256
from deerin.models.resolver import folder_of, resolve
from deerin.models.weights import ModelError, sha256_of
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings

SENTENCES = (  # ones espeak-ng says clearly enough for tiny.en to get every word
    "Good morning. This is the evening news.",
    "We will now play some music for you.",
    "Please return the tape tomorrow morning.",
)
PAUSE = 2.5  # seconds of silence between sentences: VAD splits there
AUDIO_DELAY = 0.5  # the sound starts this long after the first frame
STAGES = ("probe", "transcript")


def speech_video(
    folder: Path, sentences: tuple[str, ...] = SENTENCES, voices: tuple[str, ...] = ()
) -> tuple[Path, list[float]]:
    """A video whose sound says ``sentences`` (in ``voices``, English by default) with
    pauses; and when each one truly starts."""
    sound = folder / "speech.wav"
    starts = spoken_sentences(sentences, sound, pause=PAUSE, lead=1.0, voices=voices)
    with wave.open(str(sound)) as handle:
        seconds = handle.getnframes() / handle.getframerate() + AUDIO_DELAY
    video = folder / "speech.mp4"
    ffmpeg("-f", "lavfi", "-i", f"color=c=gray:s=160x120:r=25:d={seconds:.2f}",
           "-itsoffset", str(AUDIO_DELAY), "-i", str(sound), "-map", "0:v", "-map", "1:a",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video))  # fmt: skip
    return video, [AUDIO_DELAY + start for start in starts]


def words_of(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


@pytest.fixture(scope="module")
def transcribed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, list[float]]:
    """The sentence video ingested once with tiny.en, in windows shorter than the video."""
    folder = tmp_path_factory.mktemp("speech")
    video, onsets = speech_video(folder)
    settings = Settings.from_values(
        {
            "data_dir": folder / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "models.speech": "whisper-tiny.en",
            "transcript.window_seconds": 10.0,
        }
    )
    _ingest(settings, video, "speech")
    return settings, video, onsets


def _ingest(settings: Settings, video: Path, collection: str) -> None:
    report = ingest([video], collection, settings, JsonReporter(io.StringIO()), stages=STAGES)
    assert report.ok, report.failed


def _document_folder(settings: Settings) -> Path:
    (folder,) = (settings.data_dir / "videos").glob("*/*")
    return folder


def _document(settings: Settings, name: str) -> dict:
    return read_json(_document_folder(settings) / name)


def _words(settings: Settings) -> list[dict]:
    return [
        w
        for segment in _document(settings, "transcript.json")["segments"]
        for w in segment["words"]
    ]


def misheard(heard: list[str], said: list[str]) -> int:
    """Words inserted, dropped or changed. tiny.en mishears at most one phrase of espeak's,
    and which one depends on the CPU its int8 kernels run on ("now play" as "outlay")."""
    return distance(heard, said)


def test_words_and_sentence_starts(transcribed: tuple[Settings, Path, list[float]]) -> None:
    settings, _, onsets = transcribed
    document = _document(settings, "transcript.json")
    words = [w for segment in document["segments"] for w in segment["words"]]
    heard = [token for w in words for token in words_of(w["word"])]
    assert misheard(heard, words_of(" ".join(SENTENCES))) <= 2
    assert document["language"] == "en"
    assert document["model"]["name"] == "whisper-tiny.en"
    assert document["language_probability"] is None  # English-only: given, not detected
    assert [(r["probability"], r["uncertain"]) for r in document["languages"]] == [(None, False)]
    summary = VideoFolder(_document_folder(settings)).read_manifest("transcript")["summary"]
    assert summary["language"] == "en (not detected: the model knows only English)"
    firsts = [sentence.split()[0] for sentence in SENTENCES]
    starts = [w["start"] for w in words if w["word"] in firsts]
    for start, truth in zip(starts, onsets, strict=True):
        assert abs(start - truth) <= 0.3, (start, truth)
    assert 0 < document["speech_seconds"] < 14
    assert document["errors"] == []


def test_audio_less_video_is_skipped(settings: Settings, tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "mute.mp4", audio=False)
    _ingest(settings, video, "mute")
    (folder,) = (settings.data_dir / "videos").glob("*/*")
    assert not (folder / "transcript.json").exists()
    assert VideoFolder(folder).read_manifest("transcript") is None


def test_silent_audio_has_no_segments(tmp_path: Path) -> None:
    video = tmp_path / "silent.mkv"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=160x120:r=25:d=4",
           "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "4",
           "-c:v", "libx264", "-c:a", "pcm_s16le", str(video))  # fmt: skip
    settings = Settings.from_values(
        {
            "data_dir": tmp_path / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "models.speech": "whisper-tiny.en",
        }
    )
    _ingest(settings, video, "silent")
    document = _document(settings, "transcript.json")
    assert document["segments"] == []
    assert document["language"] is None
    assert document["speech_seconds"] == 0


def _undecodable_sound(path: Path) -> Path:
    """A video whose audio stream names a codec no ffmpeg knows (PCM, relabelled)."""
    plain = path.with_name("pcm.mkv")
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=160x120:r=25:d=3", "-f", "lavfi",
           "-i", "sine=d=3", "-c:v", "libx264", "-c:a", "pcm_s16le", str(plain))  # fmt: skip
    data = plain.read_bytes()
    assert data.count(b"A_PCM/INT/LIT") == 1
    path.write_bytes(data.replace(b"A_PCM/INT/LIT", b"A_XYZ/INT/LIT"))
    return path


def test_a_sound_no_decoder_reads_is_a_clear_failure_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    bad = _undecodable_sound(tmp_path / "strange sound.mkv")
    good = make_cuts_video(tmp_path / "good.mp4")
    settings = Settings.from_values(
        {
            "data_dir": tmp_path / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "models.speech": "whisper-tiny.en",
        }
    )
    stages = ("probe", "shots", "tech", "audio", "transcript")
    report = ingest([bad, good], "mixed", settings, JsonReporter(io.StringIO()), stages=stages)
    assert list(report.failed.values()) == [["audio", "transcript"]]
    done = CliRunner().invoke(
        application(), ["--data-dir", str(settings.data_dir), "status", "--json"]
    )
    videos = {Path(v["path"]).name: v["stages"] for v in json.loads(done.stdout)["videos"]}
    assert {name: s["status"] for name, s in videos["good.mp4"].items()} == dict.fromkeys(
        stages, "done"
    )
    strange = videos["strange sound.mkv"]
    assert (strange["shots"]["status"], strange["tech"]["status"]) == ("done", "partial")
    assert "audio stream 1 (unknown) cannot be decoded" in strange["tech"]["detail"]
    failure = strange["transcript"]["detail"]
    assert "strange sound.mkv" in failure and "cannot be decoded" in failure
    assert "--skip transcript" in failure


def test_a_long_tape_is_decoded_in_windows_never_whole(tmp_path: Path) -> None:
    """Two hours of sound, 460 MB as 16 kHz float32, pass through in ten-minute windows."""
    sound = tmp_path / "two_hours.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200",
           "-c:a", "pcm_u8", str(sound))  # fmt: skip
    done = audio.Decoding()
    tracemalloc.start()
    try:
        windows = [(w.start, w.end) for w in audio.windows(sound, 0, 0.0, 600.0, 1, done)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done.returncode == 0 and done.seconds == pytest.approx(7200, abs=0.1)
    assert len(windows) == 12 and windows[-1][1] == pytest.approx(7200, abs=0.1)
    assert all(b[0] == pytest.approx(a[1]) for a, b in itertools.pairwise(windows))  # no gap
    assert peak < 200e6, f"{peak / 1e6:.0f} MB held at once"


def _export(settings: Settings, video: Path, fmt: str) -> str:
    result = CliRunner().invoke(
        application(),
        ["--data-dir", str(settings.data_dir), "export", str(video), "--layer", "transcript",
         "-f", fmt],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout


def test_exports(transcribed: tuple[Settings, Path, list[float]]) -> None:
    settings, video, _ = transcribed
    vtt = _export(settings, video, "vtt")
    assert vtt.startswith("WEBVTT\n")
    timings = re.findall(r"^(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)$", vtt, re.M)
    assert len(timings) >= 3
    cues = [block.split("\n")[2:] for block in vtt.strip().split("\n\n")[2:]]
    assert all(1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines) for lines in cues)
    srt = _export(settings, video, "srt")
    numbers = [int(block.split("\n")[0]) for block in srt.strip().split("\n\n")]
    assert numbers == list(range(1, len(numbers) + 1))
    assert " --> " in srt and "," in srt.split("\n")[1]
    text = _export(settings, video, "txt")
    assert words_of(text) == [token for w in _words(settings) for token in words_of(w["word"])]
    exported = json.loads(_export(settings, video, "json"))
    assert exported["events"] and all(event["words"] for event in exported["events"])
    assert {"start", "end", "word", "probability"} <= set(exported["events"][0]["words"][0])


def test_unknown_speech_model_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        resolve("speech", settings.merged({"models.speech": "no-such/whisper-model"}))


def test_base_model_parts_join_to_the_checked_file(tmp_path: Path) -> None:
    settings = Settings.from_values({"data_dir": tmp_path})
    folder = folder_of(resolve("speech", settings), settings)
    assert folder == tmp_path / "cache" / "models" / "whisper-base"
    assert sha256_of(folder / "model.bin") == WHISPER_BASE_JOINED_SHA256
    assert {p.name for p in folder.iterdir()} == {
        "model.bin", "tokenizer.json", "config.json", "vocabulary.json"
    }  # fmt: skip
    (folder / "model.bin").write_bytes(b"damaged")  # a changed file is joined again
    again = folder_of(resolve("speech", settings), settings)
    assert sha256_of(again / "model.bin") == WHISPER_BASE_JOINED_SHA256


def test_a_switch_of_language_is_found(tmp_path: Path) -> None:
    """English, then German after a pause: the multilingual base model tells them apart.

    (espeak-ng's French is heard as Thai by Whisper base, so German it is.)"""
    video, onsets = speech_video(
        tmp_path,
        (
            "Good evening. This is the news from London on the first of May.",
            "Guten Abend. Hier sind die Nachrichten aus Berlin vom ersten Mai.",
        ),
        ("en", "de"),
    )
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )
    _ingest(settings, video, "languages")
    document = _document(settings, "transcript.json")
    runs = document["languages"]
    assert [run["language"] for run in runs] == ["en", "de"], runs
    assert [run["uncertain"] for run in runs] == [False, False]
    assert runs[1]["start"] == pytest.approx(onsets[1], abs=0.5)
    assert {s["language"] for s in document["segments"]} == {"en", "de"}
    assert "Berlin" in document["segments"][-1]["text"]  # decoded as German, not forced to English


def test_a_language_the_model_does_not_know_is_marked_uncertain(tmp_path: Path) -> None:
    """Whisper has no Esperanto: it guesses (Spanish, for this sentence), unsure, and says so."""
    video, _ = speech_video(tmp_path, ("La vetero hodiaŭ estos suna kaj varma.",), ("eo",))
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "proxy.enabled": False}
    )
    _ingest(settings, video, "esperanto")
    document = _document(settings, "transcript.json")
    assert document["segments"] and document["language"] != "eo"
    assert [run["uncertain"] for run in document["languages"]] == [True]
    assert document["language_probability"] < 0.5
    summary = VideoFolder(_document_folder(settings)).read_manifest("transcript")["summary"]
    assert summary["language"].endswith("(uncertain)")
