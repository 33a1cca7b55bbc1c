"""Edits (supercuts, sequences) as files editing software opens, a WebVTT of their phrases
and a CSV of their clips.

Every editing format is written by OpenTimelineIO's own adapter for it, from the one
timeline :func:`edit_timeline` builds, so the files agree with each other and with what
OTIO reads back. What that timeline promises:

- Each clip points at its source file (an absolute ``file://`` URL) and covers whole
  frames at the source's exact rate (24000/1001, never 23.976, so an hour-long source
  keeps frame sync); a source of another rate than the timeline keeps its own rate and
  OTIO rescales its record length.
- Track V1 holds the pictures and A1 the sound of the same clips, in step: a silent film
  leaves a gap on A1, a sound recording a gap on V1, so sound never slides off picture.
- The timeline starts at 01:00:00:00, as editors expect of a programme; record timecodes
  in the EDL, the FCP7 XML, the CSV and the VTT count from there. Source timecodes count
  from 00:00:00:00 at a file's first frame, not from any timecode track it may carry.

Known limits of the adapters (pinned in pyproject.toml), each kept rather than working
round it with a writer of our own: the FCP7 XML adapter writes no ``<link>`` between a
clip's picture and sound items (they import in sync, unlinked); the FCPXML adapter ignores
the start timecode (its project starts at 0s), names formats oddly, and places the sound
of a non-whole rate (29.97, 23.976) to within a frame of its picture.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from deerin.errors import DeerinError, closest
from deerin.export.events import to_vtt
from deerin.export.shotlist import (
    REEL_LENGTH,
    cmx3600,
    exact_rate,
    frame_range,
    is_drop_frame_rate,
    nominal_rate,
    one_line,
    reel_name,
    timecode,
)
from deerin.index.schemas import Edit, EditClip, EditSource

# A file's suffix is its format's name: OTIO; CMX3600 EDL (one picture track, sound
# linked per event); FCP7 XML (Premiere, Resolve); FCPXML (Final Cut Pro, Resolve); a
# WebVTT of the phrases at their times in the edit; a CSV of the clips.
FORMATS = ("otio", "edl", "xml", "fcpxml", "vtt", "csv")
SOUND_ONLY_RATE = 25  # an edit of sound recordings has no picture rate to follow
MARKER_COLOUR = otio.schema.MarkerColor.BLUE  # a plain note (FCPX takes red/green for to-dos)
CSV_HEADER = (
    "number",
    "video_id",
    "collection",
    "file",
    "title",
    "source_fps",
    "source_in",
    "source_out",
    "source_in_timecode",
    "source_out_timecode",
    "record_in_timecode",
    "record_out_timecode",
    "duration",
    "caption",
    "kind",
)
EDL_EVENT = re.compile(r"^(?P<head>\d{3,}\s+\S+\s+)V(?=\s)", re.MULTILINE)


class TimelineError(DeerinError):
    """An edit that cannot be exported as asked (no clips, unknown format, a lost source)."""


@dataclass(frozen=True)
class _Placed:
    """A clip where the timeline put it: record frames at the timeline's rate (from 0)."""

    clip: EditClip
    source: EditSource
    item: otio.schema.Clip
    rate: float
    record_in: int
    record_out: int


def export_edit(edit: Edit, fmt: str, *, rate: float | None = None) -> str:
    """The text of ``edit`` as a ``fmt`` file (one of :data:`FORMATS`).

    ``rate`` sets the timeline's frame rate; by default the one most of its clips have.
    """
    if fmt not in FORMATS:
        guess = closest(fmt, FORMATS)
        known = f"choose one of: {', '.join(FORMATS)}"
        raise TimelineError(
            f"unknown timeline format {fmt!r}",
            hint=f"did you mean {guess}? {known}" if guess else known,
        )
    timeline = edit_timeline(edit, rate)
    match fmt:
        case "otio":
            return otio.adapters.write_to_string(timeline, "otio_json")
        case "edl":
            return _edl(edit, timeline)
        case "xml":
            return _fcp7(timeline)
        case "fcpxml":
            return _fcpxml(edit, timeline)
        case "vtt":
            return _vtt(edit, timeline)
    return _csv(edit, timeline)


def _fcp7(timeline: otio.schema.Timeline) -> str:
    """The FCP7 XML adapter's text; its timecodes exist only at broadcast rates."""
    try:
        return otio.adapters.write_to_string(timeline, "fcp_xml")
    except ValueError as exc:  # "SMPTE timecode does not support this rate"
        rate = timeline.global_start_time.rate if timeline.global_start_time else 0
        raise TimelineError(
            f"an FCP7 XML timeline cannot run at {rate:g} fps ({exc})",
            hint="write .otio or .fcpxml instead, whose rates are free",
        ) from None


def edit_timeline(edit: Edit, rate: float | None = None) -> otio.schema.Timeline:
    """``edit`` as an OTIO timeline: V1 picture, A1 sound, starting at 01:00:00:00.

    The timeline runs at ``rate`` (made exact: 29.97 → 30000/1001) or else at the exact
    rate most of the clips' sources have, as the renderer does; 25 fps for sound only.
    Each clip is named after its source and time, carries its caption as a marker (so
    the phrase shows in the editor) and its origin in ``metadata["deerin"]``.
    """
    _check(edit, rate)
    timeline_rate = exact_rate(rate) if rate else _most_common_rate(edit)
    reels = _reels(edit)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for clip in edit.clips:
        source = edit.sources[clip.video_id]
        item = _clip(clip, source, _rate_of(source, timeline_rate), reels[clip.video_id])
        length = item.source_range.duration
        video.append(item if source.fps is not None else _gap(length))
        audio.append(_sound(item, source) if source.audio else _gap(length))
    return otio.schema.Timeline(
        name=edit.name,
        tracks=[video, audio],
        global_start_time=otio.opentime.RationalTime(_one_hour(timeline_rate), timeline_rate),
        metadata={"deerin": {"made": edit.made, "query": edit.query, "notes": list(edit.notes)}},
    )


def source_rate(source: EditSource) -> Fraction | None:
    """The source's exact frame rate (None for a sound recording): its probed fraction
    (24000/1001) where known, else its rate with NTSC rates made exact."""
    if source.fps is None:
        return None
    try:
        return Fraction(source.fps_fraction) if source.fps_fraction else _fraction(source.fps)
    except (ValueError, ZeroDivisionError):  # an unreadable fraction such as 0/0
        return _fraction(source.fps)


def _fraction(fps: float) -> Fraction:
    return Fraction(exact_rate(fps)).limit_denominator(1001)


def _check(edit: Edit, rate: float | None) -> None:
    """Refuse, in words, what no timeline can be made of."""
    if not edit.clips:
        raise TimelineError(
            f"the edit {edit.name!r} has no clips, so there is no timeline to export",
            hint="search again with other words or fewer filters",
        )
    lost = sorted({clip.video_id for clip in edit.clips} - set(edit.sources))
    if lost:
        raise TimelineError(
            f"the edit {edit.name!r} has clips of videos it has no source file for: "
            + ", ".join(lost),
            hint="make the edit again, so that each clip's file is looked up",
        )
    if rate is not None and rate <= 0:
        raise TimelineError(f"a timeline needs a frame rate above 0, not {rate}")


def _most_common_rate(edit: Edit) -> float:
    """The exact rate most clips have (so most are not rescaled); 25 for sound only."""
    rates = Counter(source_rate(edit.sources[clip.video_id]) for clip in edit.clips)
    rates.pop(None, None)
    return float(rates.most_common(1)[0][0]) if rates else SOUND_ONLY_RATE


def _rate_of(source: EditSource, timeline_rate: float) -> float:
    """A clip's rate: its source's; a sound recording's, the timeline's (it has no frames)."""
    rate = source_rate(source)
    return float(rate) if rate is not None else timeline_rate


def _one_hour(rate: float) -> int:
    """Frames to the label 01:00:00:00 (drop-frame labels keep to the clock's hour)."""
    return round(3600 * rate) if is_drop_frame_rate(rate) else nominal_rate(rate) * 3600


def _reels(edit: Edit) -> dict[str, str]:
    """An EDL reel per source, unique within the edit (a digit replaces the end if needed),
    so two films whose titles begin alike still relink to their own files."""
    reels: dict[str, str] = {}
    for video_id in dict.fromkeys(clip.video_id for clip in edit.clips):
        base = reel_name(edit.sources[video_id].title)
        reel, number = base, 1
        while reel in reels.values():
            number += 1
            reel = base[: REEL_LENGTH - len(str(number))] + str(number)
        reels[video_id] = reel
    return reels


def _media(source: EditSource, rate: float) -> otio.schema.ExternalReference:
    """The whole file, at its exact rate, with what FCP7 XML says of its streams.

    The FCP7 adapter would otherwise claim sound for every file; editors then look for
    sound a silent film does not have.
    """
    path = Path(source.path).absolute()
    streams: dict[str, dict] = {}
    if source.fps is not None:
        size = {"width": source.width, "height": source.height}
        streams["video"] = {"samplecharacteristics": size} if all(size.values()) else {}
    if source.audio:
        streams["audio"] = {}
    media = otio.schema.ExternalReference(
        target_url=path.as_uri(),
        available_range=frame_range(0.0, source.duration, rate),
        metadata={"fcp_xml": {"media": streams}},
    )
    media.name = path.name
    return media


def _clip(clip: EditClip, source: EditSource, rate: float, reel: str) -> otio.schema.Clip:
    """One clip of the edit, whole frames of its source, its caption a marker over it."""
    span = frame_range(clip.start, clip.end, rate)
    if span.duration.value < 1:  # a clip shorter than half a frame still shows one frame
        span = otio.opentime.TimeRange(span.start_time, otio.opentime.RationalTime(1, rate))
    start_tc = timecode(span.start_time.to_seconds(), rate, is_drop_frame_rate(rate))
    item = otio.schema.Clip(
        name=f"{one_line(source.title)} {start_tc}",
        media_reference=_media(source, rate),
        source_range=span,
        metadata={
            "deerin": {
                "video_id": clip.video_id,
                "collection": source.collection,
                "start": clip.start,
                "end": clip.end,
                "kind": clip.kind,
                "caption": clip.caption,
                "shot": clip.shot,
                "scale": clip.scale,
            },
            "cmx_3600": {"reel": reel},
        },
    )
    caption = one_line(clip.caption)
    if caption:
        marker = otio.schema.Marker(name=caption, marked_range=span, color=MARKER_COLOUR)
        item.markers.append(marker)
    return item


def _sound(item: otio.schema.Clip, source: EditSource) -> otio.schema.Clip:
    """The clip's sound for A1: its own FCP7 clip item (the adapter would otherwise write
    a reference to the picture's), with the caption marker only where there is no picture."""
    sound = item.clone()
    sound.metadata["fcp_xml"] = {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}
    if source.fps is not None:
        sound.markers.clear()
    return sound


def _gap(duration: otio.opentime.RationalTime) -> otio.schema.Gap:
    """Nothing for ``duration``: where a track has no clip, so the other stays in step."""
    return otio.schema.Gap(
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, duration.rate), duration)
    )


def _placed(edit: Edit, timeline: otio.schema.Timeline) -> list[_Placed]:
    """Each clip with its record frames, rounded at the timeline rate as the XML adapter
    rounds them, so the EDL, CSV and VTT agree with the XML frame for frame."""
    video, audio = timeline.tracks
    rate = timeline.global_start_time.rate
    placed, elapsed = [], otio.opentime.RationalTime(0, rate)
    for clip, picture, sound in zip(edit.clips, video, audio, strict=True):
        item = picture if isinstance(picture, otio.schema.Clip) else sound
        end = elapsed + item.source_range.duration
        record = round(elapsed.to_seconds() * rate), round(end.to_seconds() * rate)
        source = edit.sources[clip.video_id]
        placed.append(_Placed(clip, source, item, item.source_range.start_time.rate, *record))
        elapsed = end
    return placed


def _record_tc(frame: int, timeline: otio.schema.Timeline) -> str:
    """A record frame (from the timeline's first) as timecode from 01:00:00:00."""
    start = timeline.global_start_time
    rate = start.rate
    return timecode((start.value + frame) / rate, rate, is_drop_frame_rate(rate))


def _source_tc(seconds: float, rate: float) -> str:
    return timecode(seconds, rate, is_drop_frame_rate(rate))


def _edl(edit: Edit, timeline: otio.schema.Timeline) -> str:
    """A CMX3600 EDL through OTIO's adapter, one event per clip, record from 01:00:00:00.

    The adapter writes one track's events, each on channel V. So it is given one track
    of every clip, each conformed to the timeline rate (an EDL has one rate) and cut to
    its record length, after an hour's gap (its record start); each event's channel is
    then set to what the clip has: B (picture and sound, linked), V or A.
    """
    rate = timeline.global_start_time.rate
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    track.append(_gap(timeline.global_start_time))
    channels = []
    for place in _placed(edit, timeline):
        item = place.item.clone()
        first = round(item.source_range.start_time.to_seconds() * rate)
        item.source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(first, rate),
            otio.opentime.RationalTime(place.record_out - place.record_in, rate),
        )
        track.append(item)
        channels.append(_channel(edit.sources[place.clip.video_id]))
    text = cmx3600(otio.schema.Timeline(name=edit.name, tracks=[track]), rate)
    numbered = iter(channels)
    return EDL_EVENT.sub(lambda event: event["head"] + next(numbered), text)


def _channel(source: EditSource) -> str:
    """The CMX3600 channel of a clip: B is picture with sound channel 1."""
    if source.fps is None:
        return "A"
    return "B" if source.audio else "V"


def _fcpxml(edit: Edit, timeline: otio.schema.Timeline) -> str:
    """FCPXML through OTIO's ``fcpx_xml`` adapter, at exact rates, on the timeline's frames.

    The adapter looks a frame duration up in a table keyed by rounded rates (23.98,
    29.97), so the exact 24000/1001 finds nothing and the adapter fails; each exact rate
    of the timeline is added to that table with its exact duration (1001/24000s) first.
    FCPXML times are seconds, and an item off the sequence's frame grid is refused, so
    the adapter is given :func:`_on_timeline_grid`'s copy.
    """
    grid = _on_timeline_grid(edit, timeline)
    table = otio.adapters.from_name("fcpx_xml").module().FRAMERATE_FRAMEDURATION
    for rate in _rates(grid):
        if int(rate) not in table and rate not in table:
            duration = 1 / Fraction(rate).limit_denominator(1001)
            table[rate] = f"{duration.numerator}/{duration.denominator}s"
    return otio.adapters.write_to_string(grid, "fcpx_xml")


def _on_timeline_grid(edit: Edit, timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy in which every item lasts its record length, whole frames of the timeline,
    still counted at its source's rate (so each file keeps its own format), and the
    whole lasts whole frames at the timeline rate (the sequence's format)."""
    rate = timeline.global_start_time.rate
    grid = timeline.clone()
    placed = _placed(edit, timeline)
    for place, picture, sound in zip(placed, *grid.tracks, strict=True):
        for item in (picture, sound):
            own = item.source_range.start_time.rate
            frames = (place.record_out - place.record_in) * own / rate
            item.source_range = otio.opentime.TimeRange(
                item.source_range.start_time, otio.opentime.RationalTime(frames, own)
            )
    grid.tracks.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(placed[-1].record_out, rate)
    )
    return grid


def _rates(timeline: otio.schema.Timeline) -> set[float]:
    """Every rate the FCPX adapter may look up: of the stack, tracks and items."""
    rates = {timeline.tracks.duration().rate}
    for track in timeline.tracks:
        rates.add(track.duration().rate)
        rates.update(item.duration().rate for item in track)
    return rates


def _vtt(edit: Edit, timeline: otio.schema.Timeline) -> str:
    """A WebVTT cue per clip at its time in the edit (from 0, as a player of the rendered
    edit counts), the phrase first, then the record and source timecodes and title."""
    rate = timeline.global_start_time.rate
    events = [
        {
            "start": place.record_in / rate,
            "end": place.record_out / rate,
            "kind": place.clip.kind,
            "text": "\n".join(
                (
                    one_line(place.clip.caption),
                    f"{_record_tc(place.record_in, timeline)} · {one_line(place.source.title)} "
                    f"{_source_tc(place.item.source_range.start_time.to_seconds(), place.rate)}",
                )
            ),
        }
        for place in _placed(edit, timeline)
    ]
    return to_vtt(events, edit.name, rate)


def _csv(edit: Edit, timeline: otio.schema.Timeline) -> str:
    """One row per clip, for spreadsheets and logs: where each clip comes from (seconds as
    the edit has them; timecodes at the source's rate) and where it sits in the edit."""
    rate = timeline.global_start_time.rate
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for number, place in enumerate(_placed(edit, timeline), start=1):
        span = place.item.source_range
        writer.writerow(
            (
                number,
                place.clip.video_id,
                place.source.collection,
                str(Path(place.source.path).absolute()),
                place.source.title,
                str(Fraction(place.rate).limit_denominator(1001)),
                f"{place.clip.start:.3f}",
                f"{place.clip.end:.3f}",
                _source_tc(span.start_time.to_seconds(), place.rate),
                _source_tc(span.end_time_exclusive().to_seconds(), place.rate),
                _record_tc(place.record_in, timeline),
                _record_tc(place.record_out, timeline),
                f"{(place.record_out - place.record_in) / rate:.3f}",
                place.clip.caption,
                place.clip.kind,
            )
        )
    return buffer.getvalue()
