"""Render an edit to one MP4: every clip cut on its frame, at one size, rate and sound.

Sources differ in size, frame rate, pixel aspect, interlacing and whether they have
sound; the output cannot. The clips are made into segments of the output's exact format
by short ffmpeg runs (a batch of up to 8 clips each, joined in it by the concat filter;
a batch that fails is cut again clip by clip): an accurate seek to each clip's first
frame, deinterlacing where needed, scaled to fit and padded to the output size with
square pixels, converted to the output rate, cut to an exact number of frames, with
sound (or silence) of exactly that length and short fades at each cut so cuts do not
click. Exact lengths keep picture and sound in step however many clips follow.

The segments are then joined by ffmpeg's concat demuxer, copying the picture. One
ffmpeg holds at most 8 sources open at a time, so an edit of thousands of clips never
runs out of file handles or memory, and the segments are made in parallel; batches
spare seven in eight process starts (bench/supercut.py). Sound is kept as PCM in
the segments and encoded once when they are joined: AAC segments each start with the
encoder's priming samples, which a copying join keeps, a glitch at every cut that adds
up (40 AAC segments of 0.4 s join to 17.1 s of sound under 16 s of picture).

The output appears only when whole: the work happens in a scratch folder beside it,
removed whatever happens (a failure, Ctrl-C), and an older file of that name is
replaced only at the very end.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from deerin.errors import DeerinError, StoreError
from deerin.export.timeline import source_rate
from deerin.index.schemas import Edit, EditClip, EditSource
from deerin.index.store import publish, staging_dir
from deerin.media.proxy import ENCODER, PRESET, STDERR_LINES, require_x264

CRF = 20
AUDIO_BITRATE = "192k"
FADE = 0.02  # seconds of fade in and out at each cut: enough to stop a click, too short to hear
MAX_HEIGHT = 1080
SOUND_ONLY = (Fraction(25), Fraction(16, 9), 360)  # rate, aspect and height with no picture
SEEK_EARLY = 0.001  # seconds: seek this far before a frame, which may be stored rounded (ms)
READ_MORE = 0.1  # seconds read past a clip's end, so rate conversion has its last frame
# Every segment is encoded alike, so the concat demuxer can join them by copying.
VIDEO_CODEC = ("-c:v", ENCODER, "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p")
FFMPEG = ("ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats")
BATCH = 8  # clips one ffmpeg cuts: an eighth of the starts, at most 8 files open in it
OUTPUT_HINT = "choose another output path, in a folder you can write to"


@dataclass(frozen=True)
class Format:
    """The output's picture and sound: every clip is made to this, whatever its source."""

    width: int
    height: int
    rate: str  # the exact frame rate, e.g. "24000/1001"
    sample_rate: int = 48000
    channels: str = "stereo"

    @property
    def fps(self) -> float:
        return float(self.fraction)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.rate)

    def frames(self, start: float, end: float) -> int:
        """Whole output frames from ``start`` to ``end`` on the output's frame grid, as the
        timeline exports count them (so a WebVTT of the edit stays on the render's frames);
        at least one: a clip is never dropped."""
        return max(1, round(end * self.fraction) - round(start * self.fraction))

    def samples(self, frames: int) -> int:
        """Sound samples as long as ``frames`` frames, so sound ends where picture does."""
        return round(frames * self.sample_rate / self.fraction)

    def timescale(self) -> int:
        """A track time scale in which every frame is a whole number of ticks (like
        ffmpeg's own, at least 10000), the same for every segment and the output."""
        scale = self.fraction.numerator
        while scale < 10000:
            scale *= 2
        return scale


@dataclass(frozen=True)
class Skipped:
    """A clip left out of the render, and why (its file moved, or ffmpeg could not cut it)."""

    clip: int  # its index in the edit
    source: str  # the source's title
    reason: str


@dataclass(frozen=True)
class RenderResult:
    """What was written: the file, how many clips, which were left out and why, how long
    the film is and how long making it took."""

    path: Path
    rendered: int
    skipped: tuple[Skipped, ...]
    duration: float
    elapsed: float


@dataclass(frozen=True)
class _Cut:
    """One clip as a segment: where to read it and exactly how long it is."""

    index: int
    clip: EditClip
    source: EditSource
    frames: int
    samples: int


def display_aspect(source: EditSource) -> Fraction | None:
    """Width over height as seen, square pixels (None for a sound recording)."""
    if source.fps is None or not source.width or not source.height:
        return None
    try:
        sample = Fraction((source.sample_aspect or "1:1").replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        sample = Fraction(1)
    sample = sample if sample > 0 else Fraction(1)
    return (source.width * sample / source.height).limit_denominator(1000)


def output_format(edit: Edit, height: int | None = None) -> Format:
    """The format most of the edit is in, so most clips are changed least.

    Each clip votes with its source: the most common exact frame rate and the most
    common displayed aspect win; the height is the tallest source's (at most 1080), or
    ``height``. An edit of sound recordings only is 25 fps 16:9 at 360 lines of black.
    """
    used = [edit.sources[clip.video_id] for clip in edit.clips if clip.video_id in edit.sources]
    rates = Counter(rate for rate in map(source_rate, used) if rate is not None)
    aspects = Counter(aspect for aspect in map(display_aspect, used) if aspect is not None)
    if not rates or not aspects:
        rate, aspect, tallest = SOUND_ONLY
    else:
        rate, aspect = rates.most_common(1)[0][0], aspects.most_common(1)[0][0]
        tallest = min(MAX_HEIGHT, max(s.height or 0 for s in used if display_aspect(s)))
    out_height = max(2, (height or tallest) // 2 * 2)
    width = max(2, round(out_height * aspect / 2) * 2)
    return Format(width, out_height, f"{rate.numerator}/{rate.denominator}")


def render(
    edit: Edit,
    out: Path,
    *,
    fmt: Format | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 2,
) -> RenderResult:
    """Render ``edit`` to the MP4 ``out``; ``progress(done, total)`` after each batch of
    clips cut (of those whose file is there).

    Clips whose file is gone (moved since ingest) or that ffmpeg cannot cut are left
    out and named in the result; the rest are rendered. ``out`` is written only when
    whole: on any failure or Ctrl-C the ffmpeg runs are stopped, the scratch folder
    removed, and a file already at ``out`` is left as it was.
    """
    began = time.monotonic()
    out = Path(out)
    require_x264()
    fmt = fmt or output_format(edit)
    with ExitStack() as stack:
        work = _scratch(out, stack)
        cuts, skipped = _plan(edit, fmt)
        if not cuts:
            why = "; ".join(dict.fromkeys(s.reason for s in skipped)) or "the edit has no clips"
            raise DeerinError(
                f"nothing to render: {why}",
                path=out,
                hint="check that the edit's files are where they were ingested",
            )
        children = _Children()
        segments, failed = _segments(cuts, work, fmt, children, progress, workers)
        made = [cut for segment in segments for cut in segment.cuts]
        if not made:
            raise DeerinError(
                f"no clip could be rendered ({failed[0].reason})",
                path=out,
                hint="check the file named: it may be damaged",
            )
        publish(_join(segments, work, fmt, children, out), out)
    duration = sum(cut.frames for cut in made) / fmt.fraction
    skipped = sorted(skipped + failed, key=lambda s: s.clip)
    return RenderResult(out, len(made), tuple(skipped), float(duration), time.monotonic() - began)


def concat_filter_peer(edit: Edit, out: Path, fmt: Format) -> None:
    """The same cuts made by ffmpeg's concat filter in one run: the peer the benchmark
    times :func:`render` against.

    Each clip is one input of a single ffmpeg (seeked with ``-ss``/``-t``), filtered
    exactly as a segment is and encoded with the same settings, so the two differ only
    in how the work is split. The renderer does not work this way because one process
    holds every clip's file open at once (an edit of thousands of clips runs out of file
    handles), builds a filter graph of thousands of inputs that decode in step, and
    cannot use more than one encoder at a time nor leave out a clip that fails.
    """
    cuts, skipped = _plan(edit, fmt)
    if skipped:
        raise DeerinError(skipped[0].reason, path=out, hint="render needs every file")
    command = [
        *FFMPEG, *_joined_clips(cuts, fmt), *VIDEO_CODEC, "-c:a", "aac", "-b:a", AUDIO_BITRATE,
        "-video_track_timescale", str(fmt.timescale()), "-movflags", "+faststart", f"file:{out}",
    ]  # fmt: skip
    returncode, errors = _Children().run(command)
    if returncode != 0:
        raise DeerinError(f"ffmpeg's concat filter failed: {errors}", path=out)


def _scratch(out: Path, stack: ExitStack) -> Path:
    """A scratch folder beside ``out``, removed when ``stack`` closes; making it is the
    check that ``out`` can be written, before any clip is cut."""
    if out.is_dir():
        raise DeerinError("is a folder, not a file name", path=out, hint=OUTPUT_HINT)
    try:
        return stack.enter_context(staging_dir(out.parent, "render"))
    except StoreError as exc:
        raise DeerinError(exc.problem, path=out.parent, hint=OUTPUT_HINT) from exc


def _plan(edit: Edit, fmt: Format) -> tuple[list[_Cut], list[Skipped]]:
    """Every clip whose file is still there, with its exact length; the others, with why."""
    cuts: list[_Cut] = []
    skipped: list[Skipped] = []
    for index, clip in enumerate(edit.clips):
        source = edit.sources.get(clip.video_id)
        if source is None:
            skipped.append(Skipped(index, clip.video_id, f"video {clip.video_id} has no source"))
        elif not Path(source.path).is_file():
            reason = f"{source.title}: {source.path} is not there (moved since ingest?)"
            skipped.append(Skipped(index, source.title, reason))
        else:
            frames = fmt.frames(clip.start, clip.end)
            cuts.append(_Cut(index, clip, source, frames, fmt.samples(frames)))
    return cuts, skipped


def _input(cut: _Cut, fmt: Format) -> list[str]:
    """The input options that open ``cut``'s source at its first frame.

    ``-seek_timestamp`` makes ``-ss`` a time in the file, so the source's start time
    (a transport stream's is rarely 0) is added here, not guessed by ffmpeg. A seek
    before ``-i`` that is re-encoded is exact: frames before it are decoded and dropped.
    The seek lands just before the frame nearest the clip's start, so that frame is
    the first kept even when the file stores times rounded.
    """
    rate = source_rate(cut.source)
    start = cut.clip.start
    if rate is not None:
        start = float(round(start * rate) / rate) - SEEK_EARLY
    length = cut.frames / fmt.fraction + READ_MORE
    return [
        "-seek_timestamp", "1", "-ss", f"{cut.source.start_time + start:.6f}",
        "-t", f"{float(length):.6f}", "-i", f"file:{cut.source.path}",
    ]  # fmt: skip


def _clip_graph(cut: _Cut, fmt: Format, stream: str, video: str, audio: str) -> list[str]:
    """Filter chains that make input ``stream``'s clip into labels ``video`` and ``audio``
    of the output format: a sound recording gets black, a silent film silence."""
    size = f"{fmt.width}x{fmt.height}"
    if cut.source.fps is None:
        picture = f"color=c=black:s={size}:r={fmt.rate},format=yuv420p,setsar=1"
    else:
        picture = f"[{stream}:v:0]{_fit(cut.source, fmt)}"
    if cut.source.audio:
        sound = f"[{stream}:a:0]{_sound(fmt, cut.samples)}"
    else:
        sound = f"anullsrc=r={fmt.sample_rate}:cl={fmt.channels}"
    return [
        f"{picture},trim=end_frame={cut.frames}[{video}]",
        f"{sound},atrim=end_sample={cut.samples}[{audio}]",
    ]


def _fit(source: EditSource, fmt: Format) -> str:
    """Deinterlace, fit inside the output with square pixels (by displayed aspect, so
    anamorphic DVD and rotated phone footage keep their shape), pad to size in black,
    and convert the rate, holding the last frame should the source end early."""
    wide = f"gte(dar,{fmt.width}/{fmt.height})"
    width = f"if({wide},{fmt.width},2*round({fmt.height}*dar/2))"
    height = f"if({wide},2*round({fmt.width}/dar/2),{fmt.height})"
    chain = ["bwdif=mode=send_frame:parity=auto:deint=interlaced"] if source.interlaced else []
    chain += [
        f"scale=w='{width}':h='{height}':flags=bicubic",
        "format=yuv420p",
        f"pad={fmt.width}:{fmt.height}:(ow-iw)/2:(oh-ih)/2:color=black",
        "setsar=1",
        f"fps={fmt.rate}",
        "tpad=stop=-1:stop_mode=clone",
    ]
    return ",".join(chain)


def _sound(fmt: Format, samples: int) -> str:
    """Sound from the clip's first frame, resampled to the output's, faded in and out at
    the cuts, and padded with silence so it is never shorter than the picture."""
    fade = min(round(FADE * fmt.sample_rate), samples // 2)
    return ",".join(
        [
            f"aresample={fmt.sample_rate}:async=1:first_pts=0",
            f"aformat=sample_rates={fmt.sample_rate}:channel_layouts={fmt.channels}",
            f"afade=t=in:ns={fade}",
            "apad",
            f"atrim=end_sample={samples}",
            f"afade=t=out:ss={samples - fade}:ns={fade}",
        ]
    )


def _joined_clips(cuts: list[_Cut], fmt: Format) -> list[str]:
    """ffmpeg arguments opening each clip as an input, filtering it to the output format
    and joining them all with the concat filter, mapped as the output's streams."""
    inputs: list[str] = []
    graph: list[str] = []
    for number, cut in enumerate(cuts):
        inputs += _input(cut, fmt)
        graph += _clip_graph(cut, fmt, str(number), f"v{number}", f"a{number}")
    pairs = "".join(f"[v{n}][a{n}]" for n in range(len(cuts)))
    graph.append(f"{pairs}concat=n={len(cuts)}:v=1:a=1[v][a]")
    return [*inputs, "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]"]


def _segment_command(batch: list[_Cut], fmt: Format, target: Path) -> list[str]:
    """One ffmpeg run cutting a batch of clips into one segment: each clip an input,
    filtered to the output format, joined by the concat filter; picture in the shared
    H.264 settings, sound as PCM (encoded once, at the join)."""
    return [
        *FFMPEG, *_joined_clips(batch, fmt), *VIDEO_CODEC, "-c:a", "pcm_s16le",
        "-video_track_timescale", str(fmt.timescale()), "-f", "mov", f"file:{target}",
    ]  # fmt: skip


@dataclass(frozen=True)
class _Segment:
    """A file of the scratch folder holding some clips, back to back, in edit order."""

    path: Path
    cuts: tuple[_Cut, ...]

    def seconds(self, fmt: Format) -> float:
        return float(sum(cut.frames for cut in self.cuts) / fmt.fraction)


def _segments(
    cuts: list[_Cut],
    work: Path,
    fmt: Format,
    children: _Children,
    progress: Callable[[int, int], None] | None,
    workers: int,
) -> tuple[list[_Segment], list[Skipped]]:
    """Cut the clips into segment files, a batch of BATCH clips per ffmpeg, ``workers``
    at a time; the segments made, in edit order, and the clips ffmpeg could not cut."""
    batches = [cuts[at : at + BATCH] for at in range(0, len(cuts), BATCH)]
    made: list[_Segment] = []
    failed: list[Skipped] = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        try:
            futures = [pool.submit(_cut_batch, batch, fmt, work, children) for batch in batches]
            done = 0
            for future in as_completed(futures):
                segments, problems = future.result()
                made += segments
                failed += problems
                done += sum(len(s.cuts) for s in segments) + len(problems)
                if progress is not None:
                    progress(done, len(cuts))
        except BaseException:
            children.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return sorted(made, key=lambda s: s.cuts[0].index), failed


def _cut_batch(
    batch: list[_Cut], fmt: Format, work: Path, children: _Children
) -> tuple[list[_Segment], list[Skipped]]:
    """One segment of the whole batch; should ffmpeg fail on it, each clip on its own,
    so one damaged file loses only its own clips."""
    target = work / f"{batch[0].index:07d}.mov"
    returncode, errors = children.run(_segment_command(batch, fmt, target))
    if returncode == 0:
        return [_Segment(target, tuple(batch))], []
    if len(batch) == 1:
        cut = batch[0]
        reason = f"{cut.source.title}: ffmpeg could not cut {cut.clip.start:.3f}s: {errors}"
        return [], [Skipped(cut.index, cut.source.title, reason)]
    made: list[_Segment] = []
    failed: list[Skipped] = []
    for cut in batch:
        segments, problems = _cut_batch([cut], fmt, work, children)
        made += segments
        failed += problems
    return made, failed


def _join(
    segments: list[_Segment], work: Path, fmt: Format, children: _Children, out: Path
) -> Path:
    """Join the segments into one file in ``work``, copying their picture and encoding
    their sound once; the file made.

    Each segment's length is written in the list, exactly, so no rounding of a
    segment's stored length moves the next one."""
    lines = ["ffconcat version 1.0"]
    for segment in segments:
        lines.append(f"file '{segment.path.name}'")
        lines.append(f"duration {segment.seconds(fmt):.6f}")
    listing, joined = work / "segments.ffconcat", work / "render.mp4"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [
        *FFMPEG, "-f", "concat", "-safe", "0", "-i", f"file:{listing}", "-map", "0:v",
        "-map", "0:a", "-c:v", "copy", "-c:a", "aac", "-b:a", AUDIO_BITRATE,
        "-video_track_timescale", str(fmt.timescale()), "-movflags", "+faststart",
        "-f", "mp4", f"file:{joined}",
    ]  # fmt: skip
    returncode, errors = children.run(command)
    if returncode != 0:
        raise DeerinError(
            f"ffmpeg could not join the clips: {errors}", path=out, hint="check the disk"
        )
    return joined


class _Children:
    """The ffmpeg runs going on now, so that a failure or Ctrl-C stops every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._stopped = False

    def run(self, command: list[str]) -> tuple[int, str]:
        """Run ``command``; its exit status and last error lines (-1 once stopped)."""
        with self._lock:
            if self._stopped:
                return -1, "stopped"
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
            self._running.add(process)
        try:
            _, errors = process.communicate()
        except BaseException:  # Ctrl-C while waiting: this run must not outlive us
            process.kill()
            process.wait()
            raise
        finally:
            with self._lock:
                self._running.discard(process)
        return process.returncode, " | ".join(errors.strip().splitlines()[-STDERR_LINES:])

    def stop(self) -> None:
        """Kill every run and start no more."""
        with self._lock:
            self._stopped = True
            for process in self._running:
                process.kill()
