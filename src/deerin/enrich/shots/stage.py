"""The shots stage: one decoding pass gives the shot list and the colour barcode.

Shot boundaries come from the configured detector (PySceneDetect on CPU, TransNetV2 on
a GPU when ``models.shots`` is ``auto``). The same frames feed the colour barcode the
web app shows above its timeline: one column per slice of time, each the mean colour
of the frames in it. A damaged file gives the shots of the part that decoded, and the
stage says where decoding stopped instead of failing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from deerin.enrich.shots.detector import build_shots
from deerin.errors import DeerinError
from deerin.index.schemas import MediaInfo, Shots
from deerin.index.store import atomic_write_bytes
from deerin.media.decode import FrameSize, FrameStream
from deerin.models.backends import open_model
from deerin.models.resolver import ModelChoice, choose
from deerin.plugins.stage import Stage, StageContext, StageOutput

BARCODE_HEIGHT = 120


class ShotsStage(Stage):
    """Find shot boundaries and draw the colour barcode, in one decoding pass."""

    name = "shots"
    version = "1"
    requires = ("probe",)
    produces = (Shots.file, "barcode.png")
    models = ("shots",)

    def detector(self) -> ModelChoice:
        """The detector to run: ``auto`` means TransNetV2 on a CUDA GPU, else PySceneDetect."""
        return choose("shots", self.settings)

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        """A sound recording has no shots."""
        return info.has_picture

    def params(self) -> dict[str, Any]:
        settings = self.settings
        chosen = self.detector()
        method = "pyscenedetect" if chosen.backend == "rules" else "transnetv2"
        params: dict[str, Any] = {
            "method": method,
            "fade_threshold": settings.shots.fade_threshold,
            "min_shot_seconds": settings.shots.min_shot_seconds,
            "barcode_width": settings.shots.barcode_width,
        }
        if method == "transnetv2":
            params["transnet_threshold"] = settings.shots.transnet_threshold
            params["transnet_weights"] = (
                str(chosen.path or chosen.name) if chosen.kind == "path" else "bundled"
            )
        else:
            params["adaptive_threshold"] = settings.shots.adaptive_threshold
        return params

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        detector = open_model("shots", self.settings)(info)
        size = detector.frame_size(info)
        stream = FrameStream(info, [size])
        times: list[float] = []
        colours: list[np.ndarray] = []
        duration = info.duration
        for frame in stream:
            detector.process(frame.index, frame.time, frame.image(size))
            colours.append(_mean_colour(frame.image(size), size))
            times.append(frame.time)
            ctx.report(min(1.0, frame.time / duration) if duration > 0 else 0.0)
        if not times:
            raise DeerinError(
                f"no video frame could be decoded ({stream.stopped or 'empty stream'})",
                path=ctx.source,
                hint="the file may be damaged: re-copy it from the source",
            )
        shots = build_shots(
            detector.finish(), times, stream.decoded_to, self.settings.shots.min_shot_seconds
        )
        method = detector.method()
        ctx.write(
            Shots,
            {
                "video_id": ctx.video_id,
                "fps": info.fps,
                "frame_count": stream.frame_count,
                "duration": round(_duration(stream), 6),
                "decoded_to": round(stream.decoded_to, 6),
                "method": method,
                "shots": shots,
            },
        )
        png = barcode_png(
            np.array(times), np.array(colours), stream.decoded_to, self.settings.shots.barcode_width
        )
        atomic_write_bytes(ctx.staging / "barcode.png", png)
        return StageOutput(method=method, summary=_summary(shots), problem=stream.stopped)


def barcode_png(times: np.ndarray, colours: np.ndarray, end: float, width: int) -> bytes:
    """The colour barcode: one column per equal slice of ``[0, end)``, as a PNG.

    A video shorter than ``shots.barcode_width`` frames gets one column per frame. A slice
    that no frame falls into (a gap in a variable-frame-rate file) repeats the colour
    before it.
    """
    columns = max(1, min(width, len(times)))
    slot = np.minimum((times / max(end, 1e-9) * columns).astype(int), columns - 1)
    sums = np.zeros((columns, 3))
    counts = np.zeros(columns)
    np.add.at(sums, slot, colours)
    np.add.at(counts, slot, 1)
    filled = np.maximum.accumulate(np.where(counts > 0, np.arange(columns), 0))
    means = (sums[filled] / np.maximum(counts[filled], 1)[:, None]).round().astype(np.uint8)
    picture = np.repeat(means[None], BARCODE_HEIGHT, axis=0)
    buffer = io.BytesIO()
    Image.fromarray(picture, "RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _mean_colour(image: np.ndarray, size: FrameSize) -> np.ndarray:
    """A frame's mean colour as RGB (cv2.mean is some fifty times faster than numpy's)."""
    mean = np.array(cv2.mean(image)[:3])
    return mean[::-1] if size.format == "bgr24" else mean


def _duration(stream: FrameStream) -> float:
    """The file's length: what decoded, or what the file claims when decoding stopped early."""
    if stream.stopped is None:
        return stream.decoded_to
    return max(stream.info.duration, stream.decoded_to)


def _summary(shots: list[dict[str, Any]]) -> dict[str, int]:
    kinds = [s["transition_in"]["kind"] for s in shots if s["transition_in"]]
    return {
        "shots": len(shots),
        "cuts": kinds.count("cut"),
        "fades": kinds.count("fade"),
        "dissolves": kinds.count("dissolve"),
    }
