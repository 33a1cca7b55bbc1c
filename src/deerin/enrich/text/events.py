"""From lines read on single frames to text events with a start and an end.

An intertitle held for nine seconds is read on three or four analysis frames, each time
a little differently ("THE END", "THEEND"). What an archivist wants is one event: this
text, from here to there. So the lines of one frame are first grouped into blocks (the
lines of an intertitle or a credit belong together, a logo in the corner does not), and
then a block that reads about the same, in about the same place, on consecutive analysis
frames extends one event. An event ends at the first frame that no longer shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deerin.enrich.text.ocr import Line

SAME_TEXT = 0.8  # similarity (1 - edit distance / length) from which two readings agree
LINE_GAP = 1.5  # lines closer than this many line heights (vertically) form one block
SAME_ROW = 0.5  # lines whose centres are closer than this many line heights share a row
WORD_GAP = 2.0  # parts of a row closer than this many line heights are one line
NEAR = 0.5  # boxes grown by this share of their size must touch to be "the same place"

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the frame


@dataclass(frozen=True)
class Reading:
    """One block of text on one analysis frame, in reading order."""

    frame: int
    time: float
    text: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class FrameText:
    """What one analysis frame says: its blocks (none when it shows no text)."""

    frame: int
    time: float
    readings: tuple[Reading, ...]


@dataclass(eq=False)  # two events are never "equal": each is itself
class _Open:
    """An event still being extended: every reading of it so far."""

    readings: list[Reading] = field(default_factory=list)


def blocks(frame: int, time: float, lines: list[Line], size: tuple[int, int]) -> FrameText:
    """Group one frame's lines into blocks, each read top to bottom, left to right."""
    groups: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: line.box[1]):
        home = next((group for group in groups if any(_together(line, o) for o in group)), None)
        if home is None:
            groups.append([line])
        else:
            home.append(line)
    readings = tuple(_reading(frame, time, group, size) for group in groups)
    return FrameText(frame, time, readings)


def events(frames: Iterable[FrameText], end: float) -> list[dict[str, Any]]:
    """Events from frames in time order; a text still shown at the last frame ends at ``end``.

    A block continues an event that its previous frame showed when it reads about the
    same (:data:`SAME_TEXT`) in about the same place; otherwise it starts a new one.
    """
    open_events: list[_Open] = []
    done: list[tuple[_Open, float]] = []
    for frame in frames:
        continued: list[_Open] = []
        for reading in frame.readings:
            match = next(
                (e for e in open_events if e not in continued and _same(e.readings[-1], reading)),
                None,
            )
            if match is None:
                match = _Open()
            match.readings.append(reading)
            continued.append(match)
        done += [(event, frame.time) for event in open_events if event not in continued]
        open_events = continued
    done += [(event, max(end, event.readings[-1].time)) for event in open_events]
    ordered = sorted(done, key=lambda pair: (pair[0].readings[0].time, pair[0].readings[0].box[1]))
    return [_event(event, until) for event, until in ordered]


def normalised(text: str) -> str:
    """Text as compared: lower case, no spaces (OCR often drops or adds them)."""
    return "".join(text.lower().split())


def similar(a: str, b: str) -> float:
    """How alike two readings are: 1 less their edit distance per character of the longer."""
    a, b = normalised(a), normalised(b)
    return 1.0 - distance(a, b) / max(len(a), len(b), 1)


def distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.

    Also the numerator of the character error rate that the OCR benchmark and tests use.
    """
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


def _together(line: Line, other: Line) -> bool:
    """Whether two lines of one frame belong to one block.

    Either stacked (little space between them, overlapping side to side) or side by side
    on one row with at most :data:`WORD_GAP` line heights between them: the detector
    splits a line where its words are far apart.
    """
    height = max(line.box[3], other.box[3])
    top, bottom = sorted((line, other), key=lambda o: o.box[1])
    left, right = sorted((line, other), key=lambda o: o.box[0])
    vertical_gap = bottom.box[1] - (top.box[1] + top.box[3])
    horizontal_gap = right.box[0] - (left.box[0] + left.box[2])
    if _same_row(line, other):
        return horizontal_gap <= WORD_GAP * height
    return vertical_gap <= LINE_GAP * height and horizontal_gap < 0


def _same_row(line: Line, other: Line) -> bool:
    centre, other_centre = (o.box[1] + o.box[3] / 2 for o in (line, other))
    return abs(centre - other_centre) <= SAME_ROW * max(line.box[3], other.box[3])


def _reading(frame: int, time: float, group: list[Line], size: tuple[int, int]) -> Reading:
    rows: list[list[Line]] = []
    for line in sorted(group, key=lambda line: line.box[1] + line.box[3] / 2):
        if rows and _same_row(line, rows[-1][-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    text = "\n".join(" ".join(o.text for o in sorted(row, key=lambda o: o.box[0])) for row in rows)
    weight = sum(len(line.text) for line in group)
    confidence = sum(line.confidence * len(line.text) for line in group) / weight
    return Reading(frame, time, text, confidence, _fractions(_union(group), size))


def _union(lines: list[Line]) -> tuple[float, float, float, float]:
    left = min(line.box[0] for line in lines)
    top = min(line.box[1] for line in lines)
    right = max(line.box[0] + line.box[2] for line in lines)
    bottom = max(line.box[1] + line.box[3] for line in lines)
    return left, top, right - left, bottom - top


def _fractions(box: tuple[float, float, float, float], size: tuple[int, int]) -> Box:
    width, height = size
    x, y, w, h = box
    return (x / width, y / height, w / width, h / height)


def _same(a: Reading, b: Reading) -> bool:
    return similar(a.text, b.text) >= SAME_TEXT and _near(a.box, b.box)


def _near(a: Box, b: Box) -> bool:
    """Whether two boxes, each grown by :data:`NEAR` of its size, touch."""

    def grown(box: Box) -> tuple[float, float, float, float]:
        x, y, w, h = box
        return x - NEAR * w, y - NEAR * h, x + (1 + NEAR) * w, y + (1 + NEAR) * h

    al, at, ar, ab = grown(a)
    bl, bt, br, bb = grown(b)
    return al <= br and bl <= ar and at <= bb and bt <= ab


def _event(event: _Open, end: float) -> dict[str, Any]:
    """The event as written to text.json: its best reading stands for it."""
    best = max(event.readings, key=lambda reading: reading.confidence)
    return {
        "start": event.readings[0].time,
        "end": round(end, 4),
        "kind": "text",
        "text": best.text,
        "confidence": round(best.confidence, 3),
        "box": [round(value, 4) for value in best.box],
        "frames": [reading.frame for reading in event.readings],
    }
