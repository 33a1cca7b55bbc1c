"""Time-coded events in the formats players, spreadsheets and scripts read: VTT, SRT, CSV, JSON.

On-screen text, subtitles, faces and technical findings are all events of the one shape
``{"start", "end", "kind", "text", ...}`` (seconds from the first frame). WebVTT and SRT
let any player show them over the video; CSV and JSON keep every field for spreadsheets
and scripts. The readers at the end turn each stage's document into such events.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deerin.export.shotlist import is_drop_frame_rate, timecode
from deerin.index.artefacts import Record
from deerin.index.schemas import Entities, Faces, People, Subtitles

FORMATS = ("vtt", "srt", "csv", "json")
COLUMNS = ("start", "end", "start_tc", "end_tc", "kind", "text")
SCALARS = (str, int, float, bool, type(None))


def export_events(
    events: Iterable[dict[str, Any]],
    fmt: str,
    *,
    title: str,
    fps: float,
    source: Path | None = None,
) -> str:
    """``events`` as the text of a ``fmt`` file, in time order.

    ``fps`` is the video's frame rate, for SMPTE timecodes (CSV, JSON) and for the
    shortest cue a player shows (one frame); ``title`` heads the file.
    """
    ordered = sorted(events, key=lambda e: (e["start"], e["end"]))
    match fmt:
        case "vtt":
            return to_vtt(ordered, title, fps)
        case "srt":
            return to_srt(ordered, fps)
        case "csv":
            return to_csv(ordered, fps)
        case "json":
            return to_json(ordered, title, fps, source)
    raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def clock(seconds: float, decimal: str) -> str:
    """``HH:MM:SS.mmm`` (WebVTT) or, with ``decimal=","``, ``HH:MM:SS,mmm`` (SRT)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def _cue_times(event: dict[str, Any], fps: float, decimal: str) -> str:
    """A cue's timing line; a zero-length event lasts one frame, as players need end > start."""
    start = float(event["start"])
    end = max(float(event["end"]), start + 1 / fps)
    return f"{clock(start, decimal)} --> {clock(end, decimal)}"


def _cue_lines(event: dict[str, Any]) -> list[str]:
    """The cue's text without blank lines (a blank line ends a cue); its kind if it has none."""
    lines = [line.strip() for line in str(event.get("text") or "").splitlines()]
    return [line for line in lines if line] or [str(event["kind"])]


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(events: list[dict[str, Any]], title: str, fps: float) -> str:
    """A WebVTT file: the title as a note, then one numbered cue per event (overlaps allowed)."""
    note = " ".join(title.replace("-->", "->").split())
    blocks = ["WEBVTT", f"NOTE {note}" if note else "NOTE"]
    for number, event in enumerate(events, start=1):
        text = "\n".join(_vtt_escape(line) for line in _cue_lines(event))
        blocks.append(f"{number}\n{_cue_times(event, fps, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def to_srt(events: list[dict[str, Any]], fps: float) -> str:
    """A SubRip file: cues numbered from 1, milliseconds after a comma.

    SRT has no escapes; only an arrow in the text, which a reader would take for a
    timing line, is changed.
    """
    blocks = [
        f"{number}\n{_cue_times(event, fps, ',')}\n"
        + "\n".join(line.replace("-->", "->") for line in _cue_lines(event))
        for number, event in enumerate(events, start=1)
    ]
    return "".join(f"{block}\n\n" for block in blocks)


def _flat(event: dict[str, Any]) -> dict[str, Any]:
    """The event's extra scalar fields, a nested dict's as ``name.field``; lists left out."""
    flat: dict[str, Any] = {}
    for key, value in event.items():
        if key in COLUMNS:
            continue
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items() if isinstance(v, SCALARS)})
        elif isinstance(value, SCALARS):
            flat[key] = value
    return flat


def _timecodes(event: dict[str, Any], fps: float) -> tuple[str, str]:
    drop = is_drop_frame_rate(fps)
    return timecode(event["start"], fps, drop), timecode(event["end"], fps, drop)


def to_csv(events: list[dict[str, Any]], fps: float) -> str:
    """One row per event: seconds, timecodes, kind, text, then every other scalar field."""
    flats = [_flat(event) for event in events]
    extra = list(dict.fromkeys(key for flat in flats for key in flat))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*COLUMNS, *extra))
    for event, flat in zip(events, flats, strict=True):
        start_tc, end_tc = _timecodes(event, fps)
        values = ("" if flat.get(key) is None else flat[key] for key in extra)
        writer.writerow(
            (
                f"{event['start']:.3f}",
                f"{event['end']:.3f}",
                start_tc,
                end_tc,
                event["kind"],
                event.get("text") or "",
                *values,
            )
        )
    return buffer.getvalue()


def to_json(events: list[dict[str, Any]], title: str, fps: float, source: Path | None) -> str:
    """The events with timecodes added, under the title, source file and frame rate."""
    exported = {
        "title": title,
        "source": str(source) if source else None,
        "fps": fps,
        "drop_frame": is_drop_frame_rate(fps),
        "events": [
            dict(zip(("start_tc", "end_tc"), _timecodes(event, fps), strict=True)) | event
            for event in events
        ],
    }
    return json.dumps(exported, indent=2, ensure_ascii=False) + "\n"


# -- each stage's document as events ------------------------------------------------


def rows(events: Iterable[Record]) -> list[dict[str, Any]]:
    """Typed events as the plain rows the writers above take (only the fields set)."""
    return [event.model_dump(mode="json", exclude_unset=True) for event in events]


def subtitle_events(document: Subtitles, track: int | str | None = None) -> list[dict[str, Any]]:
    """The events of one subtitle track (see :attr:`SubtitleTrack.key`) or of all, each
    naming its track."""
    return [
        {**event, "track": each.key, "language": each.language}
        for each in document.tracks
        if track is None or each.key == track
        for event in rows(each.events)
    ]


def face_events(document: Faces, people: Iterable[People], video_id: str) -> list[dict[str, Any]]:
    """Face appearances, each named after the person most of its faces were grouped into.

    ``people`` are collections' people; an appearance none of whose faces belongs to a
    person stays "face", a person without a name is "person <id>".
    """
    person_of: dict[str, tuple[str, str | None]] = {}  # face id: (person id, name)
    for collection in people:
        for person in collection.people:
            for face in person.faces:
                if face.video_id == video_id:
                    person_of.setdefault(face.face_id, (person.id, person.name))
    events = []
    for appearance, row in zip(document.appearances, rows(document.appearances), strict=True):
        votes = Counter(person_of[f] for f in appearance.faces if f in person_of)
        if not votes:
            events.append({**row, "person_id": None, "person": None})
            continue
        (person_id, name), _ = votes.most_common(1)[0]
        text = name or f"person {person_id}"
        events.append({**row, "text": text, "person_id": person_id, "person": name})
    return events


def entity_events(document: Entities) -> list[dict[str, Any]]:
    """Every entity as an event: its text and label, where it was said or read."""
    return [
        {**row, "kind": "entity", "text": f"{row['text']} ({row['label']})", "entity": row["text"]}
        for row in rows(document.entities)
    ]
