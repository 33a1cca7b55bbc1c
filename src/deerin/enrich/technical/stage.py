"""The tech stage: one ffmpeg pass finds black, bars, frozen picture, silence, tone, loudness.

Decoding is the cost, so the file is decoded once. The picture is shrunk at once (MPEG-2
and DV even decode small, with ``-lowres``) and runs through blackdetect and
freezedetect at its full frame rate; then ten tiny frames a second go to us through a
pipe for the colour-bars check. The sound runs through silencedetect and ebur128
(EBU R128 loudness with true peak), and a 16 kHz mono copy goes through a second pipe
to the tone check. Filter results come from ffmpeg's log (:mod:`.ffmpeg_log`).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from deerin.enrich.technical import bars, tone
from deerin.enrich.technical.ffmpeg_log import FilterLog, parse
from deerin.enrich.technical.spans import covered, true_spans
from deerin.errors import DeerinError
from deerin.index.schemas import MediaInfo, Tech
from deerin.media.audio import aligned_audio
from deerin.models.device import cpu_threads
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput
from deerin.settings import Settings

BARS_FPS = 10  # frames a second checked for bars: their start and end to within 0.1 s
SMALL_WIDTH = 160  # pixels: blackdetect and freezedetect need no more
# Decoders that can decode at 1/2, 1/4 or 1/8 size (-lowres): most of an SD tape's cost.
LOWRES_CODECS = frozenset({"mpeg1video", "mpeg2video", "mjpeg", "dvvideo"})
LOWRES_MAX = 3
FRAME_BYTES = bars.WIDTH * bars.HEIGHT * 3
REPORT_FRAMES = 300  # bars frames (30 s of video) between progress reports
FROZEN_OVERLAP = 0.8  # a freeze this much inside black or bars is not news
# Freezes this close (seconds) showing the same picture (mean grey difference under
# SAME_PICTURE of 255 across the gap) are one still: a keyframe's refresh broke it.
FROZEN_BRIDGE = 0.2
SAME_PICTURE = 4.0
SIGNATURE_BLOCK = 4  # pixels of a thumbnail averaged into one of a picture's signature
SHORT_BY = 1.0  # seconds: a pass that ends this much early, with errors, is partial
SILENT_LUFS = -70.0  # R128's absolute gate: at or below it nothing was loud enough to measure
ERROR_LINES = 5
CHECKS_VIDEO = ("black", "bars", "frozen")
CHECKS_AUDIO = ("silence", "tone", "loudness")


class TechStage(Stage):
    """Find technical events (black, bars, freeze, silence, tone) and measure loudness."""

    name = "tech"
    version = "1"
    requires = ("probe",)
    produces = (Tech.file,)

    def params(self) -> dict[str, Any]:
        return {f"tech_{key}": value for key, value in self.settings.tech}

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        threads = cpu_threads(self.settings)
        errors = ItemErrors()
        result = run_checks(ctx.source, info, self.settings, threads, ctx.report)
        if result.frames == 0 and info.audio and info.has_picture:
            # a sound ffmpeg cannot decode stops the pass: check the picture alone
            stream = info.audio[0]
            errors.record(
                f"audio stream {stream.index} ({stream.codec}) cannot be decoded, so silence, "
                f"tone and loudness were not checked: {result.error_text}"
            )
            info = info.model_copy(update={"audio": []})
            result = run_checks(ctx.source, info, self.settings, threads, ctx.report)
        if result.analysed == 0:
            raise DeerinError(
                f"ffmpeg decoded no {'picture' if info.has_picture else 'sound'} for the "
                f"technical checks: {result.error_text}",
                path=ctx.source,
                hint="check that the file plays; re-copy or re-encode it if damaged",
            )
        shortfall = result.shortfall(info.duration)
        if shortfall:
            errors.record(shortfall, time=round(result.end, 3))
        problem = errors.items[0]["problem"] if errors.items else None
        events = build_events(result, self.settings)
        document = {
            "video_id": ctx.video_id,
            "checks": [
                *(CHECKS_VIDEO if result.picture else ()),
                *(CHECKS_AUDIO if result.audio else ()),
            ],
            "audio_stream": info.audio[0].index if info.audio else None,
            "events": events,
            "loudness": result.loudness,
            "errors": errors.items,
        }
        ctx.write(Tech, document)
        method = {
            "name": "ffmpeg",
            "version": result.log.version,
            "filters": [
                *(("blackdetect", "freezedetect") if result.picture else ()),
                *(("silencedetect", "ebur128") if result.audio else ()),
            ],
            "bars": f"RGB bar order in {bars.WIDTH}x{bars.HEIGHT} frames at {BARS_FPS} fps",
            "tone": f"spectral peak purity in {tone.WINDOW} s windows at {tone.RATE} Hz",
        }
        return StageOutput(method, _summary(events, result), problem)


@dataclass
class CheckResult:
    """What the one ffmpeg pass found, before it becomes events."""

    log: FilterLog
    bars_flags: np.ndarray  # per thumbnail: colour bars or not
    pictures: np.ndarray  # per thumbnail: a coarse grey signature, to tell stills apart
    tones: list[tone.Tone]
    picture: bool
    audio: bool
    frames: int  # bars frames read, BARS_FPS a second
    heard: float  # seconds of sound analysed
    returncode: int
    complete_duration: float | None  # the probe's duration when the pass reached the end

    @property
    def analysed(self) -> float:
        """Seconds checked: of picture when there is one, else of sound."""
        return self.frames / BARS_FPS if self.picture else self.heard

    @property
    def end(self) -> float:
        """Where the analysed timeline ends: the file's duration, or where decoding stopped."""
        return self.complete_duration or self.analysed

    @property
    def error_text(self) -> str:
        return " | ".join(self.log.errors[-ERROR_LINES:]) or f"exit {self.returncode}"

    @property
    def loudness(self) -> dict[str, float | None] | None:
        """R128 integrated loudness, range and true peak; None without sound to measure."""
        figures = self.log.loudness
        if not self.audio or not figures:
            return None

        def finite(key: str) -> float | None:
            value = figures.get(key)
            return value if value is not None and np.isfinite(value) else None

        integrated = finite("integrated_lufs")
        return {
            "integrated_lufs": (
                integrated if integrated is not None and integrated > SILENT_LUFS else None
            ),
            "range_lu": finite("range_lu"),
            "true_peak_dbtp": finite("true_peak_dbtp"),
        }

    def shortfall(self, duration: float) -> str | None:
        """Why the checks cover only part of the file, or None when they cover it all."""
        if self.returncode != 0:
            return (
                f"ffmpeg stopped early (exit {self.returncode}) at {self.end:.1f}s of "
                f"{duration:.1f}s: {self.error_text}"
            )
        if self.log.errors and self.complete_duration is None:
            return (
                f"the source ended early or is damaged: checked {self.end:.1f}s of "
                f"{duration:.1f}s ({self.error_text})"
            )
        return None


def run_checks(
    source: Path,
    info: MediaInfo,
    settings: Settings,
    threads: int,
    report: Callable[[float], None] = lambda fraction: None,
) -> CheckResult:
    """Run the one ffmpeg pass over ``source`` and collect everything it found.

    The picture thumbnails come on stdout, the tone samples on a second pipe (read in a
    thread: ffmpeg writes both at once and would stall on a pipe nobody empties), the
    filter reports in the log, kept in a temporary file.
    """
    audio = bool(info.audio)
    read_end, write_end = os.pipe() if audio else (None, None)
    command = check_command(source, info, settings, threads, write_end)
    expected = max(1, round(info.duration * BARS_FPS))
    windows = None
    with (
        tempfile.TemporaryFile(mode="w+", errors="replace") as log_file,
        _start(command, log_file, write_end, read_end) as process,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        tone_report = report if not info.has_picture else lambda fraction: None
        tone_pass = (
            pool.submit(_read_tone, read_end, process, info.duration, tone_report)
            if read_end is not None
            else None
        )
        try:
            flags, pictures = _read_thumbnails(process.stdout, expected, report)  # type: ignore[arg-type]
            windows = tone_pass.result() if tone_pass else None
        finally:
            if process.poll() is None:
                process.kill()
        returncode = process.wait()
        log_file.seek(0)
        log = parse(log_file)
    frames = len(flags)
    heard = len(windows.tone) * tone.WINDOW if windows else 0.0
    measured = frames / BARS_FPS if info.has_picture else heard
    reached_end = returncode == 0 and measured >= info.duration - SHORT_BY
    return CheckResult(
        log=log,
        bars_flags=flags,
        pictures=pictures,
        tones=tone.tones(windows, settings.tech.tone_seconds) if windows else [],
        picture=info.has_picture,
        audio=audio,
        frames=frames,
        heard=heard,
        returncode=returncode,
        complete_duration=info.duration if reached_end else None,
    )


def _start(
    command: list[str], log: IO[str], write_end: int | None, read_end: int | None
) -> subprocess.Popen[bytes]:
    """Start ffmpeg with the tone pipe's write end; ours is closed so EOF reaches the reader."""
    try:
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            pass_fds=() if write_end is None else (write_end,),
        )
    except FileNotFoundError as exc:
        if read_end is not None:
            os.close(read_end)
        raise DeerinError(
            "ffmpeg is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc
    finally:
        if write_end is not None:
            os.close(write_end)


def check_command(
    source: Path, info: MediaInfo, settings: Settings, threads: int, tone_fd: int | None
) -> list[str]:
    """The ffmpeg command line: one input, the video graph, and the audio graph if any.

    Timing as in the proxy: ``-copyts`` keeps the source's timestamps and both chains
    subtract the video's start, so every reported time is seconds from the first frame.
    """
    shift = f"{info.start_time:.6f}"
    graph: list[str] = []
    outputs: list[str] = []
    if info.has_picture:
        graph.append(
            f"[0:{info.video_index}]setpts=PTS-{shift}/TB,"
            f"scale={SMALL_WIDTH}:-2:flags=area,"
            f"blackdetect=d={settings.tech.black_seconds}:pix_th={settings.tech.black_pixel},"
            f"freezedetect=n={settings.tech.freeze_noise_db}dB:d={settings.tech.freeze_seconds},"
            f"fps={BARS_FPS},scale={bars.WIDTH}:{bars.HEIGHT}:flags=area,format=rgb24[bars]"
        )
        outputs += ["-map", "[bars]", "-f", "rawvideo", "pipe:1"]
    if tone_fd is not None:
        graph.append(
            f"{aligned_audio(info.audio[0].index, info.start_time)},asplit[sound][copy];"
            f"[sound]silencedetect=n={settings.tech.silence_db}dB:d={settings.tech.silence_seconds},"
            "ebur128=peak=true:framelog=verbose,anullsink;"
            f"[copy]aresample={tone.RATE},aformat=sample_fmts=flt:channel_layouts=mono[tone]"
        )
        outputs += ["-map", "[tone]", "-f", "f32le", f"pipe:{tone_fd}"]
    return [
        "ffmpeg", "-nostdin", "-nostats", "-loglevel", "level+info", "-copyts",
        "-threads", str(threads), *_lowres(info), "-i", f"file:{source}",
        "-filter_complex", ";".join(graph), *outputs,
    ]  # fmt: skip


def _lowres(info: MediaInfo) -> list[str]:
    """Decode at a half, quarter or eighth of the size where the decoder can and it suffices.

    The filters look at a picture SMALL_WIDTH wide, so decoding the full picture of an
    MPEG-2 or DV tape mostly computes pixels that are thrown away.
    """
    if info.video_codec not in LOWRES_CODECS:
        return []
    level = 0
    while level < LOWRES_MAX and info.width >> (level + 1) >= SMALL_WIDTH:
        level += 1
    return ["-lowres", str(level)] if level else []


def _read_thumbnails(
    pipe: IO[bytes], expected: int, report: Callable[[float], None]
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each thumbnail ffmpeg sends shows bars, and its signature; progress as it goes."""
    flags: list[np.ndarray] = [np.zeros(0, dtype=bool)]
    pictures: list[np.ndarray] = [np.zeros((0, *_signature_shape()), dtype=np.uint8)]
    count = 0
    while data := pipe.read(FRAME_BYTES * REPORT_FRAMES):
        whole = len(data) // FRAME_BYTES
        frames = np.frombuffer(data[: whole * FRAME_BYTES], dtype=np.uint8)
        frames = frames.reshape(whole, bars.HEIGHT, bars.WIDTH, 3)
        flags.append(bars.bars_frames(frames))
        pictures.append(_signatures(frames))
        count += whole
        report(min(1.0, count / expected))
    return np.concatenate(flags), np.concatenate(pictures)


def _signature_shape() -> tuple[int, int]:
    return bars.HEIGHT // SIGNATURE_BLOCK, bars.WIDTH // SIGNATURE_BLOCK


def _signatures(frames: np.ndarray) -> np.ndarray:
    """Each thumbnail's grey, averaged over blocks: enough to tell one still from another."""
    rows, columns = _signature_shape()
    grey = frames.mean(axis=3)
    blocks = grey.reshape(len(frames), rows, SIGNATURE_BLOCK, columns, SIGNATURE_BLOCK)
    return blocks.mean(axis=(2, 4)).round().astype(np.uint8)


def _read_tone(
    read_end: int,
    process: subprocess.Popen[bytes],
    duration: float,
    report: Callable[[float], None],
) -> tone.ToneWindows:
    """Analyse the tone samples, reporting how far they got (a recording without a picture
    has no thumbnails to count); if that fails, stop ffmpeg so the other pipe cannot stall."""

    def counted(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        samples = 0
        for block in blocks:
            samples += len(block)
            report(min(1.0, samples / tone.RATE / max(duration, 1e-3)))
            yield block

    try:
        with os.fdopen(read_end, "rb") as pipe:
            return tone.analyse(counted(tone.read_samples(pipe)))
    except BaseException:
        process.kill()
        raise


def build_events(result: CheckResult, settings: Settings) -> list[dict[str, Any]]:
    """Every finding as an event, sorted by time, clipped to the analysed timeline."""
    end = result.end
    if not result.picture:
        return _in_order(_sound_events(result, settings, end))
    black = _clip(result.log.black, end)
    bars_spans = [
        span
        for span in _clip(true_spans(result.bars_flags, 1 / BARS_FPS), end)
        if span[1] - span[0] >= settings.tech.bars_seconds
    ]
    events = [_event(s, "black", f"black {s[1] - s[0]:.1f} s") for s in black]
    events += [_event(s, "bars", "colour bars") for s in bars_spans]
    events += [
        _event(s, "frozen", f"frozen picture {s[1] - s[0]:.1f} s")
        for s in _stills(result, end)
        if covered(s, _union(black + bars_spans)) < FROZEN_OVERLAP
    ]
    return _in_order(events + _sound_events(result, settings, end))


def _in_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (e["start"], e["end"], e["kind"]))


def _sound_events(result: CheckResult, settings: Settings, end: float) -> list[dict[str, Any]]:
    """Silence, tone and loudness events, when there was sound to check."""
    if not result.audio:
        return []
    events = [
        _event(s, "silence", "silence", noise_db=settings.tech.silence_db)
        for s in _clip(result.log.silence, end)
    ]
    events += [
        _event(span, "tone", f"tone {t.frequency:.0f} Hz", **t.detail())
        for t in result.tones
        for span in _clip([(t.start, t.end)], end)
    ]
    return events + _loudness_event(result.loudness, settings, end)


def _clip(spans: list[tuple[float, float | None]], end: float) -> list[tuple[float, float]]:
    """Spans inside [0, end]; an open one (still running at the end) closes there.

    blackdetect ends a span that reaches the end of the file at its last frame's start,
    so a span ending within a frame or so of the end is taken to the end.
    """
    clipped = []
    for start, stop in spans:
        stop = end if stop is None or stop >= end - 1.5 / BARS_FPS else stop
        start = max(0.0, start)
        if stop > start:
            clipped.append((start, stop))
    return clipped


def _stills(result: CheckResult, end: float) -> list[tuple[float, float]]:
    """The frozen spans, those that are one still picture broken by a keyframe joined up."""
    joined: list[tuple[float, float]] = []
    for start, stop in _clip(result.log.frozen, end):
        if joined and _one_still(result.pictures, joined[-1][1], start):
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return joined


def _one_still(pictures: np.ndarray, end: float, start: float) -> bool:
    """Whether a freeze ending at ``end`` and one from ``start`` show the same picture."""
    if start - end > FROZEN_BRIDGE or not len(pictures):
        return False
    last = len(pictures) - 1
    before, after = end - FROZEN_BRIDGE, start + FROZEN_BRIDGE
    first, second = (min(last, max(0, round(t * BARS_FPS))) for t in (before, after))
    difference = np.abs(pictures[first].astype(float) - pictures[second].astype(float))
    return float(difference.mean()) < SAME_PICTURE


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping spans merged, so their coverage is not counted twice."""
    merged: list[tuple[float, float]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _event(span: tuple[float, float], kind: str, text: str, **detail: Any) -> dict[str, Any]:
    start, end = span
    return {
        "start": round(start, 3),
        "end": round(end, 3),
        "kind": kind,
        "text": text,
        "detail": {"duration": round(end - start, 3), **detail},
    }


def _loudness_event(
    loudness: dict[str, float | None] | None, settings: Settings, end: float
) -> list[dict[str, Any]]:
    """One whole-programme "loudness" event when R128 figures are out of bounds, else none.

    A programme far from the target, or with a true peak above the ceiling, needs
    normalising before broadcast or streaming; the event puts that flag beside the other
    findings in every export. It spans the whole file because the integrated figure does.
    """
    if not loudness or loudness["integrated_lufs"] is None:
        return []
    integrated = loudness["integrated_lufs"]
    peak = loudness["true_peak_dbtp"]
    target, tolerance = settings.tech.loudness_target, settings.tech.loudness_tolerance
    problems = []
    if abs(integrated - target) > tolerance:
        problems.append(f"loudness {integrated:.1f} LUFS (target {target:g} ±{tolerance:g})")
    if peak is not None and peak > settings.tech.max_true_peak:
        problems.append(f"true peak {peak:+.1f} dBTP (max {settings.tech.max_true_peak:g})")
    if not problems:
        return []
    return [
        _event(
            (0.0, end),
            "loudness",
            "; ".join(problems),
            integrated_lufs=integrated,
            true_peak_dbtp=peak,
            target_lufs=target,
        )
    ]


def _summary(events: list[dict[str, Any]], result: CheckResult) -> dict[str, Any]:
    """A line for `deerin status`: how many events of each kind, and the loudness."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event["kind"]] = counts.get(event["kind"], 0) + 1
    summary: dict[str, Any] = {
        "events": ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"
    }
    loudness = result.loudness
    if not result.audio:
        summary["audio"] = "not checked (none, or not decodable): silence, tone, loudness"
    elif loudness and loudness["integrated_lufs"] is not None:
        summary["loudness"] = f"{loudness['integrated_lufs']:.1f} LUFS"
    return summary
