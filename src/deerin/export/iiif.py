"""IIIF Presentation 3: every film and sound recording a Manifest, every collection a Collection.

IIIF viewers (Universal Viewer, Mirador, Aviary, Ramp) and aggregators read these, so
DEERIn's work can be shown without DEERIn. A file is one time-based Canvas with its
duration (and its size, for a film) painted with the file itself; each shot is a Range
pointing at ``canvas#t=start,end``; what was said, what was read on screen and who was
seen are annotation pages on the canvas, at their times. The documents are built with
``iiif-prezi3``, the IIIF community's model of the specification, so one that breaks
the specification fails as it is built rather than in somebody's viewer.

URLs are ``{base}/iiif/{video_id}/manifest.json`` and
``{base}/iiif/collection/{name}.json``; the media are at ``{base}/media/{video_id}``
(``/proxy`` for the browser-playable copy) and stills at ``{base}/api/thumbnail/<path in
the data dir>``, as `deerin serve` answers them.
"""

from __future__ import annotations

import json
import math
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from iiif_prezi3 import (
    Annotation,
    AnnotationBody,
    AnnotationPage,
    Base,
    Canvas,
    CanvasRef,
    Choice,
    Collection,
    KeyValueString,
    Manifest,
    ManifestRef,
    Range,
    TextualBody,
)

from deerin.errors import DeerinError
from deerin.export.events import clock, face_events
from deerin.export.render import collection_people, video_people
from deerin.index.artefacts import Artefact
from deerin.index.catalogue import VideoRow, collection_videos, open_catalogue
from deerin.index.corrections import read_corrected
from deerin.index.schemas import (
    Faces,
    Keyframes,
    MediaInfo,
    People,
    Probe,
    Shot,
    Shots,
    Summary,
    Text,
    Transcript,
)
from deerin.index.store import VideoFolder
from deerin.settings import Settings

A = TypeVar("A", bound=Artefact)
NO_LANGUAGE = "none"  # IIIF's language key for text of no known language
PROXY_FORMAT = "video/mp4"
# Containers archives use that Python's own table lacks (the system's differs by machine).
MEDIA_TYPES = {
    ".mkv": "video/x-matroska",
    ".mka": "audio/x-matroska",
    ".mxf": "application/mxf",
    ".ts": "video/mp2t",
    ".ogv": "video/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".webp": "image/webp",
}
BUILTIN_TYPES = mimetypes.MimeTypes()  # Python's own table, the same on every machine
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class UnknownItem(DeerinError):
    """A video or collection the catalogue does not hold (HTTP answers 404)."""


@dataclass(frozen=True)
class Urls:
    """Where one video's IIIF resources and media are, under the server's base URL."""

    base: str
    video_id: str

    @property
    def manifest(self) -> str:
        return f"{self.base}/iiif/{self.video_id}/manifest.json"

    @property
    def canvas(self) -> str:
        return f"{self.base}/iiif/{self.video_id}/canvas"

    @property
    def media(self) -> str:
        return f"{self.base}/media/{self.video_id}"

    def resource(self, kind: str, name: str) -> str:
        """An annotation page, annotation or range of the manifest: ids must be URIs."""
        return f"{self.base}/iiif/{self.video_id}/{kind}/{name}"

    def file(self, data_dir: Path, path: Path) -> str:
        """A file of the store (a still) as the server gives it."""
        return f"{self.base}/api/thumbnail/{quote(path.relative_to(data_dir).as_posix())}"

    def at(self, start: float, end: float, box: str = "") -> str:
        """The canvas from ``start`` to ``end`` (a W3C media fragment), in a box if given."""
        where = f"xywh={box}&" if box else ""
        return f"{self.canvas}#{where}t={seconds(start)},{seconds(max(end, start))}"


def seconds(value: float) -> str:
    """Seconds to the millisecond, without trailing zeros ("3", "6.04")."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def collection_url(base_url: str, collection: str) -> str:
    return f"{base_url}/iiif/collection/{quote(collection, safe='')}.json"


# -- the public entry points ------------------------------------------------------------


def video_manifest(settings: Settings, video_id: str, base_url: str) -> str:
    """The IIIF Manifest (JSON text) of one film or sound recording, by its full id."""
    catalogue = open_catalogue(settings)
    try:
        row = catalogue.video(video_id)
    finally:
        catalogue.close()
    if row is None:
        raise UnknownItem(
            f"video {video_id} is not in the catalogue",
            path=settings.data_dir,
            hint="check `deerin status` for ids",
        )
    people = video_people(settings, row.id)
    return as_text(manifest(settings.data_dir, row, base_url.rstrip("/"), people))


def collection_manifest(settings: Settings, collection: str, base_url: str) -> str:
    """The IIIF Collection (JSON text) of a collection: a reference to each file's manifest."""
    return as_text(
        collection_document(
            settings.data_dir, collection, _members(settings, collection), base_url.rstrip("/")
        )
    )


def collection_files(settings: Settings, collection: str, base_url: str) -> dict[str, str]:
    """The collection's document and every member's manifest, by the path each has under
    ``{base}/iiif/`` (``collection/<name>.json``, ``<video_id>/manifest.json``): what
    `deerin iiif --collection` writes, with the people read once for all."""
    base = base_url.rstrip("/")
    rows = _members(settings, collection)
    people = collection_people(settings)
    name = collection_url(base, collection).rsplit("/", 1)[1]  # quoted: a file name
    found = {
        f"collection/{name}": as_text(
            collection_document(settings.data_dir, collection, rows, base)
        )
    }
    for row in rows:
        found[f"{row.id}/manifest.json"] = as_text(manifest(settings.data_dir, row, base, people))
    return found


def as_text(resource: Base) -> str:
    """A IIIF resource as indented JSON-LD (prezi3's own ``json()`` ignores ``indent``)."""
    return json.dumps(json.loads(resource.jsonld()), indent=2, ensure_ascii=False) + "\n"


def _members(settings: Settings, collection: str) -> list[VideoRow]:
    rows = collection_videos(settings, collection)
    if not rows:
        raise UnknownItem(
            f"collection '{collection}' has no videos",
            path=settings.data_dir,
            hint="check the name with `deerin status`, or ingest into it first",
        )
    return rows


# -- a video's manifest -----------------------------------------------------------------


@dataclass(frozen=True)
class _Video:
    """One file and what enrichment found in it (None where a stage did not run)."""

    row: VideoRow
    data_dir: Path
    folder: VideoFolder
    urls: Urls
    media: MediaInfo | None
    keyframes: Keyframes | None

    @property
    def is_sound(self) -> bool:
        return not self.media.has_picture if self.media else self.row.kind == "sound"

    @property
    def size(self) -> tuple[int, int] | None:
        """The picture's display size (upright, square pixels) where known; None for sound."""
        if self.keyframes is not None:
            return self.keyframes.width, self.keyframes.height
        if self.media is not None and self.media.width and self.media.height:
            return self.media.width, self.media.height
        return None

    def read(self, schema: type[A]) -> A | None:
        """An artefact as people corrected it (the transcript, the shots: what a person
        fixed must show everywhere), None where its stage did not run."""
        if not self.folder.path(schema.file).exists():
            return None
        return read_corrected(self.data_dir, self.row.id, schema)


def _video(data_dir: Path, row: VideoRow, base_url: str) -> _Video:
    folder = VideoFolder.for_video(data_dir, row.id)
    video = _Video(row, data_dir, folder, Urls(base_url, row.id), None, None)
    probe = video.read(Probe)
    video = replace(video, media=probe.media if probe is not None else None)
    return video if video.is_sound else replace(video, keyframes=video.read(Keyframes))


def manifest(data_dir: Path, row: VideoRow, base_url: str, people: Iterable[People]) -> Manifest:
    """The Manifest of one catalogued file, with whatever its artefacts hold."""
    video = _video(data_dir, row, base_url)
    canvas = _canvas(video)
    pages = [_transcript_page(video), _text_page(video), _people_page(video, people)]
    canvas.annotations = [page for page in pages if page is not None] or None
    document = Manifest(id=video.urls.manifest, label=_label(row), items=[canvas])
    _describe(document, video)
    poster = _poster(video)
    if poster is not None:
        document.thumbnail = [poster]
    shots = video.read(Shots)
    if shots is not None and shots.shots:
        document.structures = [_shot_range(video, shot) for shot in shots.shots]
    return document


def _label(row: VideoRow) -> dict[str, list[str]]:
    return {NO_LANGUAGE: [row.metadata.get("title") or Path(row.path).name]}


def _pair(label: str, value: str) -> KeyValueString:
    return KeyValueString(label={"en": [label]}, value={NO_LANGUAGE: [value]})


def _describe(document: Manifest, video: _Video) -> None:
    """The catalogue record as IIIF's descriptive properties, and the generated summary.

    Rights go to ``rights`` only as a URI (IIIF requires one there); a rights statement
    in words is the ``requiredStatement`` every viewer shows.
    """
    meta = video.row.metadata
    pairs = [("Date", meta.get("date")), ("Identifier", meta.get("identifier"))]
    pairs += [("File", Path(video.row.path).name), ("DEERIn id", video.row.id)]
    pairs.append(("Kind", "sound recording" if video.is_sound else "film"))
    document.metadata = [_pair(label, value) for label, value in pairs if value]
    rights = meta.get("rights")
    if rights and re.match(r"^https?://\S+$", rights):
        document.rights = rights
    elif rights:
        document.requiredStatement = _pair("Rights", rights)
    when = DATE.match(meta.get("date") or "")
    if when:
        year, month, day = when.groups()
        document.navDate = f"{year}-{month or '01'}-{day or '01'}T00:00:00Z"
    summaries = [meta["description"]] if meta.get("description") else []
    generated = video.read(Summary)
    if generated is not None and generated.summary:
        summaries.append(f"Generated summary ({generated.model.name}): {generated.summary}")
    if summaries:
        document.summary = {NO_LANGUAGE: summaries}


def _canvas(video: _Video) -> Canvas:
    """The one canvas: as long as the file, as large as its picture, painted with it."""
    duration = video.media.duration if video.media is not None else video.row.duration
    width, height = video.size or (None, None)
    canvas = Canvas(id=video.urls.canvas, duration=duration, width=width, height=height)
    painting = Annotation(
        id=video.urls.resource("annotation", "painting"),
        motivation="painting",
        body=_body(video, duration, width, height),
        target=video.urls.canvas,
    )
    canvas.items = [AnnotationPage(id=video.urls.resource("page", "painting"), items=[painting])]
    return canvas


def _body(
    video: _Video, duration: float | None, width: int | None, height: int | None
) -> AnnotationBody | Choice:
    """The file itself; where a browser cannot play it, the proxy first, as a choice."""
    kind = "Sound" if video.is_sound else "Video"
    size = {"duration": duration, "width": width, "height": height}
    original = AnnotationBody(
        id=video.urls.media, type=kind, format=_format(video.row.path, video.is_sound), **size
    )
    if not video.folder.path("proxy.mp4").exists():
        return original
    proxy = AnnotationBody(
        id=f"{video.urls.media}/proxy", type=kind, format=PROXY_FORMAT, label="proxy", **size
    )
    return Choice(items=[proxy, original])


def _format(path: str, sound: bool) -> str | None:
    """The file's media type by its extension; a sound recording in a video container is
    its audio type (an .mp4 of sound only is audio/mp4)."""
    suffix = Path(path).suffix.lower()
    found = MEDIA_TYPES.get(suffix) or BUILTIN_TYPES.guess_type(f"x{suffix}")[0]
    if found and sound and found.startswith("video/"):
        return "audio/" + found.removeprefix("video/")
    return found


def _poster(video: _Video, start: float = 0.0, end: float = math.inf) -> AnnotationBody | None:
    """The thumbnail of the first shot still shown from ``start`` to ``end`` (by time, not
    shot number: a corrected shot list numbers shots anew), None where there is none."""
    for stills in video.keyframes.shots if video.keyframes is not None else []:
        still = stills.middle or stills.first or stills.last
        if still is not None and start <= still.time < end:
            return AnnotationBody(
                id=video.urls.file(video.data_dir, video.folder.path(still.thumb)),
                type="Image",
                format=_format(still.thumb, False),
                width=still.thumb_width,
                height=still.thumb_height,
            )
    return None


def _shot_range(video: _Video, shot: Shot) -> Range:
    label = f"Shot {shot.index}  {clock(shot.start_time, '.')}–{clock(shot.end_time, '.')}"
    part = CanvasRef(id=video.urls.at(shot.start_time, shot.end_time), type="Canvas")
    poster = _poster(video, shot.start_time, shot.end_time)
    return Range(
        id=video.urls.resource("range", f"shot-{shot.index}"),
        label={"en": [label]},
        items=[part],
        thumbnail=[poster] if poster is not None else None,
    )


def _page(video: _Video, name: str, label: str, items: list[Annotation]) -> AnnotationPage | None:
    if not items:
        return None
    return AnnotationPage(id=video.urls.resource("page", name), label={"en": [label]}, items=items)


def _note(
    video: _Video, name: str, number: int, body: TextualBody, target: str, motivation: str
) -> Annotation:
    return Annotation(
        id=video.urls.resource("annotation", f"{name}-{number}"),
        motivation=motivation,
        body=body,
        target=target,
    )


def _transcript_page(video: _Video) -> AnnotationPage | None:
    """What is said: one annotation per segment, in its language, at its time."""
    transcript = video.read(Transcript)
    segments = transcript.segments if transcript is not None else []
    items = [
        _note(
            video,
            "transcript",
            n,
            TextualBody(value=s.text.strip(), language=s.language, format="text/plain"),
            video.urls.at(s.start, s.end),
            "supplementing",
        )
        for n, s in enumerate(segments)
        if s.text.strip()
    ]
    return _page(video, "transcript", "Transcript", items)


def _text_page(video: _Video) -> AnnotationPage | None:
    """What is read on screen: each text event, where it is in the picture and when."""
    text = video.read(Text)
    events = text.events if text is not None else []
    items = [
        _note(
            video,
            "text",
            n,
            TextualBody(value=event.text, format="text/plain"),
            video.urls.at(event.start, event.end, _box(event.box, video.size)),
            "supplementing",
        )
        for n, event in enumerate(events)
        if event.text.strip()
    ]
    return _page(video, "text", "On-screen text", items)


def _box(box: list[float], size: tuple[int, int] | None) -> str:
    """A box of fractions ``[x, y, w, h]`` as a media fragment's pixels, kept in the frame."""
    if size is None or len(box) != 4:
        return ""
    width, height = size
    x, y = (min(max(v, 0.0), 1.0) for v in box[:2])
    w, h = min(box[2], 1.0 - x), min(box[3], 1.0 - y)
    return ",".join(str(round(v)) for v in (x * width, y * height, w * width, h * height))


def _people_page(video: _Video, people: Iterable[People]) -> AnnotationPage | None:
    """Who is seen: each appearance of a face whose person has a name, tagged with it.

    People nobody named are left out: "person p0003" means nothing outside DEERIn.
    """
    faces = video.read(Faces)
    if faces is None:
        return None
    named = [e for e in face_events(faces, people, video.row.id) if e["person"]]
    items = [
        _note(
            video,
            "people",
            n,
            TextualBody(value=event["person"], purpose="tagging"),
            video.urls.at(event["start"], event["end"]),
            "tagging",
        )
        for n, event in enumerate(named)
    ]
    return _page(video, "people", "People", items)


# -- a collection -----------------------------------------------------------------------


def collection_document(
    data_dir: Path, collection: str, rows: list[VideoRow], base_url: str
) -> Collection:
    """The Collection: each member's manifest by reference, with its label and poster."""
    items = []
    for row in rows:
        video = _video(data_dir, row, base_url)
        poster = _poster(video)
        items.append(
            ManifestRef(
                id=video.urls.manifest,
                label=_label(row),
                thumbnail=[poster] if poster is not None else None,
            )
        )
    return Collection(
        id=collection_url(base_url, collection), label={NO_LANGUAGE: [collection]}, items=items
    )
