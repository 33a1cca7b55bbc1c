"""Technical checks on media whose black, bars, freezes, silence, tone and loudness are known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import ffmpeg
from deerin.enrich.technical import bars
from deerin.enrich.technical.ffmpeg_log import FilterLog
from deerin.enrich.technical.stage import CheckResult, TechStage, build_events, run_checks
from deerin.index import artefacts
from deerin.index.schemas import Probe
from deerin.index.store import VideoFolder, read_json
from deerin.media.probe import probe
from deerin.media.synth import DemoTape
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

TOLERANCE = 0.2  # seconds: a boundary this close to the truth is right


def _check(path: Path, settings: Settings) -> tuple[CheckResult, list[dict]]:
    result = run_checks(path, probe(path), settings, threads=1)
    return result, build_events(result, settings)


def _spans(events: list[dict], kind: str) -> list[tuple[float, float]]:
    return [(e["start"], e["end"]) for e in events if e["kind"] == kind]


def _assert_match(found: list[tuple[float, float]], truth: list[tuple[float, float]]) -> None:
    assert len(found) == len(truth), (found, truth)
    for (start, end), (true_start, true_end) in zip(found, truth, strict=True):
        assert abs(start - true_start) <= TOLERANCE, (start, end, true_start, true_end)
        assert abs(end - true_end) <= TOLERANCE, (start, end, true_start, true_end)


@pytest.fixture(scope="module")
def demo(demo_tape: DemoTape, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The demo tape's events, as the stage writes them into tech.json."""
    settings = Settings.from_values(
        {"data_dir": tmp_path_factory.mktemp("store"), "run.workers": 1}
    )
    folder = VideoFolder.for_video(settings.data_dir, "demo")
    artefacts.write(folder.path(Probe.file), {"media": probe(demo_tape.path)}, Probe)
    staging = folder.root / "staging"
    staging.mkdir()
    ctx = StageContext("demo", demo_tape.path, folder, staging, settings)
    output = TechStage(settings).run(ctx)
    assert output.problem is None
    document = read_json(staging / "tech.json")
    assert document["errors"] == [] and document["video_id"] == "demo"
    assert document["checks"] == ["black", "bars", "frozen", "silence", "tone", "loudness"]
    return document


def test_black_bars_and_tone_are_where_the_tape_has_them(demo: dict, demo_tape: DemoTape) -> None:
    events = demo["events"]
    _assert_match(_spans(events, "black"), [(i.start, i.end) for i in demo_tape.black])
    _assert_match(_spans(events, "bars"), [(i.start, i.end) for i in demo_tape.bars])
    _assert_match(_spans(events, "tone"), [(i.start, i.end) for i in demo_tape.tone])
    [tone] = [e for e in events if e["kind"] == "tone"]
    assert tone["text"] == "tone 1000 Hz" and tone["detail"]["frequency_hz"] == 1000
    assert tone["detail"]["level_dbfs"] == pytest.approx(-18.1, abs=0.3)  # the -18 dBFS line-up
    assert next(e for e in events if e["kind"] == "black")["text"] == "black 1.0 s"


def test_silence_lies_between_the_sounds(demo: dict, demo_tape: DemoTape) -> None:
    """Truth silence is certain silence; the audible sounds bound it from outside."""
    sounds = [(t.start, t.end) for t in demo_tape.tone]
    sounds += [(s.start, s.end) for s in demo_tape.sentences]
    found = _spans(demo["events"], "silence")
    assert len(found) == len(demo_tape.silence)
    for (start, end), truth in zip(found, demo_tape.silence, strict=True):
        assert start <= truth.start + TOLERANCE and end >= truth.end - TOLERANCE
        for sound_start, sound_end in sounds:  # no audible sound inside a silence
            assert min(end, sound_end) - max(start, sound_start) <= 0.05, (start, end)


def test_still_slate_is_frozen_but_black_and_bars_are_not_reported_twice(
    demo: dict, demo_tape: DemoTape
) -> None:
    slate = next(s for s in demo_tape.segments if s.kind == "slate")
    _assert_match(_spans(demo["events"], "frozen"), [(slate.start_time, slate.end_time)])
    assert _spans(demo["events"], "frozen")[0] == pytest.approx((6.0, 10.0), abs=0.05)


def test_loudness_is_measured_and_flagged_off_target(demo: dict) -> None:
    loudness = demo["loudness"]
    assert -30 < loudness["integrated_lufs"] < -15
    assert loudness["range_lu"] > 0 and loudness["true_peak_dbtp"] <= 0.5
    [flag] = [e for e in demo["events"] if e["kind"] == "loudness"]
    assert (flag["start"], flag["end"]) == (0.0, pytest.approx(63.4))
    assert f"{loudness['integrated_lufs']:.1f} LUFS" in flag["text"]


def test_events_are_sorted_and_clipped_to_the_tape(demo: dict, demo_tape: DemoTape) -> None:
    events = demo["events"]
    assert [e["start"] for e in events] == sorted(e["start"] for e in events)
    assert all(0 <= e["start"] < e["end"] <= demo_tape.duration + 1e-6 for e in events)
    assert all(e["text"] and isinstance(e["detail"], dict) for e in events)


def test_one_still_picture_is_one_freeze_and_black_is_not_also_frozen(settings: Settings) -> None:
    """freezedetect restarts at a keyframe that refreshes a still (H.264 every 10 s, say);
    two different stills back to back stay two freezes."""
    pictures = np.zeros((250, 8, 16), np.uint8)
    pictures[150:] = 200  # another still from 15 s
    log = FilterLog(
        frozen=[(0.0, 10.0), (10.0, 15.0), (15.0, 20.0), (21.0, None)], black=[(21.0, 24.96)]
    )
    result = CheckResult(log, np.zeros(250, bool), pictures, [], True, False, 250, 0.0, 0, 25.0)
    assert [(e["kind"], e["start"], e["end"]) for e in build_events(result, settings)] == [
        ("frozen", 0.0, 15.0),
        ("frozen", 15.0, 20.0),
        ("black", 21.0, 25.0),  # taken to the end: blackdetect stops at the last frame's start
    ]


def test_a_frozen_picture_in_a_silent_film(tmp_path: Path, settings: Settings) -> None:
    """Moving pictures, 3 s of one held frame, moving again; no sound track at all."""
    video = tmp_path / "freeze.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-filter_complex", "[0:v]tpad=stop_mode=clone:stop_duration=3[held];"
        "[held][1:v]concat=n=2:v=1:a=0[v]",
        "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video),
    )  # fmt: skip
    result, events = _check(video, settings)
    assert not result.audio and result.loudness is None
    [frozen] = [e for e in events if e["kind"] == "frozen"]
    assert frozen["start"] == pytest.approx(1.96, abs=TOLERANCE)
    assert frozen["end"] == pytest.approx(5.0, abs=TOLERANCE)
    assert frozen["text"] == f"frozen picture {frozen['end'] - frozen['start']:.1f} s"
    assert {e["kind"] for e in events} == {"frozen"}  # nothing about sound, no false alarm


@pytest.mark.parametrize(("gain_db", "flagged"), [(-1.94, False), (11.0, True)])
def test_loudness_of_a_sine_at_a_known_level(
    tmp_path: Path, settings: Settings, gain_db: float, flagged: bool
) -> None:
    """ffmpeg's sine is 1/8 of full scale (-21.06 LUFS mono); gain moves it to a known value."""
    video = tmp_path / "sine.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=0x336699:s=160x120:r=25:d=8",
        "-f", "lavfi", "-i", f"sine=frequency=1000:sample_rate=48000:d=8,volume={gain_db}dB",
        "-c:v", "libx264", "-c:a", "pcm_s16le", str(video),
    )  # fmt: skip
    result, events = _check(video, settings)
    assert result.loudness is not None
    assert result.loudness["integrated_lufs"] == pytest.approx(-21.06 + gain_db, abs=1.0)
    assert result.loudness["true_peak_dbtp"] == pytest.approx(-18.06 + gain_db, abs=1.0)
    assert any(e["kind"] == "loudness" for e in events) is flagged
    [tone] = [e for e in events if e["kind"] == "tone"]
    assert (tone["start"], tone["end"]) == (0.0, pytest.approx(8.0, abs=TOLERANCE))


def test_a_truncated_tape_keeps_what_it_checked(demo_tape: DemoTape, tmp_path: Path) -> None:
    settings = Settings.from_values({"data_dir": tmp_path / "store", "run.workers": 1})
    cut = tmp_path / "cut.mkv"
    data = demo_tape.path.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 5])
    result, events = _check(cut, settings)
    problem = result.shortfall(demo_tape.duration)
    assert problem is not None and "ended early or is damaged" in problem
    assert 10 < result.end < demo_tape.duration - 5
    assert _spans(events, "bars") == [(0.0, 5.0)]  # the part before the cut is kept
    assert all(e["end"] <= result.end for e in events)


def _thumbnail(source: str) -> np.ndarray:
    """One frame of a lavfi source, shrunk the way the stage shrinks it."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, "-frames:v", "1",
         "-vf", f"scale=160:-2:flags=area,scale={bars.WIDTH}:{bars.HEIGHT}:flags=area,format=rgb24",
         "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(done.stdout, np.uint8).reshape(bars.HEIGHT, bars.WIDTH, 3)


@pytest.mark.parametrize(
    "source",
    [
        "smptebars=s=720x576",
        "smptehdbars=s=1280x720",
        "pal75bars=s=720x576",
        "pal100bars=s=720x576",
        "smptebars=s=720x576,crop=iw*0.94:ih*0.9",  # overscan cropped off
        "smptebars=s=720x576,eq=brightness=-0.1:contrast=0.8",  # levels off
        "smptebars=s=640x480,pad=854:480:(ow-iw)/2:0",  # pillarboxed
    ],
)
def test_bars_are_recognised_whatever_the_flavour(source: str) -> None:
    assert bars.is_bars(_thumbnail(source))


@pytest.mark.parametrize(
    "source",
    [
        "testsrc2=s=720x576",
        "rgbtestsrc=s=720x576",
        "colorspectrum=s=720x576:type=all",
        "colorspectrum=s=720x576:type=black",
        "yuvtestsrc=s=720x576",
        "color=c=white:s=720x576",
        "smptebars=s=720x576,hflip",  # the right colours in the wrong order
    ],
)
def test_colourful_pictures_are_not_bars(source: str) -> None:
    assert not bars.is_bars(_thumbnail(source))
