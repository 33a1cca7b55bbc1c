"""The collection map: every shot placed in each layout, grouped into labelled clusters.

``deerin map`` (and ingest, as the collection step ``map``) writes ``map/points.parquet``
(a row per shot: facts, cluster, x and y in every layout) and ``map/map.json``
(:class:`MapInfo`) in the collection's folder, and keeps the fitted projections in
``map/model.npz``. A rerun reuses the fit: a shot's place in a projection depends only
on its vector and the fit (fitted shots keep their fitted place, the others are placed
among their nearest fitted neighbours, the frame is the fit's), so the shots already on
the map stay where they were and new ones join them. The projections are fitted again
when asked (``--refit``), when the models or the map settings changed, or when the
collection has outgrown the fit (fewer than half the shots a fit may use were fitted).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from deerin.errors import DeerinError
from deerin.explore import layout
from deerin.explore.clusters import (
    NOISE,
    Terms,
    cluster_label,
    default_min_size,
    find_clusters,
    label_clusters,
    spread,
)
from deerin.explore.shots import ShotData, gather, picture_batches, read_shots, text_batches
from deerin.index import artefacts
from deerin.index.schemas import MapCluster, MapInfo, MapLayout
from deerin.index.search_index import STATE, SearchIndex
from deerin.index.store import CollectionFolder, atomic_write_bytes, iso_time
from deerin.plugins.stage import StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep
from deerin.settings import Settings

POINTS = "map/points.parquet"
MODEL = "map/model.npz"
BUNDLES = "map/bundle"
LAYOUTS = {  # name: (label, method)
    "image": ("Pictures (UMAP)", "umap"),
    "image_tsne": ("Pictures (t-SNE)", "tsne"),
    "text": ("What is said and shown (UMAP)", "umap"),
    "grid": ("Pictures as a grid", "grid"),
    "date": ("By date", "contact sheets"),
    "video": ("By video", "contact sheets"),
    "place": ("By place", "map"),
}
PINNED = 1e-3  # a shot this close (reduced) to a fitted one is that fitted shot
Say = Callable[[str], None]


class NothingToMap(DeerinError):
    """A collection without a single shot with a picture (sound recordings only)."""


@dataclass
class Projection:
    """A projection's fit: the reducer, the fitted shots (keys, reduced vectors) and their
    places by each method; for pictures, their clusters too."""

    reducer: layout.Reducer
    keys: np.ndarray
    sample: np.ndarray
    anchors: dict[str, np.ndarray]
    clusters: np.ndarray

    def save(self, prefix: str) -> dict[str, np.ndarray]:
        """The fit as named arrays for ``model.npz``."""
        arrays = {
            "mean": self.reducer.mean,
            "components": self.reducer.components,
            "keys": self.keys.astype(str),
            "sample": self.sample,
            "clusters": self.clusters,
            **{f"anchors_{m}": a for m, a in self.anchors.items()},
        }
        return {f"{prefix}_{name}": value for name, value in arrays.items()}

    @classmethod
    def load(cls, prefix: str, model: Any) -> Projection | None:
        """The fit saved under ``prefix``, or None when the model has none."""
        if model is None or f"{prefix}_mean" not in model:
            return None
        anchors = {
            name.removeprefix(f"{prefix}_anchors_"): model[name]
            for name in model.files
            if name.startswith(f"{prefix}_anchors_")
        }
        reducer = layout.Reducer(model[f"{prefix}_mean"], model[f"{prefix}_components"])
        keys, sample = model[f"{prefix}_keys"], model[f"{prefix}_sample"]
        return cls(reducer, keys, sample, anchors, model[f"{prefix}_clusters"])

    def places(self, keys: list[str], reduced: np.ndarray) -> Placed:
        """Every row's place by each method, in the fit's frame: a fitted shot (same key,
        same vector) keeps its fitted place, any other is placed among its nearest
        fitted neighbours (a place that depends only on its vector and the fit)."""
        fitted = {str(key): row for row, key in enumerate(self.keys)}
        rows = np.array([fitted.get(key, -1) for key in keys], dtype=np.int64)
        known = rows >= 0
        drift = np.linalg.norm(self.sample[rows[known]] - reduced[known], axis=1)
        known[np.flatnonzero(known)[drift > PINNED]] = False  # another shot under that key
        found, distances = layout.nearest(self.sample, reduced)
        coords = {}
        for method, anchors in self.anchors.items():
            placed = layout.place(anchors, found, distances, reduced)
            placed[known] = anchors[rows[known]]
            coords[method] = layout.normalise(placed, frame=anchors)
        clusters = spread(self.clusters, found, distances) if len(self.clusters) else None
        if clusters is not None:
            clusters[known] = self.clusters[rows[known]]
        return Placed(coords, clusters)


@dataclass
class Placed:
    """Every shot's place by each method of a projection (unit square), its cluster."""

    coords: dict[str, np.ndarray]
    clusters: np.ndarray | None


def build_map(
    settings: Settings, collection: str, refit: bool = False, say: Say | None = None
) -> MapInfo:
    """Lay out every shot of ``collection`` (from its search index) and write the map."""
    say = say or (lambda _: None)
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    index = SearchIndex.open(settings, collection)
    say("reading the shots from the search index")
    data = read_shots(index)
    if data.count == 0:
        raise NothingToMap(
            f"collection '{collection}' has no shots with pictures to map",
            hint="ingest films into it first (sound recordings have no shots)",
        )
    fit = _fit_params(settings, index)
    model = None if refit else _load_model(folder.path(MODEL), fit)
    saved: dict[str, np.ndarray] = {"fit": np.array(json.dumps(fit, sort_keys=True))}
    image, reduced = _image(index, data, settings, Projection.load("image", model), say)
    refitted = reduced is not None
    if reduced is None:
        reduced = _reduce_all(picture_batches(index), data, image.reducer)
    saved.update(image.save("image"))
    placed = image.places(data.keys, reduced)
    del reduced
    unit = {"image": placed.coords["umap"]}
    if "tsne" in placed.coords:
        unit["image_tsne"] = placed.coords["tsne"]
    clusters = placed.clusters if placed.clusters is not None else np.full(data.count, NOISE)
    fitted = {"image": len(image.keys)}
    wanted = set(settings.map.layouts)
    if "text" in wanted:
        text = _text(index, data, settings, Projection.load("text", model), say)
        if text is not None:
            unit["text"], projection = text
            saved.update(projection.save("text"))
            fitted["text"] = len(projection.keys)
    say("arranging the grid, date, video and place layouts")
    unit.update(_arrangements(data, unit["image"], wanted))
    unit = {name: xy for name, xy in unit.items() if name in wanted | {"image"}}
    when = iso_time(time.time()) if refitted or model is None else str(model["refitted"])
    saved["refitted"] = np.array(when)
    info = _write(folder, data, unit, clusters, fitted, when)
    atomic_write_bytes(folder.path(MODEL), _npz(saved))
    _forget_bundles(folder, info.id)
    say(f"{info.count} shots on the map, {len(info.clusters)} clusters")
    return info


def _fit_params(settings: Settings, index: SearchIndex) -> dict[str, Any]:
    """What a fit depends on besides the vectors: the models that made them and the map
    settings that shape it. A fit made with others is not reused."""
    models = {
        row["video_id"]: row["stamp"]
        for row in index.rows(STATE, "video_id IN ('~tags_model', '~text_model')")
    }
    chosen = settings.map
    return {
        **models,
        "fit_sample": chosen.fit_sample,
        "neighbours": chosen.neighbours,
        "seed": chosen.seed,
        "min_cluster": chosen.min_cluster,
        "tsne": "image_tsne" in chosen.layouts,
        "text": "text" in chosen.layouts,
    }


def _image(
    index: SearchIndex, data: ShotData, settings: Settings, previous: Projection | None, say: Say
) -> tuple[Projection, np.ndarray | None]:
    """The pictures' fit, reused, or made again (with every shot's reduced vector, made
    on the way: reading a million vectors twice costs minutes)."""
    usable = min(settings.map.fit_sample, data.count)
    if previous is not None and not _outgrown(previous, usable, index.vector_size("shots")):
        say(f"placing {data.count} shots on the fitted map")
        return previous, None
    chosen = np.zeros(data.count, dtype=bool)
    chosen[layout.sample_rows(data.count, settings.map.fit_sample, settings.map.seed)] = True
    say(f"fitting the picture projection on {chosen.sum()} of {data.count} shots")
    vectors = gather(picture_batches(index), lambda keys: chosen[_rows(data, keys)])
    reducer = layout.Reducer.fit(vectors, settings.map.seed)
    sample_keys = np.array(data.keys)[chosen]
    reduced = _reduce_all(picture_batches(index), data, reducer)
    return _fit(reducer, sample_keys, reduced[chosen], settings, say, pictures=True), reduced


def _text(
    index: SearchIndex, data: ShotData, settings: Settings, previous: Projection | None, say: Say
) -> tuple[np.ndarray, Projection] | None:
    """What is said and shown in each shot (the mean of its passages' vectors), projected;
    None when nothing is said or shown anywhere."""
    dims = index.vector_size("passages")
    if dims is None:
        return None
    reducer = previous.reducer if previous is not None else None
    if reducer is None or reducer.components.shape[1] != dims:
        reducer, previous = _text_reducer(index, settings, say), None
    if reducer is None:
        return None
    keys, means = _shot_texts(index, data, reducer)
    if not keys:
        return None
    usable = min(settings.map.fit_sample, len(keys))
    if previous is None or _outgrown(previous, usable, dims):
        if previous is not None:  # outgrown: the reduction, too, was fitted on too little
            reducer = _text_reducer(index, settings, say) or reducer
            keys, means = _shot_texts(index, data, reducer)
        sample = layout.sample_rows(len(keys), settings.map.fit_sample, settings.map.seed)
        previous = _fit(reducer, np.array(keys)[sample], means[sample], settings, say)
    placed = previous.places(keys, means).coords["umap"]
    coords = np.full((data.count, 2), np.nan, dtype=np.float32)
    coords[_rows(data, keys)] = placed
    return _fill_silent(data, coords), previous


def _text_reducer(index: SearchIndex, settings: Settings, say: Say) -> layout.Reducer | None:
    """PCA of the text vectors, fitted on an even sample of the passages."""
    say("fitting the text projection")
    passages = index.table("passages")
    seen = np.random.default_rng(settings.map.seed)
    keep = settings.map.fit_sample / max(1, passages.count_rows() if passages else 1)
    vectors = gather(text_batches(index), lambda keys: seen.random(len(keys)) < keep)
    return layout.Reducer.fit(vectors, settings.map.seed) if len(vectors) >= 2 else None


def _shot_texts(
    index: SearchIndex, data: ShotData, reducer: layout.Reducer
) -> tuple[list[str], np.ndarray]:
    """The shots with words (their keys) and the mean of their passages' reduced vectors."""
    sums = np.zeros((data.count, reducer.components.shape[0]), dtype=np.float64)
    counts = np.zeros(data.count)
    for keys, matrix in text_batches(index):
        rows = _rows(data, keys)
        found = rows >= 0
        np.add.at(sums, rows[found], reducer(matrix[found]))
        counts += np.bincount(rows[found], minlength=data.count)
    said = counts > 0
    keys = [key for key, has in zip(data.keys, said, strict=True) if has]
    return keys, (sums[said] / counts[said, None]).astype(np.float32)


def _fill_silent(data: ShotData, coords: np.ndarray) -> np.ndarray:
    """Shots with nothing said or shown: beside the nearest shot in time of their video
    that has words, else (a silent film) in a strip below the map, by video id."""
    known = ~np.isnan(coords[:, 0])
    if known.all():
        return coords
    starts = np.array(data.column("start"), dtype=np.float64)
    videos = np.array(data.column("video_id"))
    strip = 0
    for video in np.unique(videos[~known]):
        rows = np.flatnonzero(videos == video)
        speaking = rows[known[rows]]
        silent = rows[~known[rows]]
        if len(speaking):
            speaking = speaking[np.argsort(starts[speaking], kind="stable")]
            spot = np.searchsorted(starts[speaking], starts[silent]).clip(0, len(speaking) - 1)
            before = (spot - 1).clip(0)
            closer = np.abs(starts[speaking[before]] - starts[silent]) < np.abs(
                starts[speaking[spot]] - starts[silent]
            )
            near = speaking[np.where(closer, before, spot)]
            coords[silent] = coords[near] + _nudges([data.keys[r] for r in silent], 0.004)
        else:
            slots = strip + np.arange(len(silent))
            coords[silent, 0] = 0.02 + (slots % 200) * 0.0048
            coords[silent, 1] = 1.02 + (slots // 200) * 0.0048
            strip += len(silent)
    return layout.normalise(coords)


def _nudges(keys: list[str], size: float) -> np.ndarray:
    """A small offset per key, the same on every run (from the key's checksum)."""
    angles = np.array([zlib.crc32(key.encode()) % 3600 / 3600 * 2 * np.pi for key in keys])
    return size * np.column_stack([np.cos(angles), np.sin(angles)])


def _fit(
    reducer: layout.Reducer,
    keys: np.ndarray,
    sample: np.ndarray,
    settings: Settings,
    say: Say,
    pictures: bool = False,
) -> Projection:
    """UMAP (and, for pictures, t-SNE and clusters) of the fitted shots."""
    seed = settings.map.seed
    say(f"UMAP of {len(sample)} shots")
    anchors = {"umap": layout.umap_fit(sample, settings.map.neighbours, seed)}
    clusters = np.zeros(0, dtype=np.int32)
    if pictures:
        if "image_tsne" in settings.map.layouts:
            say(f"t-SNE of {len(sample)} shots")
            anchors["tsne"] = layout.tsne_fit(sample, seed)
        size = settings.map.min_cluster or default_min_size(len(sample))
        say("finding clusters")
        clusters = find_clusters(layout.normalise(anchors["umap"]), size)
    return Projection(reducer, keys, sample, anchors, clusters)


def _outgrown(previous: Projection, usable: int, dims: int | None) -> bool:
    """A fit is redone when the vectors changed size, or when fewer than half the shots
    a fit may use were fitted (a map begun on one film, grown to a hundred)."""
    return previous.reducer.components.shape[1] != dims or len(previous.keys) < usable / 2


def _rows(data: ShotData, keys: list[str]) -> np.ndarray:
    """The rows of ``keys`` in ``data`` (-1 for a key it does not have)."""
    return np.array([data.row_of.get(key, -1) for key in keys], dtype=np.int64)


def _reduce_all(
    batches: Iterator[tuple[list[str], np.ndarray]], data: ShotData, reducer: layout.Reducer
) -> np.ndarray:
    """Every shot's reduced vector, in ``data``'s row order, a batch at a time."""
    reduced = np.zeros((data.count, reducer.components.shape[0]), dtype=np.float32)
    for keys, matrix in batches:
        rows = _rows(data, keys)
        reduced[rows[rows >= 0]] = reducer(matrix[rows >= 0])
    return reduced


def _arrangements(data: ShotData, image: np.ndarray, wanted: set[str]) -> dict[str, np.ndarray]:
    """The tidy layouts, made from the shots' facts (cheap: made again every run)."""
    videos = data.column("video_id")
    starts = np.array(data.column("start"), dtype=np.float64)
    titles = [data.titles.get(v, v) for v in videos]
    years = [y if y is not None else 10**6 for y in data.column("year")]  # undated last
    dates = [d or "" for d in data.column("date")]
    found: dict[str, np.ndarray] = {}
    if "grid" in wanted:
        found["grid"] = layout.grid(image)
    if "date" in wanted:
        order = np.lexsort((starts, titles, dates, years))
        found["date"] = layout.contact_sheets(years, order)
    if "video" in wanted:
        order = np.lexsort((starts, videos, titles))
        found["video"] = layout.contact_sheets(videos, order)
    if "place" in wanted and data.coords is not None:
        unplaced = np.isnan(data.coords[:, 0])
        found["place"] = layout.geographic(data.coords[:, 0], data.coords[:, 1], unplaced, videos)
    return found


def _write(
    folder: CollectionFolder,
    data: ShotData,
    unit: dict[str, np.ndarray],
    clusters: np.ndarray,
    fitted: dict[str, int],
    refitted: str,
) -> MapInfo:
    """Everything worked out first, then points.parquet in map order (Hilbert order of
    the picture layout), then map.json, whose id is the points file's checksum: a
    reader that finds the two disagreeing knows a rewrite is under way."""
    order = layout.hilbert_order(unit["image"])
    table = data.table.take(pa.array(order))
    titles = [data.titles.get(v, v) for v in table.column("video_id").to_pylist()]
    table = table.append_column("title", pa.array(titles, pa.string()))
    places = pa.array([data.places[r] for r in order], pa.list_(pa.string()))
    table = table.append_column("places", places)
    table = table.append_column("cluster", pa.array(clusters[order], pa.int32()))
    for name, xy in unit.items():
        table = table.append_column(f"x_{name}", pa.array(xy[order, 0], pa.float32()))
        table = table.append_column(f"y_{name}", pa.array(xy[order, 1], pa.float32()))
    body = parquet_bytes(table.drop_columns(["text", "caption"]))
    terms = Terms.of(data.column("tags"), data.words, data.column("people"), data.places)
    named = label_clusters(clusters, terms)
    members = {number: clusters == number for number in named}
    info = MapInfo(
        id=points_id(body),
        count=data.count,
        fitted=fitted,
        refitted=refitted,
        layouts=[
            MapLayout(name=name, label=LAYOUTS[name][0], method=LAYOUTS[name][1])
            for name in LAYOUTS
            if name in unit
        ],
        clusters=[
            MapCluster(
                id=number,
                label=cluster_label(named[number], number),
                size=int(members[number].sum()),
                terms=named[number],
                centers={
                    name: [round(float(v), 5) for v in np.median(xy[members[number]], axis=0)]
                    for name, xy in unit.items()
                },
            )
            for number in sorted(named)
        ],
    )
    atomic_write_bytes(folder.path(POINTS), body)
    return artefacts.write(folder.path(MapInfo.file), info, MapInfo)


def points_id(body: bytes) -> str:
    """A map's id: the checksum of its points file."""
    return hashlib.sha256(body).hexdigest()[:12]


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as a Parquet file's bytes (to be written atomically)."""
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue().to_pybytes()


def _forget_bundles(folder: CollectionFolder, keep: str) -> None:
    """Drop the web app's files of earlier maps (gigabytes of atlas pages at scale)."""
    root = folder.path(BUNDLES)
    for old in root.iterdir() if root.is_dir() else []:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def _load_model(path: Path, fit: dict[str, Any]) -> Any:
    """The saved fit, if it was made with these models and settings (else None)."""
    try:
        model = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    saved = str(model["fit"]) if "fit" in model else ""
    return model if saved == json.dumps(fit, sort_keys=True) else None


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@dataclass
class CollectionMap:
    """A collection's map as the web app and the export read it: its info and points."""

    info: MapInfo
    points: pa.Table
    folder: CollectionFolder


def read_map(settings: Settings, collection: str) -> CollectionMap:
    """The map of ``collection``; a one-line error with the fix when it has none, or
    when it is being rewritten this moment (its info and points disagree)."""
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    if not folder.path(MapInfo.file).is_file():
        raise DeerinError(
            f"collection '{collection}' has no map yet",
            hint=f"run `deerin map {collection}`",
        )
    info = artefacts.read(folder, MapInfo)
    try:
        body = folder.path(POINTS).read_bytes()
        points = pq.read_table(pa.BufferReader(body))
    except (OSError, pa.ArrowException) as exc:
        raise DeerinError(
            "the map's points cannot be read",
            path=folder.path(POINTS),
            hint=f"run `deerin map {collection} --refit`",
        ) from exc
    if points_id(body) != info.id:
        raise MapChanging(
            f"the map of '{collection}' is being rewritten", hint="try again in a moment"
        )
    return CollectionMap(info, points, folder)


class MapChanging(DeerinError):
    """A map read while `deerin map` replaces it."""


class MapStep(CollectionStep):
    """The map as a collection step: after the search index, so it maps what search finds."""

    name = "map"
    version = "1"
    requires = ("tags",)  # the picture vectors
    optional = ("transcript", "subtitles", "text", "text_embeddings", "entities", "faces")

    def params(self) -> dict[str, Any]:
        return self.settings.map.model_dump(mode="json")

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Also the index's state: people named or merged change the map's labels."""
        try:
            state = SearchIndex.open(self.settings, ctx.collection).table(STATE)
        except DeerinError:
            state = None
        basis = f"{super().fingerprint(ctx)}:{state.version if state is not None else ''}"
        return hashlib.sha256(basis.encode()).hexdigest()[:16]

    def run(self, ctx: CollectionContext) -> StageOutput:
        try:
            info = build_map(self.settings, ctx.collection, say=ctx.say)
        except NothingToMap:  # sound recordings only: nothing to draw, nothing wrong
            return StageOutput(method={}, summary={"shots": 0})
        names = {layout.name for layout in info.layouts}
        method = {"pictures": "PCA + UMAP (umap-learn)", "clusters": "HDBSCAN (scikit-learn)"}
        if "image_tsne" in names:
            method["pictures, t-SNE"] = "PCA + t-SNE (openTSNE)"
        if "text" in names:
            method["words"] = "PCA + UMAP of the text embeddings"
        summary = {"shots": info.count, "clusters": len(info.clusters)}
        summary |= {f"fitted {name}": count for name, count in info.fitted.items()}
        return StageOutput(method=method, summary=summary)
