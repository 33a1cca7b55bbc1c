"""Probe a file with ffprobe and describe it in the terms an archivist needs.

Everything downstream (frame timing, proxies, keyframes) reads this description
(:class:`~deerin.index.schemas.MediaInfo`, the probe artefact), so it records the
awkward facts of archive material explicitly: variable frame rate, non-square pixels,
rotation, interlacing, and every audio and subtitle stream. A file with sound and no
picture (an oral history, a radio programme, a separated soundtrack) is a sound
recording: its video fields are empty and only the stages that listen run on it.
"""

from __future__ import annotations

import json
import os
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from deerin.errors import DeerinError, NotMediaError
from deerin.index.schemas import AudioStream, MediaInfo, SubtitleStream

BITMAP_SUBTITLES = {"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub"}
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif"}


def run_ffprobe(path: Path) -> dict[str, Any]:
    """Raw ffprobe JSON for ``path``; raises a user-facing error when ffprobe cannot read it."""
    if not os.access(path, os.R_OK):
        raise DeerinError("cannot be read (no permission)", path=path, hint="check its permissions")
    if path.stat().st_size == 0:
        raise NotMediaError(
            "is an empty file (0 bytes)", path=path, hint="re-copy it from the source"
        )
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        str(path),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError as exc:
        raise DeerinError(
            "ffprobe is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc
    if done.returncode != 0 or not done.stdout.strip():
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "unknown format"
        raise NotMediaError(
            f"is not a media file ffmpeg can read ({reason})",
            path=path,
            hint="skip it, or re-copy it if it should be a video",
        )
    return json.loads(done.stdout)


def probe(path: Path) -> MediaInfo:
    """Describe the first video stream of ``path`` (none for a sound recording) and every
    audio and subtitle stream."""
    raw = run_ffprobe(path)
    fmt = raw.get("format", {})
    streams = raw.get("streams", [])
    audio = [_audio(s) for s in streams if s.get("codec_type") == "audio"]
    subtitles = [_subtitle(s) for s in streams if s.get("codec_type") == "subtitle"]
    video = _first_video_stream(streams, fmt, path)
    if video is None:
        return _sound(path, fmt, streams, audio, subtitles)
    if not video.get("codec_name"):
        tag = video.get("codec_tag_string", "unknown")
        raise DeerinError(
            f"its video codec ({tag}) is not supported by this ffmpeg build",
            path=path,
            hint="convert it with the software that made it, or use an ffmpeg that decodes it",
        )
    rate = _fraction(video.get("r_frame_rate"))
    avg = _fraction(video.get("avg_frame_rate"))
    fps = avg or rate
    if not fps:
        raise NotMediaError("has a video stream with no frame rate", path=path, hint="re-encode it")
    return MediaInfo(
        path=str(path),
        container=fmt.get("format_name", ""),
        duration=_duration(video, fmt),
        size=int(fmt.get("size") or path.stat().st_size),
        video_index=int(video["index"]),
        video_codec=video.get("codec_name", "unknown"),
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        fps=float(fps),
        fps_fraction=f"{fps.numerator}/{fps.denominator}",
        variable_frame_rate=bool(rate and avg and abs(rate - avg) / rate > 0.01),
        frame_count=int(video["nb_frames"]) if str(video.get("nb_frames", "")).isdigit() else None,
        sample_aspect=video.get("sample_aspect_ratio", "1:1"),
        display_aspect=video.get("display_aspect_ratio", ""),
        rotation=_rotation(video),
        field_order=video.get("field_order", "unknown"),
        pix_fmt=video.get("pix_fmt", ""),
        time_base=video.get("time_base", ""),
        start_time=float(video.get("start_time") or fmt.get("start_time") or 0.0),
        audio=audio,
        subtitles=subtitles,
    )


def _sound(
    path: Path,
    fmt: dict[str, Any],
    streams: list[dict[str, Any]],
    audio: list[AudioStream],
    subtitles: list[SubtitleStream],
) -> MediaInfo:
    """A sound recording: a file with sound and no picture (its cover art is no picture)."""
    if not audio:
        kinds = sorted({s.get("codec_type", "?") for s in streams})
        raise NotMediaError(
            f"has no picture and no sound (streams: {', '.join(kinds) or 'none'})",
            path=path,
            hint="nothing to do",
        )
    sound = next(s for s in streams if s.get("codec_type") == "audio")
    return MediaInfo(
        path=str(path),
        container=fmt.get("format_name", ""),
        duration=_duration(sound, fmt),
        size=int(fmt.get("size") or path.stat().st_size),
        video_index=None,
        video_codec=None,
        width=None,
        height=None,
        fps=None,
        fps_fraction=None,
        variable_frame_rate=False,
        frame_count=None,
        sample_aspect=None,
        display_aspect=None,
        rotation=0,
        field_order="unknown",
        pix_fmt=None,
        time_base=sound.get("time_base"),
        start_time=float(sound.get("start_time") or fmt.get("start_time") or 0.0),
        audio=audio,
        subtitles=subtitles,
    )


def _first_video_stream(
    streams: list[dict[str, Any]], fmt: dict[str, Any], path: Path
) -> dict[str, Any] | None:
    """The picture: the first video stream that is not cover art; None when there is none."""
    if fmt.get("format_name") in IMAGE_FORMATS:
        raise NotMediaError("is a still image, not a video", path=path, hint="nothing to do")
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    return videos[0] if videos else None


def _fraction(text: str | None) -> Fraction | None:
    try:
        value = Fraction(text or "")
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _duration(video: dict[str, Any], fmt: dict[str, Any]) -> float:
    # The video stream's own length first: a container's length also covers subtitle or
    # audio streams that run on past the picture.
    tags = video.get("tags", {})
    for value in (video.get("duration"), tags.get("DURATION"), fmt.get("duration")):
        if value is None:
            continue
        try:
            return float(value)
        except ValueError:  # Matroska tags say "00:01:00.123000000"
            hours, minutes, seconds = str(value).split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return 0.0


def _rotation(video: dict[str, Any]) -> int:
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    return int(video.get("tags", {}).get("rotate", 0)) % 360


def _language(stream: dict[str, Any]) -> str | None:
    return stream.get("tags", {}).get("language")


def _audio(stream: dict[str, Any]) -> AudioStream:
    return AudioStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", "unknown"),
        channels=int(stream.get("channels") or 0),
        sample_rate=int(stream.get("sample_rate") or 0),
        language=_language(stream),
    )


def _subtitle(stream: dict[str, Any]) -> SubtitleStream:
    codec = stream.get("codec_name", "unknown")
    return SubtitleStream(
        index=int(stream["index"]),
        codec=codec,
        language=_language(stream),
        bitmap=codec in BITMAP_SUBTITLES,
    )
