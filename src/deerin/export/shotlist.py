"""Shot lists in the formats archives and editing software read: CSV, JSON, OTIO, CMX3600 EDL.

Every writer takes the shot list (:class:`~deerin.index.schemas.Shots`, as the artefact
reader gives it) and returns the file's text, so the CLI can print it or write it. Times
are seconds from the first frame (the project's time convention); timecodes here count
from 00:00:00:00 at that frame, not from any timecode track the source may carry.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from pathlib import Path

import opentimelineio as otio

from deerin.errors import DeerinError
from deerin.index.schemas import Shot, Shots

FORMATS = ("csv", "json", "otio", "edl")
CSV_HEADER = (
    "index",
    "start_frame",
    "end_frame",
    "start_time",
    "end_time",
    "start_timecode",
    "end_timecode",
    "duration",
    "transition_in",
)
REEL_LENGTH = 8  # CMX3600 reel names are at most 8 characters
FALLBACK_REEL = "AX"  # the usual name for a source that has no reel
MARKER_COLOURS = {"fade": otio.schema.MarkerColor.BLACK, "dissolve": otio.schema.MarkerColor.PURPLE}


def export_shots(document: Shots, fmt: str, *, source: Path, title: str | None = None) -> str:
    """The shot list of ``document`` as the text of a ``fmt`` file.

    ``source`` is the original media file the list describes (named in JSON, OTIO and
    EDL); ``title`` names the timeline and the EDL reel and defaults to its file name.
    """
    name = title or source.stem
    match fmt:
        case "csv":
            return to_csv(document)
        case "json":
            return to_json(document, source)
        case "otio":
            return to_otio(document, source, name)
        case "edl":
            return to_edl(document, source, name)
    raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def timecode(seconds: float, fps: float, drop_frame: bool) -> str:
    """SMPTE timecode of the frame at ``seconds`` (``HH:MM:SS:FF``, ``;`` before FF if drop-frame).

    Frames are counted at the real rate and labelled at the nominal one (23.976 → 24,
    29.97 → 30), as editing software does. Unlike OTIO's own converter this also accepts
    the odd rates of film transfers (16, 18, 12.5 fps), which archives are full of.
    """
    if seconds < 0:
        raise ValueError(f"a timecode needs a time of 0 or more, not {seconds}")
    nominal = nominal_rate(fps)
    frame = round(seconds * exact_rate(fps))
    if drop_frame:
        if nominal not in (30, 60):
            raise ValueError(f"drop-frame timecode exists only for 29.97 and 59.94 fps, not {fps}")
        frame = _drop_frame_label(frame, nominal)
    frames_per_hour = nominal * 3600
    hours, rest = divmod(frame, frames_per_hour)
    minutes, rest = divmod(rest, nominal * 60)
    secs, frames = divmod(rest, nominal)
    separator = ";" if drop_frame else ":"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{frames:02d}"


def nominal_rate(fps: float) -> int:
    """The whole frame rate a timecode counts in (29.97 → 30, 23.976 → 24, 12.5 → 13)."""
    return max(1, math.floor(fps + 0.5))


def exact_rate(fps: float) -> float:
    """``fps`` with NTSC rates made exact (29.97 → 30000/1001), so long files keep frame sync.

    shots.json may store a rounded rate (23.976); counting an hour at the rounded rate
    would drift by frames from what the editing software counts.
    """
    nominal = nominal_rate(fps)
    ntsc = nominal * 1000 / 1001
    return ntsc if abs(fps - ntsc) < 0.005 else fps


def is_drop_frame_rate(fps: float) -> bool:
    """Whether broadcast practice labels this rate with drop-frame timecode (29.97, 59.94)."""
    nominal = nominal_rate(fps)
    return nominal in (30, 60) and exact_rate(fps) == nominal * 1000 / 1001


def _drop_frame_label(frame: int, nominal: int) -> int:
    """The frame count as drop-frame timecode labels it.

    Drop-frame skips labels ;00 and ;01 (;00–;03 at 59.94) at the start of every minute
    except each tenth, so the label keeps pace with the clock.
    """
    dropped = nominal // 15
    per_ten_minutes = nominal * 600 - dropped * 9
    per_minute = nominal * 60 - dropped
    tens, rest = divmod(frame, per_ten_minutes)
    skipped = dropped * 9 * tens
    if rest > dropped:
        skipped += dropped * ((rest - dropped) // per_minute)
    return frame + skipped


def _timecodes(document: Shots, shot: Shot) -> tuple[str, str]:
    """Start and (exclusive) end timecode of a shot, in the document's frame rate."""
    drop = is_drop_frame_rate(document.fps)
    return timecode(shot.start_time, document.fps, drop), timecode(
        shot.end_time, document.fps, drop
    )


def _transition_kind(shot: Shot) -> str:
    return shot.transition_in.kind if shot.transition_in else ""


def to_csv(document: Shots) -> str:
    """One row per shot, for spreadsheets: frames, seconds, timecodes and how it begins."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for shot in document.shots:
        start_tc, end_tc = _timecodes(document, shot)
        writer.writerow(
            (
                shot.index,
                shot.start_frame,
                shot.end_frame,
                f"{shot.start_time:.3f}",
                f"{shot.end_time:.3f}",
                start_tc,
                end_tc,
                f"{shot.end_time - shot.start_time:.3f}",
                _transition_kind(shot),
            )
        )
    return buffer.getvalue()


def to_json(document: Shots, source: Path) -> str:
    """The shot list with timecodes added, naming the video and the file it came from."""
    shots = []
    for shot in document.shots:
        start_tc, end_tc = _timecodes(document, shot)
        duration = round(shot.end_time - shot.start_time, 6)
        shots.append(
            {
                **shot.model_dump(mode="json", exclude_unset=True),
                "start_timecode": start_tc,
                "end_timecode": end_tc,
                "duration": duration,
            }
        )
    exported = {
        "video_id": document.video_id,
        "source": str(source),
        "fps": document.fps,
        "drop_frame": is_drop_frame_rate(document.fps),
        "frame_count": document.frame_count,
        "duration": document.duration,
        "method": document.method.model_dump(mode="json", exclude_unset=True),
        "shots": shots,
    }
    return json.dumps(exported, indent=2, ensure_ascii=False) + "\n"


def to_otio(document: Shots, source: Path, title: str) -> str:
    """The shot list as an OpenTimelineIO file (see :func:`shot_timeline`)."""
    return otio.adapters.write_to_string(shot_timeline(document, source, title), "otio_json")


def shot_timeline(document: Shots, source: Path, title: str) -> otio.schema.Timeline:
    """An OpenTimelineIO timeline: one video track, a clip per shot, cut back to back.

    Fades and dissolves stay cuts in the edit (the boundary sits mid-transition) but are
    marked on the track over the frames they span, so an editor can see and redo them.
    Every clip carries its EDL reel name (``cmx_3600`` metadata), so the EDL adapter, ours
    or anyone's converting the OTIO file, names the reel as we do.
    """
    rate = exact_rate(document.fps)
    media = otio.schema.ExternalReference(
        target_url=source.absolute().as_uri(),
        available_range=frame_range(0.0, document.duration, rate),
    )
    media.name = source.name
    reel = reel_name(title)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for shot in document.shots:
        track.append(
            otio.schema.Clip(
                name=f"{title} shot {shot.index + 1}",
                media_reference=media.clone(),
                source_range=frame_range(shot.start_time, shot.end_time, rate),
                metadata={"deerin": {"shot_index": shot.index}, "cmx_3600": {"reel": reel}},
            )
        )
        marker = _transition_marker(shot, rate)
        if marker is not None:
            track.markers.append(marker)
    return otio.schema.Timeline(
        name=title,
        tracks=[track],
        metadata={
            "deerin": {
                "video_id": document.video_id,
                "method": document.method.model_dump(mode="json", exclude_unset=True),
            }
        },
    )


def frame_range(start: float, end: float, rate: float) -> otio.opentime.TimeRange:
    """Whole frames from ``start`` to ``end`` seconds, so clips tile without gaps."""
    first, last = round(start * rate), round(end * rate)
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(first, rate), otio.opentime.RationalTime(last - first, rate)
    )


def _transition_marker(shot: Shot, rate: float) -> otio.schema.Marker | None:
    """A track marker over a fade or dissolve (frame indices stand for frames at ``rate``)."""
    transition = shot.transition_in
    if not transition or transition.kind not in MARKER_COLOURS:
        return None
    start, end = transition.start_frame, transition.end_frame
    return otio.schema.Marker(
        name=transition.kind,
        marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(end - start, rate)
        ),
        color=MARKER_COLOURS[transition.kind],
        metadata={"deerin": {"shot_index": shot.index}},
    )


def to_edl(document: Shots, source: Path, title: str) -> str:
    """A CMX3600 cut list of the whole source: record times equal source times.

    Written by OpenTimelineIO's ``cmx_3600`` adapter from the same timeline as the OTIO
    export. CMX3600 allows 999 events; longer lists keep counting with four digits,
    which most current editing software reads but strict readers may not.
    """
    return cmx3600(shot_timeline(document, source, title), exact_rate(document.fps))


def cmx3600(timeline: otio.schema.Timeline, rate: float) -> str:
    """CMX3600 EDL text of ``timeline``'s video track at ``rate``, through the OTIO adapter.

    Each event's clip name is its file's name (``media_reference.name``): Premiere names
    the offline clips of an imported EDL after it and relinks them by it. The adapter
    leaves out the FCM line, which tells drop-frame timecode (;) from non-drop, so it is
    added after the title. EDL timecode exists only at the SMPTE rates, so a film
    transfer at 16 or 18 fps has no EDL: the OTIO and XML exports carry any rate.
    """
    if not otio.opentime.RationalTime.is_valid_timecode_rate(rate):
        raise DeerinError(
            f"a CMX3600 EDL cannot be written at {rate:g} fps: EDL timecode exists only at "
            "23.976, 24, 25, 29.97, 30, 47.95, 48, 50, 59.94 and 60 fps",
            hint="export otio or xml, which keep any frame rate",
        )
    timeline = timeline.clone()
    timeline.name = one_line(timeline.name)
    for clip in timeline.find_clips():
        clip.name = one_line(clip.media_reference.name or clip.name)
    text = otio.adapters.write_to_string(timeline, "cmx_3600", rate=rate)
    lines = text.split("\n")
    fcm = f"FCM: {'DROP FRAME' if is_drop_frame_rate(rate) else 'NON-DROP FRAME'}"
    lines.insert(1 if lines[0].startswith("TITLE:") else 0, fcm)
    return "\n".join(lines)


def reel_name(text: str) -> str:
    """A CMX3600 reel name: at most 8 upper-case ASCII letters, digits and underscores."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")
    return cleaned[:REEL_LENGTH].rstrip("_") or FALLBACK_REEL


def one_line(text: str) -> str:
    """EDL fields are line-based: a newline in a title or file name would break the file."""
    return " ".join(text.split())
