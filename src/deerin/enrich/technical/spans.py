"""Turning per-sample yes/no answers and filter reports into time spans."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def true_spans(flags: np.ndarray, step: float) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of True in ``flags``, sample i covering i*step on."""
    padded = np.concatenate(([False], flags.astype(bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [
        (float(start * step), float(end * step))
        for start, end in zip(edges[::2], edges[1::2], strict=True)
    ]


def covered(span: tuple[float, float], others: Iterable[tuple[float, float]]) -> float:
    """How much of ``span`` (a fraction) lies inside ``others`` (which do not overlap)."""
    start, end = span
    if end <= start:
        return 0.0
    inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in others)
    return inside / (end - start)
