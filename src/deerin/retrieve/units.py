"""What the search index holds: one video's artefacts turned into rows of five tables.

``shots``
    one row per shot: its image vector (the tags model's embedding of its middle frame),
    tags, shot scale, the people and on-screen text in it, its thumbnail;
``passages``
    everything that can be read or heard, time-coded, with a text vector: transcript
    segments (every word's time kept), subtitle cues, on-screen text events, captions,
    generated summaries and the catalogue record;
``faces``
    one row per detected face with its SFace vector and its person;
``places``
    one row per place mention resolved to coordinates;
``videos``
    one row per video or sound recording, with its catalogue metadata.

Every row carries the video's facets (file, media kind, year, identifier, rights,
languages, places), so any filter runs inside the one table a query reads. Rows are
built only through the typed artefact reader; a layer that did not run leaves its
columns empty, never the video out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from deerin.index import artefacts
from deerin.index.artefacts import Artefact
from deerin.index.catalogue import VideoRow
from deerin.index.corrections import corrections_digest, read_corrected
from deerin.index.schemas import (
    Captions,
    Entities,
    Faces,
    Frames,
    Keyframes,
    Probe,
    Shots,
    ShotScale,
    Subtitles,
    Summary,
    Tags,
    Tech,
    Text,
    TextEmbeddings,
    Transcript,
)
from deerin.index.search_index import TableSpec
from deerin.index.store import VideoFolder
from deerin.index.timeline import shot_at, shot_scales, shot_thumbs

# Every table's rows carry their video's facets (facet_fields), indexed alike.
FACET_INDEXES = {"btree": ("video_id", "year"), "bitmap": ("media",), "labels": ("langs", "places")}

SPECS = {
    "shots": TableSpec(
        "shots",
        text=("tags",),
        btree=(*FACET_INDEXES["btree"], "start"),
        bitmap=(*FACET_INDEXES["bitmap"], "scale"),
        labels=(*FACET_INDEXES["labels"], "people"),
        vectors=("vector",),
    ),
    "passages": TableSpec(
        "passages",
        text=("text",),
        btree=(*FACET_INDEXES["btree"], "start"),
        bitmap=(*FACET_INDEXES["bitmap"], "source", "lang", "scale"),
        labels=(*FACET_INDEXES["labels"], "people"),
        vectors=("vector",),
    ),
    "faces": TableSpec(
        "faces",
        btree=(*FACET_INDEXES["btree"], "person"),
        bitmap=FACET_INDEXES["bitmap"],
        labels=FACET_INDEXES["labels"],
        vectors=("vector",),
    ),
    "places": TableSpec(
        "places",
        text=("name",),
        btree=(*FACET_INDEXES["btree"], "lat", "lon"),
        bitmap=FACET_INDEXES["bitmap"],
        labels=FACET_INDEXES["labels"],
    ),
    "videos": TableSpec("videos", btree=FACET_INDEXES["btree"], bitmap=FACET_INDEXES["bitmap"]),
}


def facet_fields() -> list[pa.Field]:
    return [
        pa.field("video_id", pa.string()),
        pa.field("file", pa.string()),
        pa.field("media", pa.string()),  # film or sound
        pa.field("year", pa.int32()),
        pa.field("date", pa.string()),
        pa.field("identifier", pa.string()),
        pa.field("rights", pa.string()),
        pa.field("length", pa.float64()),  # the video's duration, seconds
        pa.field("langs", pa.list_(pa.string())),
        pa.field("places", pa.list_(pa.string())),
    ]


def vector_field(dim: int) -> pa.Field:
    return pa.field("vector", pa.list_(pa.float32(), dim))


def schema(table: str, dims: dict[str, int]) -> pa.Schema:
    """A table's Arrow schema; ``dims`` gives the vector length of each table with vectors."""
    timed = [pa.field("start", pa.float64()), pa.field("end", pa.float64())]
    extra: dict[str, list[pa.Field]] = {
        "shots": [
            pa.field("shot", pa.int32()),
            *timed,
            pa.field("tags", pa.string()),
            pa.field("scale", pa.string()),
            pa.field("people", pa.list_(pa.string())),
            pa.field("text", pa.string()),
            pa.field("caption", pa.string()),
            pa.field("has_faces", pa.bool_()),
            pa.field("has_text", pa.bool_()),
            pa.field("has_speech", pa.bool_()),
            pa.field("thumb", pa.string()),
        ],
        "passages": [
            pa.field("source", pa.string()),
            *timed,
            pa.field("text", pa.string()),
            pa.field("words", pa.string()),  # JSON [[start, end, word], ...] for speech
            pa.field("lang", pa.string()),
            pa.field("shot", pa.int32()),
            pa.field("scale", pa.string()),
            pa.field("people", pa.list_(pa.string())),
            pa.field("thumb", pa.string()),
        ],
        "faces": [
            pa.field("face", pa.string()),
            pa.field("shot", pa.int32()),
            *timed,
            pa.field("person", pa.string()),
            pa.field("thumb", pa.string()),
        ],
        "places": [
            pa.field("name", pa.string()),
            *timed,
            pa.field("lat", pa.float64()),
            pa.field("lon", pa.float64()),
            pa.field("country", pa.string()),
            pa.field("source", pa.string()),
            pa.field("context", pa.string()),
            pa.field("shot", pa.int32()),
            pa.field("thumb", pa.string()),
        ],
        "videos": [
            pa.field("path", pa.string()),
            pa.field("duration", pa.float64()),
            pa.field("title", pa.string()),
            pa.field("metadata", pa.string()),  # the catalogue record, JSON
            pa.field("shots", pa.int32()),
            pa.field("thumb", pa.string()),
            # What the collection page shows of each video without opening its folder.
            pa.field("has_speech", pa.bool_()),
            pa.field("has_text", pa.bool_()),
            pa.field("faces", pa.int32()),
            pa.field("people", pa.list_(pa.string())),
            pa.field("problems", pa.int32()),
            pa.field("generated_title", pa.string()),
        ],
    }
    fields = [*facet_fields(), *extra[table]]
    if table in dims:
        fields.append(vector_field(dims[table]))
    return pa.schema(fields)


def stamp(data_dir: Path, video: VideoRow, people: str) -> str:
    """What a video's rows were built from: when its artefacts last changed, its catalogue
    record, who its faces are (``people``, a digest) and the corrections people made.

    A stage publishes by renaming its manifest into ``stages/``, which moves the folder's
    modification time; so one ``stat`` per video tells whether the index is behind.
    """
    stages = VideoFolder.for_video(data_dir, video.id).root / "stages"
    try:
        changed = stages.stat().st_mtime_ns
    except OSError:
        changed = 0
    record = json.dumps(video.metadata, sort_keys=True, ensure_ascii=False)
    corrected = corrections_digest(data_dir, video.id)
    return f"{changed}:{hashlib.sha256(record.encode()).hexdigest()[:12]}:{people}:{corrected}"


@dataclass
class VideoUnits:
    """The rows of one video, table by table, and the texts still to embed."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    to_embed: list[int] = field(default_factory=list)  # passages rows without a vector

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


@dataclass(frozen=True)
class Sources:
    """What the builder needs beyond a video's own folder."""

    data_dir: Path
    persons: dict[tuple[str, str], str]  # (video id, face id) -> person id
    text_model: str  # the text embeddings model now configured (older rows are re-embedded)


def video_units(video: VideoRow, sources: Sources) -> VideoUnits:
    """Every row a video contributes, built from whichever of its layers ran."""
    reader = _Reader(sources.data_dir, video.id)
    probe = reader.get(Probe)
    shots = reader.get(Shots)
    spans = [(s.start_time, s.end_time) for s in shots.shots] if shots else []
    seen = _Video(
        video=video,
        reader=reader,
        facets=_facets(video, probe, reader),
        spans=spans,
        people=_people_by_shot(video.id, reader.get(Faces), sources.persons, spans),
        scales=shot_scales(reader.get(ShotScale), spans),
        thumbs=shot_thumbs(reader.get(Keyframes), spans, reader.folder),
    )
    units = VideoUnits()
    _shot_rows(units, seen)
    _passage_rows(units, seen, sources.text_model)
    _face_rows(units, seen, sources.persons)
    _place_rows(units, seen)
    middle = len(seen.spans) // 2
    units.add(
        "videos",
        {
            **seen.facets,
            "path": video.path,
            "duration": seen.facets["length"],
            "title": video.metadata.get("title") or "",
            "metadata": json.dumps(video.metadata, ensure_ascii=False),
            "shots": len(seen.spans),
            "thumb": seen.thumbs.get(middle, ""),
            **_indicators(seen),
        },
    )
    return units


def _indicators(seen: _Video) -> dict[str, Any]:
    """What a video has at a glance: speech, on-screen text, faces, people, problems."""
    reader = seen.reader
    transcript, text, subtitles = reader.get(Transcript), reader.get(Text), reader.get(Subtitles)
    faces, tech, summary = reader.get(Faces), reader.get(Tech), reader.get(Summary)
    cues = subtitles is not None and any(track.events for track in subtitles.tracks)
    return {
        "has_speech": bool(transcript and transcript.segments),
        "has_text": bool(text and text.events) or cues,
        "faces": len(faces.faces) if faces else 0,
        "people": sorted(set().union(*seen.people.values())) if seen.people else [],
        "problems": len(tech.events) if tech else 0,
        "generated_title": (summary.title or "") if summary else "",
    }


class _Reader:
    """A video's artefacts as people corrected them, each read once; a layer that did not
    run is None."""

    def __init__(self, data_dir: Path, video_id: str) -> None:
        self.data_dir, self.video_id = data_dir, video_id
        self.folder = VideoFolder.for_video(data_dir, video_id)
        self._cache: dict[type[Artefact], Any] = {}

    def get(self, schema: type[Any]) -> Any:
        if schema not in self._cache:
            present = self.folder.path(schema.file).exists()
            self._cache[schema] = (
                read_corrected(self.data_dir, self.video_id, schema) if present else None
            )
        return self._cache[schema]

    def vectors(self, schema: type[Any]) -> np.ndarray | None:
        document = self.get(schema)
        if document is None or not self.folder.path(schema.vectors).exists():
            return None
        return artefacts.vectors(self.folder, schema, document)


@dataclass(frozen=True)
class _Video:
    """One video as the row builders see it: its layers and what they share."""

    video: VideoRow
    reader: _Reader
    facets: dict[str, Any]
    spans: list[tuple[float, float]]  # each shot's start and end
    people: dict[int, set[str]]  # shot -> person ids
    scales: dict[int, str]  # shot -> ECS/CS/MS/FS/LS ("" when unknown)
    thumbs: dict[int, str]  # shot -> thumbnail, relative to the data dir

    def shot_at(self, time: float) -> int:
        """The shot showing ``time`` (-1 for a sound recording)."""
        return shot_at(self.spans, time)

    def overlapping(self, start: float, end: float) -> list[int]:
        """The shots a stretch of time touches."""
        end = max(end, start + 1e-3)
        return [i for i, (a, b) in enumerate(self.spans) if a < end and b > start]


def _facets(video: VideoRow, probe: Probe | None, reader: _Reader) -> dict[str, Any]:
    meta = video.metadata
    transcript = reader.get(Transcript)
    subtitles = reader.get(Subtitles)
    langs = {run.language for run in transcript.languages} if transcript else set()
    if subtitles:
        langs |= {t.language for t in subtitles.tracks if t.language and t.events}
    entities = reader.get(Entities)
    places = {e.text.lower() for e in entities.entities if e.place} if entities else set()
    return {
        "video_id": video.id,
        "file": Path(video.path).name,
        "media": video.kind or (probe.media.kind if probe else "film"),
        "year": video.year,
        "date": meta.get("date") or "",
        "identifier": meta.get("identifier") or "",
        "rights": meta.get("rights") or "",
        "length": float(video.duration or (probe.media.duration if probe else 0.0)),
        "langs": sorted(langs),
        "places": sorted(places),
    }


def _people_by_shot(
    video_id: str,
    faces: Faces | None,
    persons: dict[tuple[str, str], str],
    spans: list[tuple[float, float]],
) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for face in faces.faces if faces else []:
        person = persons.get((video_id, face.id))
        if person:
            found.setdefault(shot_at(spans, face.time), set()).add(person)
    return found


def _shot_rows(units: VideoUnits, seen: _Video) -> None:
    reader = seen.reader
    tags, frames, matrix = reader.get(Tags), reader.get(Frames), reader.vectors(Tags)
    if not seen.spans or tags is None or frames is None or matrix is None:
        return  # no picture, or no image model ran: nothing to find by looking
    vectors = _shot_vectors(frames, matrix, seen.spans)
    labels: dict[int, list[str]] = {}
    for entry in tags.frames:
        labels.setdefault(seen.shot_at(entry.time), []).extend(t.label for t in entry.tags[:3])
    text, captions = reader.get(Text), reader.get(Captions)
    texts = _by_shot(seen, [(e.start, e.end, e.text) for e in text.events] if text else [])
    said = [(c.time, c.time, c.answer or "") for c in captions.captions] if captions else []
    described = _by_shot(seen, said)
    transcript = reader.get(Transcript)
    segments = transcript.segments if transcript else []
    speech = {i for s in segments for i in seen.overlapping(s.start, s.end)}
    faces = reader.get(Faces)
    with_faces = {seen.shot_at(f.time) for f in faces.faces} if faces else set()
    for index, (start, end) in enumerate(seen.spans):
        if vectors[index] is None:
            continue
        units.add(
            "shots",
            {
                **seen.facets,
                "shot": index,
                "start": start,
                "end": end,
                "tags": " ".join(dict.fromkeys(labels.get(index, []))),
                "scale": seen.scales.get(index, ""),
                "people": sorted(seen.people.get(index, ())),
                "text": " / ".join(texts.get(index, [])),
                "caption": " / ".join(described.get(index, [])),
                "has_faces": index in with_faces,
                "has_text": bool(texts.get(index)),
                "has_speech": index in speech,
                "thumb": seen.thumbs.get(index, ""),
                "vector": vectors[index],
            },
        )


def _shot_vectors(
    frames: Frames, matrix: np.ndarray, spans: list[tuple[float, float]]
) -> list[np.ndarray | None]:
    """Each shot's image vector: its (first) middle frame's, else the mean of its frames',
    else (a short part of a shot people split) the nearest frame's."""
    chosen: list[np.ndarray | None] = [None] * len(spans)
    gathered: dict[int, list[int]] = {}
    for row, entry in enumerate(frames.frames):
        shot = shot_at(spans, entry.time)
        if shot >= 0:
            gathered.setdefault(shot, []).append(row)
            if entry.kind == "middle" and chosen[shot] is None:
                chosen[shot] = matrix[row]
    for shot, rows in gathered.items():
        if chosen[shot] is None:
            mean = matrix[rows].mean(axis=0)
            chosen[shot] = mean / (np.linalg.norm(mean) or 1.0)
    times = np.array([entry.time for entry in frames.frames])
    for shot, (start, end) in enumerate(spans):
        if chosen[shot] is None and len(times):
            chosen[shot] = matrix[int(np.abs(times - (start + end) / 2).argmin())]
    return chosen


def _by_shot(seen: _Video, items: Iterable[tuple[float, float, str]]) -> dict[int, list[str]]:
    """Texts gathered under each shot they overlap."""
    found: dict[int, list[str]] = {}
    for start, end, text in items:
        if text.strip():
            for index in seen.overlapping(start, end):
                found.setdefault(index, []).append(" ".join(text.split()))
    return found


def _passage_rows(units: VideoUnits, seen: _Video, text_model: str) -> None:
    reader = seen.reader
    texts: list[dict[str, Any]] = []
    transcript = reader.get(Transcript)
    for segment in transcript.segments if transcript else []:
        words = [[round(w.start, 3), round(w.end, 3), w.word.strip()] for w in segment.words]
        text = " ".join(w[2] for w in words) if words else segment.text
        texts.append(_passage("speech", segment.start, segment.end, text, segment.language, words))
    subtitles = reader.get(Subtitles)
    for track in subtitles.tracks if subtitles else []:
        for cue in track.events:
            texts.append(_passage("subtitles", cue.start, cue.end, cue.text, track.language))
    text = reader.get(Text)
    for event in text.events if text else []:
        texts.append(_passage("text", event.start, event.end, event.text))
    captions = reader.get(Captions)
    for caption in captions.captions if captions else []:
        if caption.answer:
            texts.append(_passage("captions", caption.time, caption.time, caption.answer))
    vectors = _stored_text_vectors(reader, texts, text_model)
    summary = reader.get(Summary)
    for part in summary.segments if summary else []:
        if part.title or part.summary:
            generated = ". ".join(p for p in (part.title, part.summary) if p)
            texts.append(_passage("summary", part.start, part.end, generated))
    record = [f"{k}: {v}" for k, v in seen.video.metadata.items() if v] + [seen.facets["file"]]
    texts.append(_passage("metadata", 0.0, seen.facets["length"], " · ".join(record)))
    vectors += [None] * (len(texts) - len(vectors))
    for row, vector in zip(texts, vectors, strict=True):
        cleaned = " ".join(row["text"].split())
        if not cleaned:
            continue
        shot = seen.shot_at(row["start"])
        covered = seen.overlapping(row["start"], row["end"])
        row.update(
            seen.facets,
            text=cleaned,
            shot=shot,
            scale=seen.scales.get(shot, ""),
            people=sorted({p for i in covered for p in seen.people.get(i, ())}),
            thumb=seen.thumbs.get(shot, ""),
            vector=vector,
        )
        if vector is None:
            units.to_embed.append(len(units.rows.get("passages", [])))
        units.add("passages", row)


def _passage(
    source: str,
    start: float,
    end: float,
    text: str,
    lang: str | None = None,
    words: list[list[Any]] | None = None,
) -> dict[str, Any]:
    return {
        "source": source,
        "start": float(start),
        "end": float(end),
        "text": text,
        "words": json.dumps(words, ensure_ascii=False) if words else "",
        "lang": lang or "",
    }


SOURCE_NAMES = {"speech": "transcript", "subtitles": "subtitles", "text": "text"}


def _stored_text_vectors(
    reader: _Reader, texts: list[dict[str, Any]], text_model: str
) -> list[np.ndarray | None]:
    """The text embeddings stage's vectors for these passages, matched by source and time.

    Rows the stage did not embed (or embedded with another model, or whose text people
    corrected since) get None and are embedded while the index is built.
    """
    document, matrix = reader.get(TextEmbeddings), reader.vectors(TextEmbeddings)
    if document is None or matrix is None or document.model.name != text_model:
        return [None] * len(texts)
    stored: dict[tuple[str, float, float], list[int]] = {}
    for row, entry in enumerate(document.rows):
        stored.setdefault((entry.source, round(entry.start, 3), round(entry.end, 3)), []).append(
            row
        )
    found: list[np.ndarray | None] = []
    for text in texts:
        source = SOURCE_NAMES.get(text["source"], text["source"])
        rows = stored.get((source, round(text["start"], 3), round(text["end"], 3)))
        row = rows.pop(0) if rows else None
        same = row is not None and document.rows[row].text == " ".join(text["text"].split())
        found.append(matrix[row] if same else None)
    return found


def _face_rows(units: VideoUnits, seen: _Video, persons: dict[tuple[str, str], str]) -> None:
    faces, matrix = seen.reader.get(Faces), seen.reader.vectors(Faces)
    if faces is None or matrix is None:
        return
    for face, vector in zip(faces.faces, matrix, strict=True):
        units.add(
            "faces",
            {
                **seen.facets,
                "face": face.id,
                "shot": seen.shot_at(face.time),
                "start": face.time,
                "end": face.time,
                "person": persons.get((seen.video.id, face.id), ""),
                "thumb": seen.thumbs.get(seen.shot_at(face.time), ""),
                "vector": vector,
            },
        )


def _place_rows(units: VideoUnits, seen: _Video) -> None:
    entities = seen.reader.get(Entities)
    for entity in entities.entities if entities else []:
        if entity.place is None:
            continue
        shot = seen.shot_at(entity.start)
        units.add(
            "places",
            {
                **seen.facets,
                "name": entity.text,
                "start": entity.start,
                "end": entity.end,
                "lat": entity.place.lat,
                "lon": entity.place.lon,
                "country": entity.place.country_code,
                "source": entity.source,
                "context": entity.context,
                "shot": shot,
                "thumb": seen.thumbs.get(shot, ""),
            },
        )


def arrow_table(table: str, rows: list[dict[str, Any]], dims: dict[str, int]) -> pa.Table:
    """Rows as an Arrow table of the table's schema (vectors as float32 fixed-size lists)."""
    target = schema(table, dims)
    columns = {}
    for column in target:
        values = [row.get(column.name) for row in rows]
        if column.name == "vector":
            flat = np.asarray(values, dtype=np.float32).reshape(-1)
            columns[column.name] = pa.FixedSizeListArray.from_arrays(pa.array(flat), dims[table])
        else:
            columns[column.name] = pa.array(values, type=column.type)
    return pa.table(columns, schema=target)
