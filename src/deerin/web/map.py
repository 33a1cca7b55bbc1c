"""The map's API: the bundle files the map page draws from, search hits as map points,
and named sets saved from a lasso.

Bundle files are made on first request and kept (:mod:`deerin.explore.bundle`); their
URLs carry the map's version (``?v=``), so a browser keeps them until the map changes.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from deerin.errors import DeerinError
from deerin.explore.bundle import Bundle
from deerin.explore.map import read_map
from deerin.index.schemas import MapInfo, SetShot
from deerin.index.sets import read_sets, save_set
from deerin.index.store import CollectionFolder
from deerin.retrieve.query import Query as SearchQuery
from deerin.settings import Settings
from deerin.web.access import Access
from deerin.web.errors import Conflict, NotFound
from deerin.web.search import Searchers, run_search

KEEP = "public, max-age=31536000, immutable"
HIGHLIGHT_HITS = 500


class NewSet(BaseModel):
    """A lasso's selection to keep under a name: map point numbers, as a list or as
    half-open ranges (a lasso of neighbours is a few runs of the map's Hilbert order)."""

    collection: str = Field(max_length=200)
    name: str = Field(max_length=200)
    points: list[int] = Field(default_factory=list, max_length=100_000)
    ranges: list[tuple[int, int]] = Field(default_factory=list, max_length=100_000)
    version: str = Field(max_length=40)

    def chosen(self, count: int) -> np.ndarray:
        """The selected point numbers, sorted, each once; DeerinError for one off the map."""
        runs = [np.arange(start, end) for start, end in self.ranges if end > start]
        chosen = np.unique(np.concatenate([np.array(self.points, dtype=np.int64), *runs]))
        if len(chosen) and (chosen[0] < 0 or chosen[-1] >= count):
            raise DeerinError("a selected point is not on the map", hint="reload the page")
        return chosen


Timeline = dict[str, list[tuple[float, float, int]]]  # video: (start, end, point), by time


@dataclass
class Maps:
    """Each collection's map and bundle, read once and again only when the map changes;
    the shots' timeline (for highlights) made the first time a search asks for it."""

    settings: Settings
    _held: dict[str, tuple[float, Bundle]] = field(default_factory=dict)
    _timelines: dict[str, tuple[str, Timeline]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bundle(self, collection: str) -> Bundle:
        folder = known(self.settings, collection)
        try:
            changed = folder.path(MapInfo.file).stat().st_mtime
        except OSError:
            raise NotFound(
                f"collection '{collection}' has no map yet", hint=f"run `deerin map {collection}`"
            ) from None
        with self._lock:
            held = self._held.get(collection)
            if held is None or held[0] != changed:
                found = read_map(self.settings, collection)
                held = (changed, Bundle(found, self.settings.data_dir, collection))
                self._held[collection] = held
        return held[1]

    def shots_of(self, collection: str) -> Timeline:
        """Each video's map points as (start, end, point), in time order."""
        bundle = self.bundle(collection)
        with self._lock:
            made = self._timelines.get(collection)
            if made is None or made[0] != bundle.map.info.id:
                made = (bundle.map.info.id, _timeline(bundle.map.points))
                self._timelines[collection] = made
        return made[1]


def known(settings: Settings, collection: str) -> CollectionFolder:
    """The folder of a collection there is (a name from a request is never a path)."""
    return CollectionFolder.named(settings.data_dir, collection)


def _timeline(points: pa.Table) -> Timeline:
    videos = points.column("video_id").to_pylist()
    starts, ends = points.column("start").to_pylist(), points.column("end").to_pylist()
    by_video: Timeline = {}
    for point, (video, start, end) in enumerate(zip(videos, starts, ends, strict=True)):
        by_video.setdefault(video, []).append((start, end, point))
    for shots in by_video.values():
        shots.sort()
    return by_video


def map_router(settings: Settings, access: Access, searchers: Searchers) -> APIRouter:
    router = APIRouter(tags=["map"])
    maps = Maps(settings)

    @router.get("/api/map/{collection}/meta.json")
    def meta(collection: str) -> JSONResponse:
        """What the map holds: layouts, facets and their values, clusters, atlas sizes."""
        body = maps.bundle(collection).meta(editable=access.editable)
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    @router.get("/api/map/{collection}/highlight")
    def highlight(
        collection: str, q: Annotated[str, Query(min_length=1, max_length=1000)]
    ) -> dict[str, Any]:
        """The map points of the shots a search finds (the search page's grammar)."""
        by_video = maps.shots_of(collection)
        result = run_search(
            searchers, q, SearchQuery(), [collection], HIGHLIGHT_HITS, 0, False, True
        )
        points: set[int] = set()
        for hit in result.hits:
            points.update(_overlapping(by_video.get(hit.video_id, []), hit.start, hit.end))
        return {"points": sorted(points), "hits": len(result.hits), "total": result.total}

    @router.get("/api/map/{collection}/{path:path}")
    def bundle_file(collection: str, path: str, v: str | None = None) -> Response:
        """A layout, facet, details page or atlas page of the map."""
        bundle = maps.bundle(collection)
        if v is not None and v != bundle.map.info.id:
            raise Conflict("the map has changed since this page was opened", hint="reload the page")
        try:
            body, media = bundle.file(path)
        except DeerinError as missing:
            raise NotFound(missing.problem) from None
        headers = {"Cache-Control": KEEP if v is not None else "no-cache"}
        return Response(body, media_type=media, headers=headers)

    @router.get("/api/sets")
    def sets(collection: str) -> dict[str, Any]:
        """The collection's named sets (without their shots)."""
        found = read_sets(settings, known(settings, collection).name).sets
        listed = [
            {"name": s.name, "shots": len(s.shots), "by": s.by, "made": s.made, "note": s.note}
            for s in found
        ]
        return {"sets": listed}

    @router.post("/api/sets", status_code=201)
    def new_set(request: Request, body: NewSet) -> dict[str, Any]:
        """Save map points under a name (a lasso's selection); the map must be unchanged."""
        editor = access.editor(request)
        bundle = maps.bundle(known(settings, body.collection).name)
        if body.version != bundle.map.info.id:
            raise Conflict(
                "the map changed since this page was opened",
                hint="reload the page and select again",
            )
        points = bundle.map.points
        chosen = body.chosen(points.num_rows)
        if not len(chosen):
            raise DeerinError("a set needs at least one shot", hint="select some shots first")
        rows = points.take(pa.array(chosen)).select(["video_id", "shot", "start", "end"])
        shots = [SetShot(**row) for row in rows.to_pylist()]
        made = save_set(settings, body.collection, body.name, shots, editor or None, "map lasso")
        return {"name": made.name, "shots": len(made.shots)}

    return router


def _overlapping(shots: list[tuple[float, float, int]], start: float, end: float) -> list[int]:
    """The points of the shots overlapping [start, end] (a hit inside one shot: that shot)."""
    first = max(0, bisect.bisect_right(shots, (start, float("inf"), 0)) - 1)
    found = []
    for shot_start, shot_end, point in shots[first:]:
        if shot_start > end or (shot_start == end and end > start):
            break
        if shot_end > start or shot_start == start:
            found.append(point)
    return found
