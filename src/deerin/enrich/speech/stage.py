"""The transcript stage: what is said in a video's first audio stream, with word timings.

faster-whisper (CTranslate2) runs the model configured as ``models.speech``: by default
the bundled multilingual Whisper base, on the GPU when there is one. The soundtrack is
decoded in windows (:mod:`.audio`) and transcribed window by window (:mod:`.transcribe`).
A soundtrack without speech (silence, music) is a finished transcript with no segments;
one that cannot be decoded at all fails the stage with the file named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deerin.enrich.speech import audio
from deerin.enrich.speech.models import Whisper
from deerin.enrich.speech.transcribe import Transcript, transcribe
from deerin.errors import DeerinError
from deerin.index import schemas
from deerin.index.schemas import MediaInfo
from deerin.models.backends import open_model
from deerin.models.device import cpu_threads
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput

SHORT_BY = 1.0  # seconds: a decode this much shorter than the video, with errors, is partial


class TranscriptStage(Stage):
    """Transcribe the first audio stream with Whisper: segments, words, languages."""

    name = "transcript"
    version = "2"
    requires = ("probe",)
    produces = (schemas.Transcript.file,)
    models = ("speech",)

    def params(self) -> dict[str, Any]:
        return {
            "model": self.settings.models.speech,
            "window_seconds": self.settings.transcript.window_seconds,
        }

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        """Only a video with sound has anything to transcribe."""
        return bool(info.audio)

    def run(self, ctx: StageContext) -> StageOutput:
        info = ctx.media_info()
        whisper: Whisper = open_model("speech", self.settings)
        threads = cpu_threads(self.settings)
        stream = info.audio[0]
        decoding = audio.Decoding()
        sound = audio.windows(
            ctx.source,
            stream.index,
            info.start_time,
            self.settings.transcript.window_seconds,
            threads,
            decoding,
        )
        duration = max(info.duration, 1e-3)
        result = transcribe(
            whisper.model, sound, lambda seconds: ctx.report(min(1.0, seconds / duration))
        )
        if decoding.seconds == 0 and decoding.returncode != 0:
            raise DeerinError(
                f"its audio stream {stream.index} ({stream.codec}) cannot be decoded: "
                f"{decoding.error_text or f'ffmpeg exit {decoding.returncode}'}",
                path=ctx.source,
                hint="convert the sound to a common codec (e.g. PCM or AAC), or skip "
                "the transcript stage (--skip transcript)",
            )
        errors = ItemErrors()
        problem = _shortfall(decoding, info.duration)
        if problem:
            errors.record(problem, time=round(decoding.seconds, 3))
        model_info = {
            "name": whisper.name,
            "backend": "faster-whisper",
            "compute_type": whisper.compute_type,
            "device": whisper.device,
        }
        _write(ctx, model_info, result, errors)
        return StageOutput(
            method={**model_info, "vad": "silero", "word_timestamps": True},
            summary=_summary(result),
            problem=problem,
        )


def _shortfall(decoding: audio.Decoding, duration: float) -> str | None:
    """Why only part of the sound was transcribed, or None when all of it was."""
    complete = not decoding.error_text or decoding.seconds >= duration - SHORT_BY
    if decoding.returncode == 0 and complete:
        return None
    return (
        f"the sound could be decoded only to {decoding.seconds:.1f}s of {duration:.1f}s: "
        f"{decoding.error_text or f'ffmpeg exit {decoding.returncode}'}"
    )


def _write(
    ctx: StageContext, model: dict[str, Any], result: Transcript, errors: ItemErrors
) -> None:
    language, probability = result.language()
    ctx.write(
        schemas.Transcript,
        {
            "video_id": ctx.video_id,
            "model": model,
            "language": language,
            "language_probability": probability,
            "languages": result.languages(),
            "segments": result.segments,
            "speech_seconds": round(result.speech_seconds, 3),
            "errors": errors.items,
        },
    )


def _summary(result: Transcript) -> dict[str, Any]:
    """A line for `deerin status`: how much was said, in what language; or that nothing was."""
    if not result.segments:
        return {"speech": "none found (silence or music only)"}
    words = sum(len(segment["words"]) for segment in result.segments)
    return {
        "segments": len(result.segments),
        "words": words,
        "speech": f"{result.speech_seconds:.0f} s",
        "language": ", ".join(
            run["language"] + (" (uncertain)" if run["uncertain"] else "")
            for run in result.languages()
        )
        + ("" if result.detected else " (not detected: the model knows only English)"),
    }
