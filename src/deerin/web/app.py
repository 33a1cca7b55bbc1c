"""The web app: pages, the JSON API, media, IIIF, one FastAPI application.

`deerin serve` builds it with the address it listens on, which decides whether edits
are possible (:mod:`deerin.web.access`). Every router is handed what it needs; none
reaches for globals, so a test builds as many apps as it likes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from deerin import __version__
from deerin.retrieve.library import Library
from deerin.settings import Settings
from deerin.web.access import LOCAL_NAMES, LOOPBACK, Access
from deerin.web.ask import ask_router
from deerin.web.clips import clips_router
from deerin.web.corrections import corrections_router
from deerin.web.edits import Edits
from deerin.web.errors import install_error_handlers
from deerin.web.graph import graph_router
from deerin.web.iiif import iiif_router
from deerin.web.library import library_router
from deerin.web.limits import BodyLimit
from deerin.web.map import map_router
from deerin.web.media import media_router
from deerin.web.pages import pages_router
from deerin.web.people import people_router
from deerin.web.places import places_router
from deerin.web.search import Searchers, search_router
from deerin.web.stats import stats_router

STATIC = Path(__file__).parent / "static"


class CachedStatic(StaticFiles):
    """The built scripts and styles: their URLs carry the version, so they may be kept."""

    async def get_response(self, path, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def create_app(
    settings: Settings, *, host: str = LOOPBACK[0], collection: str | None = None
) -> FastAPI:
    """The whole app over one data dir; ``collection`` is the one the pages open on."""
    app = FastAPI(
        title="DEERIn",
        summary="Browse, watch, search and correct a moving-image archive.",
        version=__version__,
    )
    install_error_handlers(app, settings.data_dir)
    access = Access.of(settings, host)
    library = Library(settings)
    searchers = Searchers(settings)
    edits = Edits(settings, access, searchers)
    app.include_router(search_router(settings, searchers))
    app.include_router(library_router(settings, library))
    app.include_router(corrections_router(settings, edits))
    app.include_router(people_router(settings, edits))
    app.include_router(media_router(settings))
    app.include_router(iiif_router(settings))
    app.include_router(map_router(settings, access, searchers))
    app.include_router(stats_router(settings, library))
    app.include_router(clips_router(settings, host in LOOPBACK))
    app.include_router(ask_router(settings, searchers))
    app.include_router(graph_router(settings))
    app.include_router(places_router(settings))
    app.include_router(pages_router(settings, access, library, collection))
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, upload_bytes=settings.web.upload_mb * 1024 * 1024)
    if host in LOOPBACK:
        # A page on another site must not reach this server by a name that resolves to
        # this machine (DNS rebinding): on this machine alone, answer only its own names.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_NAMES))
    return app
