"""Errors over HTTP: every one a JSON ``{"error": ...}`` a person can act on, never a
stack trace (the server log has that).

A search that cannot be run, a correction that does not fit: 400; an edit without the
token: 403; a video, index or file that is not there: 404; an upload too large: 413;
anything else: 500.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deerin.errors import DeerinError, StoreError
from deerin.explore.map import MapChanging
from deerin.index.search_index import IndexMissing
from deerin.index.store import UnknownCollection
from deerin.retrieve.places import YearRangeError

log = logging.getLogger("deerin.web")


class NotFound(DeerinError):
    """A video, person or file that is not there (or not one the app serves)."""


class TooLarge(DeerinError):
    """An upload over the limit."""


class Forbidden(DeerinError):
    """An edit this server does not allow (read-only, or no token)."""


class Conflict(DeerinError):
    """A change made against a version that has changed since (the map, after a rerun)."""


class Busy(DeerinError):
    """Work the server does one at a time (an MP4 render) is under way: ask again later."""


# An absolute folder in a message ("/srv/films/reel 1.mkv has moved"): the visitor is
# told the file's name, never where the server keeps it.
FOLDERS = re.compile(r"(?<![\w.:/])/(?:[^/\n]+/)+")


def public_note(note: str) -> str:
    """A message with each file named by its name alone (notes and errors name files)."""
    return FOLDERS.sub("", note)


STATUS = {
    NotFound: 404,
    UnknownCollection: 404,
    IndexMissing: 404,
    TooLarge: 413,
    Forbidden: 403,
    Conflict: 409,
    Busy: 503,
    StoreError: 503,
    MapChanging: 503,
    YearRangeError: 422,
}


def public_message(exc: DeerinError, data_dir: Path) -> str:
    """The error's one line without the server's folders: a file in the data dir by its
    place there, any other file by its name (a visitor learns nothing of the disk)."""
    where = ""
    if exc.path is not None:
        root, path = data_dir.resolve(), exc.path.resolve()
        where = (
            path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        ).as_posix()
        where = f"{where}: " if where not in ("", ".") else ""
    hint = f" — {exc.hint}" if exc.hint else ""
    return public_note(f"{where}{exc.problem}{hint}")


def install_error_handlers(app: FastAPI, data_dir: Path) -> None:
    """Every error as JSON with a message a person can act on."""

    def reply(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(DeerinError)
    async def deerin_error(request: Request, exc: DeerinError) -> JSONResponse:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        return reply(status, public_message(exc, data_dir))

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
