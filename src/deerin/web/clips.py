"""Supercuts and sequences over HTTP: an edit as clips the page plays back to back from
the original files (nothing is rendered to watch it), and the same edit to download as
a timeline for editing software or, rendered, as one MP4.

The edit is made again for every request (the same request makes the same edit; a
random order has a seed), so a page and its downloads agree and the server keeps no
state. A rendered MP4 is kept in the data dir's cache under a hash of its edit, so a
second download of it is instant; a web render takes at most ``RENDER_MOST`` clips
(more is the command line's work: `deerin supercut … -o film.mp4`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from deerin.export.shotlist import timecode
from deerin.export.timeline import export_edit
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import Edit, EditClip, Keyframes, Probe
from deerin.index.store import VideoFolder
from deerin.index.timeline import shot_thumbs
from deerin.interact.render import render
from deerin.interact.rhythm import RhythmClip, parse_rhythm
from deerin.interact.sequence import NothingToCut, build_sequence, candidates
from deerin.interact.supercut import ORDERS, NothingFound, SupercutRequest, make_supercut
from deerin.retrieve.query import QueryError
from deerin.settings import Settings
from deerin.web.errors import Busy, NotFound, public_note
from deerin.web.library import download_name
from deerin.web.map import known
from deerin.web.media import playable_url

RENDER_MOST = 100  # clips a web render takes
RENDER_SECONDS = 600  # the longest film a web render makes (longer is the CLI's work)
RENDERS_KEPT = 20  # rendered MP4s kept in the cache; the least recently asked for go first
TIMELINES = {
    "otio": "application/json",
    "edl": "text/plain",
    "xml": "application/xml",
    "fcpxml": "application/xml",
    "vtt": "text/vtt",
    "csv": "text/csv",
}
Download = Literal["otio", "edl", "xml", "fcpxml", "vtt", "csv", "mp4"]


class SupercutAsk(BaseModel):
    """A supercut as the page (or a script) asks for it: `deerin supercut`'s options."""

    q: str = Field(
        "", max_length=1000, description="The phrase, with any search filters (year:, set:…)."
    )
    collection: str | None = Field(None, max_length=200, description="One collection.")
    regex: str | None = Field(None, max_length=500, description="A regular expression instead.")
    meaning: bool = Field(False, description="Passages close in meaning, not the words.")
    pad_before: float = Field(0.0, ge=0, le=60, description="Seconds before each clip.")
    pad_after: float = Field(0.0, ge=0, le=60, description="Seconds after each clip.")
    order: str = Field("time", description=", ".join(ORDERS))
    max: int = Field(200, ge=1, le=1000, description="At most this many clips.")
    seed: int = Field(0, description="For the random order.")

    def request(self) -> SupercutRequest:
        return SupercutRequest(
            query=self.q,
            collection=self.collection or None,
            regex=self.regex or None,
            meaning=self.meaning,
            pad_before=self.pad_before,
            pad_after=self.pad_after,
            order=self.order,
            limit=self.max,
            seed=self.seed,
        )


class SequenceAsk(BaseModel):
    """A sequence as the page asks for it: `deerin sequence`'s options."""

    q: str = Field("", max_length=1000, description="The search whose shots it is made of.")
    collection: str | None = Field(None, max_length=200, description="One collection.")
    strategy: str = Field(
        "chronological", description="chronological, similar, analytical, rhythm or prompt."
    )
    length: float = Field(60.0, gt=0, le=3600, description="Seconds the sequence aims at.")
    prompt: str | None = Field(None, max_length=2000, description="For the prompt strategy.")
    rhythm: str | None = Field(
        None, max_length=200, description="VIDEO:START-END, the clip whose rhythm to cut to."
    )
    cut_on: Literal["beats", "pauses"] = Field("beats", description="For the rhythm strategy.")


def clips_router(settings: Settings, local: bool) -> APIRouter:
    """``local``: the server answers this machine alone, so a timeline may name where
    each file is (the person downloading it is the one whose disk it is)."""
    router = APIRouter(tags=["supercuts and sequences"])
    renders = Renders(settings, local)

    def supercut_of(ask: SupercutAsk) -> Edit:
        if ask.collection:
            known(settings, ask.collection)
        try:
            return make_supercut(settings, ask.request())
        except NothingFound as nothing:  # not there: a 404, and a hint in the page's words
            raise NotFound(
                nothing.problem, hint="try fewer words, a part of the phrase, or Match: the meaning"
            ) from None

    def sequence_of(ask: SequenceAsk) -> Edit:
        if ask.collection:
            known(settings, ask.collection)
        rhythm = rhythm_clip(settings, ask.rhythm, ask.collection) if ask.rhythm else None
        pool = candidates(settings, ask.q, ask.collection or None)
        try:
            return build_sequence(settings, pool, ask.strategy, ask.length, rhythm=rhythm,
                                  cut_on=ask.cut_on, prompt=ask.prompt or None)  # fmt: skip
        except NothingToCut as nothing:
            raise NotFound(nothing.problem, hint=nothing.hint) from None

    @router.get("/api/supercut")
    def supercut(ask: Annotated[SupercutAsk, Query()]) -> dict[str, Any]:
        """Every moment the phrase is said or shown: the clips a page plays back to back."""
        return edit_json(settings, supercut_of(ask))

    @router.get("/api/supercut/download.{fmt}")
    def supercut_download(fmt: Download, ask: Annotated[SupercutAsk, Query()]) -> Response:
        """The supercut as a timeline (otio, edl, xml for FCP7, fcpxml, vtt, csv) or an MP4."""
        return renders.download(supercut_of(ask), fmt, "supercut")

    @router.get("/api/sequence")
    def sequence(ask: Annotated[SequenceAsk, Query()]) -> dict[str, Any]:
        """A sequence cut from the shots a search finds: the clips a page plays."""
        return edit_json(settings, sequence_of(ask))

    @router.get("/api/sequence/download.{fmt}")
    def sequence_download(fmt: Download, ask: Annotated[SequenceAsk, Query()]) -> Response:
        """The sequence as a timeline or an MP4, as the supercut's downloads."""
        return renders.download(sequence_of(ask), fmt, "sequence")

    return router


def edit_json(settings: Settings, edit: Edit) -> dict[str, Any]:
    """The edit as a page plays it: each clip with what the browser loads (the original
    when it plays it, else the proxy), its film's name and time; no server folder."""
    looks = {video_id: _Look(settings, video_id, edit) for video_id in edit.sources}
    return {
        "name": edit.name,
        "made": edit.made,
        "query": edit.query,
        "duration": edit.duration,
        "notes": [public_note(note) for note in edit.notes],
        "render_most": RENDER_MOST,
        "clips": [
            looks[clip.video_id].clip(number, clip)
            for number, clip in enumerate(edit.clips, start=1)
        ],
    }


class _Look:
    """What the page needs of one source: its playable URL and its clips' pictures."""

    def __init__(self, settings: Settings, video_id: str, edit: Edit) -> None:
        self.source = edit.sources[video_id]
        folder = VideoFolder.for_video(settings.data_dir, video_id)
        probe = artefacts.read_if_there(folder, Probe)
        self.media = playable_url(settings, video_id, probe.media if probe else None)
        self.sound = self.source.fps is None
        spans = [(c.start, c.end) for c in edit.clips if c.video_id == video_id]
        keyframes = None if self.sound else artefacts.read_if_there(folder, Keyframes)
        thumbs = shot_thumbs(keyframes, spans, folder) if keyframes else {}
        self.thumbs = {span: thumbs.get(i) for i, span in enumerate(spans)}

    def clip(self, number: int, clip: EditClip) -> dict[str, Any]:
        source = self.source
        return {
            "n": number,
            "video_id": clip.video_id,
            "title": source.title,
            "file": Path(source.path).name,
            "start": clip.start,
            "end": clip.end,
            "caption": clip.caption,
            "kind": clip.kind,
            "shot": clip.shot,
            "scale": clip.scale,
            "timecode": timecode(clip.start, source.fps or 25.0, drop_frame=False),
            "media": self.media,
            "sound": self.sound,
            "length": source.duration,
            "video_page": f"/video/{clip.video_id}?t={clip.start:.2f}",
            "thumbnail": self.thumbs.get((clip.start, clip.end)),
        }


def names_only(edit: Edit) -> Edit:
    """The edit with each source named by its file name alone, at the root: a visitor
    over the network learns nothing of the server's folders (the editor relinks by name)."""
    named = {
        video_id: source.model_copy(update={"path": f"/{Path(source.path).name}"})
        for video_id, source in edit.sources.items()
    }
    return edit.model_copy(
        update={"sources": named, "notes": [public_note(note) for note in edit.notes]}
    )


class Renders:
    """Downloads of an edit: a timeline written at once, an MP4 rendered once and kept.
    Served on the network, a timeline names each file without its folder.

    One render at a time, of at most RENDER_SECONDS: each already keeps the machine's
    cores busy (ffmpeg); a request while one runs is answered 503 at once rather than
    holding a server thread in a queue.
    """

    def __init__(self, settings: Settings, local: bool) -> None:
        self.folder = settings.data_dir / "cache" / "renders"
        self.local = local
        self._lock = threading.Lock()

    def download(self, edit: Edit, fmt: str, what: str) -> Response:
        name = download_name(f"{_stem(edit.name)}.{what}.{fmt}")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "mp4":
            return FileResponse(self.rendered(edit), media_type="video/mp4", headers=headers)
        return Response(
            export_edit(edit if self.local else names_only(edit), fmt),
            media_type=f"{TIMELINES[fmt]}; charset=utf-8",
            headers=headers,
        )

    def rendered(self, edit: Edit) -> Path:
        """The edit's MP4 (its first RENDER_MOST clips), rendered now or kept from before."""
        if len(edit.clips) > RENDER_MOST:
            edit = edit.model_copy(update={"clips": edit.clips[:RENDER_MOST]})
        if edit.duration > RENDER_SECONDS:
            raise QueryError(
                f"the film would last {edit.duration:.0f} s; a render from the web app "
                f"lasts at most {RENDER_SECONDS} s",
                hint="cut fewer clips or less context, or use `deerin supercut -o film.mp4`",
            )
        key = hashlib.sha256(edit.model_dump_json().encode()).hexdigest()[:32]
        path = self.folder / f"{key}.mp4"
        if path.is_file():
            path.touch()  # recently asked for: kept longest
            return path
        if not self._lock.acquire(blocking=False):  # never a queue of waiting threads
            raise Busy("another film is being rendered", hint="try again in a minute")
        try:
            if not path.is_file():
                self.folder.mkdir(parents=True, exist_ok=True)
                render(edit, path)
                self._forget_old()
        finally:
            self._lock.release()
        return path

    def _forget_old(self) -> None:
        kept = sorted(self.folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[RENDERS_KEPT:]:
            old.unlink(missing_ok=True)


def rhythm_clip(settings: Settings, text: str, collection: str | None) -> RhythmClip:
    """``VIDEO[:START-END]``: a stretch of a catalogued file, by its id (or the start of
    it) or file name; never a path, so no visitor makes the server read any other file."""
    name, start, end = parse_rhythm(text)
    if "/" in name or "\\" in name:
        raise NotFound(f"no video {name!r}", hint="give the rhythm clip's video id or file name")
    catalogue = open_catalogue(settings)
    try:
        found = {row.id: row for row in catalogue.find_videos(name)}
        if len(found) != 1:
            why = "several videos" if found else "no video"
            raise NotFound(f"{why} called {name!r}", hint="give the video's id or file name")
        row = next(iter(found.values()))
        member = collection or next(iter(catalogue.collections_of(row.id)), None)
    finally:
        catalogue.close()
    return RhythmClip(Path(row.path), start, end, row.id, member)


def _stem(name: str) -> str:
    """The edit's name as the start of a file name: words, dashes and spaces only."""
    return re.sub(r"[^\w\- ]+", "_", name).strip(" _")[:60] or "edit"
