"""Checking an answer against its sources: does the passage a sentence cites say it?

A language model writing from retrieved passages still invents, the small ones most
(SmolLM2 makes facts up). Before a sentence is shown, its content words (stemmed, no
stop words) are looked for in the passages it cites; a sentence whose cited passages
hold too few of them is unsupported, and left out with a note. The test is lexical, so
it is strict about paraphrase and cannot be fooled by fluent prose: a planted sentence
about a place or number the passage never names fails it, and so does one that denies
what the passage says ("was not closed") or says what the passage denies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from deerin.retrieve.matching import WORD, stem

# Words a question or an answer uses about the asking, not about the films.
QUESTION_WORDS = frozenset(
    {
        "said", "say", "says", "tell", "told", "mention", "mentioned", "mentions", "talk",
        "talked", "talks", "speak", "spoke", "spoken", "appear", "appears", "appeared", "seen",
        "shown", "happen", "happened", "collection", "archive", "passage", "passages",
        "according",
    }
)  # fmt: skip
# Words that deny the content word following them; "n't" endings count too.
NEGATIONS = frozenset(
    {"not", "no", "never", "nor", "neither", "none", "nothing", "nobody", "nowhere", "without",
     "cannot"}
)  # fmt: skip
NEGATION_REACH = 4  # words: "was not, in the end, closed" is not read as a denial
CLAUSE_ENDS = ".!?;:,"
CLAUSE = re.compile(rf"[\w'’]+|[{CLAUSE_ENDS}]")
CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s+(?=[\"'“A-Z0-9])")


def content_stems(text: str) -> set[str]:
    """The words that carry meaning, as stems: what a claim and its source must share."""
    words = (w.strip("'").lower() for w in WORD.findall(text))
    return {
        stem(w)
        for w in words
        if w and w not in ENGLISH_STOP_WORDS and w not in QUESTION_WORDS and len(w) > 1
    }


def polarities(text: str) -> dict[str, set[bool]]:
    """Each content word (stemmed) with how it is said: True where a negation a few
    words before it, in the same clause, denies it ("did not close" → close: {True})."""
    found: dict[str, set[bool]] = {}
    denied_until = -1
    for i, raw in enumerate(CLAUSE.findall(text)):
        token = raw.replace("’", "'").strip("'").lower()  # a lone "'" (OCR) leaves nothing
        if raw in CLAUSE_ENDS:
            denied_until = -1  # a clause ends: a denial does not reach past it
        elif token in NEGATIONS or token.endswith("n't"):
            denied_until = i + NEGATION_REACH
        elif words := content_stems(token):
            for word in words:
                found.setdefault(word, set()).add(i <= denied_until)
            denied_until = -1  # a negation denies the first content word after it
    return found


def same_polarity(claim: str, sources: list[str]) -> bool:
    """False when the claim denies a word its sources do not deny, or affirms a word
    they only deny: the lexical overlap of "was not closed" and "was closed" is total,
    and "it is not true that…" must be the sources' own denial."""
    said: dict[str, set[bool]] = {}
    for source in sources:
        for word, ways in polarities(source).items():
            said.setdefault(word, set()).update(ways)
    for word, ways in polarities(claim).items():
        source_ways = said.get(word, set())
        if True in ways and True not in source_ways:
            return False
        if False in ways and source_ways == {True}:
            return False
    return True


def overlap(claim: set[str], source: set[str]) -> float:
    """The share of the claim's words the source holds (1.0 for a claim of no words)."""
    return len(claim & source) / len(claim) if claim else 1.0


@dataclass(frozen=True)
class Claim:
    """A sentence of an answer and the passage numbers it cites."""

    text: str  # without its citation marks
    cites: tuple[int, ...]


def claims(answer: str) -> list[Claim]:
    """An answer split into sentences, each with the [n] marks at or right after its end."""
    found = []
    for part in _sentences(answer):
        cites = tuple(int(n) for group in CITE.findall(part) for n in re.split(r"[,;]", group))
        text = " ".join(CITE.sub(" ", part).split()).strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text:
            found.append(Claim(text, tuple(dict.fromkeys(cites))))
    return found


def _sentences(answer: str) -> list[str]:
    """Sentences, keeping a citation written after the full stop with its sentence."""
    parts, start = [], 0
    for match in SENTENCE_END.finditer(answer):
        parts.append(answer[start : match.end()].strip())
        start = match.end()
    parts.append(answer[start:].strip())
    return [p for p in parts if p]


def key_stems(text: str) -> set[str]:
    """Numbers and names (capitalised words after the first): what a fluent invention
    changes ("closed in 1972", "in Paris"), so each must be in the source."""
    tokens = WORD.findall(text)
    keys = {t for t in tokens if any(c.isdigit() for c in t)}
    keys |= {t for t in tokens[1:] if t[:1].isupper() and t.lower() not in ENGLISH_STOP_WORDS}
    return {stem(k) for k in keys}


def support(claim: Claim, passages: dict[int, str], about: dict[int, str] | None = None) -> float:
    """How well the cited passages hold the claim: the share of its content words found
    in them; 0 when one of its numbers or names is not there, when it denies what they
    say or says what they deny, or it cites no passage that exists: a sentence that
    changes a date, a place or the sense is not supported.

    ``about`` holds what the model was told of each passage (film title, year): a number
    or name may come from there, but a claim made only of it says nothing of the passage.
    """
    cited = [n for n in claim.cites if n in passages]
    if not cited:
        return 0.0
    said = set().union(*(content_stems(passages[n]) for n in cited))
    told = said.union(*(content_stems((about or {}).get(n, "")) for n in cited))
    if not key_stems(claim.text) <= told:
        return 0.0  # a number or a name the passages never give: not theirs to support
    if not same_polarity(claim.text, [passages[n] for n in cited]):
        return 0.0
    return overlap(content_stems(claim.text), said)


def best_source(
    claim: Claim, passages: dict[int, str], about: dict[int, str] | None = None
) -> int | None:
    """The passage that best holds a claim that cites none (None: no passages)."""
    if not passages:
        return None
    return max(passages, key=lambda n: (support(Claim(claim.text, (n,)), passages, about), -n))
