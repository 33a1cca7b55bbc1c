"""Line-up tone: a steady sine, found by where a short window's energy sits in its spectrum.

A line-up tone (1 kHz at -18 dBFS in EBU practice; 400 Hz, 440 Hz and others elsewhere)
puts almost all its energy into one frequency; speech, music and noise spread theirs.
So the soundtrack, mixed to mono at a low rate, is cut into short windows; a window is
tone when nearly all its power lies within a few bins of its peak and it is loud enough
to be meant. Consecutive tone windows at the same frequency make one tone.

The windows are analysed as the samples arrive, so memory stays flat on long tapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

RATE = 16000  # samples per second asked of ffmpeg: tones up to about 7 kHz are seen
WINDOW = 0.1  # seconds: a tone's start and end are found to within this
WINDOW_SAMPLES = round(RATE * WINDOW)
LOWEST_HZ = 20.0  # below this is DC offset and rumble, not tone
PEAK_BINS = 3  # bins either side of the peak that a Hann-windowed sine leaks into
PURITY = 0.9  # of a window's power near its peak for it to be tone
QUIETEST_DBFS = -50.0  # quieter windows are left to silence detection
SAME_HZ = 0.02  # relative change of frequency that still counts as the same tone
SETTLE = 5  # windows at a tone's start that fix its frequency
READ_SECONDS = 1.0  # how much audio is read from ffmpeg at a time


@dataclass(frozen=True)
class ToneWindows:
    """What each window of the soundtrack held: whether tone, at which frequency and level."""

    tone: np.ndarray  # bool per window
    frequency: np.ndarray  # Hz of each window's strongest frequency
    level: np.ndarray  # dBFS, a full-scale sine being 0 (AES17)


@dataclass(frozen=True)
class Tone:
    """A stretch of steady tone."""

    start: float
    end: float
    frequency: float
    level: float

    def detail(self) -> dict[str, float]:
        """The figures an event shows: frequency to the hertz, level to a tenth of a dB."""
        return {"frequency_hz": round(self.frequency), "level_dbfs": round(self.level, 1)}


def read_samples(pipe: BinaryIO) -> Iterator[np.ndarray]:
    """Mono float32 samples from ffmpeg's ``f32le`` output, a second or so at a time."""
    block = round(RATE * READ_SECONDS) * 4
    rest = b""
    while chunk := pipe.read(block):
        data = rest + chunk
        usable = len(data) // 4 * 4
        rest = data[usable:]
        yield np.frombuffer(data[:usable], dtype="<f4")


def analyse(blocks: Iterable[np.ndarray]) -> ToneWindows:
    """Classify every whole window of the samples in ``blocks`` (a partial last one is left)."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pending = np.zeros(0, dtype=np.float32)
    for block in blocks:
        pending = np.concatenate((pending, block))
        whole = len(pending) // WINDOW_SAMPLES * WINDOW_SAMPLES
        if whole:
            parts.append(_classify(pending[:whole].reshape(-1, WINDOW_SAMPLES)))
            pending = pending[whole:]
    if not parts:
        empty = np.zeros(0)
        return ToneWindows(empty.astype(bool), empty, empty)
    tone, frequency, level = (np.concatenate(column) for column in zip(*parts, strict=True))
    return ToneWindows(tone, frequency, level)


def _classify(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window: tone or not, peak frequency (Hz) and level (dBFS)."""
    mean_square = np.mean(windows.astype(np.float64) ** 2, axis=1)
    level = 10 * np.log10(2 * mean_square + 1e-20)  # sine peak level: RMS + 3 dB
    power = np.abs(np.fft.rfft(windows * np.hanning(WINDOW_SAMPLES), axis=1)) ** 2
    lowest = int(np.ceil(LOWEST_HZ * WINDOW))
    power[:, :lowest] = 0.0
    peak = power.argmax(axis=1)
    cumulative = np.concatenate((np.zeros((len(power), 1)), np.cumsum(power, axis=1)), axis=1)
    rows = np.arange(len(power))
    top = np.minimum(peak + PEAK_BINS + 1, power.shape[1])
    near = cumulative[rows, top] - cumulative[rows, np.maximum(peak - PEAK_BINS, 0)]
    purity = near / np.maximum(cumulative[:, -1], 1e-30)
    tone = (purity >= PURITY) & (level >= QUIETEST_DBFS)
    return tone, _peak_frequency(power, peak), level


def _peak_frequency(power: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """The peak's frequency, refined between bins by a parabola through its log power."""
    rows = np.arange(len(power))
    inner = np.clip(peak, 1, power.shape[1] - 2)
    left, middle, right = (np.log(power[rows, inner + d] + 1e-30) for d in (-1, 0, 1))
    curve = left - 2 * middle + right
    shift = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1.0), 0.0)
    return (inner + np.clip(shift, -0.5, 0.5)) / WINDOW


def tones(windows: ToneWindows, shortest: float) -> list[Tone]:
    """Runs of tone windows at one frequency lasting at least ``shortest`` seconds."""
    found: list[Tone] = []
    run: list[int] = []
    for index in range(len(windows.tone) + 1):
        if index < len(windows.tone) and windows.tone[index] and _same(windows, run, index):
            run.append(index)
            continue
        if len(run) * WINDOW >= shortest - 1e-9:
            found.append(_tone(windows, run))
        run = [index] if index < len(windows.tone) and windows.tone[index] else []
    return found


def _same(windows: ToneWindows, run: list[int], index: int) -> bool:
    """Whether window ``index`` continues ``run``: the same frequency, or a first window."""
    if not run:
        return True
    reference = float(np.median(windows.frequency[run[:SETTLE]]))
    return abs(windows.frequency[index] - reference) <= SAME_HZ * reference


def _tone(windows: ToneWindows, run: list[int]) -> Tone:
    return Tone(
        start=run[0] * WINDOW,
        end=(run[-1] + 1) * WINDOW,
        frequency=float(np.median(windows.frequency[run])),
        level=float(np.median(windows.level[run])),
    )
