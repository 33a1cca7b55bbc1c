"""The subtitles stage: every subtitle stream of a video as time-coded text.

Text tracks are read as they are (:mod:`.text`). Bitmap tracks are decoded in a single
pass over the file, all of them together, and each new picture is read with the OCR
reader of the text stage. A subtitle is on screen from its display set's time until
its own end time (VobSub) or until the next display set replaces or clears it (PGS);
a display set that re-sends the picture already shown (PGS refreshes) changes nothing
and is not read again. SubRip and WebVTT files beside the video (:mod:`.sidecars`)
become tracks of their own, after the streams.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.subtitles.subtitle import SubtitleSet

from deerin.enrich.subtitles.bitmaps import Palette, render, visible
from deerin.enrich.subtitles.sidecars import sidecar_track
from deerin.enrich.subtitles.text import plain, text_cues
from deerin.enrich.text.events import blocks
from deerin.enrich.text.ocr import Reader, reader
from deerin.errors import DeerinError
from deerin.index.schemas import MediaInfo, Subtitles, SubtitleStream
from deerin.media.sidecars import sidecar_files
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

UNKNOWN_END = 0xFFFFFFFF  # what FFmpeg puts in end_display_time when the stream does not say
NO_TIME = -(2**63)  # FFmpeg's AV_NOPTS_VALUE


@dataclass
class _Shown:
    """The subtitle a bitmap track is showing now."""

    start: float
    end: float | None
    key: bytes
    text: str
    confidence: float


@dataclass
class _BitmapTrack:
    """One bitmap subtitle stream being read: its palette, its cues, what is on screen."""

    stream: SubtitleStream
    palette: Palette
    cues: list[dict[str, Any]] = field(default_factory=list)
    shown: _Shown | None = None

    def showing(self, key: bytes, at: float) -> bool:
        """Whether the picture ``key`` is on screen at ``at`` (a PGS refresh re-sends it)."""
        shown = self.shown
        return shown is not None and shown.key == key and (shown.end is None or shown.end > at)

    def close(self, at: float) -> None:
        """End the subtitle on screen at ``at`` (or at its own end, if that comes first)."""
        if self.shown is None:
            return
        end = at if self.shown.end is None else min(self.shown.end, at)
        if self.shown.text:
            self.cues.append(
                {
                    "start": round(self.shown.start, 3),
                    "end": round(max(end, self.shown.start), 3),
                    "kind": "subtitle",
                    "text": self.shown.text,
                    "confidence": round(self.shown.confidence, 3),
                }
            )
        self.shown = None


class SubtitlesStage(Stage):
    """Subtitle streams as cues: text tracks extracted, bitmap tracks (PGS, VobSub) OCR'd;
    sidecar SubRip and WebVTT files read."""

    name = "subtitles"
    version = "3"
    requires = ("probe",)
    produces = (Subtitles.file,)
    models = ("ocr",)

    def params(self) -> dict[str, Any]:
        return {
            "ocr_model": self.settings.models.ocr,
            "detect_size": self.settings.text.detect_size,
            "languages": self.settings.subtitles.ocr_languages,
        }

    def inputs(self, source: Path) -> dict[str, Any]:
        """Sidecar files by name, size and modification time: a new or edited one reruns."""
        return {
            path.name: [path.stat().st_size, path.stat().st_mtime_ns]
            for path in sidecar_files(source)
        }

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        return bool(info.subtitles) or bool(sidecar_files(source))

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        errors = ItemErrors()
        tracks: dict[int, dict[str, Any]] = {}
        pictures: list[SubtitleStream] = []
        for stream in info.subtitles:
            tracks[stream.index] = _track(stream)
            if not stream.bitmap:
                tracks[stream.index]["events"] = self._text_track(ctx.source, stream, info, errors)
            elif self.ocr_wanted(stream):
                pictures.append(stream)
            else:
                tracks[stream.index]["skipped"] = "language not in subtitles.ocr_languages"
        ocr = reader(self.settings) if pictures else None
        if ocr is not None:
            for stream, cues in self._bitmap_tracks(ctx, info, pictures, ocr, errors).items():
                tracks[stream]["events"] = cues
        ordered = [tracks[index] for index in sorted(tracks)]
        ordered += self._sidecar_tracks(ctx.source, errors)
        ctx.write(Subtitles, {"video_id": ctx.video_id, "tracks": ordered, "errors": errors.items})
        cues = sum(len(track["events"]) for track in ordered)
        return StageOutput(
            method={
                "name": "ffmpeg to SubRip (text tracks), PyAV decode and OCR (bitmap tracks), "
                "SubRip/WebVTT reader (sidecar files)",
                "ocr": ocr.models.name if ocr is not None else None,
            },
            summary={"tracks": len(ordered), "cues": cues},
            problem=errors.problem(cues + len(errors.items), "subtitles"),
        )

    def ocr_wanted(self, stream: SubtitleStream) -> bool:
        """Whether a bitmap track's language is one to read (all, when none is named)."""
        wanted = self.settings.subtitles.ocr_languages
        return not wanted or (stream.language or "") in wanted

    def _sidecar_tracks(self, source: Path, errors: ItemErrors) -> list[dict[str, Any]]:
        """The sidecar files' tracks; a file that cannot be read is an error of its own."""
        tracks = []
        for sidecar in sidecar_files(source):
            try:
                tracks.append(sidecar_track(source, sidecar))
            except DeerinError as exc:
                errors.record(exc.message, path=str(sidecar))
        return tracks

    def _text_track(
        self, source: Path, stream: SubtitleStream, info: MediaInfo, errors: ItemErrors
    ) -> list[dict[str, Any]]:
        try:
            return text_cues(source, stream.index, info.start_time)
        except DeerinError as exc:
            errors.record(exc.message, stream=stream.index)
            return []

    def _bitmap_tracks(
        self,
        ctx: StageContext,
        info: MediaInfo,
        streams: list[SubtitleStream],
        ocr: Reader,
        errors: ItemErrors,
    ) -> dict[int, list[dict[str, Any]]]:
        """Read every bitmap track in one pass over the file: stream index -> cues."""
        try:
            container = av.open(f"file:{ctx.source}")
        except av.error.FFmpegError as exc:
            raise DeerinError(f"cannot be opened ({exc})", path=ctx.source) from exc
        with container:
            tracks: dict[int, _BitmapTrack] = {}
            for stream in streams:
                context = container.streams[stream.index].codec_context
                try:
                    tracks[stream.index] = _BitmapTrack(
                        stream, Palette(stream.codec, context.extradata)
                    )
                except DeerinError as exc:
                    errors.record(exc.message, stream=stream.index)
            wanted = [container.streams[index] for index in tracks]
            for packet in container.demux(wanted) if wanted else ():
                if packet.pts is not None and packet.size:
                    self._picture(packet, tracks[packet.stream.index], info, ocr, errors)
                    if info.duration > 0:
                        ctx.report(min(1.0, float(packet.pts * packet.time_base) / info.duration))
        for track in tracks.values():
            track.close(info.duration)
        return {index: track.cues for index, track in tracks.items()}

    def _picture(
        self,
        packet: av.Packet,
        track: _BitmapTrack,
        info: MediaInfo,
        ocr: Reader,
        errors: ItemErrors,
    ) -> None:
        """Take one packet: when it completes a display set, end what that replaces and
        read what it shows."""
        palette = track.palette.of(bytes(packet))
        try:
            subtitle = packet.stream.codec_context.decode2(packet)
        except av.error.FFmpegError as exc:
            at = round(float(packet.pts * packet.time_base) - info.start_time, 3)
            errors.record(f"subtitle cannot be decoded ({exc})", stream=track.stream.index, time=at)
            return
        if subtitle is None:
            return
        start = _shown_at(subtitle, packet) - info.start_time
        pictures = _pictures(subtitle, palette)
        key = hashlib.blake2b(b"".join(picture.tobytes() for picture in pictures)).digest()
        if track.showing(key, start):
            return  # the picture on screen, sent again (a PGS refresh or palette fade)
        track.close(start)
        if pictures:
            images = [render(picture, palette, track.stream.codec) for picture in pictures]
            text, confidence = _read(ocr, images, self.settings.text.detect_size)
            track.shown = _Shown(start, _end(subtitle, packet, start), key, text, confidence)


def _track(stream: SubtitleStream) -> dict[str, Any]:
    return {
        "stream": stream.index,
        "source": "stream",
        "language": stream.language,
        "codec": stream.codec,
        "kind": "bitmap" if stream.bitmap else "text",
        "events": [],
    }


def _pictures(subtitle: SubtitleSet, palette: np.ndarray) -> list[np.ndarray]:
    """The display set's visible pictures as palette indices, top to bottom.

    FFmpeg's PGS and VobSub decoders lay a picture out one byte per pixel, with no
    padding at the end of a line, which is what PyAV's plane buffer holds.
    """
    rects = [rect for rect in subtitle if rect.type == b"bitmap" and rect.planes]
    pictures = []
    for rect in sorted(rects, key=lambda rect: (rect.y, rect.x)):
        indices = np.frombuffer(memoryview(rect.planes[0]), np.uint8)
        indices = indices.reshape(rect.height, rect.width)
        if visible(indices, palette):
            pictures.append(indices)
    return pictures


def _shown_at(subtitle: SubtitleSet, packet: av.Packet) -> float:
    """When a display set appears, in the file's seconds.

    The decoder's time, not the packet's: in a Blu-ray transport stream a display set
    spans several packets, and only the composition segment carries its time.
    """
    if subtitle.pts != NO_TIME:
        return subtitle.pts / 1_000_000 + subtitle.start_display_time / 1000
    return float(packet.pts * packet.time_base) + subtitle.start_display_time / 1000


def _read(ocr: Reader, images: list[np.ndarray], detect_size: int) -> tuple[str, float]:
    """The text of a display set's pictures, and the recogniser's mean confidence."""
    texts, weighted, weight = [], 0.0, 0
    for image in images:
        lines = ocr.read(image, detect_size)
        for reading in blocks(0, 0.0, lines, (image.shape[1], image.shape[0])).readings:
            text = plain(reading.text)  # also drops "<i>" a DVD drew from its SRT source
            if text:
                texts.append(text)
                weighted += reading.confidence * len(text)
                weight += len(text)
    return "\n".join(texts), (weighted / weight if weight else 0.0)


def _end(subtitle: SubtitleSet, packet: av.Packet, start: float) -> float | None:
    """When the display set says its subtitle ends, or None when only the next one will."""
    shown = subtitle.end_display_time
    if 0 < shown < UNKNOWN_END and shown > subtitle.start_display_time:
        return start + (shown - subtitle.start_display_time) / 1000
    if packet.duration:
        return start + float(packet.duration * packet.time_base)
    return None
