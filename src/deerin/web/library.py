"""The collection and video pages' data over HTTP: lists of videos, one video's parts,
its exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from deerin.export.render import export_text
from deerin.index.store import VideoFolder
from deerin.retrieve.library import HAS, SORTS, Library, VideoPage, browse
from deerin.settings import Settings
from deerin.web import video
from deerin.web.errors import NotFound
from deerin.web.media import CACHE, video_row

EXPORT_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "txt": "text/plain",
    "otio": "application/json",
    "edl": "text/plain",
}


def library_router(settings: Settings, library: Library) -> APIRouter:
    router = APIRouter(tags=["library"])

    @router.get("/api/collections")
    def collections() -> dict[str, Any]:
        """Every collection and how many videos its index holds."""
        return {
            "collections": [
                {"name": name, "videos": len(library.cards(name))} for name in library.collections()
            ]
        }

    @router.get("/api/videos", response_model=VideoPage)
    def videos(
        collection: str | None = None,
        q: Annotated[str, Query(max_length=200, description="Words in title, file, id…")] = "",
        media: Annotated[str | None, Query(pattern="^(film|sound)$")] = None,
        has: Annotated[list[str] | None, Query(description=", ".join(HAS))] = None,
        sort: Annotated[str, Query(description=", ".join(SORTS))] = "title",
        order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 48,
    ) -> VideoPage:
        """One page of a collection's videos, sorted and filtered."""
        return browse(
            library.cards(collection),
            text=q,
            media=media,
            has=[h for each in has or [] for h in each.split(",") if h],
            sort=sort,
            descending=order == "desc",
            offset=offset,
            limit=limit,
        )

    @router.get("/api/videos/{video_id}")
    def details(video_id: str) -> dict[str, Any]:
        """What the video page shows first: player source, facts, summary, exports."""
        found = video.details(settings, video_id)
        card = library.card(video_id)
        found["card"] = card.model_dump() if card else None
        return found

    @router.get("/api/videos/{video_id}/shots")
    def shots(video_id: str) -> dict[str, Any]:
        return video.shots(settings, video_id)

    @router.get("/api/videos/{video_id}/transcript")
    def transcript(video_id: str) -> dict[str, Any]:
        return video.transcript(settings, video_id)

    @router.get("/api/videos/{video_id}/layers")
    def layers(video_id: str) -> dict[str, Any]:
        return video.layers(settings, video_id)

    @router.get("/api/videos/{video_id}/barcode.png")
    def barcode(video_id: str) -> FileResponse:
        """The colour barcode of the whole film, as the shots stage drew it."""
        folder = VideoFolder.for_video(settings.data_dir, video_row(settings, video_id).id)
        path = video.barcode_file(folder)
        if path is None:
            raise NotFound(f"video {video_id} has no colour barcode")
        return FileResponse(path, media_type="image/png", headers=CACHE)

    @router.get("/api/videos/{video_id}/export/{layer}.{fmt}")
    def export(video_id: str, layer: str, fmt: str, request: Request) -> Response:
        """A layer in a format, as `deerin export` writes it, to download."""
        row = video_row(settings, video_id)
        base = str(request.base_url).rstrip("/")
        text = export_text(settings, row.id, row.path, layer, fmt, base_url=base)
        name = f"{Path(row.path).stem}.{layer}.{fmt}"
        return Response(
            text,
            media_type=f"{EXPORT_TYPES.get(fmt, 'text/plain')}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{download_name(name)}"'},
        )

    return router


def download_name(name: str) -> str:
    """A file name for a header: no quotes, no line breaks, ASCII."""
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
