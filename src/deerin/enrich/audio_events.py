"""The audio stage: the soundtrack cut into speech, music, silence and tone, time-coded.

The first audio stream is decoded once by ffmpeg to 16 kHz mono float samples that
arrive through a pipe and are analysed block by block, so a three-hour tape takes no
more memory than a minute of it. Every 32 ms frame (Silero VAD's window) gets a level
and a speech probability from the Silero VAD model that faster-whisper bundles (ONNX,
no torch); the same samples go to the tech stage's line-up tone detector
(:mod:`deerin.enrich.technical.tone`). Each frame is then one kind, in this order of
precedence:

- ``tone``: inside a steady line-up tone;
- ``silence``: quieter than ``audio.silence_db``;
- ``speech``: Silero's probability at or above ``audio.speech_threshold``;
- ``music``: everything else that is heard. This is *other sound, most often music*:
  effects, applause and room noise land here too; telling them from music would need
  a trained audio classifier, which a frame's level and a VAD cannot replace.

Runs shorter than their kind's minimum (``audio.*_seconds``) join their longer
neighbour, so the pauses between words stay inside speech and a breath between two
sentences is not "music". Times are seconds from the video's first frame, as in the
tech stage, with its :func:`~deerin.media.audio.aligned_audio` chain.
"""

from __future__ import annotations

import heapq
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from faster_whisper.vad import get_vad_model

from deerin.enrich.technical import tone
from deerin.errors import DeerinError
from deerin.index.schemas import AudioEvents, MediaInfo
from deerin.media.audio import aligned_audio
from deerin.models.device import cpu_threads
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

FRAME = 512  # samples per analysis frame: Silero VAD's window, 32 ms at 16 kHz
FRAME_SECONDS = FRAME / tone.RATE
VAD_BLOCK = 1875 * FRAME  # 60 s of samples per VAD call (its state restarts each call)
SHORT_BY = 1.0  # seconds: decoding that stops this much early, with errors, is partial
ERROR_LINES = 5
KINDS = ("silence", "speech", "music", "tone")
SILENCE, SPEECH, MUSIC, TONE = range(len(KINDS))
TEXTS = {"silence": "silence", "speech": "speech", "music": "music or other sound"}


class AudioStage(Stage):
    """Speech, music (other sound), silence and tone segments of the first audio stream."""

    name = "audio"
    version = "1"
    requires = ("probe",)
    produces = (AudioEvents.file,)

    def params(self) -> dict[str, Any]:
        mine = {f"audio_{key}": value for key, value in self.settings.audio}
        return {**mine, "tone_seconds": self.settings.tech.tone_seconds}

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        return bool(info.audio)

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        stream = info.audio[0]
        sound = decode(ctx.source, info, cpu_threads(self.settings), ctx.report)
        if not len(sound.levels):
            raise DeerinError(
                f"ffmpeg decoded no sound from audio stream {stream.index} "
                f"({stream.codec}): {sound.error_text}",
                path=ctx.source,
                hint="check that the file plays; convert the sound to PCM or AAC if this "
                "ffmpeg cannot decode it",
            )
        errors = ItemErrors()
        problem = sound.shortfall(info.duration)
        if problem:
            errors.record(problem, time=round(sound.seconds, 3))
        events = self.events(sound)
        ctx.write(AudioEvents, {"video_id": ctx.video_id, "events": events, "errors": errors.items})
        method = {
            "name": "Silero VAD (faster-whisper's ONNX copy), frame level, spectral tone check",
            "audio_stream": stream.index,
            "frame_seconds": FRAME_SECONDS,
        }
        return StageOutput(method, _summary(events), problem)

    def events(self, sound: Sound) -> list[dict[str, Any]]:
        """The decoded soundtrack's frames as events of one kind each, in time order."""
        settings = self.settings
        tones = tone.tones(sound.tone_windows, settings.tech.tone_seconds)
        labels = label_frames(
            sound, tones, settings.audio.speech_threshold, settings.audio.silence_db
        )
        shortest = {
            SILENCE: settings.audio.silence_seconds,
            SPEECH: settings.audio.speech_seconds,
            MUSIC: settings.audio.music_seconds,
            TONE: settings.tech.tone_seconds,
        }
        runs = smooth(label_runs(labels), shortest)
        return [_event(run, sound, tones) for run in runs]


@dataclass
class Sound:
    """What the one decoding pass measured: per frame level and speech, per window tone."""

    levels: np.ndarray  # dBFS per frame, a full-scale sine being 0 (as in the tone check)
    speech: np.ndarray  # Silero's speech probability per frame
    tone_windows: tone.ToneWindows
    returncode: int
    error_lines: list[str]

    @property
    def seconds(self) -> float:
        return len(self.levels) * FRAME_SECONDS

    @property
    def error_text(self) -> str:
        return " | ".join(self.error_lines) or f"exit {self.returncode}"

    def shortfall(self, duration: float) -> str | None:
        """Why only part of the sound was analysed, or None when decoding went through."""
        if self.returncode != 0:
            return (
                f"ffmpeg stopped early (exit {self.returncode}) at {self.seconds:.1f}s of "
                f"{duration:.1f}s: {self.error_text}"
            )
        if self.error_lines and self.seconds < duration - SHORT_BY:
            return (
                f"the sound ended early or is damaged: analysed {self.seconds:.1f}s of "
                f"{duration:.1f}s ({self.error_text})"
            )
        return None


@dataclass
class _Frames:
    """Levels and speech probabilities, computed a minute of samples at a time."""

    levels: list[np.ndarray] = field(default_factory=list)
    speech: list[np.ndarray] = field(default_factory=list)
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def add(self, samples: np.ndarray) -> None:
        self.pending = np.concatenate((self.pending, samples))
        while len(self.pending) >= VAD_BLOCK:
            self._measure(self.pending[:VAD_BLOCK])
            self.pending = self.pending[VAD_BLOCK:]

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Measure the whole frames left (a partial last frame is dropped) and hand over."""
        whole = len(self.pending) // FRAME * FRAME
        if whole:
            self._measure(self.pending[:whole])
        self.pending = self.pending[:0]
        empty = np.zeros(0, dtype=np.float32)
        return np.concatenate([empty, *self.levels]), np.concatenate([empty, *self.speech])

    def _measure(self, samples: np.ndarray) -> None:
        frames = samples.reshape(-1, FRAME).astype(np.float64)
        self.levels.append(10 * np.log10(2 * np.mean(frames**2, axis=1) + 1e-20))
        self.speech.append(np.asarray(get_vad_model()(samples), dtype=np.float32).reshape(-1))


def decode(
    source: Path,
    info: MediaInfo,
    threads: int,
    report: Callable[[float], None] = lambda fraction: None,
) -> Sound:
    """Decode the first audio stream once and measure it as the samples stream in."""
    frames = _Frames()
    expected = max(1.0, info.duration * tone.RATE)
    with tempfile.TemporaryFile(mode="w+", errors="replace") as log:
        process = _start(_command(source, info, threads), log)
        try:
            samples = _fed(tone.read_samples(process.stdout), frames, expected, report)  # type: ignore[arg-type]
            windows = tone.analyse(samples)
        finally:
            if process.poll() is None:
                process.kill()
            returncode = process.wait()
        log.seek(0)
        error_lines = log.read().strip().splitlines()[-ERROR_LINES:]
    levels, speech = frames.finish()
    return Sound(levels, speech, windows, returncode, error_lines)


def _fed(
    blocks: Iterable[np.ndarray], frames: _Frames, expected: float, report: Callable[[float], None]
) -> Iterator[np.ndarray]:
    """Pass the samples on to the tone check, measuring frames and progress on the way."""
    done = 0
    for block in blocks:
        frames.add(block)
        done += len(block)
        report(min(1.0, done / expected))
        yield block


def _command(source: Path, info: MediaInfo, threads: int) -> list[str]:
    """ffmpeg: the first audio stream, timed from the first video frame, as 16 kHz mono."""
    chain = (
        f"{aligned_audio(info.audio[0].index, info.start_time)},"
        f"aresample={tone.RATE},aformat=sample_fmts=flt:channel_layouts=mono[sound]"
    )
    return [
        "ffmpeg", "-nostdin", "-nostats", "-loglevel", "error", "-copyts",
        "-threads", str(threads), "-i", f"file:{source}",
        "-filter_complex", chain, "-map", "[sound]", "-f", "f32le", "pipe:1",
    ]  # fmt: skip


def _start(command: list[str], log: IO[str]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    except FileNotFoundError as exc:
        raise DeerinError(
            "ffmpeg is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc


def label_frames(
    sound: Sound, tones: list[tone.Tone], speech_threshold: float, silence_db: float
) -> np.ndarray:
    """One kind per frame: tone over silence over speech over music (other sound)."""
    labels = np.full(len(sound.levels), MUSIC, dtype=np.int8)
    labels[sound.speech >= speech_threshold] = SPEECH
    labels[sound.levels < silence_db] = SILENCE
    for found in tones:
        labels[_frame(found.start) : _frame(found.end)] = TONE
    return labels


@dataclass
class Run:
    """Consecutive frames ``[start, end)`` of one kind."""

    kind: int
    start: int
    end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) * FRAME_SECONDS


def label_runs(labels: np.ndarray) -> list[Run]:
    """The runs of equal labels, in order."""
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], edges)) if len(labels) else np.zeros(0, dtype=int)
    ends = np.concatenate((edges, [len(labels)])) if len(labels) else starts
    return [Run(int(labels[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def smooth(runs: list[Run], shortest: dict[int, float]) -> list[Run]:
    """Runs shorter than their kind's minimum joined to their longer neighbour.

    The shortest such run goes first, so a word cut by a flicker of the VAD is first
    made whole by taking in the flicker, and is then long enough to stay speech. A heap
    keeps a long tape's tens of thousands of runs at n log n.
    """
    runs = [Run(run.kind, run.start, run.end) for run in runs]
    alive = [True] * len(runs)
    before = list(range(-1, len(runs) - 1))
    after = [*range(1, len(runs)), -1]
    heap = [(run.end - run.start, at) for at, run in enumerate(runs)]
    heapq.heapify(heap)
    while heap:
        length, at = heapq.heappop(heap)
        run = runs[at]
        if (
            not alive[at]
            or length != run.end - run.start
            or run.seconds >= shortest[run.kind] - 1e-9
        ):
            continue  # gone, grown since it was queued, or long enough
        sides = [side for side in (before[at], after[at]) if side >= 0]
        if not sides:
            break  # the whole soundtrack is this one run
        into = max(sides, key=lambda side: runs[side].end - runs[side].start)
        runs[into].start, runs[into].end = (
            min(runs[into].start, run.start),
            max(runs[into].end, run.end),
        )
        _unlink(at, alive, before, after)
        for side in (before[into], after[into]):
            if side >= 0 and runs[side].kind == runs[into].kind:
                runs[into].start = min(runs[into].start, runs[side].start)
                runs[into].end = max(runs[into].end, runs[side].end)
                _unlink(side, alive, before, after)
        heapq.heappush(heap, (runs[into].end - runs[into].start, into))
    return [run for at, run in enumerate(runs) if alive[at]]


def _unlink(at: int, alive: list[bool], before: list[int], after: list[int]) -> None:
    """Take run ``at`` out of the doubly linked order of runs."""
    alive[at] = False
    if before[at] >= 0:
        after[before[at]] = after[at]
    if after[at] >= 0:
        before[after[at]] = before[at]


def _frame(seconds: float) -> int:
    return round(seconds / FRAME_SECONDS)


def _event(run: Run, sound: Sound, tones: list[tone.Tone]) -> dict[str, Any]:
    """A run as an event, with its mean level and, by kind, speech probability or tone."""
    start, end = run.start * FRAME_SECONDS, run.end * FRAME_SECONDS
    kind = KINDS[run.kind]
    detail: dict[str, Any] = {
        "duration": round(end - start, 3),
        "level_dbfs": round(float(np.mean(sound.levels[run.start : run.end])), 1),
    }
    text = TEXTS.get(kind, kind)
    if kind == "speech":
        detail["speech_probability"] = round(float(np.mean(sound.speech[run.start : run.end])), 3)
    if kind == "tone":
        found = max(tones, key=lambda t: min(t.end, end) - max(t.start, start))
        detail.update(found.detail())
        text = f"tone {found.frequency:.0f} Hz"
    return {
        "start": round(start, 3),
        "end": round(end, 3),
        "kind": kind,
        "text": text,
        "detail": detail,
    }


def _summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds of each kind, for `deerin status`."""
    seconds = dict.fromkeys(KINDS, 0.0)
    for event in events:
        seconds[event["kind"]] += event["end"] - event["start"]
    return {"seconds": ", ".join(f"{kind} {seconds[kind]:.1f}" for kind in KINDS if seconds[kind])}
