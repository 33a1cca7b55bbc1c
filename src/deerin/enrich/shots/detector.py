"""The shot detector interface, and the shot list made from what a detector finds.

Every method (PySceneDetect, TransNetV2, whatever comes next) is one class that is fed
the frames of a single decoding pass and returns :class:`Boundary` objects at the end.
The stage owns the decoding, so a detector never opens a file: that keeps one decode
for detection and the colour barcode, and makes detectors easy to test on any frames.
Turning boundaries into the tiling shot list of ``shots.json`` is one pure function,
:func:`build_shots`, shared by all methods so they agree on what a shot is, and
:func:`score_boundaries` compares what a method found with hand labels (the tests and
``bench/shot_accuracy.py`` use it; so can anyone with labelled footage of their own).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from deerin.index.schemas import MediaInfo
from deerin.media.decode import FrameSize

Kind = Literal["cut", "fade", "dissolve"]


@dataclass(frozen=True, order=True)
class Boundary:
    """Where one shot gives way to the next.

    ``frame`` is the first frame of the new shot. A gradual transition runs from
    ``start_frame`` to ``end_frame`` (exclusive) and ``frame`` is its middle; for a cut
    all three are equal. Frames are decode indices, not times, so that variable frame
    rate files keep exact positions.
    """

    frame: int
    kind: Kind
    start_frame: int
    end_frame: int

    @classmethod
    def cut(cls, frame: int) -> Boundary:
        return cls(frame, "cut", frame, frame)

    @classmethod
    def gradual(cls, kind: Kind, start_frame: int, end_frame: int) -> Boundary:
        """A fade or dissolve over ``[start_frame, end_frame)``, placed at its middle."""
        return cls((start_frame + end_frame) // 2, kind, start_frame, end_frame)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Boundary:
        """A boundary from a label file or report: ``frame``, ``kind`` and, if gradual, its span."""
        frame = int(data["frame"])
        start, end = int(data.get("start_frame", frame)), int(data.get("end_frame", frame))
        return cls(frame, data.get("kind", "cut"), start, end)

    @property
    def is_gradual(self) -> bool:
        return self.kind != "cut"

    def transition(self) -> dict[str, Any]:
        """The ``transition_in`` entry of the shot this boundary starts."""
        return {"kind": self.kind, "start_frame": self.start_frame, "end_frame": self.end_frame}


class ShotDetector(ABC):
    """One detection method, fed every frame of one video in order, then asked for results."""

    name: ClassVar[str]
    version: ClassVar[str]

    @abstractmethod
    def frame_size(self, info: MediaInfo) -> FrameSize:
        """The picture size and pixel format this method wants each frame in."""

    @abstractmethod
    def process(self, index: int, time: float, image: np.ndarray) -> None:
        """Take the next frame (indices count up from 0 without gaps)."""

    @abstractmethod
    def finish(self) -> list[Boundary]:
        """Every boundary found, once all frames have been processed."""

    def method(self) -> dict[str, Any]:
        """Provenance for shots.json and the stage manifest."""
        return {"name": self.name, "version": self.version}


DetectorFactory = Callable[[MediaInfo], ShotDetector]  # what a shots backend opens


def build_shots(
    boundaries: Iterable[Boundary],
    times: Sequence[float],
    end_time: float,
    min_shot_seconds: float,
) -> list[dict[str, Any]]:
    """The shots of ``shots.json``: they tile frames ``[0, len(times))`` without gaps.

    ``times`` holds every decoded frame's time and ``end_time`` is where the last shot
    ends. Cuts inside a gradual transition belong to it and are dropped; shots shorter
    than ``min_shot_seconds`` are merged into their neighbour (a flash or a detector
    firing twice on one transition is not a shot).
    """
    count = len(times)
    if count == 0:
        return []
    inside = sorted({b for b in boundaries if 0 < b.frame < count})
    kept = _keep_apart(_without_nested_cuts(inside), times, end_time, min_shot_seconds)
    starts = [0, *(b.frame for b in kept)]
    ends = [*(b.frame for b in kept), count]
    incoming: list[Boundary | None] = [None, *kept]
    return [
        {
            "index": index,
            "start_frame": start,
            "end_frame": end,
            "start_time": round(times[start], 6),
            "end_time": round(times[end] if end < count else end_time, 6),
            "last_frame_time": round(times[end - 1], 6),
            "transition_in": boundary.transition() if boundary else None,
        }
        for index, (start, end, boundary) in enumerate(zip(starts, ends, incoming, strict=True))
    ]


def _without_nested_cuts(boundaries: list[Boundary]) -> list[Boundary]:
    """Drop cuts that fall inside a fade or dissolve (the same transition, seen twice)."""
    spans = [(b.start_frame, b.end_frame) for b in boundaries if b.is_gradual]
    return [
        b
        for b in boundaries
        if b.is_gradual or not any(start <= b.frame <= end for start, end in spans)
    ]


def _keep_apart(
    boundaries: list[Boundary], times: Sequence[float], end_time: float, min_seconds: float
) -> list[Boundary]:
    """Keep boundaries at least ``min_seconds`` apart, from the start and from the end.

    Of two boundaries too close together the earlier wins, unless the later one is a
    gradual transition and the earlier a cut: the cut is then a detector firing at the
    edge of the fade or dissolve.
    """

    def apart(boundary: Boundary, previous: Boundary | None) -> bool:
        since = times[boundary.frame] - (times[previous.frame] if previous else times[0])
        return since >= min_seconds

    kept: list[Boundary] = []
    for boundary in boundaries:
        if apart(boundary, kept[-1] if kept else None):
            kept.append(boundary)
        elif (
            kept
            and boundary.is_gradual
            and not kept[-1].is_gradual
            and apart(boundary, kept[-2] if len(kept) > 1 else None)
        ):
            kept[-1] = boundary
    while kept and end_time - times[kept[-1].frame] < min_seconds:
        kept.pop()
    return kept


@dataclass(frozen=True)
class Score:
    """How found boundaries compare with reference ones (see :func:`score_boundaries`)."""

    hits: int
    misses: int
    false_alarms: int
    kinds_right: int  # of the hits, how many have the reference's kind

    @property
    def precision(self) -> float:
        found = self.hits + self.false_alarms
        return self.hits / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.hits + self.misses
        return self.hits / expected if expected else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.hits + other.hits,
            self.misses + other.misses,
            self.false_alarms + other.false_alarms,
            self.kinds_right + other.kinds_right,
        )


def score_boundaries(
    reference: Sequence[Boundary],
    found: Sequence[Boundary],
    *,
    ambiguous: Sequence[Boundary] = (),
    tolerance: int = 2,
) -> Score:
    """Match found boundaries one-to-one with reference ones, the closest pairs first.

    A found boundary matches a cut within ``tolerance`` frames, and a fade or dissolve
    when it falls inside the transition (with the same tolerance at its edges). Found
    boundaries that match only an ``ambiguous`` reference (one a careful labeller could
    not settle) count neither for nor against.
    """

    def matches(truth: Boundary, candidate: Boundary) -> bool:
        return truth.start_frame - tolerance <= candidate.frame <= truth.end_frame + tolerance

    pairs = sorted(
        (abs(candidate.frame - truth.frame), t, c)
        for t, truth in enumerate(reference)
        for c, candidate in enumerate(found)
        if matches(truth, candidate)
    )
    matched: dict[int, int] = {}  # found index -> reference index
    for _, t, c in pairs:
        if c not in matched and t not in matched.values():
            matched[c] = t
    excused = [
        c
        for c, candidate in enumerate(found)
        if c not in matched and any(matches(truth, candidate) for truth in ambiguous)
    ]
    kinds_right = sum(found[c].kind == reference[t].kind for c, t in matched.items())
    return Score(
        hits=len(matched),
        misses=len(reference) - len(matched),
        false_alarms=len(found) - len(matched) - len(excused),
        kinds_right=kinds_right,
    )
