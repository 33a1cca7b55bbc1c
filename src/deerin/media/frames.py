"""Grab exact frames by time, as the film looks on screen.

Keyframes, thumbnails and anything else that shows a still must show the very frame a
shot boundary names, not a neighbour, and must show it as a viewer sees it: DVD and
broadcast pixels are not square and phone footage is stored on its side. This module
decodes with PyAV, walking forward through nearby targets and seeking only across long
gaps, so a film with thousands of shots is read about once rather than once per shot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import av
from av.video.reformatter import VideoReformatter
from PIL import Image

from deerin.errors import DeerinError
from deerin.media.probe import MediaInfo

SEEK_GAP = 2.0  # seconds: closer targets are reached by decoding on, farther ones by seeking
SEEK_BACKOFF = (0.0, 5.0, 30.0)  # retries when a seek lands after its target (MPEG-PS, AVI)
ROTATIONS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class Geometry:
    """How a stored picture becomes the displayed one: widen to square pixels, then rotate.

    ``rotation`` is counter-clockwise degrees, as ffprobe reports a display matrix and as
    ffmpeg's autorotation applies it.
    """

    scaled_width: int
    scaled_height: int
    rotation: int

    @property
    def size(self) -> tuple[int, int]:
        """Width and height on screen, after rotation."""
        if self.rotation in (90, 270):
            return self.scaled_height, self.scaled_width
        return self.scaled_width, self.scaled_height


class Grab(NamedTuple):
    """One requested time, the time of the frame that answers it, and that frame."""

    requested: float
    time: float
    image: Image.Image


def display_geometry(info: MediaInfo) -> Geometry:
    """Square-pixel size and rotation of the video, from the probe."""
    width = max(1, round(info.width * _sample_aspect(info.sample_aspect)))
    rotation = round(info.rotation / 90) % 4 * 90
    return Geometry(width, info.height, rotation)


def _sample_aspect(text: str) -> Fraction:
    """The pixel aspect ratio; unknown ("0:1", "N/A", "") counts as square."""
    try:
        value = Fraction(text.replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return Fraction(1)
    return value if value > 0 else Fraction(1)


def frames_at(
    path: Path, times: Sequence[float], info: MediaInfo, *, seek_gap: float = SEEK_GAP
) -> Iterator[Grab]:
    """Yield the frame shown at each of ``times`` (seconds from the first frame), in order.

    The frame for time ``t`` is the first whose time is at least ``t`` minus half a frame,
    provided it lies within half a frame of ``t``. Times whose frame cannot be decoded
    (a damaged or truncated file) are left out; callers see which by what is missing.
    Raises DeerinError only when not a single requested frame decodes.
    """
    targets = sorted(set(times))
    if not targets:
        return
    found = 0
    with _open(path) as container:
        stream = _video_stream(container, info, path)
        show = _Display(display_geometry(info))
        for grab in _grab(container, stream, targets, info, show, seek_gap):
            found += 1
            yield grab
    if not found:
        raise DeerinError(
            "no frame could be decoded at the requested times",
            path=path,
            hint="the file may be damaged; try re-copying or re-encoding it",
        )


def _open(path: Path) -> av.container.InputContainer:
    """Open as a ``file:`` URL: a name like "Reel 2: interview.mkv" is not a protocol."""
    try:
        return av.open(f"file:{path}")
    except (av.FFmpegError, OSError) as exc:
        raise DeerinError(
            f"cannot be opened for decoding ({exc})", path=path, hint="check the file"
        ) from exc


def _video_stream(
    container: av.container.InputContainer, info: MediaInfo, path: Path
) -> av.video.stream.VideoStream:
    """The stream the probe chose (by index), decoded with frame and slice threads."""
    for stream in container.streams.video:
        if stream.index == info.video_index:
            stream.thread_type = "AUTO"
            return stream
    raise DeerinError(
        f"has no video stream #{info.video_index} any more", path=path, hint="run the probe again"
    )


def _grab(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    targets: list[float],
    info: MediaInfo,
    show: _Display,
    seek_gap: float,
) -> Iterator[Grab]:
    """Walk through the file, decoding on across short gaps and seeking across long ones.

    A seek lands on the keyframe before its target, possibly far before it, so we decide
    once per target, and seek only when that keyframe lies ahead of where we are.
    """
    half = 0.5 / info.fps
    i = 0
    decided = seek_to = 0 if targets[0] > seek_gap else None
    while i < len(targets):
        target = None if seek_to is None else targets[seek_to]
        for time, frame in _decode_from(container, stream, info, target):
            image = None
            while i < len(targets) and time >= targets[i] - half:
                if time <= targets[i] + half:
                    image = image or show(frame)
                    yield Grab(targets[i], time, image)
                i += 1  # answered, or passed without a decodable frame
            if i < len(targets) and i != decided and targets[i] - time > seek_gap:
                decided = i
                if _worth_seeking(stream, info, targets[i] - half, time):
                    seek_to = i
                    break
        else:
            return  # the stream ended: the remaining targets are missing


def _worth_seeking(
    stream: av.video.stream.VideoStream, info: MediaInfo, target: float, now: float
) -> bool:
    """Whether the keyframe before ``target`` lies ahead of ``now``.

    The demuxer's index answers once it reaches the target (MP4 tables, Matroska cues
    after a first seek); where it does not, seeking is how we find out.
    """
    entries = stream.index_entries
    goal = round((target + info.start_time) / stream.time_base)
    if not len(entries) or entries[len(entries) - 1].timestamp < goal:
        return True
    found = entries.search_timestamp(goal, backward=True)
    if found < 0:
        return True
    return float(entries[found].timestamp * stream.time_base) - info.start_time > now


def _decode_from(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    info: MediaInfo,
    target: float | None,
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Decoded frames from the keyframe before ``target`` (or on from where we are).

    Some containers seek imprecisely and land after the target; then we seek further
    back, and finally from the start, so no target is skipped for want of a keyframe.
    """
    if target is None:
        yield from _decode(container, stream, info)
        return
    half = 0.5 / info.fps
    for back in (*SEEK_BACKOFF, target):
        position = max(0.0, target - half - back)
        offset = round((position + info.start_time) / stream.time_base)
        container.seek(offset, stream=stream, backward=True)
        frames = _decode(container, stream, info)
        first = next(frames, None)
        if first is None:
            continue
        if first[0] <= target + half or position == 0.0:
            yield first
            yield from frames
            return


def _decode(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, info: MediaInfo
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Frames with their times (project convention), skipping packets that fail to decode.

    A damaged packet costs its own frames only; a read error ends the walk (truncation).
    """
    previous: float | None = None
    packets = container.demux(stream)
    while (packet := _next_packet(packets)) is not None:
        try:
            frames = packet.decode()
        except av.FFmpegError:
            continue
        for frame in frames:
            if frame.time is not None:
                previous = frame.time - info.start_time
            elif previous is not None:
                previous += 1 / info.fps
            else:
                continue  # no time to place it by
            yield previous, frame


def _next_packet(packets: Iterator[av.Packet]) -> av.Packet | None:
    """The next packet, or None at the end of the file or where reading fails (truncation)."""
    try:
        return next(packets)
    except (StopIteration, av.FFmpegError):
        return None


class _Display:
    """Turns decoded frames into RGB pictures at display size, upright.

    One reformatter serves every frame, so swscale sets up its filters once.
    """

    def __init__(self, geometry: Geometry) -> None:
        self.geometry = geometry
        self.reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> Image.Image:
        """Resample to square pixels (in the frame's own colour matrix), then rotate."""
        image = self.reformatter.reformat(
            frame,
            width=self.geometry.scaled_width,
            height=self.geometry.scaled_height,
            format="rgb24",
            interpolation="BICUBIC",
        ).to_image()
        transpose = ROTATIONS.get(self.geometry.rotation)
        return image.transpose(transpose) if transpose is not None else image
