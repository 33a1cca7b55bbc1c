"""Audio events: speech, music (other sound), silence and tone at the right times."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import ffmpeg, make_cuts_video
from deerin.enrich.audio_events import MUSIC, SILENCE, SPEECH, Run, smooth
from deerin.index.store import VideoFolder, read_json
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

STAGES = ("probe", "audio")
SENTENCE = "The archive holds films from many decades of television."
# A chord of three notes whose loudness swells twice a second, under a melody that
# changes note every half second: music to the ear, no single tone, no voice.
MUSIC_EXPR = (
    "0.12*(sin(2*PI*262*t)+sin(2*PI*330*t)+sin(2*PI*392*t))*(0.6+0.4*sin(2*PI*2*t))"
    "+0.15*sin(2*PI*(523+88*mod(floor(2*t),4))*t)"
)
# (kind, start, end) of the synthetic soundtrack: the truth the events must match.
TRUTH = [
    ("tone", 0.0, 2.0),
    ("silence", 2.0, 3.5),
    ("speech", 3.5, None),  # ends where espeak-ng's sentence ends
    ("silence", None, 7.5),
    ("music", 7.5, 10.5),
    ("silence", 10.5, 11.5),
]
TOLERANCE = 0.3


@pytest.fixture(scope="module")
def sound_tape(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """An 11.5 s video whose sound is tone, silence, speech, silence, music, silence;
    and when the speech ends."""
    folder = tmp_path_factory.mktemp("sound")
    spoken, trimmed = folder / "spoken.wav", folder / "trimmed.wav"
    subprocess.run(["espeak-ng", "-w", str(spoken), SENTENCE], check=True)
    edge = "silenceremove=start_periods=1:start_threshold=-50dB"
    ffmpeg("-i", str(spoken), "-af", f"{edge},areverse,{edge},areverse", "-ar", "16000",
           str(trimmed))  # fmt: skip
    speech_seconds = float(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
             str(trimmed)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert speech_seconds < 3.8, "the sentence must end before the silence after it"
    tape = folder / "sound.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=160x120:r=10:d=11.5",
        "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=2",  # -18 dBFS
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=1.5",
        "-i", str(trimmed),
        "-f", "lavfi", "-i", f"aevalsrc='{MUSIC_EXPR}':s=48000:d=3",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=1",
        "-filter_complex",
        "[3]aresample=48000,apad=whole_dur=4[speech];"
        "[1][2][speech][4][5]concat=n=5:v=0:a=1[a]",
        "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", str(tape),
    )  # fmt: skip
    return tape, 3.5 + speech_seconds


def audio_events(settings: Settings, video: Path) -> tuple[str, str, dict | None]:
    result = process_video(VideoJob("v1", str(video), settings, STAGES), lambda e: None)
    outcome = result.outcomes["audio"]
    path = VideoFolder.for_video(settings.data_dir, "v1").path("audio_events.json")
    return outcome.status, outcome.detail, read_json(path) if path.exists() else None


def test_each_kind_of_sound_is_found_at_its_time(
    sound_tape: tuple[Path, float], settings: Settings
) -> None:
    tape, speech_end = sound_tape
    status, detail, document = audio_events(settings, tape)
    assert status == "done", detail
    truth = [
        (kind, speech_end if start is None else start, speech_end if end is None else end)
        for kind, start, end in TRUTH
    ]
    found = [(e["kind"], e["start"], e["end"]) for e in document["events"]]
    assert [kind for kind, *_ in found] == [kind for kind, *_ in truth], found
    for (_, start, end), (_, true_start, true_end) in zip(found, truth, strict=True):
        assert abs(start - true_start) <= TOLERANCE and abs(end - true_end) <= TOLERANCE, found
    tone = document["events"][0]
    assert tone["text"] == "tone 1000 Hz" and abs(tone["detail"]["level_dbfs"] + 18) < 1
    assert document["errors"] == []


def test_a_video_without_sound_does_not_need_the_stage(settings: Settings, tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "mute.mp4", ("red",), seconds=1.0, audio=False)
    status, detail, document = audio_events(settings, video)
    assert (status, detail, document) == ("skipped", "not needed for this file", None)


def test_short_runs_join_their_longer_neighbour() -> None:
    frames = round(1 / 0.032)  # about a second of 32 ms frames
    runs = [
        Run(SPEECH, 0, 2 * frames),
        Run(SILENCE, 2 * frames, 2 * frames + 5),  # a pause between words: 0.16 s
        Run(SPEECH, 2 * frames + 5, 4 * frames),
        Run(MUSIC, 4 * frames, 4 * frames + 3),  # a breath: shorter than any music
        Run(SILENCE, 4 * frames + 3, 5 * frames),
    ]
    shortest = {SILENCE: 0.5, SPEECH: 0.3, MUSIC: 1.0}
    assert [(r.kind, r.start, r.end) for r in smooth(runs, shortest)] == [
        (SPEECH, 0, 4 * frames + 3),
        (SILENCE, 4 * frames + 3, 5 * frames),
    ]
