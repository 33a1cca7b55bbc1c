"""The rhythm of a clip's sound: where to cut a sequence so that it moves with it.

Two kinds of cut point:

* **beats**: an onset envelope (spectral flux of the log spectrum, 10 ms frames), its
  tempo from the autocorrelation (weighted towards 120 BPM, so a beat is not taken
  for a bar), and the beats by dynamic programming over the envelope (Ellis 2007,
  the method of librosa's beat tracker): each beat on a strong onset, about one
  period after the last.
* **pauses**: the middle of every stretch of quiet (under ``audio.silence_db``, or
  30 dB under the clip's loud parts, whichever is higher) of at least a quarter of a
  second, not at the clip's edges: the breaths of speech, the rests of music.

The cut points become the lengths of the sequence's clips; points closer than the
shortest clip allowed are passed over, so a fast beat is cut on every second beat.
The clip's sound is analysed, never mixed in: the editor lays it under the sequence.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deerin.errors import DeerinError
from deerin.media.probe import probe
from deerin.retrieve.query import QueryError

RATE = 16000  # samples per second the sound is analysed at
HOP = 160  # 10 ms frames
WINDOW = 512  # 32 ms spectra
PREFERRED_PERIOD = 0.5  # seconds: tempos near 120 BPM are preferred (beats, not bars)
SHORTEST_PERIOD, LONGEST_PERIOD = 0.25, 2.0  # seconds: 240 to 30 BPM
TIGHTNESS = 100.0  # how strongly a beat keeps to the tempo (librosa's default)
WEAK_BEAT = 0.2  # of the median beat's onset: weaker ones at the edges are silence
PAUSE_SECONDS = 0.25  # the shortest quiet that counts as a pause
PAUSE_DROP_DB = 30.0  # quiet: this far under the clip's loud parts (its 95th percentile)
CUT_ON = ("beats", "pauses")
LONGEST = 600.0  # seconds of sound analysed at most (the spectra are held in memory)
SPAN = re.compile(r"^(?P<name>.+?)(?::(?P<start>[\d.:]+)-(?P<end>[\d.:]+))?$")


@dataclass(frozen=True)
class RhythmClip:
    """The stretch of sound to cut to: a file of the collection (``video_id`` set) or any
    sound file, from ``start`` to ``end`` seconds (None: as long as the sequence)."""

    path: Path
    start: float = 0.0
    end: float | None = None
    video_id: str | None = None
    collection: str | None = None

    @property
    def label(self) -> str:
        end = f"{self.end:.2f}" if self.end is not None else "…"
        return f"{self.path.name} {self.start:.2f}-{end} s"


@dataclass(frozen=True)
class Rhythm:
    """What was found in the clip: its cut points (seconds from its start) and length."""

    cuts: list[float]
    length: float
    tempo: float | None = None  # beats per minute, for beats


def parse_rhythm(text: str) -> tuple[str, float, float | None]:
    """``NAME[:START-END]`` as the name and the span; times are seconds or [h:]m:s."""
    found = SPAN.match(text.strip())
    if not found or not found["name"]:
        raise QueryError(
            f"rhythm {text!r}: write a video (id or file name) or a sound file, and "
            "optionally the stretch, e.g. 9f3a2c:12-42 or music.wav"
        )
    if found["start"] is None:
        return found["name"], 0.0, None
    start, end = _seconds(found["start"]), _seconds(found["end"])
    if end <= start:
        raise QueryError(f"rhythm {text!r}: the stretch must end after it starts")
    return found["name"], start, end


def _seconds(text: str) -> float:
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise QueryError(f"{text!r} is not a time: write seconds or [h:]m:s") from None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return total


def analyse(clip: RhythmClip, length: float, cut_on: str, silence_db: float) -> Rhythm:
    """The cut points of ``clip``'s sound, over at most ``length`` seconds of it."""
    if cut_on not in CUT_ON:
        raise QueryError(f"cut on {cut_on!r}?", hint=f"choose one of: {', '.join(CUT_ON)}")
    samples = decode(clip, length)
    if cut_on == "pauses":
        return Rhythm(pause_times(samples, silence_db), len(samples) / RATE)
    times, period = beat_times(samples)
    if not times:
        raise DeerinError(
            f"no beat found in {clip.label}", hint="choose a clip with a beat, or --cut-on pauses"
        )
    return Rhythm(times, len(samples) / RATE, 60.0 / period)


def decode(clip: RhythmClip, length: float) -> np.ndarray:
    """The clip's first sound stream as mono samples at RATE, from ``start`` for at most
    ``length`` seconds (and LONGEST: a sequence cut to a sound is rarely longer, and
    its spectra take about 1 MB a second). ``-seek_timestamp`` makes ``-ss`` count from
    the file's first frame (as every time of the collection does), not from the file's
    own start."""
    info = probe(clip.path)
    if not info.audio:
        raise DeerinError("has no sound to cut to", path=clip.path, hint="choose a clip with sound")
    end = min(info.duration, clip.end if clip.end is not None else clip.start + length)
    end = min(end, clip.start + length, clip.start + LONGEST)
    if end - clip.start < PREFERRED_PERIOD:
        raise DeerinError(
            f"the stretch from {clip.start:.2f} s holds under {PREFERRED_PERIOD} s of its "
            f"{info.duration:.2f} s",
            path=clip.path,
            hint="choose a stretch inside the file",
        )
    command = [
        "ffmpeg", "-nostdin", "-nostats", "-loglevel", "error",
        "-seek_timestamp", "1", "-ss", f"{info.start_time + clip.start:.6f}",
        "-t", f"{end - clip.start:.6f}", "-i", f"file:{clip.path}",
        "-map", f"0:{info.audio[0].index}", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise DeerinError(
            "ffmpeg is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise DeerinError(f"ffmpeg cannot decode its sound ({' '.join(said)})", path=clip.path)
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float64)


# -- beats ------------------------------------------------------------------------------


def onset_envelope(samples: np.ndarray) -> np.ndarray:
    """How much new sound starts in each 10 ms frame: the rise of the log spectrum."""
    padded = np.pad(samples, WINDOW // 2)
    if len(padded) < WINDOW:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::HOP]
    spectrum = np.log1p(1000.0 * np.abs(np.fft.rfft(frames * np.hanning(WINDOW), axis=1)))
    rise = np.maximum(0.0, np.diff(spectrum, axis=0, prepend=spectrum[:1]))
    envelope = rise.sum(axis=1)
    spread = envelope.std()
    return envelope / spread if spread > 0 else envelope


def tempo_period(envelope: np.ndarray) -> int | None:
    """The beat period in frames: the envelope's strongest self-similarity between 30
    and 240 BPM, weighted towards 120 BPM (None: too short or no pulse)."""
    shortest = round(SHORTEST_PERIOD * RATE / HOP)
    longest = min(round(LONGEST_PERIOD * RATE / HOP), len(envelope) // 2)
    if longest <= shortest:
        return None
    centred = envelope - envelope.mean()
    spectrum = np.fft.rfft(centred, 2 * len(centred))
    correlation = np.fft.irfft(np.abs(spectrum) ** 2)[: len(centred)]
    lags = np.arange(shortest, longest + 1)
    preferred = PREFERRED_PERIOD * RATE / HOP
    weight = np.exp(-0.5 * np.log2(lags / preferred) ** 2)
    strength = correlation[lags] * weight
    return int(lags[np.argmax(strength)]) if strength.max() > 0 else None


def beat_times(samples: np.ndarray) -> tuple[list[float], float]:
    """The beats (seconds) and the beat period (seconds); no beats where there is no pulse."""
    envelope = onset_envelope(samples)
    period = tempo_period(envelope)
    if period is None:
        return [], PREFERRED_PERIOD
    frames = _track(envelope, period)
    strength = np.array([envelope[max(0, f - 2) : f + 3].max() for f in frames])
    if len(frames):  # beats in the silence before or after the sound are no beats
        strong = np.nonzero(strength >= WEAK_BEAT * np.median(strength))[0]
        frames = frames[strong[0] : strong[-1] + 1] if len(strong) else frames[:0]
    return [f * HOP / RATE for f in frames], period * HOP / RATE


def _track(envelope: np.ndarray, period: int) -> np.ndarray:
    """Ellis's dynamic programme: the chain of frames with the most onset, each about one
    period after the one before; frame numbers in order."""
    offsets = np.arange(-2 * period, -(period // 2) + 1)
    penalty = -TIGHTNESS * np.log(-offsets / period) ** 2
    score = envelope.astype(np.float64).copy()
    back = np.full(len(envelope), -1)
    for frame in range(len(envelope)):
        earlier = frame + offsets
        valid = earlier >= 0
        if not valid.any():
            continue
        linked = score[earlier[valid]] + penalty[valid]
        best = int(np.argmax(linked))
        if linked[best] > 0:
            score[frame] += linked[best]
            back[frame] = earlier[valid][best]
    last = len(envelope) - period + int(np.argmax(score[-period:]))
    chain = [last]
    while back[chain[-1]] >= 0:
        chain.append(int(back[chain[-1]]))
    return np.array(chain[::-1])


# -- pauses -----------------------------------------------------------------------------


def pause_times(samples: np.ndarray, silence_db: float) -> list[float]:
    """The middle of each pause (seconds), leaving out quiet at the clip's start and end."""
    usable = len(samples) // HOP * HOP
    if usable == 0:
        return []
    power = (samples[:usable].reshape(-1, HOP) ** 2).mean(axis=1)
    level = 10 * np.log10(power + 1e-20)
    floor = max(silence_db, float(np.percentile(level, 95)) - PAUSE_DROP_DB)
    quiet = np.concatenate([[False], level < floor, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    shortest = PAUSE_SECONDS * RATE / HOP
    return [
        (first + last) / 2 * HOP / RATE
        for first, last in zip(edges[::2], edges[1::2], strict=True)
        if last - first >= shortest and first > 0 and last < len(level)
    ]


def slots(cuts: list[float], length: float, shortest: float) -> list[float]:
    """The clip lengths the cut points make over ``length`` seconds, none under
    ``shortest`` (a point too close to the last one kept, or to the end, is passed over)."""
    kept = [0.0]
    for cut in sorted(cuts):
        if cut - kept[-1] >= shortest and length - cut >= shortest:
            kept.append(cut)
    kept.append(length)
    return [b - a for a, b in itertools.pairwise(kept) if b > a]
