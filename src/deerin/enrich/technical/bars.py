"""Colour bars, recognised in tiny frames by the order of their colours.

ffmpeg has no bars detector. Every line-up bars pattern archives meet (SMPTE 75 %,
SMPTE HD, EBU 75 % and 100 %) shares one feature: vertical bars, left to right white
(or grey), yellow, cyan, green, magenta, red, blue. Each bar is a corner of the RGB
cube, so with each channel called "on" or "off" the bars spell the codes 7, 6, 3, 2, 5,
4, 1 (red = 4, green = 2, blue = 1). Looking for that sequence, rather than for exact
colours, makes the check indifferent to levels (75 or 100 %), to a slight crop or
pillarbox, to which of the patterns it is, and to how the frame was shrunk; and no
natural picture is both this flat top to bottom and this saturated in this order.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 64, 32  # the thumbnail size ffmpeg hands over: 9 columns per bar
BAND = (0.1, 0.6)  # rows looked at, as fractions of the height: SMPTE's bars fill the top 2/3
SEQUENCE = (7, 6, 3, 2, 5, 4, 1)  # white, yellow, cyan, green, magenta, red, blue
CHANNEL_BITS = np.array([4, 2, 1])
DARKEST = 0.35  # of full scale: a brightest bar dimmer than this is not bars
ON, OFF = 0.6, 0.3  # of the brightest bar: a clean channel is above ON or below OFF
FLATNESS = 0.08  # of the brightest bar: mean difference of the band's rows from its median
SHORTEST_RUN = 2  # columns: narrower runs are the blur between two bars
COVERAGE = 0.55  # of the width: the seven bars together (SMPTE HD's fill 3/4 of it)
WIDTHS = (0.4, 1.7)  # a bar's width against the median bar: cropped ends are narrower


def bars_frames(frames: np.ndarray) -> np.ndarray:
    """Which of ``frames`` (N x HEIGHT x WIDTH x 3, uint8 RGB) show colour bars."""
    return np.array([is_bars(frame) for frame in frames], dtype=bool)


def is_bars(frame: np.ndarray) -> bool:
    """Whether one small RGB frame shows the seven bars in their order."""
    height = frame.shape[0]
    band = frame[int(height * BAND[0]) : max(int(height * BAND[1]), 1)].astype(np.float32)
    profile = np.median(band, axis=0)  # one colour per column
    level = float(profile.max())
    if level < DARKEST * 255:
        return False
    if float(np.abs(band - profile).mean()) > FLATNESS * level:
        return False
    runs = _runs(_column_codes(profile / level))
    return _has_sequence(runs, frame.shape[1])


def _column_codes(profile: np.ndarray) -> np.ndarray:
    """Each column's RGB-cube corner (0-7), or -1 where a channel is neither on nor off."""
    on = profile >= ON
    clean = on | (profile <= OFF)
    codes = on.astype(int) @ CHANNEL_BITS
    return np.where(clean.all(axis=1), codes, -1)


def _runs(codes: np.ndarray) -> list[tuple[int, int]]:
    """(code, columns) runs of clean columns, the blur between bars left out."""
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][0] == code:
            runs[-1] = (code, runs[-1][1] + 1)
        else:
            runs.append((int(code), 1))
    kept: list[tuple[int, int]] = []
    for code, length in runs:
        if code < 0 or length < SHORTEST_RUN:
            continue
        if kept and kept[-1][0] == code:  # the same bar on both sides of a blurred column
            kept[-1] = (code, kept[-1][1] + length)
        else:
            kept.append((code, length))
    return kept


def _has_sequence(runs: list[tuple[int, int]], width: int) -> bool:
    """Whether the seven bar codes follow one another, bar-wide and filling the frame."""
    codes = [code for code, _ in runs]
    for start in range(len(runs) - len(SEQUENCE) + 1):
        if tuple(codes[start : start + len(SEQUENCE)]) != SEQUENCE:
            continue
        lengths = np.array([length for _, length in runs[start : start + len(SEQUENCE)]])
        typical = float(np.median(lengths))
        even = bool(np.all((lengths >= WIDTHS[0] * typical) & (lengths <= WIDTHS[1] * typical)))
        if even and lengths.sum() >= COVERAGE * width:
            return True
    return False
