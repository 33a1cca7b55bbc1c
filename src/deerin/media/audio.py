"""Sound on the video's timeline: the ffmpeg filter chain every listening stage starts with."""

from __future__ import annotations


def aligned_audio(stream: int, start_time: float) -> str:
    """The start of a filter chain that times audio stream ``stream`` from the first frame.

    With ``-copyts`` the samples keep the source's timestamps; subtracting the video's
    start, and padding or trimming to time 0, puts sample 0 at the first frame, so times
    counted in samples match shots.json even when the sound starts before the picture.
    """
    return f"[0:{stream}]asetpts=PTS-{start_time:.6f}/TB,aresample=async=1:first_pts=0"
