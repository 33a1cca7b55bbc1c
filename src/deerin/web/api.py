"""The HTTP JSON API: the same searches as `deerin search`, for the web app and scripts.

FastAPI documents it at ``/docs`` (OpenAPI at ``/openapi.json``). Every error a user can
cause is a 4xx with ``{"error": "..."}``: a search that cannot be run (400), an index or
file that is not there (404), a picture too large (413); anything else is a 500 with no
stack trace in the response (the log has it). Files are served only from the data
dir's thumbnails and people folders, never by a path that leaves them.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deerin.errors import DeerinError
from deerin.index.search_index import IndexMissing
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

log = logging.getLogger("deerin.web")
UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes of a query picture
THUMBNAIL_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png")


class Searchers:
    """One :class:`Searcher` per set of collections, opened on first use and kept; one
    that lacked an index is opened again after a while (an ingest may have built it)."""

    REOPEN_SECONDS = 30.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._open: dict[tuple[str, ...], tuple[float, Searcher]] = {}
        self._lock = threading.Lock()

    def get(self, collections: list[str] | None) -> Searcher:
        key = tuple(sorted(set(collections or ())))
        with self._lock:
            opened, searcher = self._open.get(key, (0.0, None))
            stale = searcher is not None and searcher.missing
            if searcher is None or (stale and time.monotonic() - opened > self.REOPEN_SECONDS):
                searcher = Searcher(self.settings, list(key) or None)
                self._open[key] = (time.monotonic(), searcher)
            return searcher


def create_app(settings: Settings) -> FastAPI:
    """The API over one data dir."""
    app = FastAPI(
        title="DEERIn",
        summary="Search a moving-image archive: spoken words, on-screen text, pictures, "
        "people and places.",
        version="0.1.0",
    )
    searchers = Searchers(settings)
    _errors(app)

    @app.get("/api/search", response_model=SearchResult, tags=["search"])
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
        return _run(searchers, q, base, collection, limit, offset, group, merge)

    @app.post("/api/search/picture", response_model=SearchResult, tags=["search"])
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
        data = file.file.read(UPLOAD_LIMIT + 1)  # a plain def: FastAPI runs it in a thread
        if len(data) > UPLOAD_LIMIT:
            raise _TooLarge(f"the picture is over {UPLOAD_LIMIT // (1024 * 1024)} MB")
        base = SearchQuery(**({"image": data} if kind == "picture" else {"face": data}))
        return _run(searchers, q, base, collection, limit, 0, False, True)

    @app.get("/api/thumbnail/{path:path}", tags=["files"])
    def thumbnail(path: str) -> FileResponse:
        """A shot's thumbnail or a person's face, by the path a hit gives."""
        return FileResponse(_inside(settings.data_dir, path), headers=CACHE)

    return app


CACHE = {"Cache-Control": "public, max-age=86400"}


class _TooLarge(DeerinError):
    """An upload over the limit."""


def _run(
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


def _inside(root: Path, relative: str) -> Path:
    """A thumbnail under the data dir, refusing anything that would leave it."""
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, ValueError):  # a NUL byte, a loop of links
        raise _NotFound(f"no thumbnail {relative!r}") from None
    allowed = target.is_relative_to(base / "videos") or target.is_relative_to(base / "collections")
    if not allowed or target.suffix.lower() not in THUMBNAIL_SUFFIXES or not target.is_file():
        raise _NotFound(f"no thumbnail {relative!r}")
    return target


class _NotFound(DeerinError):
    """A file that is not there (or not one the API serves)."""


def _errors(app: FastAPI) -> None:
    """Every error as JSON with a message a person can act on; never a stack trace."""

    def reply(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(DeerinError)
    async def deerin_error(request: Request, exc: DeerinError) -> JSONResponse:
        if isinstance(exc, IndexMissing | _NotFound):
            return reply(404, exc.message)
        if isinstance(exc, _TooLarge):
            return reply(413, exc.message)
        return reply(400, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return reply(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return reply(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("error answering %s", request.url.path)
        return reply(500, "internal error: the server log has the details")
