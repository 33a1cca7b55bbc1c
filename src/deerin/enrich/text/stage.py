"""The text stage: OCR every analysis frame and write the texts as time-coded events.

OCR is the costliest visual model, so the stage avoids work it does not need: a flat
frame (black, a fade, an empty card) cannot hold text and is not read at all; a frame
that looks like the one before it (an intertitle held for ten seconds, a caption over a
still) reuses that frame's reading; and the recogniser only ever sees the lines the
detector found, on a detector pass at ``text.detect_size`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from deerin.enrich.frames import AnalysisFrame, analysis_frames, readable
from deerin.enrich.text.events import FrameText, blocks, events, normalised
from deerin.enrich.text.ocr import Line, Reader, reader
from deerin.index.schemas import Frames, Text
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

THUMB_WIDTH = 160  # pixels: the small grey copy the gates compare
FLAT = 2.0  # grey levels: a thumbnail this even (standard deviation) shows no text
REPEAT = 12.0  # grey levels: no thumbnail pixel moved more than this, brightness aside


@dataclass
class Gate:
    """Decides, from a small grey copy, whether a frame needs the reader at all.

    Flicker and exposure drift change every pixel of a held intertitle by about the same
    amount, so the repeat test subtracts the mean difference before looking at the
    largest one; a caption appearing changes a few pixels by a lot and is read again.
    """

    previous: np.ndarray | None = None
    lines: list[Line] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"read": 0, "repeat": 0, "flat": 0})

    def read(self, image: Image.Image, ocr: Reader, detect_size: int) -> list[Line]:
        """The frame's lines: read, reused from the previous frame, or none for a flat one."""
        thumb = _thumbnail(image)
        previous, self.previous = self.previous, thumb
        if float(thumb.std()) < FLAT:
            self.counts["flat"] += 1
            self.lines = []
        elif previous is not None and previous.shape == thumb.shape and _unchanged(previous, thumb):
            self.counts["repeat"] += 1
        else:
            self.counts["read"] += 1
            self.lines = ocr.read(np.asarray(image), detect_size)
        return self.lines


class TextStage(Stage):
    """On-screen text (intertitles, credits, captions, signs) as time-coded events."""

    name = "text"
    version = "2"
    requires = ("frames",)
    produces = (Text.file,)
    models = ("ocr",)

    def params(self) -> dict[str, Any]:
        return {
            "ocr_model": self.settings.models.ocr,
            "min_confidence": self.settings.text.min_confidence,
            "detect_size": self.settings.text.detect_size,
        }

    def run(self, ctx: StageContext) -> StageOutput:
        ocr = reader(self.settings)
        frames = analysis_frames(ctx)
        errors = ItemErrors()
        gate = Gate()
        texts: list[FrameText] = []
        for batch in readable(frames, errors):
            for frame, image in batch:
                lines = gate.read(image, ocr, self.settings.text.detect_size)
                kept = [line for line in lines if self.worth_keeping(line)]
                texts.append(blocks(frame.index, frame.time, kept, image.size))
            ctx.report(len(texts) / max(1, len(frames)))
        found = events(texts, self._last_end(ctx, frames))
        model = {
            "name": ocr.models.name,
            "backend": "onnxruntime",
            "detect_size": self.settings.text.detect_size,
        }
        ctx.write(
            Text,
            {"video_id": ctx.video_id, "model": model, "events": found, "errors": errors.items},
        )
        return StageOutput(
            method={"name": ocr.models.name, "backend": "onnxruntime (RapidOCR)"},
            summary={"events": len(found), **gate.counts},
            problem=errors.problem(len(frames)),
        )

    def worth_keeping(self, line: Line) -> bool:
        """A confident line of two or more characters, at least one a letter or digit.

        Textures (foliage, brickwork, film grain) make the recogniser produce single
        characters and symbols at low confidence; those are noise, not text.
        """
        text = normalised(line.text)
        return (
            line.confidence >= self.settings.text.min_confidence
            and len(text) >= 2
            and any(char.isalnum() for char in text)
        )

    def _last_end(self, ctx: StageContext, frames: list[AnalysisFrame]) -> float:
        """When a text still on screen at the last analysis frame ends: one interval on."""
        if not frames:
            return 0.0
        every = ctx.read(Frames).sample_seconds
        return min(frames[-1].time + every, ctx.media_info().duration)


def _thumbnail(image: Image.Image) -> np.ndarray:
    height = max(1, round(image.height * THUMB_WIDTH / image.width))
    small = image.convert("L").resize((THUMB_WIDTH, height), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32)


def _unchanged(previous: np.ndarray, thumb: np.ndarray) -> bool:
    difference = thumb - previous
    return float(np.abs(difference - difference.mean()).max()) <= REPEAT
