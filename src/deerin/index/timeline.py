"""Time-coded things placed on a video's shots by time, never by the shot number the
stage that made them wrote: stills, frames, faces and scales follow the shots people
corrected (merged or split), for the search index, the pages and the statistics alike.
"""

from __future__ import annotations

import bisect

from deerin.index.schemas import Keyframes, ShotScale
from deerin.index.store import VideoFolder


def shot_at(spans: list[tuple[float, float]], time: float) -> int:
    """The shot of ``spans`` showing ``time`` (-1 before the first, or with no shots).

    Everything tied to a shot (stills, frames, faces, scales) is placed by its time,
    not by the shot number its stage wrote, so it follows the shots people corrected.
    """
    index = bisect.bisect_right(spans, time, key=lambda span: span[0]) - 1
    if index < 0 or (time >= spans[index][1] and index < len(spans) - 1):
        return -1
    return index


def shot_thumbs(
    keyframes: Keyframes | None, spans: list[tuple[float, float]], folder: VideoFolder
) -> dict[int, str]:
    """Each shot's thumbnail: the earliest keyframe shot's middle still (else first, else
    last) inside it, else the nearest still. A shot people merged keeps its first part's
    picture; each part of a split shot shows a still of its own stretch."""
    stills = sorted(
        (still.time, number, rank, still.thumb)
        for number, shot in enumerate(keyframes.shots if keyframes else [])
        for rank, still in enumerate((shot.middle, shot.first, shot.last))
        if still is not None
    )
    times = [entry[0] for entry in stills]
    found = {}
    for index, (start, end) in enumerate(spans):
        low, high = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
        if low < high:
            chosen = min(stills[low:high], key=lambda entry: (entry[1], entry[2]))
        elif stills:
            near = [n for n in (low - 1, low) if 0 <= n < len(stills)]
            chosen = stills[min(near, key=lambda n: max(start - times[n], times[n] - end))]
        else:
            break
        found[index] = folder.relative(chosen[3])
    return found


def shot_scales(scale: ShotScale | None, spans: list[tuple[float, float]]) -> dict[int, str]:
    """Each shot's scale: that of the shot_scale row its start falls in (a merged shot
    takes its first part's, both parts of a split shot the whole one's)."""
    rows = sorted(scale.shots, key=lambda row: row.start) if scale else []
    found = {}
    for index, (start, _end) in enumerate(spans):
        at = bisect.bisect_right(rows, start + 1e-6, key=lambda row: row.start) - 1
        if at >= 0:
            found[index] = rows[at].scale or ""
    return found
