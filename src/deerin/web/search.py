"""Search over HTTP: the same searches as `deerin search`, for the web app and scripts.

FastAPI documents them at ``/docs`` (OpenAPI at ``/openapi.json``); errors are JSON
(:mod:`deerin.web.errors`). A query picture is searched from memory, refused over
``web.upload_mb`` before it is decoded.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile

from deerin.index.store import CollectionFolder
from deerin.retrieve.hits import SearchResult
from deerin.retrieve.query import Query as SearchQuery
from deerin.retrieve.query import (
    QueryError,
    parse,
    parse_box,
    parse_modes,
    parse_shot,
    with_collections,
)
from deerin.retrieve.search import Searcher
from deerin.settings import Settings
from deerin.web.errors import TooLarge


class Searchers:
    """One :class:`Searcher` per set of collections, opened on first use and kept; one
    that lacked an index is opened again after a while (an ingest may have built it).

    An edit made here forgets them all (:meth:`forget`), so the next search opens the
    index afresh and finds the corrected word at once, not within LanceDB's 5 s; a
    search of every collection is keyed by the collections there are now, so one
    ingested while the server runs is searched too.
    """

    REOPEN_SECONDS = 30.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._open: dict[tuple[str, ...], tuple[float, Searcher]] = {}
        self._lock = threading.Lock()

    def get(self, collections: list[str] | None) -> Searcher:
        every = [f.name for f in CollectionFolder.chosen(self.settings.data_dir, None)]
        key = tuple(sorted(set(collections))) if collections else ("*", *every)
        with self._lock:
            opened, searcher = self._open.get(key, (0.0, None))
            stale = searcher is not None and searcher.missing
            if searcher is None or (stale and time.monotonic() - opened > self.REOPEN_SECONDS):
                searcher = Searcher(self.settings, list(collections) if collections else None)
                self._open[key] = (time.monotonic(), searcher)
            return searcher

    def forget(self) -> None:
        """Drop every open searcher (after an edit changed an index)."""
        with self._lock:
            self._open.clear()


def search_router(settings: Settings, searchers: Searchers) -> APIRouter:
    """The searches of `deerin search`, over HTTP."""
    router = APIRouter(tags=["search"])
    limit_bytes = settings.web.upload_mb * 1024 * 1024

    @router.get("/api/search", response_model=SearchResult)
    def search(
        q: Annotated[str, Query(description='The search box: words, "phrases", field:value.')] = "",
        mode: Annotated[str, Query(description="words, meaning, picture; comma-separated.")] = (
            "words,meaning"
        ),
        collection: Annotated[list[str] | None, Query(description="Collections.")] = None,
        like: Annotated[str | None, Query(description="VIDEO:SHOT, more like this shot.")] = None,
        box: Annotated[str | None, Query(description="SOUTH,WEST,NORTH,EAST.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
        group: bool = False,
        merge: bool = True,
    ) -> SearchResult:
        """Search with the query grammar; hits best first, with facets."""
        base = SearchQuery(
            modes=parse_modes(mode),
            like=parse_shot(like) if like else None,
            box=parse_box(box) if box else None,
        )
        return run_search(searchers, q, base, collection, limit, offset, group, merge)

    @router.post("/api/search/picture", response_model=SearchResult)
    def search_picture(
        file: Annotated[UploadFile, File(description="A picture (JPEG, PNG, WebP).")],
        q: Annotated[str, Form(description="Filters or words to combine with it.")] = "",
        kind: Annotated[str, Form(description="picture (shots like it) or face.")] = "picture",
        collection: Annotated[list[str] | None, Form()] = None,
        limit: Annotated[int, Form(ge=1, le=500)] = 20,
    ) -> SearchResult:
        """Shots that look like a picture, or where the person in a photo appears."""
        if kind not in ("picture", "face"):
            raise QueryError(f"kind {kind!r}: use picture or face")
        data = file.file.read(limit_bytes + 1)  # a plain def: FastAPI runs it in a thread
        if len(data) > limit_bytes:
            raise TooLarge(f"the picture is over {settings.web.upload_mb} MB")
        base = SearchQuery(**({"image": data} if kind == "picture" else {"face": data}))
        return run_search(searchers, q, base, collection, limit, 0, False, True)

    return router


def run_search(
    searchers: Searchers,
    text: str,
    base: SearchQuery,
    collections: list[str] | None,
    limit: int,
    offset: int,
    group: bool,
    merge: bool,
) -> SearchResult:
    query = with_collections(parse(text, base), collections or [])
    searcher = searchers.get(list(query.filters.collections))
    return searcher.search(query, limit=limit, offset=offset, group=group, merge=merge)
