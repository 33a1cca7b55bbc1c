"""Search a collection: every kind of query, filtered, fused and merged into time ranges.

>>> from deerin.retrieve.search import Searcher
>>> from deerin.retrieve.query import parse
>>> result = Searcher(settings).search(parse('"ask not" year:1950..1969'), limit=10)
>>> result.hits[0].start, result.hits[0].matches[0].words

Kinds of query and the table each reads (see :mod:`deerin.retrieve.units`):

* words: BM25 over ``passages.text`` (and ``shots.tags``), with phrases and exclusions;
* meaning: the text embedding of the words against ``passages.vector``;
* picture: words in the image space (:mod:`.pictures`), a picture file, or a shot of
  the collection ("more like this"), against ``shots.vector``;
* person: a person's faces (``faces.person``), or a photo of a face against
  ``faces.vector``;
* place: a place name or a box on the map, over ``places``.

Every filter becomes part of each table's SQL ``WHERE``, run by LanceDB before the
vector search (prefiltering, on scalar indexes), never as a scan of the results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from deerin.errors import closest
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import People
from deerin.index.search_index import STATE, IndexMissing, SearchIndex, sql_text
from deerin.index.sets import UnknownSet, shot_set
from deerin.index.store import CollectionFolder
from deerin.models.backends import open_model
from deerin.retrieve.build import current_stamps, persons_of
from deerin.retrieve.fusion import facets, fuse, group_by_video, merge_neighbours
from deerin.retrieve.hits import Hit, HitWord, Match, SearchResult, marked
from deerin.retrieve.matching import WORD, Wanted, stem, text_marks, word_marks
from deerin.retrieve.pictures import (
    ImageVector,
    face_vector,
    open_picture,
    picture_vector,
    words_to_picture,
)
from deerin.retrieve.query import Filters, Query, QueryError
from deerin.settings import Settings

MOST_CANDIDATES = 10000  # search.candidates' upper bound: hits per kind of query
MEANING_FLOOR = 0.3  # cosine below which a passage is not "about" the query (MiniLM)
POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="deerin-search")
RECHECK_SECONDS = 5.0  # how long a check that the index is up to date holds
COLUMNS = {  # what each table's hits need (never the vectors)
    "passages": ["video_id", "file", "media", "year", "source", "start", "end", "text",
                 "words", "lang", "shot", "scale", "people", "thumb"],
    "shots": ["video_id", "file", "media", "year", "shot", "start", "end", "tags", "scale",
              "people", "text", "caption", "thumb"],
    "faces": ["video_id", "file", "media", "year", "face", "shot", "start", "end", "person",
              "thumb"],
    "places": ["video_id", "file", "media", "year", "name", "start", "end", "lat", "lon",
               "context", "shot", "thumb"],
    "videos": ["video_id", "file", "media", "year", "duration", "title", "metadata", "thumb"],
}  # fmt: skip
Ranked = list[tuple[str, Hit]]


@dataclass
class Scope:
    """One collection as a search sees it: its index and its people (read again when a
    person is named, so a long-running server knows the new name)."""

    name: str
    index: SearchIndex
    folder: CollectionFolder
    _people: tuple[float, People | None] = (-1.0, None)

    @property
    def people(self) -> People | None:
        path = self.folder.path(People.file)
        changed = path.stat().st_mtime if path.exists() else 0.0
        if changed != self._people[0]:
            self._people = (changed, artefacts.read(self.folder, People) if changed else None)
        return self._people[1]

    def names(self) -> dict[str, str]:
        people = self.people
        return {p.id: p.name for p in people.people if p.name} if people else {}


class Searcher:
    """Searches one or every collection of a data dir; open once, query many times."""

    def __init__(self, settings: Settings, collections: list[str] | None = None) -> None:
        self.settings = settings
        folders = CollectionFolder.chosen(settings.data_dir, None)
        known = [f.name for f in folders]
        wanted = collections or known
        for name in wanted:
            if name not in known:
                guess = closest(name, known)
                raise QueryError(
                    f"there is no collection '{name}'",
                    hint=f"did you mean '{guess}'?" if guess else "see `deerin status`",
                )
        self.scopes: list[Scope] = []
        missing = []
        for name in wanted:
            try:
                index = SearchIndex.open(settings, name)
            except IndexMissing:
                missing.append(name)
                continue
            folder = CollectionFolder.for_collection(settings.data_dir, name)
            self.scopes.append(Scope(name, index, folder))
        if not self.scopes:
            which = ", ".join(missing) or "any collection"
            raise IndexMissing(
                f"there is no search index for {which}",
                path=settings.data_dir,
                hint="run `deerin index` (or `deerin ingest`) first",
            )
        self.missing = missing
        self._checked: tuple[float, list[str]] | None = None

    # -- freshness ------------------------------------------------------------------
    def warnings(self) -> list[str]:
        """Every way the index is behind the artefacts, said with the command that fixes it.

        Checked at most every few seconds (one ``stat`` per video), so a server answering
        many searches does not pay it on each one.
        """
        now = time.monotonic()
        if self._checked is not None and now - self._checked[0] < RECHECK_SECONDS:
            return self._checked[1]
        said = [f"collection '{name}' has no search index yet (run `deerin index -c {name}`)"
                for name in self.missing]  # fmt: skip
        catalogue = open_catalogue(self.settings)
        try:
            for scope in self.scopes:
                said += _behind(scope, catalogue.videos(scope.name), self.settings)
        finally:
            catalogue.close()
        self._checked = (now, said)
        return said

    # -- searching ------------------------------------------------------------------
    def search(
        self,
        query: Query,
        limit: int = 20,
        offset: int = 0,
        group: bool = False,
        merge: bool = True,
    ) -> SearchResult:
        """Run every kind of query the ``query`` holds; hits best first."""
        started = time.perf_counter()
        if query.is_empty():
            raise QueryError(
                "there is nothing to search for",
                hint='type words, a "phrase", a field such as person:… or year:1950..1969, '
                "or give a picture",
            )
        if limit < 1 or offset < 0:
            raise QueryError("the limit must be at least 1 and the offset not negative")
        methods: dict[str, str] = {}
        lists: list[Ranked] = []
        names: dict[tuple[str, str], str] = {}
        shared: dict[str, ImageVector] = {}  # a query picture is embedded once
        unknown: list[NotInCollection] = []
        scopes = self._scopes(query.filters)
        for scope in scopes:
            try:
                run = _Run(self.settings, scope, query, methods, shared)
            except NotInCollection as exc:  # another collection may know it
                unknown.append(exc)
                continue
            names |= {(scope.name, pid): name for pid, name in scope.names().items()}
            lists += run.ranked()
        if unknown and len(unknown) == len(scopes):
            raise unknown[0]
        hits = fuse(lists)
        if merge:
            hits = merge_neighbours(hits, self.settings.search.merge_gap)
        page = mark(hits[offset : offset + limit], Wanted.of(query.terms, query.phrases))
        return SearchResult(
            query=query.text,
            total=len(hits),
            hits=page,
            groups=group_by_video(page) if group else None,
            facets=facets(hits, names),
            methods=methods,
            warnings=self.warnings(),
            people=_named(page, names),
            took_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def passages(self, query: Query) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every passage the query's filters allow, as (collection, row), unranked.

        For what no index can answer, such as a regular expression over the words: the
        caller reads each passage once. Rows carry the columns a hit needs.
        """
        for scope in self._scopes(query.filters):
            run = _Run(self.settings, scope, query, {}, {})
            rows = scope.index.rows("passages", run.where("passages"), None, COLUMNS["passages"])
            for row in rows:
                yield scope.name, row

    def _scopes(self, filters: Filters) -> list[Scope]:
        if not filters.collections:
            return self.scopes
        chosen = [s for s in self.scopes if s.name in filters.collections]
        if not chosen:
            raise QueryError(
                f"no search index for collection {', '.join(filters.collections)}",
                hint="see `deerin status` for the collections",
            )
        return chosen


def _named(hits: list[Hit], names: dict[tuple[str, str], str]) -> dict[str, dict[str, str]]:
    """The names of the people in these hits, by collection (ids repeat across them)."""
    found: dict[str, dict[str, str]] = {}
    for hit in hits:
        for person in hit.people:
            if (hit.collection, person) in names:
                found.setdefault(hit.collection, {})[person] = names[(hit.collection, person)]
    return found


def mark(hits: list[Hit], wanted: Wanted) -> list[Hit]:
    """Mark the searched words in the text of the hits shown (only those: marking every
    candidate would cost more than the search)."""
    if not wanted:
        return hits
    return [
        hit.model_copy(update={"matches": [_marked(m, wanted) for m in hit.matches]})
        for hit in hits
    ]


def _marked(match: Match, wanted: Wanted) -> Match:
    if not match.by_words:
        return match
    marks = text_marks(match.text, wanted)
    return match.model_copy(update={"marks": marks, "marked": marked(match.text, marks)})


def _behind(scope: Scope, videos: list[Any], settings: Settings) -> list[str]:
    held = {r["video_id"]: r["stamp"] for r in scope.index.rows(STATE, None)}
    current = current_stamps(settings.data_dir, videos, persons_of(scope.folder))
    changed = sum(1 for vid, s in current.items() if vid in held and held[vid] != s)
    new = sum(1 for vid in current if vid not in held)
    gone = sum(1 for vid in held if not vid.startswith("~") and vid not in current)
    if not (changed or new or gone):
        return []
    parts = [
        f"{changed} video(s) changed" if changed else "",
        f"{new} new video(s) not indexed" if new else "",
        f"{gone} removed video(s) still indexed" if gone else "",
    ]
    return [
        f"the search index of '{scope.name}' is older than its artefacts "
        f"({', '.join(p for p in parts if p)}); results may be out of date: "
        f"run `deerin index -c {scope.name}`"
    ]


class _Run:
    """One query over one collection: each kind it asks for, as a ranked list."""

    def __init__(
        self,
        settings: Settings,
        scope: Scope,
        query: Query,
        methods: dict[str, str],
        shared: dict[str, ImageVector],
    ) -> None:
        self.settings = settings
        self.scope = scope
        self.query = query
        self.methods = methods
        self.shared = shared
        self.limit = settings.search.candidates
        self.people = _resolve_people(scope, query.filters.people)
        self.videos = _resolve_videos(scope, query.filters.videos)
        self.shots = _resolve_sets(settings, scope, query.filters.sets)
        self.like = _resolve_videos(scope, (query.like.video,), one=True)[0] if query.like else ""
        self.wanted = Wanted.of(query.terms, query.phrases)
        excluded = query.excluded
        self.unwanted = Wanted.of(
            tuple(e for e in excluded if " " not in e), tuple(e for e in excluded if " " in e)
        )

    def ranked(self) -> list[Ranked]:
        q = self.query
        if q.box and (q.has_text or q.image or q.like or q.face):
            raise QueryError(
                "a box on the map finds the places inside it; it cannot be combined with "
                "words or pictures",
                hint="search the box alone (filters may go with it)",
            )
        lists: list[Ranked] = []
        pictures = self.scope.index.table("shots") is not None  # sound only: no pictures
        if q.has_text and "words" in q.modes:
            lists += self._words()
            lists.append(self._named())
        if q.has_text and "meaning" in q.modes and q.filters.sources != ("tags",):
            lists.append(self._meaning())
        if q.has_text and "picture" in q.modes:
            text = " ".join((*q.terms, *q.phrases))
            index = self.scope.index
            lists.append(
                self._pictures(words_to_picture(text, index, self.settings)) if pictures else []
            )
        if q.image is not None:
            lists.append(
                self._pictures(self._once("image", self._image_vector)) if pictures else []
            )
        if q.like is not None:
            lists.append(self._pictures(self._shot_vector(), skip=(self.like, q.like.shot)))
        if q.face is not None:
            lists.append(self._faces(self._once("face", self._face_vector)))
        if not lists and self.people:
            lists.append(self._person())
        if not lists and (q.filters.places or q.box):
            lists.append(self._places())
        if not lists and (q.filters.scales or q.filters.has):
            lists.append(self._shot_listing())
        if not lists and q.filters.sources:
            raise QueryError(
                "in: says where to look for words; there are no words to look for",
                hint='add words or a "phrase", e.g. harbour in:speech',
            )
        if not lists:
            lists.append(self._videos())
        return lists

    def _once(self, name: str, make: Any) -> ImageVector:
        if name not in self.shared:
            self.shared[name] = make()
        return self.shared[name]

    def _image_vector(self) -> ImageVector:
        assert self.query.image is not None
        return picture_vector(open_picture(self.query.image, self.settings), self.settings)

    def _face_vector(self) -> ImageVector:
        assert self.query.face is not None
        image = open_picture(self.query.face, self.settings, "face photo")
        return face_vector(image, self.settings, _name(self.query.face))

    # -- the kinds --------------------------------------------------------------------
    def _words(self) -> list[Ranked]:
        from lancedb.query import BooleanQuery, MatchQuery, Occur, PhraseQuery

        def build(column: str) -> Any:
            must = []
            if self.query.terms:
                operator = "OR" if self.query.any_word else "AND"
                must.append(MatchQuery(" ".join(self.query.terms), column, operator=operator))
            must += [PhraseQuery(p, column) for p in self.query.phrases]
            clauses = [(Occur.MUST, m) for m in must]
            clauses += [(Occur.MUST_NOT, _excluded(e, column)) for e in self.query.excluded]
            return must[0] if len(clauses) == 1 else BooleanQuery(clauses)

        self.methods["words"] = "words (BM25 full text, phrases by position)"
        index, sources = self.scope.index, self.query.filters.sources
        asked = []  # (table, text column, how a row becomes a hit)
        if not sources or set(sources) - {"tags"}:
            asked.append(
                ("passages", "text", lambda r: self._passage(r, "words (BM25)", r["_score"]))
            )
        if not sources or "tags" in sources:
            asked.append(
                ("shots", "tags", lambda r: self._shot(r, "words (BM25, tags)", r["_score"]))
            )

        def one(table: str, column: str) -> list[dict[str, Any]]:
            where = self.where(table)
            return index.text_search(table, build(column), where, self.limit, COLUMNS[table])

        # Both tables at once: LanceDB searches without holding the GIL.
        found = list(POOL.map(lambda a: one(a[0], a[1]), asked))
        return [[hit(r) for r in rows] for (_, _, hit), rows in zip(asked, found, strict=True)]

    def _meaning(self) -> Ranked:
        embedder = open_model("text_embeddings", self.settings)
        self.methods["meaning"] = f"meaning ({embedder.name} text embeddings)"
        vector = _query_vector(embedder, " ".join((*self.query.terms, *self.query.phrases)))
        rows = self.scope.index.vector_search(
            "passages", vector, "vector", self.where("passages"), self.limit, COLUMNS["passages"]
        )
        found = []
        for row in rows:
            similarity = 1.0 - row["_distance"]
            if similarity >= MEANING_FLOOR and not self._excluded_in(row["text"]):
                found.append(self._passage(row, "meaning", similarity, exact=False))
        return found

    def _pictures(self, image: ImageVector, skip: tuple[str, int] | None = None) -> Ranked:
        self.methods["picture"] = image.method
        rows = self.scope.index.vector_search(
            "shots", image.vector, "vector", self.where("shots"), self.limit + 1, COLUMNS["shots"]
        )
        found = []
        for row in rows:
            if (row["video_id"], row["shot"]) == skip:
                continue
            found.append(self._shot(row, image.method, 1.0 - row["_distance"]))
        return found[: self.limit]

    def _faces(self, face: ImageVector) -> Ranked:
        self.methods["person"] = face.method
        rows = self.scope.index.vector_search(
            "faces", face.vector, "vector", self.where("faces"), self.limit, COLUMNS["faces"]
        )
        floor = self.settings.faces.same_person
        return [
            self._face(r, face.method, 1.0 - r["_distance"])
            for r in rows
            if 1.0 - r["_distance"] >= floor
        ]

    def _person(self, people: list[str] | None = None, method: str = "person") -> Ranked:
        """Every face of the people asked for (``person:``, or named by the words)."""
        self.methods["person"] = "person (faces grouped by the people step)"
        where = where_clause("faces", self.query, people or self.people, self.videos, self.shots)
        rows = self.scope.index.rows("faces", where, self.limit * 5, COLUMNS["faces"])
        rows.sort(key=lambda r: (r["file"], r["start"]))
        return [self._face(r, method, 1.0) for r in rows]

    def _named(self) -> Ranked:
        """People of the collection whose name holds every word searched: the people
        are units of the index too, so typing a name finds where that person is seen."""
        words = {stem(w) for text in (*self.query.terms, *self.query.phrases)
                 for w in WORD.findall(text)}  # fmt: skip
        people = self.scope.people.people if self.scope.people else []
        named = [p for p in people if p.name and words <= {stem(w) for w in WORD.findall(p.name)}]
        if not named:
            return []
        label = ", ".join(sorted({p.name or p.id for p in named}))
        return self._person([p.id for p in named], f"person (named {label})")

    def _shot_listing(self) -> Ranked:
        self.methods["filter"] = "shot filters (scale, faces, text, speech)"
        rows = self.scope.index.rows("shots", self.where("shots"), self.limit, COLUMNS["shots"])
        rows.sort(key=lambda r: (r["file"], r["start"]))
        return [self._shot(r, "shot filters", 1.0) for r in rows]

    def _places(self) -> Ranked:
        self.methods["place"] = "place (named in speech, subtitles or on screen)"
        rows = self.scope.index.rows("places", self.where("places"), self.limit, COLUMNS["places"])
        rows.sort(key=lambda r: (r["file"], r["start"]))
        return [self._place(r) for r in rows]

    def _videos(self) -> Ranked:
        self.methods["filter"] = "catalogue filters"
        rows = self.scope.index.rows("videos", self.where("videos"), self.limit, COLUMNS["videos"])
        rows.sort(key=lambda r: r["file"])
        return [self._video(r) for r in rows]

    def _shot_vector(self) -> ImageVector:
        like = self.query.like
        assert like is not None
        where = f"video_id = {sql_text(self.like)} AND shot = {int(like.shot)}"
        rows = self.scope.index.rows("shots", where, 1, ["vector", "file"])
        if not rows:
            raise QueryError(
                f"shot {like.shot} of {like.video} is not in the index",
                hint="give a shot number from the video's shot list (`deerin export VIDEO`)",
            )
        vector = np.asarray(rows[0]["vector"], dtype=np.float32)
        return ImageVector(vector, f"picture (more like shot {like.shot} of {rows[0]['file']})")

    # -- filters ----------------------------------------------------------------------
    def where(self, table: str) -> str | None:
        return where_clause(table, self.query, self.people, self.videos, self.shots)

    def _excluded_in(self, text: str) -> bool:
        return bool(self.unwanted) and bool(text_marks(text, self.unwanted))

    # -- rows into hits -----------------------------------------------------------------
    def _hit(self, row: dict[str, Any], match: Match, start: float, end: float) -> Hit:
        shot = row.get("shot")
        return Hit(
            collection=self.scope.name,
            video_id=row["video_id"],
            file=row["file"],
            media=row["media"],
            start=start,
            end=end,
            score=0.0,
            methods=[match.method],
            matches=[match],
            shot=shot if shot is not None and shot >= 0 else None,
            thumbnail=row.get("thumb") or None,
            year=row.get("year"),
            scale=row.get("scale") or None,
            lang=row.get("lang") or None,
            people=list(row.get("people") or ([row["person"]] if row.get("person") else [])),
        )

    def _passage(self, row: dict[str, Any], method: str, score: float, exact: bool = True):
        text, start, end = row["text"], row["start"], row["end"]
        words = None
        if row["source"] == "speech" and row["words"]:
            spoken = json.loads(row["words"])
            chosen = set(word_marks(spoken, self.wanted)) if exact else set()
            words = [HitWord(word=w[2], start=w[0], end=w[1], match=i in chosen)
                     for i, w in enumerate(spoken)]  # fmt: skip
            if chosen:
                start, end = spoken[min(chosen)][0], spoken[max(chosen)][1]
        match = Match(
            kind=row["source"], start=start, end=end, text=text, marked=text, marks=[], words=words,
            method=method, score=float(score),
        )  # fmt: skip
        key = f"p:{self.scope.name}:{row['video_id']}:{row['source']}:{row['start']:.3f}:{text}"
        return key, self._hit(row, match, start, end)

    def _shot(self, row: dict[str, Any], method: str, score: float):
        said = [f"tags: {row['tags']}" if row["tags"] else ""]
        said += [f"on screen: {row['text']}" if row["text"] else ""]
        said += [f"caption: {row['caption']}" if row["caption"] else ""]
        text = " · ".join(s for s in said if s) or f"shot {row['shot']}"
        match = Match(
            kind="shot", start=row["start"], end=row["end"], text=text, marked=text, marks=[],
            words=None, method=method, score=float(score),
        )  # fmt: skip
        key = f"s:{self.scope.name}:{row['video_id']}:{row['shot']}"
        return key, self._hit(row, match, row["start"], row["end"])

    def _face(self, row: dict[str, Any], method: str, score: float):
        names = self.scope.names()
        text = names.get(row["person"]) or row["person"] or "an unnamed face"
        match = Match(
            kind="face", start=row["start"], end=row["end"], text=text, marked=text, marks=[],
            words=None, method=method, score=float(score),
        )  # fmt: skip
        return f"f:{self.scope.name}:{row['video_id']}:{row['face']}", self._hit(
            row, match, row["start"], row["end"]
        )

    def _place(self, row: dict[str, Any]):
        context = row["context"] or row["name"]
        at = context.lower().find(row["name"].lower())
        marks = [(at, at + len(row["name"]))] if at >= 0 else []
        match = Match(
            kind="place", start=row["start"], end=row["end"], text=context,
            marked=marked(context, marks), marks=marks, words=None,
            method=f"place ({row['name']}: {row['lat']:.3f}, {row['lon']:.3f})", score=1.0,
        )  # fmt: skip
        key = f"l:{self.scope.name}:{row['video_id']}:{row['start']:.3f}:{row['name']}"
        return key, self._hit(row, match, row["start"], row["end"])

    def _video(self, row: dict[str, Any]):
        record = json.loads(row["metadata"] or "{}")
        text = " · ".join(f"{k}: {v}" for k, v in record.items() if v) or row["file"]
        match = Match(
            kind="video", start=0.0, end=row["duration"], text=text, marked=text, marks=[],
            words=None, method="catalogue filters", score=1.0,
        )  # fmt: skip
        return f"v:{self.scope.name}:{row['video_id']}", self._hit(row, match, 0.0, row["duration"])


def wide_searcher(
    settings: Settings, collection: str | None, candidates: int = MOST_CANDIDATES
) -> Searcher:
    """A searcher of one collection (or all) fetching ``candidates`` hits per kind of
    query: a supercut or a sequence wants every hit, not a page of the best."""
    wide = settings.model_copy(
        update={"search": settings.search.model_copy(update={"candidates": candidates})}
    )
    return Searcher(wide, [collection] if collection else None)


class NotInCollection(QueryError):
    """A person or video one collection does not have (another searched may)."""


def _name(source: Path | bytes) -> str:
    return str(source) if isinstance(source, Path) else "the uploaded picture"


def _excluded(text: str, column: str) -> Any:
    from lancedb.query import MatchQuery, PhraseQuery

    return PhraseQuery(text, column) if " " in text else MatchQuery(text, column)


def _resolve_people(scope: Scope, wanted: tuple[str, ...]) -> list[str]:
    """Person ids from ids or names (a name may match several people: all of them)."""
    if not wanted:
        return []
    people = scope.people.people if scope.people else []
    found: list[str] = []
    for text in wanted:
        folded = text.casefold()
        ids = [p.id for p in people if p.id.casefold() == folded]
        ids = ids or [p.id for p in people if p.name and p.name.casefold() == folded]
        ids = ids or [p.id for p in people if p.name and folded in p.name.casefold()]
        if not ids:
            known = [p.name or p.id for p in people]
            guess = closest(text, known)
            raise NotInCollection(
                f"there is no person '{text}' in collection '{scope.name}'",
                hint=f"did you mean '{guess}'?" if guess else "see `deerin people list`",
            )
        found += ids
    return found


def _resolve_videos(scope: Scope, wanted: tuple[str, ...], one: bool = False) -> list[str]:
    """Video ids from ids (or their start) and file names (``one``: each must name one)."""
    if not wanted:
        return []
    rows = scope.index.rows("videos", None, columns=["video_id", "file"])
    found: list[str] = []
    for text in wanted:
        folded = text.casefold()
        ids = [r["video_id"] for r in rows if len(text) >= 4 and r["video_id"].startswith(text)]
        ids = ids or [r["video_id"] for r in rows if r["file"].casefold() == folded]
        ids = ids or [r["video_id"] for r in rows if folded in r["file"].casefold()]
        if not ids:
            guess = closest(text, [r["file"] for r in rows])
            raise NotInCollection(
                f"there is no video '{text}' in collection '{scope.name}'",
                hint=f"did you mean '{guess}'?" if guess else "give an id or a file name",
            )
        if one and len(ids) > 1:
            names = ", ".join(sorted(r["file"] for r in rows if r["video_id"] in ids)[:5])
            raise QueryError(f"'{text}' names several videos: {names}", hint="give more of it")
        found += ids
    return found


def _resolve_sets(
    settings: Settings, scope: Scope, names: tuple[str, ...]
) -> dict[str, set[int]] | None:
    """The shots of the named sets, by video (None: no set asked for)."""
    if not names:
        return None
    shots: dict[str, set[int]] = {}
    for name in names:
        try:
            chosen = shot_set(settings, scope.name, name)
        except UnknownSet as exc:  # another collection may have it
            raise NotInCollection(exc.problem, hint=exc.hint) from None
        for shot in chosen.shots:
            shots.setdefault(shot.video_id, set()).add(shot.shot)
    return shots


def where_clause(
    table: str,
    query: Query,
    people: list[str],
    videos: list[str],
    shots: dict[str, set[int]] | None = None,
) -> str | None:
    """The filters as one SQL condition over ``table``'s columns (None: no filter)."""
    f = query.filters
    parts: list[str] = []
    add = parts.append
    if videos:
        add(f"video_id IN ({_list(videos)})")
    if shots is not None:  # a set's shots (the video alone, for the videos table)
        add(_any([_in_shots(table, video, numbers) for video, numbers in shots.items()]))
    if f.years:
        add(f"year >= {int(f.years[0])} AND year <= {int(f.years[1])}")
    if f.dates:
        add(_any([f"date LIKE {_like_pattern(d, '', '%')}" for d in f.dates]))
    if f.identifiers:
        add(f"identifier IN ({_list(f.identifiers)})")
    if f.rights:
        add(_any([f"lower(rights) LIKE {_like_pattern(r.lower(), '%', '%')}" for r in f.rights]))
    if f.duration:
        add(f"length >= {float(f.duration[0])} AND length <= {float(f.duration[1])}")
    if f.media:
        add(f"media IN ({_list(f.media)})")
    if f.places and table == "places":  # the mentions of that place, not their neighbours
        add(f"lower(name) IN ({_list([p.lower() for p in f.places])})")
    elif f.places:  # elsewhere: in videos that mention it
        add(f"array_has_any(places, [{_list([p.lower() for p in f.places])}])")
    if table == "places" and query.box:
        south, west, north, east = query.box
        add(f"lat >= {south} AND lat <= {north} AND lon >= {west} AND lon <= {east}")
    if table == "passages":
        _passage_filters(f, parts)
    elif table == "shots":
        _shot_filters(f, parts)
    elif f.langs:
        add(f"array_has_any(langs, [{_list(f.langs)}])")
    if people:
        if table in ("shots", "passages"):
            add(f"array_has_any(people, [{_list(people)}])")
        elif table == "faces":
            add(f"person IN ({_list(people)})")
    return " AND ".join(f"({p})" for p in parts) or None


def _in_shots(table: str, video: str, numbers: set[int]) -> str:
    if table == "videos":
        return f"video_id = {sql_text(video)}"
    return f"video_id = {sql_text(video)} AND shot IN ({', '.join(map(str, sorted(numbers)))})"


def _passage_filters(f: Filters, parts: list[str]) -> None:
    sources = [s for s in f.sources if s != "tags"]
    if sources:
        parts.append(f"source IN ({_list(sources)})")
    has = {"speech": "source = 'speech'", "text": "source = 'text'",
           "faces": "array_length(people) > 0"}  # fmt: skip
    if f.has:
        parts.append(_any([has[h] for h in f.has]))
    if f.langs:  # the passage's own language, else (a text on screen) its video's
        langs = _list(f.langs)
        parts.append(f"lang IN ({langs}) OR (lang = '' AND array_has_any(langs, [{langs}]))")
    if f.scales:
        parts.append(f"scale IN ({_list(f.scales)})")


def _shot_filters(f: Filters, parts: list[str]) -> None:
    if f.has:
        parts.append(_any([f"has_{h} = true" for h in f.has]))
    if f.scales:
        parts.append(f"scale IN ({_list(f.scales)})")
    if f.langs:
        parts.append(f"array_has_any(langs, [{_list(f.langs)}])")


def _like_pattern(value: str, before: str, after: str) -> str:
    """A LIKE pattern matching ``value`` literally (its % and _ are no wildcards)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{sql_text(before + escaped + after)} ESCAPE '\\'"


def _list(values: Any) -> str:
    return ", ".join(sql_text(str(v)) for v in values)


def _any(conditions: list[str]) -> str:
    return " OR ".join(f"({c})" for c in conditions)


@lru_cache(maxsize=1024)
def _query_vector(embedder: Any, text: str) -> np.ndarray:
    """A query's text vector, kept: the next page, a facet clicked and every collection
    searched ask for the same one (embedding it is half of a search's time on a CPU)."""
    return embedder.embed([text])[0]
