"""Where each shot goes on the map: projections of vectors to two dimensions, and tidy
arrangements (a grid, contact sheets by date, video or place).

A million shots cannot be projected at once on a laptop, so projections are *fitted* on a
sample (PCA to a few dozen dimensions, then UMAP or t-SNE) and every other shot is
*placed* at the weighted mean of its nearest fitted neighbours. That is also how a new
video joins an existing map without moving the shots already on it. Every layout is
returned in the unit square (aspect kept, centred, y downwards), the frame the map page
draws in.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

REDUCED = 48  # PCA dimensions the projections and the neighbour search work in
NEIGHBOURS = 8  # fitted shots a placed shot is averaged from
CHUNK = 2048  # rows compared with the sample at once (memory: CHUNK x sample floats)
EXACT_LIMIT = 5000  # above this many rows on both sides, neighbours are searched approximately
MARGIN = 0.02  # of the unit square, left free around a layout


@dataclass
class Reducer:
    """PCA fitted on the sample: unit vectors in, short vectors out (Euclidean distance
    in the reduced space stays close to the cosine distance of the original)."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, vectors: np.ndarray, seed: int) -> Reducer:
        from sklearn.decomposition import PCA

        unit = _unit(vectors)
        dims = max(1, min(REDUCED, unit.shape[0] - 1, unit.shape[1]))
        pca = PCA(n_components=dims, svd_solver="randomized", random_state=seed).fit(unit)
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        return ((_unit(vectors) - self.mean) @ self.components.T).astype(np.float32)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def sample_rows(count: int, size: int, seed: int) -> np.ndarray:
    """Which rows a projection is fitted on: all of them, or an even random sample."""
    if count <= size:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=size, replace=False))


def umap_fit(reduced: np.ndarray, neighbours: int, seed: int) -> np.ndarray:
    """UMAP of the fitted sample (tiny samples get their first two PCA axes)."""
    if len(reduced) < 8:
        return _first_axes(reduced)
    import umap

    with warnings.catch_warnings():  # "n_jobs overridden by random_state": wanted
        warnings.simplefilter("ignore")
        model = umap.UMAP(
            n_neighbors=min(neighbours, len(reduced) - 1),
            min_dist=0.05,
            random_state=seed,
            init="spectral" if len(reduced) > 50 else "random",
            low_memory=True,
        )
        return np.asarray(model.fit_transform(reduced), dtype=np.float32)


def tsne_fit(reduced: np.ndarray, seed: int) -> np.ndarray:
    """t-SNE (openTSNE, Barnes-Hut or FFT by size) of the fitted sample."""
    if len(reduced) < 12:
        return _first_axes(reduced)
    import openTSNE

    perplexity = min(30.0, (len(reduced) - 1) / 3.0)
    embedding = openTSNE.TSNE(perplexity=perplexity, n_jobs=-1, random_state=seed, verbose=False)
    return np.asarray(embedding.fit(reduced), dtype=np.float32)


def _first_axes(reduced: np.ndarray) -> np.ndarray:
    coords = np.zeros((len(reduced), 2), dtype=np.float32)
    coords[:, : min(2, reduced.shape[1])] = reduced[:, :2]
    return coords


def nearest(sample: np.ndarray, rows: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, ...]:
    """Each row's ``k`` nearest sample rows (Euclidean), indices and distances, nearest
    first: exact for small work, else through an NN-descent graph of the sample (exact
    search of a million rows against 25,000 takes ten minutes on two cores; the graph
    answers in seconds, finding about 88 % of the true neighbours)."""
    k = min(k, len(sample))
    if len(sample) > EXACT_LIMIT and len(rows) > EXACT_LIMIT:
        from pynndescent import NNDescent

        graph = NNDescent(sample, n_neighbors=max(15, k), random_state=0, low_memory=True)
        found, distances = graph.query(rows, k=k)
        return found.astype(np.int64), distances.astype(np.float32)
    squared = (sample**2).sum(axis=1)
    found = np.empty((len(rows), k), dtype=np.int64)
    distances = np.empty((len(rows), k), dtype=np.float32)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        d2 = squared[None, :] - 2.0 * (chunk @ sample.T) + (chunk**2).sum(axis=1)[:, None]
        best = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(sample) else None
        if best is None:
            best = np.broadcast_to(np.arange(len(sample)), d2.shape).copy()
        picked = np.take_along_axis(d2, best, axis=1)
        order = np.argsort(picked, axis=1)
        found[start : start + len(chunk)] = np.take_along_axis(best, order, axis=1)
        distances[start : start + len(chunk)] = np.sqrt(
            np.maximum(np.take_along_axis(picked, order, axis=1), 0.0)
        )
    return found, distances


def place(
    anchors: np.ndarray, found: np.ndarray, distances: np.ndarray, reduced: np.ndarray
) -> np.ndarray:
    """Coordinates for placed rows: the distance-weighted mean of their neighbours' places,
    nudged a little so that copies of one picture do not hide each other. The nudge is
    drawn from the row's own vector: the same shot lands on the same spot every run."""
    weights = 1.0 / (distances + 1e-3)
    weights /= weights.sum(axis=1, keepdims=True)
    coords = (anchors[found] * weights[..., None]).sum(axis=1)
    spread = float(np.ptp(anchors, axis=0).max()) if len(anchors) > 1 else 1.0
    turns = np.modf(np.abs(reduced[:, :2]) * 997.0)[0] if reduced.shape[1] >= 2 else 0.5
    return (coords + (turns - 0.5) * spread * 0.004).astype(np.float32)


def normalise(coords: np.ndarray, frame: np.ndarray | None = None) -> np.ndarray:
    """A layout scaled into the unit square: aspect kept, centred, with a margin. With a
    ``frame`` (a fit's own places), the frame decides the scale, so adding or removing
    shots never moves the others; anything outside it is held at the edge."""
    coords = np.asarray(coords, dtype=np.float64)
    if len(coords) == 0:
        return coords.astype(np.float32).reshape(0, 2)
    basis = np.asarray(frame if frame is not None and len(frame) else coords, dtype=np.float64)
    low, high = basis.min(axis=0), basis.max(axis=0)
    extent = float((high - low).max()) or 1.0
    scale = (1.0 - 2 * MARGIN) / extent
    centred = (coords - (low + high) / 2.0) * scale + 0.5
    return np.clip(centred, 0.0, 1.0).astype(np.float32)


def grid(coords: np.ndarray) -> np.ndarray:
    """The same neighbourhoods as a tidy grid: rows by height, then left to right."""
    count = len(coords)
    if count == 0:
        return coords.astype(np.float32).reshape(0, 2)
    side = math.ceil(math.sqrt(count))
    by_height = np.argsort(coords[:, 1], kind="stable")
    cells = np.empty((count, 2), dtype=np.float64)
    for row, start in enumerate(range(0, count, side)):
        members = by_height[start : start + side]
        members = members[np.argsort(coords[members, 0], kind="stable")]
        cells[members, 0] = np.arange(len(members))
        cells[members, 1] = row
    return normalise(cells)


def contact_sheets(
    groups: Sequence[object], order: np.ndarray, columns: int | None = None
) -> np.ndarray:
    """One block per group (in the order the groups first appear in ``order``), the
    group's shots in ``order`` within it, blocks side by side in rows: a contact sheet
    per year, per video, per place."""
    count = len(groups)
    if count == 0:
        return np.zeros((0, 2), dtype=np.float32)
    members: dict[object, list[int]] = {}
    for row in order:
        members.setdefault(groups[row], []).append(int(row))
    width = max(1, math.ceil(math.sqrt(max(len(rows) for rows in members.values()))))
    per_row = columns or max(1, math.ceil(math.sqrt(len(members))))
    cells = np.empty((count, 2), dtype=np.float64)
    height, x0, y0 = 0, 0, 0
    for number, rows in enumerate(members.values()):
        if number and number % per_row == 0:
            x0, y0, height = 0, y0 + height + 1, 0
        block = np.arange(len(rows))
        cells[rows, 0] = x0 + block % width
        cells[rows, 1] = y0 + block // width
        height = max(height, math.ceil(len(rows) / width))
        x0 += width + 1
    return normalise(cells)


def geographic(
    lat: np.ndarray, lon: np.ndarray, unplaced: np.ndarray, groups: Sequence[object]
) -> np.ndarray:
    """Shots with a place on an equirectangular world map (shots of one place fanned out
    in a small spiral), the others as contact sheets by video below it."""
    count = len(lat)
    cells = np.zeros((count, 2), dtype=np.float64)
    placed = ~unplaced
    cells[placed, 0] = (lon[placed] + 180.0) / 360.0 * 2.0
    cells[placed, 1] = (90.0 - lat[placed]) / 180.0
    seen: dict[tuple[float, float], int] = {}
    for row in np.flatnonzero(placed):
        key = (float(lat[row]), float(lon[row]))
        turn = seen.get(key, 0)
        seen[key] = turn + 1
        angle, radius = turn * 2.39996, 0.002 * math.sqrt(turn)
        cells[row] += (radius * math.cos(angle), radius * math.sin(angle))
    rest = np.flatnonzero(unplaced)
    if len(rest):
        sheet = contact_sheets([groups[row] for row in rest], np.arange(len(rest)))
        cells[rest, 0] = sheet[:, 0] * 2.0
        cells[rest, 1] = 1.1 + sheet[:, 1]
    return normalise(cells)


def hilbert_order(coords: np.ndarray, bits: int = 16) -> np.ndarray:
    """The rows in Hilbert-curve order of their place: consecutive rows are neighbours on
    the map, so an atlas page of consecutive shots covers one small region."""
    side = (1 << bits) - 1
    x = np.clip(coords[:, 0] * side, 0, side).astype(np.int64)
    y = np.clip(coords[:, 1] * side, 0, side).astype(np.int64)
    distance = np.zeros(len(coords), dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        distance += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry
        swap_x = np.where(flip & rx, side - x, x)
        swap_y = np.where(flip & rx, side - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s >>= 1
    return np.argsort(distance, kind="stable")
