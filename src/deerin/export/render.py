"""One video's layer as a file's text: what `deerin export` writes and the web app's
export buttons download, from the same code.
"""

from __future__ import annotations

from pathlib import Path

from deerin.errors import DeerinError
from deerin.export.layers import DEFAULT_BASE_URL, ExportContext, Exporter, exporter
from deerin.index import artefacts
from deerin.index.catalogue import video_collections
from deerin.index.corrections import read_corrected
from deerin.index.schemas import MediaInfo, People, Probe, Subtitles
from deerin.index.store import CollectionFolder, VideoFolder
from deerin.media.sidecars import sidecar_files
from deerin.settings import Settings


def export_text(
    settings: Settings,
    video_id: str,
    path: str,
    layer: str,
    fmt: str,
    *,
    track: str | None = None,
    collection: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> str:
    """``layer`` of the video in ``fmt``; ``track`` picks one subtitle track, ``collection``
    whose people name the faces (every collection's when None), ``base_url`` the server
    a IIIF manifest points at."""
    chosen = exporter(layer, fmt)
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    media = artefacts.read(folder, Probe).media
    document = _artefact(settings.data_dir, video_id, chosen, media, path)
    context = ExportContext(
        video_id,
        Path(path),
        media,
        track=_chosen_track(document, track, path) if isinstance(document, Subtitles) else None,
        people=_naming(settings, video_id, collection) if layer == "faces" else (),
        settings=settings,
        base_url=base_url,
    )
    return chosen.write(document, fmt, context)


def _artefact(
    data_dir: Path, video_id: str, chosen: Exporter, media: MediaInfo, path: str
) -> object:
    """The artefact a layer is read from, as people corrected it; says why when the file
    has none."""
    if VideoFolder.for_video(data_dir, video_id).path(chosen.artefact.file).exists():
        return read_corrected(data_dir, video_id, chosen.artefact)
    never = chosen.missing(media)
    if never is not None:
        raise DeerinError(never, path=path)
    if chosen.layer == "subtitles" and not media.subtitles and not sidecar_files(Path(path)):
        raise DeerinError("has no subtitle streams or sidecar subtitle files", path=path)
    stage = chosen.artefact.stage
    raise DeerinError(
        f"has no {chosen.holds} yet",
        path=path,
        hint=f"run `deerin ingest` on it; if the {stage} stage was skipped (--skip {stage}), "
        "run it without",
    )


def _chosen_track(document: Subtitles, track: str | None, path: str) -> int | str | None:
    """The subtitle track ``--track`` names: a stream index, or a sidecar file's name."""
    if track is None:
        return None
    keys = [each.key for each in document.tracks]
    chosen = int(track) if track.isdigit() else track
    if chosen not in keys:
        found = ", ".join(str(k) for k in keys if isinstance(k, int)) or "none"
        files = ", ".join(k for k in keys if isinstance(k, str))
        beside = f"; sidecar files: {files}" if files else ""
        raise DeerinError(
            f"has no subtitle track {track} (tracks by stream index: {found}{beside})", path=path
        )
    return chosen


def collection_people(settings: Settings, collection: str | None = None) -> tuple[People, ...]:
    """The people of one collection, or of every collection that has them."""
    folders = CollectionFolder.chosen(settings.data_dir, collection)
    return tuple(artefacts.read(f, People) for f in folders if f.path(People.file).exists())


def video_people(settings: Settings, video_id: str) -> tuple[People, ...]:
    """The people of the collections a video is in: only they can name its faces."""
    names = video_collections(settings, video_id)
    return tuple(p for name in names for p in collection_people(settings, name))


def _naming(settings: Settings, video_id: str, collection: str | None) -> tuple[People, ...]:
    """Whose people name the faces: the collection asked for, else the video's own."""
    return (
        collection_people(settings, collection) if collection else video_people(settings, video_id)
    )
