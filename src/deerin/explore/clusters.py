"""Groups of shots on the map, and what each group is about.

Clusters are found by HDBSCAN on the fitted sample's picture layout (dense regions of the
map, however shaped; stray shots stay unclustered) and given to every other shot by its
nearest fitted neighbours, as its place is. Each cluster is labelled with the tags, words,
people and places most *telling* of it: frequent in it and rare elsewhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

NOISE = -1
WORD = re.compile(r"[^\W\d_][\w'’-]{2,}")
KINDS = ("tags", "words", "people", "places")
SHOWN = {"tags": 3, "words": 3, "people": 2, "places": 2}


def find_clusters(coords: np.ndarray, min_size: int) -> np.ndarray:
    """A cluster number per row (largest cluster 0), ``NOISE`` for rows in none."""
    if len(coords) < max(2 * min_size, 4):
        return np.full(len(coords), NOISE, dtype=np.int32)
    from sklearn.cluster import HDBSCAN

    found = HDBSCAN(min_cluster_size=min_size, min_samples=min(min_size, 5), copy=True).fit_predict(
        coords
    )
    sizes = Counter(int(label) for label in found if label != NOISE)
    renumber = {label: rank for rank, (label, _) in enumerate(sizes.most_common())}
    return np.array([renumber.get(int(label), NOISE) for label in found], dtype=np.int32)


def default_min_size(fitted: int) -> int:
    """About 1 % of the fitted shots, at least 5: a handful of clusters at any size."""
    return max(5, round(fitted * 0.01))


def spread(sample_clusters: np.ndarray, found: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Clusters for placed rows: the vote of their nearest fitted rows, nearer ones
    weighing more (a row whose neighbours are mostly unclustered stays unclustered)."""
    labels = sample_clusters[found] + 1  # NOISE -> column 0
    weights = 1.0 / (distances + 1e-3)
    columns = int(sample_clusters.max(initial=NOISE)) + 2
    chosen = np.empty(len(found), dtype=np.int32)
    for start in range(0, len(found), 65536):
        part = labels[start : start + 65536]
        tally = np.zeros((len(part), columns), dtype=np.float64)
        rows = np.repeat(np.arange(len(part)), part.shape[1])
        np.add.at(tally, (rows, part.ravel()), weights[start : start + 65536].ravel())
        chosen[start : start + len(part)] = tally.argmax(axis=1) - 1
    return chosen


@dataclass
class Terms:
    """What each shot is about, gathered per kind (tags, words, people, places)."""

    per_shot: dict[str, list[Sequence[str]]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        tags: Sequence[str],
        words: Sequence[str],
        people: Sequence[Sequence[str]],
        places: Sequence[Sequence[str]],
    ) -> Terms:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        def said(text: str) -> list[str]:
            found = (w.lower() for w in WORD.findall(text or ""))
            return list({w for w in found if w not in ENGLISH_STOP_WORDS})

        return cls(
            {
                "tags": [list(dict.fromkeys((t or "").split())) for t in tags],
                "words": [said(text) for text in words],
                "people": [list(dict.fromkeys(p)) for p in people],
                "places": [list(dict.fromkeys(p)) for p in places],
            }
        )


def label_clusters(clusters: np.ndarray, terms: Terms) -> dict[int, dict[str, list[str]]]:
    """Each cluster's most telling terms of each kind: share of its shots with the term,
    times how rare the term is in the collection (tf-idf over shots); a term must be on
    at least two of the cluster's shots, or a fifth of a small one."""
    total = len(clusters)
    sizes = Counter(int(c) for c in clusters if c != NOISE)
    found: dict[int, dict[str, list[str]]] = {c: {} for c in sizes}
    for kind in KINDS:
        rows = terms.per_shot.get(kind, [])
        everywhere: Counter[str] = Counter()
        within: dict[int, Counter[str]] = {c: Counter() for c in sizes}
        for cluster, shot_terms in zip(clusters, rows, strict=True):
            everywhere.update(shot_terms)
            if cluster != NOISE:
                within[int(cluster)].update(shot_terms)
        for cluster, counts in within.items():
            least = min(2, max(1, math.ceil(sizes[cluster] / 5)))
            scored = sorted(
                (
                    (count / sizes[cluster] * math.log(1 + total / everywhere[term]), term)
                    for term, count in counts.items()
                    if count >= least
                ),
                reverse=True,
            )
            found[cluster][kind] = [term for _, term in scored[: SHOWN[kind]]]
    return found


def cluster_label(terms: dict[str, list[str]], number: int) -> str:
    """A short name: its first people, places, tags and words, in that order."""
    parts = [*terms.get("people", [])[:1], *terms.get("places", [])[:1]]
    parts += [*terms.get("tags", [])[:2], *terms.get("words", [])[:2]]
    unique = list(dict.fromkeys(parts))[:3]
    return " · ".join(unique) if unique else f"cluster {number + 1}"
