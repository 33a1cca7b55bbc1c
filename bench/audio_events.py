"""Audio events: milliseconds of work per minute of audio, next to plain faster-whisper VAD.

Ours: one ffmpeg decode to 16 kHz mono through a pipe, Silero VAD, frame levels and the
tone check, then the events (``AudioStage``'s work, without the store). Peer, same run,
same files: faster-whisper's own ``decode_audio`` (PyAV, whole file in memory) and
``get_speech_timestamps`` (the same Silero model), i.e. speech detection alone.

    .venv/bin/python bench/audio_events.py      # under a minute on 2 cores

Prints a Markdown table and writes bench/results/audio_events.json.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faster_whisper import decode_audio
from faster_whisper.vad import get_speech_timestamps

from deerin.enrich.audio_events import AudioStage, decode
from deerin.media.probe import probe
from deerin.settings import Settings

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
FILES = ["speech/manifesto.mp4", "speech/spoken_example.mp4", "film/big_buck_bunny_0_30.webm"]
RESULTS = Path(__file__).resolve().parent / "results" / "audio_events.json"


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def main() -> None:
    stage = AudioStage(Settings())
    rows = []
    for name in FILES:
        path = MEDIA / name
        info = probe(path)
        minutes = info.duration / 60
        events, wall, cpu = timed(lambda: stage.events(decode(path, info, threads=1)))  # noqa: B023
        speech, peer_wall, peer_cpu = timed(
            lambda: get_speech_timestamps(decode_audio(str(path)))  # noqa: B023
        )
        kinds = sorted({e["kind"] for e in events})
        rows.append(
            {
                "file": name,
                "seconds": round(info.duration, 1),
                "ours_ms_per_min": round(1000 * wall / minutes),
                "ours_cpu_ms_per_min": round(1000 * cpu / minutes),
                "peer_ms_per_min": round(1000 * peer_wall / minutes),
                "peer_cpu_ms_per_min": round(1000 * peer_cpu / minutes),
                "events": len(events),
                "kinds": kinds,
                "peer_speech_chunks": len(speech),
            }
        )
    print("| file | audio s | ours ms/min (CPU) | faster-whisper VAD ms/min (CPU) | events |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['file']} | {row['seconds']} | {row['ours_ms_per_min']} "
            f"({row['ours_cpu_ms_per_min']}) | {row['peer_ms_per_min']} "
            f"({row['peer_cpu_ms_per_min']}) | {row['events']} ({', '.join(row['kinds'])}) |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
