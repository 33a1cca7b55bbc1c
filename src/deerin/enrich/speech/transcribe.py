"""Whisper over the soundtrack's windows: segments with word timings, languages, speech time.

Each window is transcribed on its own with word timestamps and Silero voice activity
detection (so music and silence are skipped, and not hallucinated into words), and its
times are moved by the window's start. A multilingual model decodes each 30 s with the
language it detects there (so a film that switches language is not forced into its first
one), and the language of every stretch of speech (up to 30 s, ended early by a pause of
2 s) is detected again for
the record: runs of one language make ``languages`` (where it switches), and the language
with the most speech is the video's. A stretch whose language Whisper is unsure of
(probability under 0.5: often a language it does not know) is marked ``uncertain``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from deerin.enrich.speech.audio import RATE, Window

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

ONSET_FRAME = 0.02  # seconds: the resolution of a word's snapped start
ONSET_SEARCH = 0.5  # seconds after Whisper's start searched for the sound's real onset
ONSET_SHARE = 0.15  # of the word's loudest frame: where its sound begins
AFTER_PAUSE = 0.3  # seconds of gap before a word that makes it start an utterance
STRETCH = 30.0  # seconds of speech whose language is detected together (Whisper's window)
TURN = 2.0  # seconds of pause that also end a stretch (a new speaker, scene or language)
UNSURE = 0.5  # language probability under which a stretch's language is marked uncertain


@dataclass
class Transcript:
    """What Whisper heard, in transcript.json's terms."""

    segments: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # per window with speech
    speech_seconds: float = 0.0

    def languages(self) -> list[dict[str, Any]]:
        """Consecutive windows of one language merged: where the language switches."""
        merged: list[dict[str, Any]] = []
        for run in self.runs:
            last = merged[-1] if merged else None
            if last and last["language"] == run["language"]:
                weight = last["_speech"] + run["_speech"]
                last["probability"] = (
                    last["probability"] * last["_speech"] + run["probability"] * run["_speech"]
                ) / max(weight, 1e-9)
                last["end"], last["_speech"] = run["end"], weight
            else:
                merged.append(dict(run))
        return [
            {**{key: round(v, 3) if isinstance(v, float) else v for key, v in run.items()
                if key != "_speech"}, "uncertain": bool(run["probability"] < UNSURE)}
            for run in merged
        ]  # fmt: skip

    def language(self) -> tuple[str | None, float | None]:
        """The language with the most speech, and its speech-weighted probability."""
        speech: dict[str, float] = {}
        for run in self.runs:
            speech[run["language"]] = speech.get(run["language"], 0.0) + run["_speech"]
        if not speech:
            return None, None
        best = max(speech, key=lambda name: speech[name])
        runs = [run for run in self.runs if run["language"] == best]
        weighted = sum(run["probability"] * run["_speech"] for run in runs)
        return best, round(weighted / max(speech[best], 1e-9), 3)


def transcribe(
    model: WhisperModel,
    windows: Iterable[Window],
    report: Callable[[float], None] = lambda seconds: None,
) -> Transcript:
    """Transcribe every window; ``report`` gets the seconds of sound done after each."""
    result = Transcript()
    for window in windows:
        _transcribe_window(model, window, result)
        report(window.end)
    return result


def _transcribe_window(model: WhisperModel, window: Window, result: Transcript) -> None:
    """Add one window's segments, its language runs and its speech time to ``result``."""
    multilingual = bool(model.model.is_multilingual)
    segments, info = model.transcribe(
        window.samples, word_timestamps=True, vad_filter=True, multilingual=multilingual
    )
    found = [_segment(s, window.start, info.language) for s in segments]  # decodes here
    snap_onsets(found, window)
    if not found:
        return  # no speech: the language "detected" in nothing means nothing
    for segment in found:
        segment["id"] = len(result.segments)
        result.segments.append(segment)
    result.speech_seconds += float(info.duration_after_vad)
    for stretch in _stretches(found):
        language, probability = info.language, float(info.language_probability)
        if multilingual:
            language, probability = _detect(model, window, stretch)
        for segment in stretch:
            segment["language"] = language
        result.runs.append(
            {
                "start": stretch[0]["start"],
                "end": stretch[-1]["end"],
                "language": language,
                "probability": probability,
                "_speech": sum(s["end"] - s["start"] for s in stretch),
            }
        )


def _stretches(segments: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive segments grouped into stretches of at most ``STRETCH`` seconds, also
    ended by a pause of ``TURN`` seconds."""
    groups: list[list[dict[str, Any]]] = []
    for segment in segments:
        if (
            groups
            and segment["end"] - groups[-1][0]["start"] <= STRETCH
            and segment["start"] - groups[-1][-1]["end"] < TURN
        ):
            groups[-1].append(segment)
        else:
            groups.append([segment])
    return groups


def _detect(
    model: WhisperModel, window: Window, stretch: list[dict[str, Any]]
) -> tuple[str, float]:
    """The language spoken in a stretch of segments, from its own audio."""
    first = max(0, round((stretch[0]["start"] - window.start) * RATE))
    last = round((stretch[-1]["end"] - window.start) * RATE)
    language, probability, _ = model.detect_language(audio=window.samples[first:last])
    return language, float(probability)


def _segment(segment: Any, offset: float, language: str) -> dict[str, Any]:
    """A faster-whisper segment in transcript.json's shape, on the video's timeline."""
    return {
        "id": 0,
        "start": round(offset + segment.start, 3),
        "end": round(offset + segment.end, 3),
        "text": segment.text.strip(),
        "language": language,
        "avg_logprob": round(segment.avg_logprob, 4),
        "no_speech_prob": round(segment.no_speech_prob, 4),
        "words": [
            {
                "start": round(offset + word.start, 3),
                "end": round(offset + word.end, 3),
                "word": word.word.strip(),
                "probability": round(word.probability, 3),
            }
            for word in segment.words or ()
        ],
    }


def snap_onsets(segments: list[dict[str, Any]], window: Window) -> None:
    """Move each utterance's first word to where its sound begins.

    Whisper's timing for a word after a pause (the first in a stretch that voice activity
    detection kept, padded with 0.4 s of what came before) often starts in that padding,
    up to half a second early. The sound itself says better: the word starts at the first
    frame carrying a fair share of the word's loudest frame. Words are only moved later.
    """
    previous_end = -AFTER_PAUSE
    for word in (w for segment in segments for w in segment["words"]):
        if word["start"] - previous_end >= AFTER_PAUSE:
            word["start"] = _onset(window, word["start"], word["end"])
        previous_end = word["end"]
    for segment in segments:
        if segment["words"]:
            segment["start"] = max(segment["start"], segment["words"][0]["start"])


def _onset(window: Window, start: float, end: float) -> float:
    """The first frame in [start, end] whose level reaches ONSET_SHARE of the loudest."""
    frame = round(ONSET_FRAME * RATE)
    first = max(0, round((start - window.start) * RATE))
    last = min(len(window.samples), round((end - window.start) * RATE))
    frames = (last - first) // frame
    if frames < 2:
        return start
    chunk = window.samples[first : first + frames * frame].reshape(frames, frame)
    level = np.sqrt(np.square(chunk, dtype=np.float64).mean(axis=1))
    searched = level[: max(1, round(ONSET_SEARCH / ONSET_FRAME))]
    loud = np.flatnonzero(searched >= ONSET_SHARE * level.max())
    if not len(loud) or level.max() <= 0:
        return start
    return round(start + int(loud[0]) * ONSET_FRAME, 3)
