"""Keywords: the nouns and two-word noun phrases a video's texts use more than English does.

A term scores its count in the video times an inverse frequency taken from a small
built-in background: the commonest English nouns, most frequent first (after
Zipf, a noun's frequency falls with its rank, so its weight is ``log(1 + rank)``). A
noun not on the list is rarer than all of them and gets the full weight. So "steam
locomotive", said twice, outranks "time", said five times. Names are left to the
entities; the parser is not needed: parts of speech and lemmas are enough.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

TOP = 15
MIN_CHARS = 3
# The commonest English nouns, most frequent first (general usage, spoken and written).
COMMON_NOUNS = """
time year people way day man thing woman life child world school state family student
group country problem hand part place case week company system program question work
government number night point home water room mother area money story fact month lot
right study book eye job word business issue side kind head house service friend father
power hour game line end member law car city community name president team minute idea
kid body information back parent face others level office door health person art war
history party result change morning reason research girl guy moment air teacher force
education foot boy age policy process music market sense nation plan college interest
death experience effect use class control care field development role effort rate heart
drug show leader light voice wife police mind price report decision son view
relationship town road arm difference value building action model season society tax
director position player record paper space ground form event official matter center
couple site project activity star table need court oil situation cost industry figure
street image phone data picture practice piece land product doctor wall patient worker
news test movie north love support technology step baby computer type attention film
tree source organization hair window evidence population letter thought
"""
BACKGROUND = tuple(COMMON_NOUNS.split())
RANK = {word: rank for rank, word in enumerate(BACKGROUND, start=1)}
UNLISTED = math.log(1 + 4 * len(RANK))  # rarer than any listed noun


def weight(lemma: str) -> float:
    """Inverse background frequency of one lemma."""
    rank = RANK.get(lemma)
    return math.log(1 + rank) if rank else UNLISTED


def _usable(token: Any) -> bool:
    return (
        token.is_alpha
        and not token.is_stop
        and len(token.text) >= MIN_CHARS
        and not token.ent_type_  # names, places and dates are the entities' business
    )


def terms(doc: Any) -> Iterable[tuple[str, float]]:
    """Each noun and adjective/noun + noun pair of a document, with its weight."""
    previous = None
    for token in doc:
        if not _usable(token):
            previous = None
            continue
        lemma = token.lemma_.lower()
        if token.pos_ == "NOUN":
            yield lemma, weight(lemma)
            if previous is not None:
                yield f"{previous[0]} {lemma}", max(previous[1], weight(lemma))
        previous = (lemma, weight(lemma)) if token.pos_ in ("NOUN", "ADJ") else None


class Keywords:
    """Counts terms over a video's documents, fed one at a time (documents are not kept)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.weights: dict[str, float] = {}

    def add(self, doc: Any) -> None:
        for term, term_weight in terms(doc):
            self.counts[term] += 1
            self.weights[term] = term_weight

    def top(self, n: int = TOP) -> list[dict[str, Any]]:
        """The ``n`` best terms as ``{"term", "score", "count"}``, best first."""
        scored = sorted(
            ((count * self.weights[term], count, term) for term, count in self.counts.items()),
            key=lambda row: (-row[0], -row[1], row[2]),
        )
        return [
            {"term": term, "score": round(score, 3), "count": count}
            for score, count, term in scored[:n]
        ]
