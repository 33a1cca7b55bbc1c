"""The captions stage: a description of every shot's middle frame, and visual questions.

With ``models.captions`` set to a model and ``vlm.endpoint`` to an OpenAI-compatible
server, each of ``vlm.questions`` is asked about each shot's middle frame. Answers are
cached on disk by model, question and picture, so a rerun, or another video holding the
same frame (a copy, a repeated title card), costs no request.

Offline, and by default, no vision-language model exists on the machine. Then the stage
*composes* a short description from what the other stages found (shot scale, faces,
on-screen text, tags), e.g. "Close-up; 1 face; on-screen text: “THE END”; looks like:
stage.", and marks it ``source: "composed"``: a reader must never take it for a
model's caption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deerin.enrich.frames import AnalysisFrame, analysis_frames, readable
from deerin.errors import DeerinError
from deerin.index.schemas import Captions, Faces, ShotScale, Tags, Text
from deerin.models.answers import AnswerCache, ReachGuard
from deerin.models.endpoint import ChatEndpoint, image_message
from deerin.models.resolver import choose
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput
from deerin.settings import without_password

COMPOSED = "composed"
SCALE_WORDS = {
    "ECS": "extreme close-up",
    "CS": "close-up",
    "MS": "medium shot",
    "FS": "full shot",
    "LS": "long shot",
}
TAG_MIN_SCORE = 0.2  # a label the tagger is less sure of than this is a guess, not a description
TAGS_SHOWN = 2
TEXTS_SHOWN = 2
TEXT_CHARS = 60  # longer on-screen text is cut: the description stays one line
NOTHING = "Nothing recognised by the other signals."


class CaptionsStage(Stage):
    """Caption each shot's middle frame: by a model at an endpoint, or composed."""

    name = "captions"
    version = "1"
    requires = ("frames",)
    optional = ("tags", "faces", "shot_scale", "text")
    produces = (Captions.file,)
    models = ("captions",)

    def composed(self) -> bool:
        """Whether descriptions are composed (no model configured, or no server to ask)."""
        return choose("captions", self.settings).kind == "rules"

    def params(self) -> dict[str, Any]:
        if self.composed():
            return {"model": COMPOSED}
        return {
            "model": self.settings.models.captions,
            "endpoint": without_password(self.settings.vlm.endpoint or ""),
            "questions": self.settings.vlm.questions,
        }

    def run(self, ctx: StageContext) -> StageOutput:
        frames = [frame for frame in analysis_frames(ctx) if frame.kind == "middle"]
        if self.composed():
            return self._compose(ctx, frames)
        return self._ask(ctx, frames)

    def _compose(self, ctx: StageContext, frames: list[AnalysisFrame]) -> StageOutput:
        signals = Signals.read(ctx)
        captions = [
            _caption(frame, None, signals.describe(frame), COMPOSED, COMPOSED) for frame in frames
        ]
        _write(ctx, {"name": COMPOSED, "kind": COMPOSED}, captions, ItemErrors())
        summary: dict[str, Any] = {"captions": len(captions)}
        if self.settings.models.captions != COMPOSED:  # asked for a model, but no server to ask
            summary["composed because"] = "vlm.endpoint is not set"
        return StageOutput(method={"name": COMPOSED, "from": signals.sources}, summary=summary)

    def _ask(self, ctx: StageContext, frames: list[AnalysisFrame]) -> StageOutput:
        endpoint = ChatEndpoint.from_settings(self.settings)
        cache = AnswerCache(self.settings.data_dir / "cache" / "vlm")
        asker = Asker(endpoint, self.settings.models.captions, cache)
        errors = ItemErrors()
        captions: list[dict[str, Any]] = []
        for done, batch in enumerate(readable(frames, errors, batch=1), start=1):
            for frame, _ in batch:  # decoded once to check it: a server gets no broken file
                captions += asker.ask_all(frame, self.settings.vlm.questions, errors)
            ctx.report(done / len(frames))
        if asker.guard.unreachable is not None and not captions:
            raise asker.guard.unreachable  # nothing answered at all: failed, and retried next run
        model = {"name": self.settings.models.captions, "kind": "endpoint"}
        _write(ctx, model, captions, errors)
        asked = len(frames) * len(self.settings.vlm.questions)
        return StageOutput(
            method={**model, "endpoint": endpoint.shown, "protocol": "openai chat completions"},
            summary={"captions": len(captions), "requests": asker.requests, "cached": asker.hits},
            problem=errors.problem(asked, "questions"),
        )


@dataclass
class Signals:
    """What the other stages found, indexed by analysis frame (and shot, for the scale)."""

    scales: dict[int, str] = field(default_factory=dict)
    faces: dict[int, int] = field(default_factory=dict)
    texts: dict[int, list[str]] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, ctx: StageContext) -> Signals:
        """Read each optional stage's output where that stage ran for this video."""
        signals = cls()
        if ctx.published("shot_scale"):
            signals.sources.append("shot_scale")
            for shot in ctx.read(ShotScale).shots:
                if shot.scale:
                    signals.scales[shot.index] = shot.scale
        if ctx.published("faces"):
            signals.sources.append("faces")
            for face in ctx.read(Faces).faces:
                signals.faces[face.frame] = signals.faces.get(face.frame, 0) + 1
        if ctx.published("text"):
            signals.sources.append("text")
            for event in ctx.read(Text).events:
                for frame in event.frames:
                    signals.texts.setdefault(frame, []).append(event.text)
        if ctx.published("tags"):
            signals.sources.append("tags")
            for entry in ctx.read(Tags).frames:
                signals.labels[entry.frame] = [
                    tag.label for tag in entry.tags if tag.score >= TAG_MIN_SCORE
                ][:TAGS_SHOWN]
        return signals

    def describe(self, frame: AnalysisFrame) -> str:
        """One line from the signals, e.g. "Close-up; 1 face; looks like: stage."."""
        parts = []
        if frame.shot in self.scales:
            parts.append(SCALE_WORDS.get(self.scales[frame.shot], self.scales[frame.shot]))
        faces = self.faces.get(frame.index, 0)
        if faces:
            parts.append(f"{faces} face{'s' if faces > 1 else ''}")
        texts = [_clip(text) for text in self.texts.get(frame.index, [])[:TEXTS_SHOWN]]
        if texts:
            parts.append("on-screen text: " + ", ".join(f"“{text}”" for text in texts))
        if self.labels.get(frame.index):
            parts.append("looks like: " + ", ".join(self.labels[frame.index]))
        if not parts:
            return NOTHING
        line = "; ".join(parts) + "."
        return line[0].upper() + line[1:]


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


@dataclass
class Asker:
    """Asks questions about frames, from the cache first; stops asking once the server
    is found unreachable, so a dead endpoint costs one timeout, not one per frame."""

    endpoint: ChatEndpoint
    model: str
    cache: AnswerCache
    requests: int = 0
    hits: int = 0
    guard: ReachGuard = field(default_factory=ReachGuard)

    def ask_all(
        self, frame: AnalysisFrame, questions: list[str], errors: ItemErrors
    ) -> list[dict[str, Any]]:
        """Captions for each question about ``frame``; failures go to ``errors``."""
        image = frame.path.read_bytes()
        captions = []
        for question in questions:
            try:
                answer = self.answer(question, image)
            except DeerinError as exc:
                errors.record(exc.message, frame=frame.index, time=frame.time, question=question)
                continue
            captions.append(_caption(frame, question, answer, "model", self.model))
        return captions

    def answer(self, question: str, image: bytes) -> str:
        key = AnswerCache.key(self.model, question, image)
        cached = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        answer = self.guard.call(lambda: self._request(question, image))
        self.cache.put(key, answer, model=self.model, question=question)
        return answer

    def _request(self, question: str, image: bytes) -> str:
        self.requests += 1
        return self.endpoint.chat([image_message(question, image)], self.model)


def _caption(
    frame: AnalysisFrame, question: str | None, answer: str, source: str, model: str
) -> dict[str, Any]:
    return {
        "frame": frame.index,
        "time": frame.time,
        "shot": frame.shot,
        "question": question,
        "answer": answer,
        "source": source,
        "model": model,
    }


def _write(
    ctx: StageContext, model: dict[str, str], captions: list[dict[str, Any]], errors: ItemErrors
) -> None:
    ctx.write(
        Captions,
        {"video_id": ctx.video_id, "model": model, "captions": captions, "errors": errors.items},
    )
