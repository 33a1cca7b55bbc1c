"""Where the searched words are inside a hit: character spans, and spoken words' times.

The full-text index finds the passage; this finds the words in it, so a spoken hit
starts and ends on the words said (a supercut cuts there) and the text shows what
matched. Words compare by the Snowball English stem, as LanceDB's index compares them:
"harbours" finds "harbour", "cities" finds "city".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import snowballstemmer

WORD = re.compile(r"[\w']+")
STEMMER = snowballstemmer.stemmer("english")


@cache
def stem(word: str) -> str:
    """Lower case, no accents (the index folds them too), the Snowball English stem."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c)).strip("'")
    return STEMMER.stemWord(folded)


@dataclass(frozen=True)
class Wanted:
    """The searched words: single terms and whole phrases, as stems."""

    terms: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, terms: tuple[str, ...], phrases: tuple[str, ...]) -> Wanted:
        return cls(
            frozenset(stem(t) for t in terms),
            tuple(tuple(stem(w) for w in WORD.findall(p)) for p in phrases if WORD.findall(p)),
        )

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    def positions(self, tokens: list[str]) -> list[int]:
        """Indexes of the tokens that match a term or belong to a phrase found whole."""
        stems = [stem(t) for t in tokens]
        found = {i for i, s in enumerate(stems) if s in self.terms}
        for phrase in self.phrases:
            size = len(phrase)
            for i in range(len(stems) - size + 1):
                if tuple(stems[i : i + size]) == phrase:
                    found.update(range(i, i + size))
        return sorted(found)


def text_marks(text: str, wanted: Wanted) -> list[tuple[int, int]]:
    """Character spans of the matching words of ``text``."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    tokens = [text[a:b] for a, b in spans]
    return [spans[i] for i in wanted.positions(tokens)]


def word_marks(words: list[list[object]], wanted: Wanted) -> list[int]:
    """Indexes of the matching spoken words (``[start, end, word]`` each)."""
    tokens = [_bare(str(word[2])) for word in words]
    return wanted.positions(tokens)


def _bare(word: str) -> str:
    found = WORD.findall(word)
    return found[0] if found else ""
