"""The files an edit cuts from: what the renderer and editing software need of each.

Supercuts and sequences both end here, so an edit names its sources one way: the file
the catalogue holds, described by its probe. A file moved or deleted since ingest is
left out with a note naming it, so one lost file never stops an edit.
"""

from __future__ import annotations

from pathlib import Path

from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import EditClip, EditSource, Probe
from deerin.index.store import VideoFolder
from deerin.settings import Settings


def edit_sources(
    settings: Settings, wanted: dict[str, str]
) -> tuple[dict[str, EditSource], list[str]]:
    """Every wanted video (id → its collection) as an EditSource, and notes on the missing.

    A video whose file is no longer where the catalogue says is left out, and the note
    says which file and what to do, so the edit goes on with the rest.
    """
    sources: dict[str, EditSource] = {}
    notes: list[str] = []
    catalogue = open_catalogue(settings)
    try:
        rows = {video_id: catalogue.video(video_id) for video_id in wanted}
    finally:
        catalogue.close()
    for video_id, collection in wanted.items():
        row = rows[video_id]
        if row is None:
            notes.append(f"video {video_id} is no longer in the catalogue; its clips are left out")
            continue
        if not Path(row.path).is_file():
            notes.append(
                f"{row.path} has moved or gone since ingest; its clips are left out "
                "(put it back, or ingest it where it is now)"
            )
            continue
        probe = artefacts.read_if_there(VideoFolder.for_video(settings.data_dir, video_id), Probe)
        if probe is None:
            notes.append(
                f"{row.path} was never probed; its clips are left out (run `deerin ingest`)"
            )
            continue
        sources[video_id] = _source(video_id, collection, row.path, row.metadata, probe)
    return sources, notes


def _source(video_id: str, collection: str, path: str, metadata: dict, probe: Probe) -> EditSource:
    media = probe.media
    title = str(metadata.get("title") or Path(path).name)
    return EditSource(
        video_id=video_id,
        collection=collection,
        path=path,
        title=title,
        duration=media.duration,
        fps=media.fps if media.has_picture else None,
        fps_fraction=media.fps_fraction if media.has_picture else None,
        width=media.width,
        height=media.height,
        sample_aspect=media.sample_aspect,
        interlaced=media.interlaced,
        audio=bool(media.audio),
        start_time=media.start_time,
    )


def kept(clips: list[EditClip], sources: dict[str, EditSource]) -> list[EditClip]:
    """The clips whose source is there, each held inside its source's running time."""
    inside = []
    for clip in clips:
        source = sources.get(clip.video_id)
        if source is None:
            continue
        start, end = max(0.0, clip.start), min(source.duration, clip.end)
        if end > start:
            inside.append(clip.model_copy(update={"start": start, "end": end}))
    return inside
