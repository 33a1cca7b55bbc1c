"""The typed artefact reader against plain ``json.loads``: what typing costs per read.

Every later module (search, the web app, maps, supercuts) reads what enrichment wrote
through ``deerin.index.artefacts.read``, which parses the JSON and validates it
against the artefact's schema. This measures that on the biggest artefacts of a
two-hour film: a transcript of 18,000 words (720 segments of 25 words) and the tags
and faces of its 2,400 analysis frames (one every 3 s). The peer is what consumers
did before: ``json.loads`` of the same file, untyped. Median of 7 reads, one core.

    .venv/bin/python bench/artefact_reader.py        # a few seconds

Prints Markdown and writes bench/results/artefact_reader.json.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deerin.index import artefacts
from deerin.index.artefacts import Artefact
from deerin.index.schemas import Faces, Tags, Transcript
from deerin.index.store import VideoFolder

RESULTS = Path(__file__).resolve().parent / "results"
FRAMES, SEGMENTS, WORDS = 2400, 720, 25
REPEATS = 7


def transcript() -> dict[str, Any]:
    segments = []
    for n in range(SEGMENTS):
        start = n * 10.0
        words = [
            {"start": start + k * 0.4, "end": start + k * 0.4 + 0.3, "word": f"word{k}",
             "probability": 0.9}
            for k in range(WORDS)
        ]  # fmt: skip
        text = " ".join(w["word"] for w in words)
        segments.append(
            {"id": n, "start": start, "end": start + 10.0, "text": text, "language": "en",
             "avg_logprob": -0.2, "no_speech_prob": 0.01, "words": words}
        )  # fmt: skip
    return {"video_id": "v", "model": {"name": "whisper-base", "backend": "faster-whisper"},
            "language": "en", "language_probability": 0.99, "speech_seconds": 7200.0,
            "languages": [{"start": 0.0, "end": 7200.0, "language": "en", "probability": 0.99,
                           "uncertain": False}],
            "segments": segments, "errors": []}  # fmt: skip


def tags() -> dict[str, Any]:
    frames = [
        {"frame": n, "time": n * 3.0, "shot": n // 3,
         "tags": [{"label": f"label {k}", "score": 0.1 * k} for k in range(5)]}
        for n in range(FRAMES)
    ]  # fmt: skip
    return {"video_id": "v", "model": {"name": "efficientnet-lite0", "backend": "torch"},
            "dim": 1280, "frames": frames, "errors": []}  # fmt: skip


def faces() -> dict[str, Any]:
    found = [
        {"id": f"{n}-0", "frame": n, "time": n * 3.0, "shot": n // 3,
         "box": [0.4, 0.3, 0.2, 0.25], "landmarks": [[0.45, 0.4]] * 5, "score": 0.9,
         "height": 0.25}
        for n in range(FRAMES)
    ]  # fmt: skip
    appearances = [
        {"start": n * 9.0, "end": n * 9.0 + 9.0, "kind": "face", "text": "face",
         "faces": [f"{m}-0" for m in range(3 * n, 3 * n + 3)]}
        for n in range(FRAMES // 3)
    ]  # fmt: skip
    return {"video_id": "v", "model": {"name": "yunet-sface"}, "faces": found,
            "appearances": appearances, "errors": []}  # fmt: skip


def median_ms(read: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def measure(folder: VideoFolder, schema: type[Artefact], document: dict[str, Any]) -> dict:
    artefacts.write(folder.path(schema.file), document, schema)
    path = folder.path(schema.file)
    raw = median_ms(lambda: json.loads(path.read_text(encoding="utf-8")))
    typed = median_ms(lambda: artefacts.read(folder, schema))
    return {"file": schema.file, "kb": path.stat().st_size // 1024, "json_loads_ms": raw,
            "typed_ms": typed, "ratio": typed / raw}  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = VideoFolder(Path(scratch))
        rows = [measure(folder, Transcript, transcript()), measure(folder, Tags, tags()),
                measure(folder, Faces, faces())]  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "artefact_reader.json").write_text(json.dumps(rows, indent=2) + "\n")
    print("| artefact (2-hour film) | size | json.loads | typed read | ratio |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['file']} | {row['kb']} KB | {row['json_loads_ms']:.1f} ms | "
              f"{row['typed_ms']:.1f} ms | {row['ratio']:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
