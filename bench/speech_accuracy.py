"""Transcripts: word error rate, speed and word timing for each speech preset.

Accuracy and speed: ../shared/media/speech: jfk.flac (11 s; reference text in the media
README) and sonnet_1..3.mp3 (about 53 s each; the poem in the .txt). Each preset
(whisper-base, whisper-tiny.en) runs our way (ffmpeg windows, VAD, onset snapping) and
plain faster-whisper (``WhisperModel(same folder).transcribe(file, word_timestamps=True,
vad_filter=True)``), same files, same device and threads, in the same run. A warm-up
transcription runs first so neither side pays for loading.

WER: word edit distance (deerin.enrich.text.events.distance over words) divided by
the reference's words, after lowercasing and stripping punctuation. The sonnets' .txt
starts with a heading (left out of the reference); the reader says the title ("Sonnet
one") before the poem, so for both sides the hypothesis may drop up to
TITLE_WORDS leading words, whichever scores best. RTF: wall seconds per second of sound.
Our method also runs on the samples faster-whisper decodes itself (PyAV), so that a
difference from the decoding (ffmpeg's and PyAV's mp3 samples differ) is told apart from
one from the method.

Word timing: espeak-ng sentences with 2.5 s of silence between; the truth for each
sentence's first word is where its sound first passes 2 % of full scale. Reported: the
share of first words starting within 0.3 s of the truth, and the largest error.

    .venv/bin/python bench/speech_accuracy.py      # about 4 minutes on 2 CPU cores

Prints a Markdown table and writes bench/results/speech_accuracy.json.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from deerin.enrich.speech import audio
from deerin.enrich.speech.transcribe import transcribe
from deerin.enrich.text.events import distance
from deerin.media.synth import spoken_sentences
from deerin.models.backends import open_model
from deerin.models.device import cpu_threads
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "media" / "speech"
RESULTS = ROOT / "bench" / "results" / "speech_accuracy.json"
PRESETS = ("whisper-base", "whisper-tiny.en")
JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
TITLE_WORDS = 5
SENTENCES = (
    "Good morning. This is the evening news.",
    "The weather today will be sunny and warm.",
    "Thank you for watching this programme.",
    "We will now play some music for you.",
    "Please return the tape tomorrow morning.",
    "The next train leaves at seven o'clock.",
)
PAUSE = 2.5
TOLERANCE = 0.3


def normalised(text: str) -> list[str]:
    """Lowercase words without punctuation (apostrophes too, so ’ and ' agree)."""
    return re.sub(r"[^\w\s]", "", text.lower().replace("-", " ")).split()


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level edit distance, by mapping each distinct word to one character."""
    codes: dict[str, str] = {}
    for word in reference + hypothesis:
        codes.setdefault(word, chr(0x4E00 + len(codes)))
    return distance("".join(codes[w] for w in reference), "".join(codes[w] for w in hypothesis))


def wer(reference: str, hypothesis: str, title: bool) -> tuple[int, int]:
    """Errors and reference words; with ``title``, the best over dropping a spoken title."""
    ref, hyp = normalised(reference), normalised(hypothesis)
    drops = range(TITLE_WORDS + 1) if title else range(1)
    return min(word_errors(ref, hyp[k:]) for k in drops), len(ref)


def references() -> list[tuple[Path, str, bool]]:
    files = [(SPEECH / "jfk.flac", JFK, False)]
    for number in (1, 2, 3):
        lines = (SPEECH / f"sonnet_{number}.txt").read_text(encoding="utf-8").splitlines()
        files.append((SPEECH / f"sonnet_{number}.mp3", " ".join(lines[2:]), True))
    return files


def seconds_of(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout)


def ours(model: Any, path: Path, settings: Settings) -> list[dict[str, Any]]:
    """Our transcription of an audio file (stream 0, no video start to align to)."""
    done = audio.Decoding()
    windows = audio.windows(
        path, 0, 0.0, settings.transcript.window_seconds, cpu_threads(settings), done
    )
    return transcribe(model, windows).segments


def ours_on_pyav(model: Any, path: Path) -> list[dict[str, Any]]:
    """Our transcription of the samples faster-whisper decodes (PyAV), not ffmpeg's: tells
    a difference made by the decoding from one made by the method."""
    from faster_whisper import decode_audio

    return transcribe(model, [audio.Window(0.0, decode_audio(str(path)))]).segments


def plain(model: Any, path: Path) -> list[dict[str, Any]]:
    """faster-whisper as its README shows it."""
    segments, _ = model.transcribe(str(path), word_timestamps=True, vad_filter=True)
    return [
        {"text": s.text, "words": [{"start": w.start, "word": w.word} for w in s.words or ()]}
        for s in segments
    ]


def synthetic(folder: Path) -> tuple[Path, list[float]]:
    """espeak-ng sentences with pauses as a 22.05 kHz WAV, and each one's true onset."""
    out = folder / "sentences.wav"
    return out, spoken_sentences(SENTENCES, out, pause=PAUSE, lead=PAUSE)


def timing(segments: list[dict[str, Any]], onsets: list[float]) -> dict[str, Any]:
    """How close each sentence's first word starts to its true onset."""
    words = [w for s in segments for w in s["words"]]
    errors = []
    for sentence, truth in zip(SENTENCES, onsets, strict=True):
        first = normalised(sentence)[0]
        near = [w for w in words if normalised(w["word"])[:1] == [first]]
        best = min((abs(w["start"] - truth) for w in near), default=None)
        errors.append(best)
    found = [e for e in errors if e is not None]
    return {
        "within_0_3_s": sum(e <= TOLERANCE for e in found) / len(SENTENCES),
        "max_error_s": round(max(found), 3) if found else None,
    }


def run_preset(name: str, files: list[tuple[Path, str, bool]], sentences: Path,
               onsets: list[float]) -> dict[str, Any]:  # fmt: skip
    from faster_whisper import WhisperModel

    settings = Settings.from_values({"models.speech": name, "run.workers": 1})
    whisper = open_model("speech", settings)
    folder, device, compute_type = whisper.folder, whisper.device, whisper.compute_type
    threads = cpu_threads(settings)
    model = whisper.model
    baseline = WhisperModel(str(folder), device, compute_type=compute_type, cpu_threads=threads)
    ours(model, files[0][0], settings)  # warm-up
    plain(baseline, files[0][0])
    rows: dict[str, Any] = {"device": device, "compute_type": compute_type, "files": []}
    totals = {"ours": [0, 0, 0.0], "plain": [0, 0, 0.0], "ours_pyav": [0, 0, 0.0]}
    for path, reference, title in files:
        row: dict[str, Any] = {"file": path.name, "seconds": seconds_of(path)}
        for side, run in (("ours", lambda p: ours(model, p, settings)),
                          ("plain", lambda p: plain(baseline, p)),
                          ("ours_pyav", lambda p: ours_on_pyav(model, p))):  # fmt: skip
            began = time.perf_counter()
            segments = run(path)
            wall = time.perf_counter() - began
            errors, count = wer(reference, " ".join(s["text"] for s in segments), title)
            row[side] = {"wer": round(errors / count, 4), "rtf": round(wall / row["seconds"], 4),
                         "wall_s": round(wall, 2)}  # fmt: skip
            totals[side][0] += errors
            totals[side][1] += count
            totals[side][2] += wall
        rows["files"].append(row)
    sound = sum(row["seconds"] for row in rows["files"])
    for side, (errors, count, wall) in totals.items():
        rows[side] = {"wer": round(errors / count, 4), "rtf": round(wall / sound, 4)}
    rows["timing"] = {
        "ours": timing(ours(model, sentences, settings), onsets),
        "plain": timing(plain(baseline, sentences), onsets),
    }
    return rows


def main() -> None:
    files = references()
    with tempfile.TemporaryDirectory() as scratch:
        sentences, onsets = synthetic(Path(scratch))
        results = {name: run_preset(name, files, sentences, onsets) for name in PRESETS}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print("| preset | side | WER (all 4 files) | RTF | first words within 0.3 s | max error |")
    print("|---|---|---|---|---|---|")
    for name, rows in results.items():
        for side in ("ours", "plain"):
            timed = rows["timing"][side]
            print(
                f"| {name} ({rows['device']}, {rows['compute_type']}) | {side} | "
                f"{rows[side]['wer']:.1%} | {rows[side]['rtf']:.3f} | "
                f"{timed['within_0_3_s']:.0%} | {timed['max_error_s']} s |"
            )
    for name, rows in results.items():
        print(f"\n{name}: ours on PyAV's samples, WER {rows['ours_pyav']['wer']:.1%}")
    print()
    print("| preset | file | WER ours | WER plain | WER ours, PyAV | RTF ours | RTF plain |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in results.items():
        for row in rows["files"]:
            print(
                f"| {name} | {row['file']} | {row['ours']['wer']:.1%} | {row['plain']['wer']:.1%} "
                f"| {row['ours_pyav']['wer']:.1%} | {row['ours']['rtf']:.3f} "
                f"| {row['plain']['rtf']:.3f} |"
            )


if __name__ == "__main__":
    main()
