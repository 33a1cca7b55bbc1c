"""Media over HTTP: originals and proxies with range requests, thumbnails with caching.

A video is asked for by its id, never by a path, so no URL names a file. Ingest
catalogues every file by its real path (links followed), so a catalogued path that
now leads through a link anywhere (the file, or a folder above it, replaced since) is
refused. Thumbnails are asked for by a path that must stay, links followed, inside
the data dir's videos or collections.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from deerin.index.catalogue import VideoRow, open_catalogue
from deerin.index.schemas import MediaInfo
from deerin.index.store import VideoFolder
from deerin.settings import Settings
from deerin.web.errors import NotFound

CACHE = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
THUMBNAIL_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png")
PROXY = "proxy.mp4"


def media_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["files"])

    @router.get("/media/{video_id}")
    @router.head("/media/{video_id}", include_in_schema=False)
    def original(video_id: str) -> FileResponse:
        """The original file (byte ranges, so a player can seek)."""
        return FileResponse(original_file(settings, video_id), headers=CACHE)

    @router.get("/media/{video_id}/proxy")
    @router.head("/media/{video_id}/proxy", include_in_schema=False)
    def proxy(video_id: str) -> FileResponse:
        """The browser-playable proxy, when the ingest made one."""
        row = video_row(settings, video_id)
        path = VideoFolder.for_video(settings.data_dir, row.id).path(PROXY)
        if not path.is_file():
            raise NotFound(f"video {video_id} has no proxy")
        return FileResponse(path, media_type="video/mp4", headers=CACHE)

    @router.get("/api/thumbnail/{path:path}")
    def thumbnail(path: str) -> FileResponse:
        """A shot's thumbnail or a person's face, by the path a hit or card gives."""
        return FileResponse(inside_data(settings.data_dir, path), headers=CACHE)

    return router


def playable_url(settings: Settings, video_id: str, media: MediaInfo | None) -> str | None:
    """What the page's player should load: the original when a browser plays it (as its
    probe says), else the proxy; None when neither can be played."""
    if media is not None and media.browser_playable:
        return f"/media/{video_id}"
    proxy = VideoFolder.for_video(settings.data_dir, video_id).path(PROXY)
    return f"/media/{video_id}/proxy" if proxy.is_file() else None


def video_row(settings: Settings, video_id: str) -> VideoRow:
    """The catalogue's row of a video id (the full id); NotFound for anything else."""
    catalogue = open_catalogue(settings)
    try:
        row = catalogue.video(video_id) if _looks_like_id(video_id) else None
    finally:
        catalogue.close()
    if row is None:
        raise NotFound(f"there is no video {video_id!r}")
    return row


def original_file(settings: Settings, video_id: str) -> Path:
    """The catalogued file of a video, refused if it leads outside its own folder."""
    listed = Path(video_row(settings, video_id).path)
    try:
        target = listed.resolve(strict=True)
    except (OSError, RuntimeError):
        raise NotFound(f"the file of video {video_id} is not there any more") from None
    if target != listed or not target.is_file():
        raise NotFound(f"the file of video {video_id} is not served (it leads elsewhere)")
    return target


def inside_data(root: Path, relative: str) -> Path:
    """A picture under the data dir's videos or collections, refusing anything that would
    leave them (``..``, an absolute path, a link out)."""
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, ValueError):  # a NUL byte, a loop of links
        raise NotFound(f"no thumbnail {relative!r}") from None
    allowed = target.is_relative_to(base / "videos") or target.is_relative_to(base / "collections")
    if not allowed or target.suffix.lower() not in THUMBNAIL_SUFFIXES or not target.is_file():
        raise NotFound(f"no thumbnail {relative!r}")
    return target


def _looks_like_id(text: str) -> bool:
    return 8 <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)
