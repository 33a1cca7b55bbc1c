"""The summary stage: a title and a short summary per part of a video and for the whole.

The timeline is cut into parts of about ``summary.segment_seconds`` (cuts fall between
transcript segments, never inside one), and the language model (:mod:`deerin.models.
llm`) writes a title and a one-to-three-sentence summary of each part from what was
said and read in it: transcript, subtitles, on-screen text, a model's captions, and the
names the entities stage found. A video of one part takes that part's title and
summary; a longer one gets them from the parts' summaries.

The bundled SmolLM2-135M is small enough to run anywhere but invents facts, so the
prompts ask for nothing beyond the text, each part gives the model only its first
``summary.input_chars`` characters (``truncated`` says so), and every text is marked
``generated`` with its model. Answers are cached (see :class:`LanguageModel`), so a
rerun is free. A failed answer is recorded and the other parts go on; a server that
cannot be reached at all fails the stage, as for captions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deerin.enrich.entities.texts import TextItem, gather
from deerin.errors import DeerinError
from deerin.index.schemas import Entities, Summary
from deerin.models.llm import LanguageModel, open_language_model
from deerin.plugins.stage import ItemErrors, Stage, StageContext, StageOutput
from deerin.settings import Settings, without_password

SYSTEM = (
    "You write short titles and summaries of archive films. "
    "Use only what the given text says. Never add facts."
)
TITLE_PROMPT = (
    "{text}\n\nWrite a title of at most eight words for this text. Reply with the title only."
)
SUMMARY_PROMPT = "{text}\n\nSummarise only what this text says, in one to three sentences."
TITLE_TOKENS = 16
SUMMARY_TOKENS = 80
LABELS = {
    "transcript": "Speech",
    "subtitles": "Subtitles",
    "text": "On-screen text",
    "captions": "Pictures",
}
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP", "WORK_OF_ART"}
NAMES_SHOWN = 6
NO_TEXT = "nothing was said or read: no transcript, subtitles, on-screen text or model captions"


@dataclass
class Part:
    """A stretch of the timeline and the texts said or read in it."""

    items: list[TextItem]

    @property
    def start(self) -> float:
        return min(item.start for item in self.items)

    @property
    def end(self) -> float:
        return max(item.end for item in self.items)


class SummaryStage(Stage):
    """Titles and summaries of each part of a video and of the whole, by a language model."""

    name = "summary"
    version = "2"  # 2: transcript words joined with their spaces
    requires = ("probe",)
    optional = ("transcript", "text", "subtitles", "captions", "entities")
    produces = (Summary.file,)
    models = ("language_model",)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._model: LanguageModel | None = None

    def params(self) -> dict[str, Any]:
        return {
            "model": self.settings.models.language_model,
            "endpoint": without_password(self.settings.llm.endpoint or "") or None,
            "segment_seconds": self.settings.summary.segment_seconds,
            "input_chars": self.settings.summary.input_chars,
        }

    def model(self) -> LanguageModel:
        """The language model, opened on first use and kept for every later video."""
        if self._model is None:
            self._model = open_language_model(self.settings)
        return self._model

    def run(self, ctx: StageContext) -> StageOutput:
        model = self.model()
        items, layers = gather(ctx)
        if not items:
            _write(ctx, model, layers, {"title": None, "summary": None, "reason": NO_TEXT}, [])
            return StageOutput(method=_method(model), summary={"segments": 0, "reason": NO_TEXT})
        writer = Writer(model, self.settings.summary.input_chars, Names.read(ctx))
        parts = cut(items, self.settings.summary.segment_seconds)
        segments = []
        for done, part in enumerate(parts, start=1):
            segments.append(writer.segment(part))
            ctx.report(done / (len(parts) + 1))
        video = writer.video(segments)
        if model.unreachable is not None and writer.answered == 0:
            raise model.unreachable  # nothing answered at all: failed, and retried next run
        _write(ctx, model, layers, video, segments, writer.errors)
        return StageOutput(
            method=_method(model),
            summary={"segments": len(segments), "generated": writer.fresh, "cached": writer.hits},
            problem=writer.errors.problem(writer.asked, "answers"),
        )


def cut(items: list[TextItem], seconds: float) -> list[Part]:
    """Parts of about ``seconds``; a new part starts only at a transcript segment when
    there is a transcript (so no sentence is split), at any text otherwise."""
    ordered = sorted(items, key=lambda item: (item.start, item.end))
    spoken = any(item.source == "transcript" for item in ordered)
    parts = [Part([ordered[0]])]
    for item in ordered[1:]:
        may_cut = item.source == "transcript" or not spoken
        if may_cut and item.start - parts[-1].start >= seconds:
            parts.append(Part([]))
        parts[-1].items.append(item)
    return parts


@dataclass
class Names:
    """Names the entities stage found (people, places, organisations...), with their times."""

    found: list[tuple[float, float, str]]

    @classmethod
    def read(cls, ctx: StageContext) -> Names:
        if not ctx.published("entities"):
            return cls([])
        entities = ctx.read(Entities).entities
        return cls([(e.start, e.end, e.text) for e in entities if e.label in NAME_LABELS])

    def within(self, start: float, end: float) -> list[str]:
        """The first few distinct names between ``start`` and ``end``."""
        names = [name for s, e, name in self.found if s <= end and e >= start]
        return list(dict.fromkeys(names))[:NAMES_SHOWN]


@dataclass
class Writer:
    """Asks the model for titles and summaries, recording each failed answer."""

    model: LanguageModel
    input_chars: int
    names: Names
    errors: ItemErrors = field(default_factory=ItemErrors)
    asked: int = 0
    answered: int = 0
    fresh: int = 0
    hits: int = 0

    def segment(self, part: Part) -> dict[str, Any]:
        """Title and summary of one part, from (the start of) its texts."""
        text = _compose(part, self.names.within(part.start, part.end))
        clipped = _clip(text, self.input_chars)
        where = {"start": part.start, "end": part.end}
        return {
            **where,
            "title": self._ask(TITLE_PROMPT.format(text=clipped), TITLE_TOKENS, _title, where),
            "summary": self._ask(
                SUMMARY_PROMPT.format(text=clipped), SUMMARY_TOKENS, _sentences, where
            ),
            "truncated": len(clipped) < len(text),
        }

    def video(self, segments: list[dict[str, Any]]) -> dict[str, Any]:
        """The whole video's title and summary: the only part's, or from the parts' summaries."""
        if len(segments) == 1:
            return {"title": segments[0]["title"], "summary": segments[0]["summary"]}
        summaries = [s["summary"] for s in segments if s["summary"]]
        if not summaries:
            return {"title": None, "summary": None, "reason": "no part could be summarised"}
        text = _clip(" ".join(summaries), self.input_chars)
        where = {"start": segments[0]["start"], "end": segments[-1]["end"], "part": "video"}
        return {
            "title": self._ask(TITLE_PROMPT.format(text=text), TITLE_TOKENS, _title, where),
            "summary": self._ask(
                SUMMARY_PROMPT.format(text=text), SUMMARY_TOKENS, _sentences, where
            ),
        }

    def _ask(
        self, prompt: str, tokens: int, clean: Callable[[str], str], where: dict[str, Any]
    ) -> str | None:
        """The cleaned answer, or None with the reason recorded in ``errors``."""
        self.asked += 1
        try:
            generated = self.model.generate(SYSTEM, prompt, tokens)
            answer = clean(generated.text)
        except DeerinError as exc:
            self.errors.record(exc.message, **where)
            return None
        self.answered += 1
        if generated.cached:
            self.hits += 1
        else:
            self.fresh += 1
        return answer


def _compose(part: Part, names: list[str]) -> str:
    """The part's texts, one labelled line per layer, then the names found in it."""
    lines = []
    for source, label in LABELS.items():
        texts = [" ".join(item.text.split()) for item in part.items if item.source == source]
        if texts:
            lines.append(f"{label}: {' '.join(texts)}")
    if names:
        lines.append("Names: " + ", ".join(names))
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _title(answer: str) -> str:
    """The first line, without the quotes, markup or "Title:" a model may add."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    title = lines[0] if lines else ""
    if title.lower().startswith("title:"):
        title = title[len("title:") :]
    title = title.strip(" \"'*#“”").rstrip(".")
    if not title:
        raise DeerinError(f"the model gave no title: {answer!r}")
    return title


def _sentences(answer: str) -> str:
    """The answer on one line; an empty answer is an error, not a summary."""
    summary = " ".join(answer.split())
    if not summary:
        raise DeerinError("the model gave an empty summary")
    return summary


def _method(model: LanguageModel) -> dict[str, Any]:
    return {**model.describe(), "temperature": 0.0, "prompt": SUMMARY_PROMPT}


def _write(
    ctx: StageContext,
    model: LanguageModel,
    layers: list[str],
    video: dict[str, Any],
    segments: list[dict[str, Any]],
    errors: ItemErrors | None = None,
) -> None:
    ctx.write(
        Summary,
        {
            "video_id": ctx.video_id,
            "model": model.describe(),
            "generated": True,
            **video,
            "segments": segments,
            "inputs": layers,
            "errors": errors.items if errors else [],
        },
    )
