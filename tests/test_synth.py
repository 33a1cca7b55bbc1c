"""The demo tape holds what its truth says: checked by decoding it, not by trusting the plan."""

from __future__ import annotations

import json
import subprocess
from itertools import pairwise

import av
import numpy as np
import pytest

from deerin.media.probe import probe
from deerin.media.synth import DemoTape

THUMB = (64, 48)  # enough pixels to tell shots apart, little enough to keep every frame
SMPTE_75 = {  # the seven top columns of SMPTE bars, 75 % colours, left to right
    "grey": (191, 191, 191),
    "yellow": (191, 191, 0),
    "cyan": (0, 191, 191),
    "green": (0, 191, 0),
    "magenta": (191, 0, 191),
    "red": (191, 0, 0),
    "blue": (0, 0, 191),
}


@pytest.fixture(scope="module")
def tape(demo_tape: DemoTape) -> DemoTape:
    return demo_tape


@pytest.fixture(scope="module")
def decoded(tape: DemoTape) -> dict[str, np.ndarray]:
    """Every frame as a thumbnail, its time, and one full-size frame from the bars."""
    start = probe(tape.path).start_time
    bars_frame = round((tape.bars[0].start + tape.bars[0].end) / 2 * tape.fps)
    thumbs, times, full = [], [], None
    with av.open(str(tape.path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            thumbs.append(frame.to_ndarray(format="rgb24", width=THUMB[0], height=THUMB[1]))
            times.append(frame.time - start)
            if index == bars_frame:
                full = frame.to_ndarray(format="rgb24")
    return {"thumbs": np.stack(thumbs).astype(np.float32), "times": np.array(times), "bars": full}


@pytest.fixture(scope="module")
def audio(tape: DemoTape) -> np.ndarray:
    """The soundtrack as mono float samples at the tape's rate, decoded by ffmpeg."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tape.path), "-map", "0:a", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(done.stdout, dtype="<f4")


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _span(samples: np.ndarray, start: float, end: float, rate: int) -> np.ndarray:
    return samples[round(start * rate) : round(end * rate)]


def test_file_is_an_sd_archive_tape_of_the_truths_length(tape: DemoTape) -> None:
    info = probe(tape.path)
    assert (info.width, info.height, info.fps) == (720, 576, 25.0)
    assert info.sample_aspect == tape.sample_aspect == "16:15"
    assert info.video_codec == "mpeg2video"
    assert not info.browser_playable  # the demo has to make a proxy
    assert [(a.codec, a.sample_rate, a.channels) for a in info.audio] == [("pcm_s16le", 48000, 1)]
    assert abs(info.duration - tape.duration) < 1 / tape.fps
    assert 55 < tape.duration < 75


def test_every_frame_is_where_the_truth_counts_it(tape: DemoTape, decoded: dict) -> None:
    assert len(decoded["times"]) == tape.frame_count
    expected = np.arange(tape.frame_count) / tape.fps
    assert np.abs(decoded["times"] - expected).max() < 1e-3


def test_truth_tiles_the_tape_and_is_saved_beside_it(tape: DemoTape) -> None:
    saved = json.loads(tape.truth_path.read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(tape.to_dict()))
    assert saved["path"] == tape.path.name
    segments = tape.segments
    assert segments[0].start_frame == 0 and segments[-1].end_frame == tape.frame_count
    assert all(a.end_frame == b.start_frame for a, b in pairwise(segments))
    assert [b.frame for b in tape.boundaries] == [s.start_frame for s in segments[1:]]
    kinds = {b.kind for b in tape.boundaries}
    assert kinds == {"cut", "fade", "dissolve"}


def test_cuts_change_the_picture_much_more_than_motion_within_shots(
    tape: DemoTape, decoded: dict
) -> None:
    thumbs = decoded["thumbs"]
    for cut in (b for b in tape.boundaries if b.kind == "cut"):
        f = cut.frame
        across = _diff(thumbs[f - 1], thumbs[f])
        within = max(_diff(thumbs[f - 2], thumbs[f - 1]), _diff(thumbs[f], thumbs[f + 1]))
        assert across > 25, f"cut at frame {f} changes the picture by only {across:.1f}"
        assert across > 4 * within, f"frame {f}: cut {across:.1f} vs motion {within:.1f}"


def test_fade_passes_through_black_and_dissolve_mixes_both_shots(
    tape: DemoTape, decoded: dict
) -> None:
    thumbs = decoded["thumbs"]
    fade = next(b for b in tape.boundaries if b.kind == "fade")
    assert thumbs[fade.start_frame - 1].mean() > 30 and thumbs[fade.end_frame].mean() > 30
    assert thumbs[fade.frame].max() < 20  # the middle of the fade is black
    dissolve = next(b for b in tape.boundaries if b.kind == "dissolve")
    before, after = thumbs[dissolve.start_frame - 1], thumbs[dissolve.end_frame]
    middle = thumbs[dissolve.frame]
    assert _diff(before, after) > 25
    assert _diff(middle, (before + after) / 2) < _diff(before, after) / 3


def test_black_is_black_and_no_shot_is(tape: DemoTape, decoded: dict) -> None:
    thumbs = decoded["thumbs"]
    for interval in tape.black:
        span = thumbs[round(interval.start * tape.fps) : round(interval.end * tape.fps)]
        assert len(span) and span.max() < 20, f"not black: {interval}"
    for segment in tape.segments:
        if segment.kind != "black":
            middle = (segment.start_frame + segment.end_frame) // 2
            assert thumbs[middle].mean() > 30, f"{segment.label} is too dark"


def test_bars_are_smpte_colour_bars(tape: DemoTape, decoded: dict) -> None:
    row = decoded["bars"][tape.height // 3]
    column_width = tape.width / len(SMPTE_75)
    for i, (name, colour) in enumerate(SMPTE_75.items()):
        pixel = row[round((i + 0.5) * column_width)].astype(int)
        assert np.abs(pixel - colour).max() < 20, f"{name} bar is {pixel}"


def test_tone_is_1khz_under_the_bars(tape: DemoTape, audio: np.ndarray) -> None:
    rate = tape.sample_rate
    tone = _span(audio, tape.tone[0].start + 0.5, tape.tone[0].end - 0.5, rate)
    spectrum = np.abs(np.fft.rfft(tone * np.hanning(len(tone))))
    peak = np.fft.rfftfreq(len(tone), 1 / rate)[spectrum.argmax()]
    assert abs(peak - 1000) < 2
    assert abs(np.abs(tone).max() - 1 / 8) < 0.01  # ffmpeg's sine: -18 dBFS line-up level


def test_speech_where_the_truth_says_and_silence_elsewhere(
    tape: DemoTape, audio: np.ndarray
) -> None:
    rate = tape.sample_rate
    assert abs(len(audio) / rate - tape.duration) < 1 / tape.fps
    for sentence in tape.sentences:
        speech = _span(audio, sentence.start, sentence.end, rate)
        assert np.sqrt(np.mean(speech**2)) > 0.03, sentence.text
        before = _span(audio, sentence.start - 0.05, sentence.start, rate)
        onset = _span(audio, sentence.start, sentence.start + 0.05, rate)
        assert np.abs(before).max() < 0.03 < np.abs(onset).max()  # sound starts at the start
    assert len(tape.silence) == len(tape.sentences) + 1
    for gap in tape.silence:
        assert np.abs(_span(audio, gap.start + 0.01, gap.end - 0.01, rate)).max() < 1e-3, gap
