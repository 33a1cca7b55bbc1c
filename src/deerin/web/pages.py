"""The web app's pages: a shell each (header, navigation, one landmark) that its script
fills from the JSON API. Scripts and styles are built from ``frontend/`` into
``static/`` and ship inside the package: no CDN, no Node for a user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from deerin import __version__
from deerin.errors import DeerinError
from deerin.index.schemas import MapInfo
from deerin.index.store import CollectionFolder
from deerin.retrieve.library import Library
from deerin.settings import Settings
from deerin.web.access import Access
from deerin.web.errors import public_message
from deerin.web.media import video_row

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Pages load only this server's own scripts, styles, pictures and media: an injected
# script or a framing page elsewhere gets nothing (the app needs no other origin).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def pages_router(
    settings: Settings, access: Access, library: Library, collection: str | None
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, name: str, title: str, **extra: Any) -> HTMLResponse:
        chosen = request.query_params.get("collection") or collection
        config = {
            "page": name,
            "collection": chosen,
            "collections": library.collections(),
            "editable": access.editable,
            "needs_token": access.needs_token,
            **extra.pop("config", {}),
        }
        context = {
            "page": name,
            "script": name if name != "missing" else None,
            "title": title,
            "config": config,
            "version": __version__,
            "query": f"?{urlencode({'collection': chosen})}" if chosen else "",
            **extra,
        }
        status = 404 if name == "missing" else 200
        return templates.TemplateResponse(
            request, f"{name}.html", context, status_code=status, headers=PAGE_HEADERS
        )

    @router.get("/", response_class=HTMLResponse)
    def collection_page(request: Request) -> HTMLResponse:
        chosen = request.query_params.get("collection") or collection
        heading = f"Collection {chosen}" if chosen else "All collections"
        return page(request, "collection", heading, heading=heading)

    @router.get("/video/{video_id}", response_class=HTMLResponse)
    def video_page(request: Request, video_id: str) -> HTMLResponse:
        try:
            row = video_row(settings, video_id)
        except DeerinError as missing:
            return page(
                request,
                "missing",
                "Not found",
                heading="Not found",
                message=public_message(missing, settings.data_dir),
            )
        title = row.metadata.get("title") or Path(row.path).name
        return page(request, "video", title, config={"video": row.id})

    @router.get("/search", response_class=HTMLResponse)
    def search_page(request: Request) -> HTMLResponse:
        return page(request, "search", "Search")

    @router.get("/people", response_class=HTMLResponse)
    def people_page(request: Request) -> HTMLResponse:
        return page(request, "people", "People")

    @router.get("/map", response_class=HTMLResponse)
    def map_page(request: Request) -> HTMLResponse:
        """One collection's map: the one asked for, else the first that has a map."""
        chosen = request.query_params.get("collection") or collection
        mapped = [
            c
            for c in library.collections()
            if CollectionFolder.for_collection(settings.data_dir, c).path(MapInfo.file).is_file()
        ]
        shown = chosen or (mapped[0] if mapped else None)
        return page(request, "map", "Map", config={"map": shown})

    @router.get("/stats", response_class=HTMLResponse)
    def stats_page(request: Request) -> HTMLResponse:
        return page(request, "stats", "Statistics")

    @router.get("/supercut", response_class=HTMLResponse)
    def supercut_page(request: Request) -> HTMLResponse:
        """A phrase's every moment, played back to back (the phrase player)."""
        return page(request, "supercut", "Supercut")

    @router.get("/sequence", response_class=HTMLResponse)
    def sequence_page(request: Request) -> HTMLResponse:
        """A sequence made from a search's shots; the prompt strategy needs a language
        model server, so the page offers it only when one is set."""
        return page(request, "sequence", "Sequence", config={"prompt": bool(settings.llm.endpoint)})

    @router.get("/ask", response_class=HTMLResponse)
    def ask_page(request: Request) -> HTMLResponse:
        """A question answered from the collection, every claim cited to its moment."""
        return page(request, "ask", "Ask")

    @router.get("/graph", response_class=HTMLResponse)
    def graph_page(request: Request) -> HTMLResponse:
        """Who and what appears with whom: a node's neighbourhood and its evidence."""
        return page(request, "graph", "Graph")

    @router.get("/places", response_class=HTMLResponse)
    def places_page(request: Request) -> HTMLResponse:
        """The places spoken of or shown, on a world map that needs no tile server."""
        return page(request, "places", "Places")

    return router
