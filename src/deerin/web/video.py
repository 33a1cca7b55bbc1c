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
from deerin.export.render import video_people
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
from deerin.index.timeline import shot_at, shot_scales, shot_thumbs
from deerin.settings import Settings
from deerin.web.media import playable_url, video_row

TAGS_PER_SHOT = 3
BARCODE = "barcode.png"


def _folder(settings: Settings, video_id: str) -> VideoFolder:
    return VideoFolder.for_video(settings.data_dir, video_id)


def details(settings: Settings, video_id: str) -> dict[str, Any]:
    """The player's source, the file's facts, the generated title and summary, exports."""
    row = video_row(settings, video_id)
    folder = _folder(settings, row.id)
    probe = artefacts.read_if_there(folder, Probe)
    media = probe.media if probe else None
    summary = artefacts.read_if_there(folder, Summary)
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
        "src": playable_url(settings, row.id, media),
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
    """Each shot (as corrected) with its times, thumbnail, scale and best tags; stills,
    scales and tags are placed by time, as the search index places them."""
    folder = _folder(settings, video_row(settings, video_id).id)
    if not folder.path(Shots.file).exists():
        return {"fps": None, "shots": []}
    document = read_corrected(settings.data_dir, video_id, Shots)
    spans = [(shot.start_time, shot.end_time) for shot in document.shots]
    thumbs = shot_thumbs(artefacts.read_if_there(folder, Keyframes), spans, folder)
    scales = shot_scales(artefacts.read_if_there(folder, ShotScale), spans)
    labels = _labels_by_shot(artefacts.read_if_there(folder, Tags), spans)
    return {
        "fps": document.fps,
        "shots": [
            {
                "index": shot.index,
                "start": shot.start_time,
                "end": shot.end_time,
                "thumb": thumbs.get(number),
                "scale": scales.get(number) or None,
                "tags": _best(labels.get(number, [])),
            }
            for number, shot in enumerate(document.shots)
        ],
    }


def _labels_by_shot(tags: Tags | None, spans: list[tuple[float, float]]) -> dict[int, list]:
    """Each shot's frames' labels (best first), the frames placed by time."""
    found: dict[int, list[list[str]]] = {}
    for frame in tags.frames if tags else []:
        found.setdefault(shot_at(spans, frame.time), []).append([t.label for t in frame.tags])
    return found


def _best(labels: list[list[str]]) -> list[str]:
    counts: dict[str, int] = {}
    for frame in labels:
        for label in frame[:TAGS_PER_SHOT]:
            counts[label] = counts.get(label, 0) + 1
    return sorted(counts, key=lambda label: -counts[label])[:TAGS_PER_SHOT]


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

    if (text := artefacts.read_if_there(folder, Text)) is not None:
        add("text", "On-screen text", rows(text.events))
    if (subtitles := artefacts.read_if_there(folder, Subtitles)) is not None:
        add("subtitles", "Subtitles", subtitle_events(subtitles))
    if (faces := artefacts.read_if_there(folder, Faces)) is not None:
        add("people", "People", face_events(faces, video_people(settings, row.id), row.id))
    if (tags := artefacts.read_if_there(folder, Tags)) is not None:
        add("tags", "Tags", _tag_events(settings, row.id, tags))
    if (captions := artefacts.read_if_there(folder, Captions)) is not None:
        said = [{"start": c.time, "end": c.time, "text": c.answer} for c in captions.captions]
        add("captions", "Captions (generated)", [e for e in said if e["text"]])
    if (entities := artefacts.read_if_there(folder, Entities)) is not None:
        add("entities", "Names and places", entity_events(entities))
    if (tech := artefacts.read_if_there(folder, Tech)) is not None:
        add("tech", "Technical events", rows(tech.events))
    if (audio := artefacts.read_if_there(folder, AudioEvents)) is not None:
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
    """Each shot's best tags as one event spanning the shot."""
    if not _folder(settings, video_id).path(Shots.file).exists():
        return []
    shots = read_corrected(settings.data_dir, video_id, Shots).shots
    spans = [(shot.start_time, shot.end_time) for shot in shots]
    labels = _labels_by_shot(tags, spans)
    events = []
    for number, (start, end) in enumerate(spans):
        best = _best(labels.get(number, []))
        if best:
            events.append({"start": start, "end": end, "text": ", ".join(best)})
    return events


def barcode_file(folder: VideoFolder) -> Path | None:
    """The colour barcode the shots stage drew (one column per slice of time), if any."""
    path = folder.path(BARCODE)
    return path if path.is_file() else None
