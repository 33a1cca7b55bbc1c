"""Proxies: an H.264/AAC MP4 that any browser plays, on the original's timeline.

Archive masters are often MPEG-2, DV, ProRes, HEVC or interlaced, which a browser's
<video> element will not play. The proxy makes them watchable in the web app, and keeps
time exactly: its first frame is at 0 and every frame keeps its original timestamp, so a
time in shots.json (frame time minus the stream's start) is the same moment in the proxy.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from deerin.errors import DeerinError
from deerin.media.frames import display_geometry
from deerin.media.probe import MediaInfo, probe

ENCODER = "libx264"
PRESET = "veryfast"
AUDIO = ("-c:a", "aac", "-b:a", "128k", "-ac", "2")
STDERR_LINES = 5
SHORT_BY = 1.0  # seconds: a proxy this much shorter than its source, with errors, is partial


def shortfall(returncode: int, errors: str, made: float, duration: float) -> str | None:
    """Why a proxy that was made is only partial, or None when it is whole.

    ffmpeg treats a damaged or truncated input as its end: it may still exit 0, so a
    proxy much shorter than the source, with errors logged, counts as partial too.
    """
    if returncode != 0:
        return (
            f"ffmpeg stopped early (exit {returncode}) at {made:.1f}s of {duration:.1f}s: {errors}"
        )
    if errors and made < duration - SHORT_BY:
        return (
            f"the source ended early or is damaged: the proxy covers {made:.1f}s of "
            f"{duration:.1f}s ({errors})"
        )
    return None


@cache
def require_x264() -> str:
    """ffmpeg's version, for provenance; fails early when ffmpeg or libx264 is missing.

    Checked once per process. The banner (on stderr) names the version.
    """
    try:
        done = subprocess.run(["ffmpeg", "-encoders"], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise DeerinError(
            "ffmpeg is not installed", hint="run scripts/setup.sh or install ffmpeg"
        ) from exc
    if f" {ENCODER} " not in done.stdout:
        raise DeerinError(
            f"this ffmpeg has no H.264 encoder ({ENCODER})",
            hint="install an ffmpeg build with libx264, or turn proxies off (--no-proxy)",
        )
    banner = done.stderr.split()
    return banner[2] if banner[:2] == ["ffmpeg", "version"] else "unknown"


def proxy_size(info: MediaInfo, height: int) -> tuple[int, int]:
    """Square-pixel proxy size at ``height`` (never above the source's), both even."""
    width, display_height = display_geometry(info).size
    out_height = max(2, min(height, display_height) // 2 * 2)
    out_width = max(2, round(width * out_height / display_height / 2) * 2)
    return out_width, out_height


def proxy_command(
    source: Path, target: Path, info: MediaInfo, height: int, crf: int, threads: int
) -> list[str]:
    """The ffmpeg command line for a proxy.

    Timing: ``-copyts`` keeps source timestamps, and both chains subtract the video's start
    time, so the first frame lands at 0 and audio keeps its offset (silence is padded or
    leading samples cut by aresample). ``passthrough`` keeps every frame at its own time
    (no frame-rate conversion), in the source's time base. ffmpeg rotates by the display
    matrix before our filters, so the size is the displayed, upright one.
    """
    width, out_height = proxy_size(info, height)
    shift = f"PTS-{info.start_time:.6f}/TB"
    video = [f"setpts={shift}"]
    if info.interlaced:
        video.append("yadif=mode=send_frame:parity=auto:deint=interlaced")
    video += [f"scale={width}:{out_height}:flags=bicubic", "setsar=1", "format=yuv420p"]
    command = [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
        "-progress", "pipe:1", "-copyts", "-threads", str(threads), "-i", f"file:{source}",
        "-map", f"0:{info.video_index}", "-map_chapters", "-1",
        "-filter:v", ",".join(video), "-fps_mode", "passthrough", "-enc_time_base:v", "-1",
        "-c:v", ENCODER, "-preset", PRESET, "-crf", str(crf), "-threads", str(threads),
    ]  # fmt: skip
    if info.audio:
        command += [
            "-map", f"0:{info.audio[0].index}",
            "-filter:a", f"asetpts={shift},aresample=async=1:first_pts=0", *AUDIO,
        ]  # fmt: skip
    return [*command, "-movflags", "+faststart", f"file:{target}"]


def run_ffmpeg(
    command: list[str], expected_frames: int, report: Callable[[float], None]
) -> tuple[int, str]:
    """Run ffmpeg, reporting progress; return its exit status and its last error lines.

    Progress counts frames written: ffmpeg's ``out_time`` is unreliable with ``-copyts``
    (it is offset by whatever time the first report happened to see).
    """
    with (
        tempfile.TemporaryFile(mode="w+", errors="replace") as stderr,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, errors="replace"
        ) as process,
    ):
        try:
            _follow_progress(process.stdout or [], expected_frames, report)
        finally:
            if process.poll() is None:
                process.kill()
        returncode = process.wait()
        stderr.seek(0)
        tail = stderr.read().strip().splitlines()[-STDERR_LINES:]
    return returncode, " | ".join(tail)


def _follow_progress(
    lines: Iterable[str], expected_frames: int, report: Callable[[float], None]
) -> None:
    """Turn ffmpeg's ``-progress`` key=value blocks into fractions done."""
    for line in lines:
        key, _, value = line.strip().partition("=")
        if key == "frame" and value.isdigit():
            report(min(1.0, int(value) / expected_frames))
        elif key == "progress" and value == "end":
            report(1.0)


def made_duration(path: Path) -> float | None:
    """How long a finished proxy is, or None when ffmpeg left nothing playable."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        made = probe(path)
    except DeerinError:
        return None
    return made.duration if made.duration > 0 else None
