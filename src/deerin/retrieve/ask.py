"""Questions answered from the collection, every sentence cited to a moment of a film.

>>> answer = ask(settings, "What is said about the shipyards' closure?")
>>> answer.answer, [(c.file, c.start) for c in answer.citations]

1. **Retrieval** is the search index's: the question's content words (any of them, BM25)
   and its meaning (text embeddings), over every passage that can be read or heard:
   transcripts, subtitles, on-screen text, captions, summaries, catalogue records. Fields
   of the search grammar in the question (``year:1960..1969``, ``person:…``) and a
   decade named in it ("the 1960s films") filter it.
2. **Relevance**: a passage counts when it holds enough of the question's content words
   or is close enough in meaning; with none, the answer is "I could not find this in the
   collection", never an invented one.
3. **Writing**: *extractive* (the offline default) quotes the best sentence of each of
   the best passages and says that no model wrote it; *model* has the language model
   (``llm.endpoint``, or the bundled SmolLM2) write from the numbered passages. A model
   that is down, slow, or answers without usable citations falls back to extractive,
   and the answer says so.
4. **Checking**: every sentence of a model's answer is checked against the passages it
   cites (:mod:`.citations`); an unsupported one is left out and counted.

Questions about the whole collection ("who appears most often with X?", "what are the
main subjects of the 1960s films?") are answered from the graph (:mod:`.graph_answers`)
with the same citations.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

import numpy as np

from deerin.errors import DeerinError
from deerin.export.events import clock
from deerin.models.backends import open_model
from deerin.retrieve.answers import Answer, AnswerSentence, Citation, citation, video_facts
from deerin.retrieve.citations import Claim, best_source, claims, content_stems, overlap, support
from deerin.retrieve.graph_answers import graph_answer
from deerin.retrieve.hits import Hit, Match
from deerin.retrieve.query import DECADE, MAX_QUERY, Filters, Query, QueryError, parse
from deerin.retrieve.search import Searcher
from deerin.settings import Settings

BUNDLED_MODEL = "smollm2-135m"
PASSAGE_KINDS = ("speech", "subtitles", "text", "captions", "summary", "metadata")
CANDIDATES = 40  # passages retrieval returns before the relevance test
WORDS_FLOOR = 0.5  # share of the question's content words a passage must hold…
MEANING_FLOOR = 0.5  # …or how close in meaning it must be…
BOTH_FLOOR = (0.25, 0.35)  # …or some of both
# Cited only when nothing said or shown is relevant: a model wrote these about the film (a
# small model's summary would otherwise "support" the same model's inventions), and a
# catalogue record says what the film is, not what is in it.
LAST_RESORT = ("summary", "captions", "metadata")
QUOTED = 3  # passages an extractive answer quotes
PROMPT_CHARS = 500  # of each passage, in the prompt
ANSWER_TOKENS = 256
NOT_FOUND = "I could not find this in the collection."
SYSTEM = (
    "You answer questions about a film archive using only the numbered passages given. "
    "Write at most four short sentences. End every sentence with the number of the "
    "passage that says it, like [2]. If the passages do not answer the question, write "
    "only: NOT FOUND"
)


def ask(
    settings: Settings,
    question: str,
    collection: str | None = None,
    mode: str | None = None,
    searcher: Searcher | None = None,
    fields: str = "",
) -> Answer:
    """Answer ``question`` from one collection (or all), citing its moments; ``fields``
    are search-grammar filters beside it (``year:1960..1969 person:p0001``)."""
    started = time.perf_counter()
    notes: list[str] = []
    text = " ".join(question.split())
    if not text:
        raise QueryError("there is no question", hint='ask e.g. "what is said about the harbour?"')
    if len(text) > MAX_QUERY:
        notes.append(f"only the first {MAX_QUERY} characters of the question were read")
        text = text[:MAX_QUERY].rsplit(" ", 1)[0]
    query = question_query(text, fields)
    searcher = searcher or Searcher(settings, [collection] if collection else None)
    answer = graph_answer(settings, searcher, text, query, notes)
    if answer is None:
        answer = _answer(settings, searcher, text, query, mode or settings.ask.mode, notes)
    answer.took_ms = round((time.perf_counter() - started) * 1000, 1)
    return answer


def question_query(text: str, fields: str) -> Query:
    """The question as a search: its content words (any of them), its fields and
    ``fields`` as filters, a decade it names as a year range."""
    try:
        parsed = parse(f"{text} {fields}".strip())
    except QueryError:  # a question is prose: read its words, not its syntax
        given = parse(fields).filters if fields.strip() else Filters()
        parsed = Query(terms=tuple(re.findall(r"[\w']+", text)), filters=given, text=text)
    words = tuple(w for w in (*parsed.terms, *parsed.phrases) if content_stems(w))
    filters = parsed.filters
    decade = DECADE.search(text)
    if decade and filters.years is None:
        first = int(decade.group(1)) * 10
        filters = replace(filters, years=(first, first + 9))
        words = tuple(w for w in words if w.lower() != decade.group(0).lower())
    return Query(terms=words, filters=filters, any_word=True, text=text)


def _answer(
    settings: Settings, searcher: Searcher, text: str, query: Query, mode: str, notes: list[str]
) -> Answer:
    passages = relevant(searcher, query, settings.ask.passages) if query.terms else []
    if not passages:
        return Answer(question=text, found=False, mode="none", answer=NOT_FOUND, sentences=[],
                      citations=[], notes=notes)  # fmt: skip
    citations = cite_passages(searcher, passages)
    refused: list[AnswerSentence] = []
    if _uses_model(settings, mode):
        written = _model_answer(settings, text, citations, notes)
        if isinstance(written, Answer):
            return written
        refused = written or []
    answer = extractive(text, query, citations, notes)
    answer.sentences += refused
    answer.left_out = len(refused)
    return answer


def _uses_model(settings: Settings, mode: str) -> bool:
    if mode == "model":
        return True
    if mode == "extractive":
        return False
    return bool(settings.llm.endpoint) or settings.models.language_model != BUNDLED_MODEL


# -- retrieval --------------------------------------------------------------------------
def relevant(searcher: Searcher, query: Query, most: int) -> list[Hit]:
    """The best passages that are about the question: those holding most of its words
    and closest to the whole question in meaning first (the search's rank breaks ties).

    The search's own meaning score embeds only the content words; the whole question
    says more ("what closed?"), so every candidate is compared with it once more here.
    """
    try:
        result = searcher.search(query, limit=CANDIDATES, merge=False)
    except QueryError:
        return []
    found = [(hit, match) for hit in result.hits if (match := _passage(hit)) is not None]
    if not found:
        return []
    wanted = content_stems(" ".join(query.terms))
    meanings = _meanings(searcher.settings, query.text, [m.text for _, m in found])
    scored = []
    for rank, ((hit, match), meaning) in enumerate(zip(found, meanings, strict=True)):
        words = overlap(wanted, content_stems(match.text)) if wanted else 0.0
        if _about(words, meaning):
            scored.append((-(words + meaning), rank, hit, match))
    ranked, said = [], set()
    for *_, hit, match in sorted(scored, key=lambda s: s[:2]):
        text = " ".join(match.text.lower().split())
        if text not in said:  # a subtitle and the speech saying the same: cite one
            said.add(text)
            ranked.append((hit, match.kind))
    witnessed = [r for r in ranked if r[1] not in LAST_RESORT]
    return [hit for hit, _ in (witnessed or ranked)[:most]]


def _meanings(settings: Settings, question: str, texts: list[str]) -> list[float]:
    """Cosine of the question's text embedding with each passage's."""
    embedder = open_model("text_embeddings", settings)
    vectors = np.asarray(embedder.embed([question, *texts]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return [float(v) for v in vectors[1:] @ vectors[0]]


def _passage(hit: Hit) -> Match | None:
    return next((m for m in hit.matches if m.kind in PASSAGE_KINDS), None)


def _about(words: float, meaning: float) -> bool:
    low_words, low_meaning = BOTH_FLOOR
    return (
        words >= WORDS_FLOOR
        or meaning >= MEANING_FLOOR
        or (words >= low_words and meaning >= low_meaning)
    )


def cite_passages(searcher: Searcher, hits: list[Hit]) -> list[Citation]:
    """The passages numbered from 1 as citations, with their films' titles and years."""
    facts = video_facts(searcher, {(h.collection, h.video_id) for h in hits})
    found = []
    for hit in hits:
        match = _passage(hit)
        if match is None:  # relevant() keeps only hits with a passage
            continue
        found.append(
            citation(
                len(found) + 1,
                hit.collection,
                hit.video_id,
                facts,
                match.kind,
                match.start,
                match.end,
                match.text,
            )
        )
    return found


# -- writing ------------------------------------------------------------------------------
def extractive(text: str, query: Query, citations: list[Citation], notes: list[str]) -> Answer:
    """The best sentence of each of the best passages, quoted: nothing is made up."""
    wanted = content_stems(" ".join(query.terms))
    sentences = []
    for cited in citations[:QUOTED]:
        quote = best_sentence(cited.text, wanted)
        sentences.append(AnswerSentence(text=f"“{quote}” ({_where(cited)})", citations=[cited.n],
                                        support=1.0, kept=True))  # fmt: skip
    notes = [*notes, "No model wrote this answer: these are the passages that best match "
             "the question, quoted."]  # fmt: skip
    return Answer(question=text, found=True, mode="extractive", answer=_joined(sentences),
                  sentences=sentences, citations=citations, notes=notes)  # fmt: skip


def _where(cited: Citation) -> str:
    """'Clyde shipyards, 1962, 00:00:12': the film and moment a quote or a prompt names."""
    year = f", {cited.year}" if cited.year else ""
    return f"{cited.title}{year}, {clock(cited.start, '.')[:8]}"


def best_sentence(passage: str, wanted: set[str]) -> str:
    """The passage's sentence holding most of the question's words (ties: the first)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?…])\s+", passage) if p.strip()]
    if not parts:
        return passage.strip()
    return max(parts, key=lambda p: (len(wanted & content_stems(p)), -parts.index(p)))


def _model_answer(
    settings: Settings, text: str, citations: list[Citation], notes: list[str]
) -> Answer | list[AnswerSentence] | None:
    """The model's answer, checked; or (with a note) what extractive must stand in for:
    nothing, or the sentences the check refused (shown as left out)."""
    from deerin.models.llm import open_language_model

    try:
        model = open_language_model(settings)
        reply = model.generate(SYSTEM, _prompt(text, citations), ANSWER_TOKENS).text
    except DeerinError as exc:
        notes.append(f"The language model could not answer ({exc.problem}); the passages "
                     "are quoted instead.")  # fmt: skip
        return None
    if not re.sub(r"[\W_]+", "", reply.upper().replace("NOT FOUND", "")):
        said = "found no answer in the passages" if reply.strip() else "answered nothing"
        notes.append(f"{model.name} {said}; the closest passages are quoted.")
        return None
    passages = {c.n: c.text for c in citations}
    about = {c.n: f"{c.title} {c.year or ''}" for c in citations}  # the model read these too
    checked = check(claims(reply), passages, settings.ask.support, about)
    kept = [s for s in checked if s.kept]
    if not kept:
        notes.append(f"No sentence of {model.name}'s answer is held by the passages; they are "
                     "quoted instead.")  # fmt: skip
        return checked
    left_out = len(checked) - len(kept)
    added = sum(s.cited_by_check for s in kept)
    if added:
        which = f"{added} sentence{'s' if added > 1 else ''}"
        notes.append(f"{model.name} cited no passage for {which}: the check cites the passage "
                     "that holds it.")  # fmt: skip
    if left_out:
        notes.append(f"{left_out} sentence{'s were' if left_out > 1 else ' was'} left out: "
                     "the passages cited do not say so.")  # fmt: skip
    notes.append(f"Written by the language model {model.name} from the passages below; "
                 "check it against them.")  # fmt: skip
    return Answer(question=text, found=True, mode="model", model=model.name,
                  answer=_joined(kept), sentences=checked, citations=citations,
                  left_out=left_out, notes=notes)  # fmt: skip


def _prompt(text: str, citations: list[Citation]) -> str:
    lines = ["Passages:"]
    for c in citations:
        lines.append(f"[{c.n}] ({_where(c)}) {c.text[:PROMPT_CHARS]}")
    return "\n".join([*lines, "", f"Question: {text}", "Answer:"])


def check(
    found: list[Claim], passages: dict[int, str], floor: float, about: dict[int, str] | None = None
) -> list[AnswerSentence]:
    """Each sentence with its support; kept when its cited passages hold enough of it. A
    sentence citing nothing is checked against the passage that best holds it, and says so
    (small models rarely cite)."""
    checked = []
    for claim in found:
        if not content_stems(claim.text):
            continue  # "Yes." says nothing to check or to show
        cites = [n for n in claim.cites if n in passages]
        score = support(Claim(claim.text, tuple(cites)), passages, about)
        best = best_source(claim, passages, about)
        better = best is not None and support(Claim(claim.text, (best,)), passages, about)
        added = best is not None and better > score  # uncited, or cited the wrong passage
        if added:
            cites, score = [best], better
        checked.append(AnswerSentence(text=claim.text, citations=cites, support=round(score, 3),
                                      kept=score >= floor, cited_by_check=added))  # fmt: skip
    return checked


def _joined(sentences: list[AnswerSentence]) -> str:
    return " ".join(
        f"{s.text} {''.join(f'[{n}]' for n in s.citations)}".strip() for s in sentences if s.kept
    )
