"""Whisper over the soundtrack's windows: segments with word timings, languages, speech time.

Each window is transcribed on its own with word timestamps and Silero voice activity
detection (so music and silence are skipped, and not hallucinated into words), and its
times are moved by the window's start.

Languages cost no extra pass of the encoder. A multilingual model decodes each 30 s of
speech in the language Whisper detects there, from the encoder output it decodes anyway
(faster-whisper's ``multilingual``); :class:`LanguageTap` records that detection for the
segments it produced. Only where those 30 s hold several stretches of speech (split at a
pause of 2 s: a new speaker, scene or language) and the detection is unsure (as it is
when two languages share the window), each stretch's language is detected from its own
audio, and a stretch in another language is decoded again in it. Runs of one language
make ``languages`` (where it switches), and the language with the most speech is the
video's. A stretch whose language Whisper is unsure of (probability under 0.5: often a
language it does not know) is marked ``uncertain``.
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
SURE = 0.9  # a window's language probability under which its stretches are checked apart
UNSURE = 0.5  # language probability under which a stretch's language is marked uncertain
MARGIN = 0.5  # seconds of sound kept around a stretch that is decoded again


@dataclass
class Transcript:
    """What Whisper heard, in transcript.json's terms."""

    segments: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # per window with speech
    speech_seconds: float = 0.0
    detected: bool = True  # False for an English-only model: its "en" is given, not heard

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
                if key != "_speech"},
             "probability": round(run["probability"], 3) if self.detected else None,
             "uncertain": bool(self.detected and run["probability"] < UNSURE)}
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
        return best, round(weighted / max(speech[best], 1e-9), 3) if self.detected else None


class LanguageTap:
    """CTranslate2's Whisper, keeping the language it detected last.

    faster-whisper detects each window's language from the encoder output it decodes
    anyway, but does not say which it chose; standing in for ``WhisperModel.model``, this
    keeps it, numbered so that segments decoded together can be told apart.
    """

    def __init__(self, whisper: Any) -> None:
        self.whisper = whisper
        self.latest: tuple[int, str, float] = (0, "en", 1.0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.whisper, name)

    def detect_language(self, features: Any) -> Any:
        results = self.whisper.detect_language(features)
        token, probability = results[0][0]
        self.latest = (self.latest[0] + 1, token[2:-2], float(probability))
        return results

    @classmethod
    def on(cls, model: WhisperModel) -> LanguageTap:
        """The tap on ``model``, put in place the first time."""
        if not isinstance(model.model, cls):
            model.model = cls(model.model)
        return model.model


@dataclass
class Decoded:
    """Segments decoded from one of Whisper's windows, and the language detected there."""

    language: str
    probability: float
    segments: list[dict[str, Any]] = field(default_factory=list)


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
    result.detected = bool(model.model.is_multilingual)
    decoded, speech = _decode(model, window, None)
    grouped = [(part, _stretches(part.segments)) for part in decoded]
    pieces = [(part, stretch, len(group)) for part, group in grouped for stretch in group]
    if pieces:  # with no words, what VAD kept was not speech
        result.speech_seconds += speech
    for number, (part, stretch, shared) in enumerate(pieces):
        language, probability = part.language, part.probability
        if probability < SURE and shared > 1:  # an unsure window with several stretches
            language, probability = _detect(model, window, stretch)
            if language != part.language:
                stretches = [piece[1] for piece in pieces]
                stretch = _redecode(model, window, _between(stretches, number, window), language)
        _add(result, stretch, language, probability)


def _decode(
    model: WhisperModel, window: Window, language: str | None
) -> tuple[list[Decoded], float]:
    """A window's segments grouped by the Whisper window that decoded them, and its seconds
    of speech. Without ``language`` a multilingual model picks each window's language.

    The language passed to faster-whisper is only a starting point when ``multilingual``
    is on (every window's own detection replaces it), and passing one spares the separate
    detection pass that faster-whisper otherwise runs first.
    """
    multilingual = language is None and bool(model.model.is_multilingual)
    tap = LanguageTap.on(model)
    segments, info = model.transcribe(
        window.samples,
        language=language or "en",
        multilingual=multilingual,
        word_timestamps=True,
        vad_filter=True,
    )
    decoded: list[Decoded] = []
    seen = -1
    for segment in segments:  # decoded while iterated: the tap holds this window's language
        number, heard, probability = tap.latest if multilingual else (0, info.language, 1.0)
        if number != seen:
            decoded.append(Decoded(heard, probability))
            seen = number
        decoded[-1].segments.append(_segment(segment, window.start, heard))
    snap_onsets([segment for part in decoded for segment in part.segments], window)
    return decoded, float(info.duration_after_vad)


def _between(
    stretches: list[list[dict[str, Any]]], number: int, window: Window
) -> tuple[list[dict[str, Any]], float, float]:
    """Stretch ``number``, and the end of the speech before it and the start of the speech
    after it (or the window's edges)."""
    before = stretches[number - 1][-1]["end"] if number else window.start
    after = stretches[number + 1][0]["start"] if number + 1 < len(stretches) else window.end
    return stretches[number], before, after


def _redecode(
    model: WhisperModel,
    window: Window,
    place: tuple[list[dict[str, Any]], float, float],
    language: str,
) -> list[dict[str, Any]]:
    """A stretch decoded again in its own language, from its sound with a margin that
    stays between its neighbours' words; the old segments if nothing came of it."""
    stretch, before, after = place
    start = max(before, stretch[0]["start"] - MARGIN)
    end = min(after, stretch[-1]["end"] + MARGIN)
    first, last = (round((time - window.start) * RATE) for time in (start, end))
    piece = Window(window.start + first / RATE, window.samples[first:last])
    decoded, _ = _decode(model, piece, language)
    return [segment for part in decoded for segment in part.segments] or stretch


def _add(
    result: Transcript, stretch: list[dict[str, Any]], language: str, probability: float
) -> None:
    """A stretch's segments, numbered, and its language run, into ``result``."""
    for segment in stretch:
        segment["id"] = len(result.segments)
        segment["language"] = language
        result.segments.append(segment)
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
