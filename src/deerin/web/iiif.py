"""IIIF over HTTP: each file's Manifest and each collection's Collection, for IIIF viewers.

Viewers (Universal Viewer, Mirador, Aviary) run on other sites, so every answer, a 404
included, allows any origin: a browser would otherwise hide it from them. The URLs in
the documents start with the address the request came to, so they work whether the
server is reached as localhost or by its name.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from deerin.export.iiif import UnknownItem, collection_manifest, video_manifest
from deerin.settings import Settings

CORS = {"Access-Control-Allow-Origin": "*"}
# What the IIIF specification asks a server to answer with.
MEDIA_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


def iiif_router(settings: Settings) -> APIRouter:
    """The IIIF routes over one data dir (the app includes them)."""
    router = APIRouter(tags=["iiif"])

    @router.get("/iiif/collection/{collection}.json")
    def collection(collection: str, request: Request) -> Response:
        """A collection as a IIIF Presentation 3 Collection of its files' manifests."""
        return _answer(request, lambda base: collection_manifest(settings, collection, base))

    @router.get("/iiif/{video_id}/manifest.json")
    def manifest(video_id: str, request: Request) -> Response:
        """A film or sound recording as a IIIF Presentation 3 Manifest."""
        return _answer(request, lambda base: video_manifest(settings, video_id, base))

    return router


def _answer(request: Request, build: Callable[[str], str]) -> Response:
    try:
        text = build(str(request.base_url).rstrip("/"))
    except UnknownItem as exc:  # the problem alone: the data dir's path is not the web's
        return JSONResponse({"error": exc.problem}, status_code=404, headers=CORS)
    return Response(text, media_type=MEDIA_TYPE, headers=CORS)
