"""The analysis frames stage: the stills every visual model looks at.

Tags, faces, text, shot scale and captions all need pictures, and decoding a film once
per model would dominate the run. This stage decodes once: every shot's middle frame
(what a shot "is") plus one frame every ``frames.sample_seconds`` (so a long take, a caption
that comes and goes or a face that enters mid-shot is still seen), scaled to at most
``frames.analysis_size`` pixels at display aspect. Later stages read them with
:func:`analysis_frames` and :func:`load_image`.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from deerin.enrich.keyframes import plan_targets
from deerin.errors import DeerinError
from deerin.index.schemas import Frames, Shot, Shots
from deerin.index.store import atomic_write_bytes
from deerin.media.frames import frames_at
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

FOLDER = "frames"
JPEG_QUALITY = 90
SMALLEST = 16  # pixels: a frame smaller than this on either side is not worth a model's time


@dataclass(frozen=True)
class AnalysisFrame:
    """One analysis still: its number, the time it shows, its shot, and its file."""

    index: int
    time: float
    shot: int
    kind: str  # "middle" (a shot's middle frame) or "sample" (the regular grid)
    path: Path


class FramesStage(Stage):
    """Decode the analysis frames once and write them as JPEGs with an index."""

    name = "frames"
    version = "1"
    requires = ("probe", "shots")
    produces = (FOLDER, Frames.file)

    def params(self) -> dict[str, Any]:
        return {
            "sample_seconds": self.settings.frames.sample_seconds,
            "analysis_size": self.settings.frames.analysis_size,
        }

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        shots = ctx.read(Shots).shots
        plan = plan_times(shots, self.settings.frames.sample_seconds)
        folder = ctx.staging / FOLDER
        folder.mkdir()
        starts = [shot.start_time for shot in shots]
        entries: list[dict[str, Any]] = []
        for grab in frames_at(ctx.source, list(plan), info):
            index = len(entries)
            name = f"{FOLDER}/f{index:06d}.jpg"
            image = _fit(grab.image, self.settings.frames.analysis_size)
            atomic_write_bytes(ctx.staging / name, _jpeg(image))
            time = round(grab.time, 4)  # a frame time that is 3.9999… belongs at 4.0
            shot = max(0, bisect.bisect_right(starts, time) - 1)
            entries.append(
                {
                    "index": index,
                    "time": time,
                    "shot": shots[shot].index if shots else 0,
                    "kind": plan[grab.requested],
                    "file": name,
                    "size": list(image.size),
                }
            )
            ctx.report(len(entries) / len(plan))
        missing = len(plan) - len(entries)
        ctx.write(
            Frames,
            {"video_id": ctx.video_id, **self.params(), "frames": entries, "missing": missing},
        )
        problem = f"{missing} of {len(plan)} frames could not be decoded" if missing else None
        return StageOutput(
            method={"name": "middle frames + regular samples", "decoder": "pyav"},
            summary={"frames": len(entries)},
            problem=problem,
        )


def plan_times(shots: list[Shot], every: float) -> dict[float, str]:
    """The times to grab, each marked "middle" or "sample", up to the last frame.

    A regular sample closer than a third of the interval to a middle frame is dropped:
    the middle frame already shows that moment.
    """
    middles = sorted({t.time for t in plan_targets(shots) if t.role == "middle"})
    plan = {time: "middle" for time in middles}
    last = shots[-1].last_frame_time if shots else -1.0
    for n in range(int(last / every) + 1 if last >= 0 else 0):
        time = round(n * every, 4)
        at = bisect.bisect_left(middles, time)
        near = [middles[i] for i in (at - 1, at) if 0 <= i < len(middles)]
        if all(abs(time - m) >= every / 3 for m in near):
            plan[time] = "sample"
    return plan


def analysis_frames(ctx: StageContext) -> list[AnalysisFrame]:
    """The analysis frames the frames stage published for this video, in time order."""
    return [
        AnalysisFrame(e.index, e.time, e.shot, e.kind, ctx.folder.path(e.file))
        for e in ctx.read(Frames).frames
    ]


def load_image(frame: AnalysisFrame) -> Image.Image:
    """The frame as RGB; raises DeerinError naming the file when it is damaged or tiny."""
    try:
        with Image.open(frame.path) as image:
            rgb = image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DeerinError(
            f"frame at {frame.time:.2f}s cannot be read ({exc})",
            path=frame.path,
            hint="rerun with --redo frames",
        ) from exc
    if min(rgb.size) < SMALLEST:
        raise DeerinError(
            f"frame at {frame.time:.2f}s is {rgb.size[0]}x{rgb.size[1]}, too small for a model",
            path=frame.path,
        )
    return rgb


def readable(
    frames: list[AnalysisFrame], errors: ItemErrors, batch: int = 16
) -> Iterator[list[tuple[AnalysisFrame, Image.Image]]]:
    """Frames with their pictures in batches; a damaged one is recorded and left out."""
    chunk: list[tuple[AnalysisFrame, Image.Image]] = []
    for frame in frames:
        try:
            chunk.append((frame, load_image(frame)))
        except DeerinError as exc:
            errors.record(exc.message, frame=frame.index, time=frame.time)
            continue
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fit(image: Image.Image, longest: int) -> Image.Image:
    if max(image.size) <= longest:
        return image
    scale = longest / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
