"""The HTTP JSON API: the same searches as `deerin search`, for the web app and scripts.

FastAPI documents it at ``/docs`` (OpenAPI at ``/openapi.json``). Every error a user can
cause is a 4xx with ``{"error": "..."}``: a search that cannot be run (400), an index or
file that is not there (404), a picture too large (413); anything else is a 500 with no
stack trace in the response (the log has it). Files are served only from the data
dir's thumbnails and people folders, never by a path that leaves them.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse

from deerin.errors import DeerinError
from deerin.index.search_index import IndexMissing
from deerin.retrieve.hits import SearchResult
from deerin.retrieve.query import MODES, QueryError, ShotRef, parse
from deerin.retrieve.query import Query as SearchQuery
from deerin.retrieve.search import Searcher
from deerin.settings import Settings

log = logging.getLogger("deerin.web")
UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes of a query picture
THUMBNAIL_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png")


class Searchers:
    """One :class:`Searcher` per set of collections, opened on first use and kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._open: dict[tuple[str, ...], Searcher] = {}
        self._lock = threading.Lock()

    def get(self, collections: tuple[str, ...]) -> Searcher:
        with self._lock:
            if collections not in self._open:
                self._open[collections] = Searcher(self.settings, list(collections) or None)
            return self._open[collections]


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
            modes=_modes(mode), like=_like(like) if like else None, box=_box(box) if box else None
        )
        return _run(searchers, q, base, collection, limit, offset, group, merge)

    @app.post("/api/search/picture", response_model=SearchResult, tags=["search"])
    async def search_picture(
        file: Annotated[UploadFile, File(description="A picture (JPEG, PNG, WebP).")],
        q: Annotated[str, Form(description="Filters or words to combine with it.")] = "",
        kind: Annotated[str, Form(description="picture (shots like it) or face.")] = "picture",
        collection: Annotated[list[str] | None, Form()] = None,
        limit: Annotated[int, Form(ge=1, le=500)] = 20,
    ) -> SearchResult:
        """Shots that look like a picture, or where the person in a photo appears."""
        if kind not in ("picture", "face"):
            raise QueryError(f"kind {kind!r}: use picture or face")
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise _TooLarge(f"the picture is over {UPLOAD_LIMIT // (1024 * 1024)} MB")
        folder = settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".upload") as handle:
            handle.write(data)
            handle.flush()
            path = Path(handle.name)
            base = SearchQuery(**({"image": path} if kind == "picture" else {"face": path}))
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
    chosen = tuple(collections or ())
    query = parse(text, base)
    query = replace(query, filters=replace(query.filters, collections=chosen))
    return searchers.get(chosen).search(query, limit=limit, offset=offset, group=group, merge=merge)


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    if not modes or any(m not in MODES for m in modes):
        raise QueryError(f"mode {text!r}: use {', '.join(MODES)}")
    return modes


def _like(text: str) -> ShotRef:
    video, _, shot = text.rpartition(":")
    if not video or not shot.isdigit():
        raise QueryError(f"like {text!r}: write VIDEO:SHOT, e.g. 9f3a2c:12")
    return ShotRef(video, int(shot))


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        south, west, north, east = (float(v) for v in text.split(","))
    except ValueError:
        raise QueryError(f"box {text!r}: write SOUTH,WEST,NORTH,EAST in degrees") from None
    return south, west, north, east


def _inside(root: Path, relative: str) -> Path:
    """A thumbnail under the data dir, refusing anything that would leave it."""
    base = root.resolve()
    target = (base / relative).resolve()
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

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return reply(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("error answering %s", request.url.path)
        return reply(500, "internal error: the server log has the details")
