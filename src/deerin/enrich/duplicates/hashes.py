"""The hashes stage: a 64-bit perceptual hash of every analysis frame.

A perceptual hash (pHash) keeps only the coarse pattern of light and dark in a picture,
so the same frame after a resize, a new encode or a colour shift hashes to (almost) the
same 64 bits, while different pictures differ in about half of them. Black bars are
trimmed first, so letterboxed and full-frame copies of a shot agree. Crops and zooms
change the pattern: there the duplicates step leans on image embeddings instead.

Frames with next to no detail (black, fades, a flat colour field) hash to noise that
would match every other such frame; they are marked ``flat`` and never matched.
"""

from __future__ import annotations

import bisect
from typing import Any

import cv2
import numpy as np

from deerin.enrich.frames import analysis_frames, readable
from deerin.index.schemas import Frames, Hashes
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

HASH_BITS = 64
SMALL = 32  # the picture is reduced to 32x32 before the DCT ...
LOW = 8  # ... and the 8x8 lowest frequencies after the constant term make the hash
BORDER_LUMA = 24.0  # edge rows/columns darker than this on average are letterbox bars
MAX_BORDER = 0.25  # never trim more than this from one side: a dark scene is not a bar
FLAT_STD = 4.0  # luma spread (of 255) under which a frame shows nothing to match


def phash(gray: np.ndarray) -> int:
    """The 64-bit DCT perceptual hash of a grayscale picture (2-D uint8 array).

    Steps: trim black borders, reduce to 32x32, 2-D DCT, keep the 8x8 block of lowest
    frequencies without the constant (DC) row and column, set a bit where a coefficient
    is above the block's median. Leaving out DC makes the hash blind to overall
    brightness; the median threshold makes it blind to contrast.
    """
    low = cv2.dct(_thumbnail(gray))[1 : LOW + 1, 1 : LOW + 1]
    bits = (low > np.median(low)).ravel()
    return int(np.packbits(bits).view(">u8")[0])


def is_flat(gray: np.ndarray) -> bool:
    """Whether the picture is too uniform for its hash to mean anything."""
    return float(_thumbnail(gray).std()) < FLAT_STD


def trim_borders(gray: np.ndarray) -> np.ndarray:
    """The picture without black bars (letterbox, pillarbox, a DVD's dark edge lines)."""
    height, width = gray.shape
    rows, cols = gray.mean(axis=1), gray.mean(axis=0)
    top, bottom = _dark_edge(rows), _dark_edge(rows[::-1])
    left, right = _dark_edge(cols), _dark_edge(cols[::-1])
    return gray[top : height - bottom, left : width - right]


def _dark_edge(means: np.ndarray) -> int:
    """How many leading rows (or columns) are dark, at most ``MAX_BORDER`` of them."""
    limit = int(len(means) * MAX_BORDER)
    bright = np.flatnonzero(means[:limit] >= BORDER_LUMA)
    return int(bright[0]) if len(bright) else limit


def _thumbnail(gray: np.ndarray) -> np.ndarray:
    small = cv2.resize(trim_borders(gray), (SMALL, SMALL), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)


def signature(entries: list[dict[str, Any]], every: float, duration: float) -> list[str | None]:
    """The whole video as a fixed-rate sequence: the hash shown every ``every`` seconds.

    Position n holds the hash of the analysis frame nearest n x ``every`` (None where
    that frame is flat), so two copies give the same sequence shifted by their offset,
    whatever their shots, and any tool can slide one against the other.
    """
    times = [entry["time"] for entry in entries]
    sequence: list[str | None] = []
    for n in range(int(duration / every) + 1 if entries else 0):
        at = bisect.bisect_left(times, n * every)
        near = min(
            (i for i in (at - 1, at) if 0 <= i < len(times)),
            key=lambda i: abs(times[i] - n * every),
        )
        sequence.append(None if entries[near]["flat"] else entries[near]["phash"])
    return sequence


class HashesStage(Stage):
    """Hash every analysis frame; the duplicates step compares them across the collection."""

    name = "hashes"
    version = "1"
    requires = ("frames",)
    produces = (Hashes.file,)

    def params(self) -> dict[str, Any]:
        return {"bits": HASH_BITS, "flat_std": FLAT_STD, "border_luma": BORDER_LUMA}

    def run(self, ctx: StageContext) -> StageOutput:
        frames = analysis_frames(ctx)
        errors = ItemErrors()
        entries: list[dict[str, Any]] = []
        for batch in readable(frames, errors):
            for frame, image in batch:
                gray = np.asarray(image.convert("L"))
                entries.append(
                    {
                        "frame": frame.index,
                        "time": frame.time,
                        "shot": frame.shot,
                        "kind": frame.kind,
                        "phash": f"{phash(gray):016x}",
                        "flat": is_flat(gray),
                    }
                )
            ctx.report(len(entries) / len(frames))
        every = ctx.read(Frames).sample_seconds
        ctx.write(
            Hashes,
            {
                "video_id": ctx.video_id,
                "bits": HASH_BITS,
                "frames": entries,
                "signature": {
                    "every": every,
                    "phashes": signature(entries, every, ctx.media_info().duration),
                },
                "errors": errors.items,
            },
        )
        return StageOutput(
            method={"name": "pHash", "detail": "DCT 32x32 → 8x8 without DC, median threshold"},
            summary={"frames": len(entries), "flat": sum(e["flat"] for e in entries)},
            problem=errors.problem(len(frames)),
        )
