"""What the video page shows, built from the artefacts through the one reader.

The page asks for each part on its own (details, shots, transcript, layers), so a long
film's page draws its player and timeline before its thousands of words arrive. The
transcript and the shots are read as people corrected them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deerin.export.events import entity_events, face_events, rows, subtitle_events
from deerin.export.layers import exporters
from deerin.export.render import collection_people
from deerin.index import artefacts
from deerin.index.corrections import read_corrected
from deerin.index.schemas import (
    AudioEvents,
    Captions,
    Entities,
    Faces,
    Keyframes,
    Probe,
    Shots,
    ShotScale,
    Subtitles,
    Summary,
    Tags,
    Tech,
    Text,
    Transcript,
)
from deerin.index.store import VideoFolder
from deerin.settings import Settings
from deerin.web.media import playable_url, video_row

TAGS_PER_SHOT = 3
BARCODE = "barcode.png"


def _folder(settings: Settings, video_id: str) -> VideoFolder:
    return VideoFolder.for_video(settings.data_dir, video_id)


def _maybe(folder: VideoFolder, schema: type[Any]) -> Any:
    """An artefact, or None where its stage did not run."""
    return artefacts.read(folder, schema) if folder.path(schema.file).exists() else None


def details(settings: Settings, video_id: str) -> dict[str, Any]:
    """The player's source, the file's facts, the generated title and summary, exports."""
    row = video_row(settings, video_id)
    folder = _folder(settings, row.id)
    probe = _maybe(folder, Probe)
    media = probe.media if probe else None
    summary = _maybe(folder, Summary)
    return {
        "id": row.id,
        "file": Path(row.path).name,
        "title": row.metadata.get("title") or Path(row.path).name,
        "metadata": {k: v for k, v in row.metadata.items() if v not in (None, "")},
        "media": row.kind or (media.kind if media else "film"),
        "duration": row.duration or (media.duration if media else 0.0),
        "fps": media.fps if media else None,
        "width": media.width if media else None,
        "height": media.height if media else None,
        "src": playable_url(settings, row.id),
        "summary": _summary(summary),
        "exports": _exports(folder, media),
        "barcode": f"/api/videos/{row.id}/barcode.png" if barcode_file(folder) else None,
        "iiif": f"/iiif/{row.id}/manifest.json",
    }


def _summary(summary: Summary | None) -> dict[str, Any] | None:
    if summary is None or not (summary.title or summary.summary):
        return None
    return {
        "title": summary.title,
        "text": summary.summary,
        "generated": True,
        "model": summary.model.name,
        "parts": [p.model_dump() for p in summary.segments if p.title or p.summary],
    }


def _exports(folder: VideoFolder, media: Any) -> list[dict[str, Any]]:
    """Every layer this video has, with the formats `deerin export` writes it in."""
    found = []
    for layer, exporter in exporters().items():
        if folder.path(exporter.artefact.file).exists() and (
            media is None or exporter.missing(media) is None
        ):
            found.append({"layer": layer, "holds": exporter.holds, "formats": exporter.formats})
    return found


def shots(settings: Settings, video_id: str) -> dict[str, Any]:
    """Each shot with its times, thumbnail, scale and best tags."""
    folder = _folder(settings, video_row(settings, video_id).id)
    if not folder.path(Shots.file).exists():
        return {"fps": None, "shots": []}
    document = read_corrected(settings.data_dir, video_id, Shots)
    stills = _stills(folder)
    scale = _maybe(folder, ShotScale)
    scales = [(s.start, s.end, s.scale) for s in scale.shots] if scale else []
    tags = _maybe(folder, Tags)
    labelled = [(f.time, [t.label for t in f.tags]) for f in tags.frames] if tags else []
    found = []
    for shot in document.shots:
        start, end = shot.start_time, shot.end_time
        inside = [labels for time, labels in labelled if start <= time < end]
        found.append(
            {
                "index": shot.index,
                "start": start,
                "end": end,
                "thumb": _nearest(stills, (start + end) / 2, start, end),
                "scale": next((s for a, b, s in scales if a <= (start + end) / 2 < b), None),
                "tags": _best(inside),
            }
        )
    return {"fps": document.fps, "shots": found}


def _stills(folder: VideoFolder) -> list[tuple[float, str]]:
    """Every keyframe thumbnail (time, path relative to the data dir)."""
    keyframes = _maybe(folder, Keyframes)
    found = []
    for stills in keyframes.shots if keyframes else []:
        for still in (stills.first, stills.middle, stills.last):
            if still is not None:
                found.append((still.time, _relative(folder, still.thumb)))
    return found


def _nearest(stills: list[tuple[float, str]], time: float, start: float, end: float) -> str | None:
    """The still inside [start, end) nearest ``time``, else the nearest anywhere."""
    if not stills:
        return None
    inside = [s for s in stills if start <= s[0] < end] or stills
    return min(inside, key=lambda s: abs(s[0] - time))[1]


def _best(labels: list[list[str]]) -> list[str]:
    counts: dict[str, int] = {}
    for frame in labels:
        for label in frame[:TAGS_PER_SHOT]:
            counts[label] = counts.get(label, 0) + 1
    return sorted(counts, key=lambda label: -counts[label])[:TAGS_PER_SHOT]


def _relative(folder: VideoFolder, name: str) -> str:
    return "/".join((*folder.root.parts[-3:], name))


def transcript(settings: Settings, video_id: str) -> dict[str, Any]:
    """Segments with every word's time, as corrected, and the languages spoken."""
    folder = _folder(settings, video_row(settings, video_id).id)
    if not folder.path(Transcript.file).exists():
        return {"language": None, "languages": [], "segments": []}
    document = read_corrected(settings.data_dir, video_id, Transcript)
    return {
        "language": document.language,
        "languages": [run.model_dump() for run in document.languages],
        "segments": [
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "language": s.language,
                "words": [{"start": w.start, "end": w.end, "word": w.word} for w in s.words],
            }
            for s in document.segments
        ],
    }


def layers(settings: Settings, video_id: str) -> dict[str, Any]:
    """Everything time-coded besides shots and words, layer by layer, on one time axis."""
    row = video_row(settings, video_id)
    folder = _folder(settings, row.id)
    found: list[dict[str, Any]] = []

    def add(name: str, label: str, events: list[dict[str, Any]]) -> None:
        found.append({"name": name, "label": label, "events": [_event(e) for e in events]})

    if (text := _maybe(folder, Text)) is not None:
        add("text", "On-screen text", rows(text.events))
    if (subtitles := _maybe(folder, Subtitles)) is not None:
        add("subtitles", "Subtitles", subtitle_events(subtitles))
    if (faces := _maybe(folder, Faces)) is not None:
        add("people", "People", face_events(faces, collection_people(settings), row.id))
    if (tags := _maybe(folder, Tags)) is not None:
        add("tags", "Tags", _tag_events(settings, row.id, tags))
    if (captions := _maybe(folder, Captions)) is not None:
        said = [{"start": c.time, "end": c.time, "text": c.answer} for c in captions.captions]
        add("captions", "Captions (generated)", [e for e in said if e["text"]])
    if (entities := _maybe(folder, Entities)) is not None:
        add("entities", "Names and places", entity_events(entities))
    if (tech := _maybe(folder, Tech)) is not None:
        add("tech", "Technical events", rows(tech.events))
    if (audio := _maybe(folder, AudioEvents)) is not None:
        add("audio", "Audio events", rows(audio.events))
    return {"duration": row.duration, "layers": found}


def _event(event: dict[str, Any]) -> dict[str, Any]:
    """The fields the page draws: times, kind, text (others stay in the exports)."""
    text = event.get("text") or event.get("label") or event.get("kind") or ""
    return {
        "start": event["start"],
        "end": max(event.get("end") or event["start"], event["start"]),
        "kind": event.get("kind") or "",
        "text": str(text),
    }


def _tag_events(settings: Settings, video_id: str, tags: Tags) -> list[dict[str, Any]]:
    """Each shot's best tags (of the frames inside it) as one event spanning the shot."""
    folder = _folder(settings, video_id)
    if not folder.path(Shots.file).exists():
        return []
    events = []
    for shot in read_corrected(settings.data_dir, video_id, Shots).shots:
        start, end = shot.start_time, shot.end_time
        best = _best([[t.label for t in f.tags] for f in tags.frames if start <= f.time < end])
        if best:
            events.append({"start": start, "end": end, "text": ", ".join(best)})
    return events


def barcode_file(folder: VideoFolder) -> Path | None:
    """The colour barcode the shots stage drew (one column per slice of time), if any."""
    path = folder.path(BARCODE)
    return path if path.is_file() else None
