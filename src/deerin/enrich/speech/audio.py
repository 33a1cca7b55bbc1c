"""The soundtrack as 16 kHz mono windows, decoded by ffmpeg through a pipe as it is needed.

An hour of 16 kHz float32 sound is 230 MB, and a feature film's several times that, so
the sound is never decoded whole: ffmpeg streams it and we cut it into windows of about
``transcript.window_seconds``. Each cut falls in a pause that voice activity detection
finds near the window's end (or, in unbroken speech, at its quietest moment), so no
word is split between two windows. Sample 0 is the video's first frame (see
:func:`deerin.media.audio.aligned_audio`), so a window's start plus a time
inside it is a time on the video's timeline.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deerin.enrich.technical.tone import read_samples
from deerin.errors import DeerinError
from deerin.media.audio import aligned_audio

RATE = 16000  # Whisper's sample rate
CUT_SEARCH = 30.0  # seconds at a window's end searched for a pause to cut in
SHORTEST_PAUSE = 0.2  # seconds: a shorter gap at the search's edge may be inside a word
QUIET_FRAME = 0.1  # seconds: the unit in which unbroken speech's quietest moment is found
STDERR_LINES = 5


@dataclass(frozen=True)
class Window:
    """A stretch of the soundtrack: its samples and where it starts (seconds)."""

    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE


@dataclass
class Decoding:
    """How ffmpeg's decoding went, known once the windows are used up."""

    seconds: float = 0.0
    returncode: int = 0
    error_text: str = ""


def decode_command(source: Path, stream: int, start_time: float, threads: int) -> list[str]:
    """ffmpeg reading one audio stream, timed from the first frame, as mono f32le at 16 kHz."""
    graph = (
        f"{aligned_audio(stream, start_time)},"
        f"aresample={RATE},aformat=sample_fmts=flt:channel_layouts=mono[speech]"
    )
    return [
        "ffmpeg", "-nostdin", "-nostats", "-loglevel", "error", "-copyts",
        "-threads", str(threads), "-i", f"file:{source}", "-filter_complex", graph,
        "-map", "[speech]", "-f", "f32le", "pipe:1",
    ]  # fmt: skip


def windows(
    source: Path, stream: int, start_time: float, seconds: float, threads: int, done: Decoding
) -> Iterator[Window]:
    """The stream's sound in windows of about ``seconds``, cut in pauses; ``done`` is filled in.

    ffmpeg's exit status and last error lines land in ``done`` when the pipe ends, so the
    caller can tell a complete decode from one that stopped early.
    """
    command = decode_command(source, stream, start_time, threads)
    with (
        tempfile.TemporaryFile(mode="w+", errors="replace") as log,
        _start(command, log) as process,
    ):
        try:
            yield from _cut(read_samples(process.stdout), seconds, done)  # type: ignore[arg-type]
        finally:
            if process.poll() is None:
                process.kill()
            done.returncode = process.wait()
            log.seek(0)
            done.error_text = " | ".join(log.read().strip().splitlines()[-STDERR_LINES:])


def _start(command: list[str], log: object) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)  # type: ignore[arg-type]
    except FileNotFoundError as exc:
        raise DeerinError(
            "ffmpeg is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc


def _cut(blocks: Iterator[np.ndarray], seconds: float, done: Decoding) -> Iterator[Window]:
    """Gather ``blocks`` into windows, each cut at a pause near ``seconds`` long."""
    size = round(seconds * RATE)
    pending: list[np.ndarray] = []
    held = 0
    start = 0
    for block in blocks:
        pending.append(block)
        held += len(block)
        done.seconds += len(block) / RATE
        if held >= size:
            buffer = np.concatenate(pending)
            cut = pause_near_end(buffer)
            yield Window(start / RATE, buffer[:cut])
            start += cut
            pending, held = [buffer[cut:]], len(buffer) - cut
    if held:
        yield Window(start / RATE, np.concatenate(pending))


def pause_near_end(samples: np.ndarray) -> int:
    """Where to cut ``samples``: the middle of the longest pause in the last CUT_SEARCH s.

    Pauses are the gaps between the stretches of speech Silero VAD (faster-whisper's own)
    finds. Where there is no pause (unbroken speech, or speech over music), the
    quietest QUIET_FRAME is the best place left.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    first = max(0, len(samples) - round(min(CUT_SEARCH, len(samples) / RATE / 3) * RATE))
    tail = samples[first:]
    speech = get_speech_timestamps(tail, VadOptions(min_silence_duration_ms=300, speech_pad_ms=0))
    edges = (
        [0] + [edge for chunk in speech for edge in (chunk["start"], chunk["end"])] + [len(tail)]
    )
    gaps = [(edges[i + 1] - edges[i], edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
    length, left, right = max(gaps)
    if not speech:
        return len(samples)
    if length >= SHORTEST_PAUSE * RATE:
        return first + (left + right) // 2
    frame = round(QUIET_FRAME * RATE)
    frames = len(tail) // frame
    if frames == 0:
        return len(samples)
    energy = np.square(tail[: frames * frame].reshape(frames, frame)).mean(axis=1)
    return first + int(energy.argmin()) * frame + frame // 2
