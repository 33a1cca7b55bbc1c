"""The collection's graph: who and what appears with whom, each link with its moments.

Microsoft's GraphRAG and LightRAG have a language model read every document to find its
entities and relations: costly, and unverifiable. Enrichment already found the people
(face clusters, and names said), the places, the organisations and the subjects of every
film, each at a time; so the graph is built from those moments with no model at all.

* **Nodes**: people (a face cluster, named or not; a name said that is nobody's face),
  entities (organisations, groups, events…), places (resolved or not), subjects (a
  video's keywords, timed where its words say them), videos and programmes (the
  catalogue's ``programme`` or ``series``).
* **Edges**: ``together``, two nodes within ``graph.window`` seconds of one video (or in
  one shot); ``in``, a node in a video; ``part_of``, a video in its programme. Every edge
  keeps the first moments that show it (video, time, what is said there).
* **Relations**: when a language model server is set (``llm.endpoint``), it reads the
  passages naming two or more nodes and the relations it names are added, marked
  ``by: model`` to be checked.
* **Communities**: Louvain over the ``together`` edges (networkx), each with a short
  summary made of its most mentioned members and the films they are in.

It is a collection step after the search index (:class:`GraphStep`), so it reads the
index's rows and each video's entities through the artefact reader.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.artefacts import ArtefactError
from deerin.index.catalogue import VideoRow
from deerin.index.schemas import Entities, People
from deerin.index.schemas.graph import (
    Community,
    Evidence,
    GraphEdge,
    GraphNode,
    KnowledgeGraph,
)
from deerin.index.search_index import STATE, SearchIndex, sql_text
from deerin.index.store import CollectionFolder, VideoFolder
from deerin.plugins.stage import StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep
from deerin.retrieve.places import PLACE_LABELS
from deerin.settings import Settings

SKIPPED_LABELS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}
KEYWORDS_PER_VIDEO = 8
MEMBERS_SHOWN = 12
RELATION_WORDS = 6  # a relation longer than this is a sentence, not a relation
Say = Callable[[str], None]


@dataclass(frozen=True)
class Moment:
    """One node seen, said or shown at one time of one video."""

    node: str
    video_id: str
    start: float
    end: float
    shot: int
    source: str
    text: str


def normal(name: str) -> str:
    """A name as a key: lower case, one-spaced, no punctuation around it."""
    return " ".join(re.sub(r"[^\w\s'-]", " ", name.lower()).split())


class GraphBuilder:
    """Collects nodes and moments video by video, then links them."""

    def __init__(self, settings: Settings, people: People | None) -> None:
        self.settings = settings
        self.nodes: dict[str, GraphNode] = {}
        self.moments: list[Moment] = []
        self.edges: dict[tuple[str, str, str, str], list[Evidence]] = defaultdict(list)
        self.weights: Counter[tuple[str, str, str, str]] = Counter()
        self.per_video: dict[tuple[str, str, str, str], Counter[str]] = defaultdict(Counter)
        self.named_faces: dict[str, str] = {}  # normal(name) → person node of that face
        # (video, start, end, text) of a passage → the names said in it and their nodes
        self.named: dict[tuple[str, float, float, str], dict[str, str]] = {}
        self.notes: list[str] = []
        for person in people.people if people else []:
            label = person.name or f"unnamed person {person.id}"
            self._node(f"person:{person.id}", "person", label, "face" if person.name else "")
            if person.name:
                self.named_faces[normal(person.name)] = f"person:{person.id}"

    def _node(self, node_id: str, kind: str, label: str, detail: str = "", **at: Any) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = GraphNode(
                id=node_id, kind=kind, label=label, detail=detail, mentions=0, videos=0, **at
            )  # type: ignore[arg-type]
        return node_id

    # -- what each video holds ----------------------------------------------------------
    def add_video(self, video: VideoRow, index: SearchIndex, data_dir: Path) -> None:
        """Every moment of one video: its faces, its names and places, its subjects."""
        title = video.metadata.get("title") or Path(video.path).name
        year = str(video.year) if video.year else ""
        video_node = self._node(f"video:{video.id}", "video", title, year)
        found: list[Moment] = []
        found += self._faces(video.id, index)
        passages = index.rows(
            "passages",
            f"video_id = {sql_text(video.id)}",
            None,
            ["source", "start", "end", "text", "shot"],
        )
        entities = _entities(data_dir, video.id, self.notes)
        if entities is not None:
            found += self._entities(video.id, entities, passages)
            found += self._subjects(video.id, entities, passages)
        self.moments += found
        self._link_in(video_node, found)
        self._link_together(sorted(found, key=lambda m: (m.start, m.node)))
        programme = video.metadata.get("programme") or video.metadata.get("series")
        if programme:
            node = self._node(f"programme:{normal(str(programme))}", "programme", str(programme))
            duration = float(video.duration or 0.0)
            kept = self._link(video_node, node, "part_of", 1, video.id)
            if self._room(kept) > 0:
                kept.append(Evidence(video_id=video.id, start=0.0, end=duration, source="metadata"))

    def _faces(self, video_id: str, index: SearchIndex) -> list[Moment]:
        """One moment per person per shot (a face is detected on many frames)."""
        rows = index.rows(
            "faces", f"video_id = {sql_text(video_id)}", None, ["person", "shot", "start", "end"]
        )
        spans: dict[tuple[str, int], list[float]] = {}
        for row in rows:
            if row["person"] and f"person:{row['person']}" in self.nodes:
                spans.setdefault((row["person"], row["shot"]), []).append(row["start"])
        return [
            Moment(f"person:{person}", video_id, min(times), max(times), shot, "face",
                   f"{self.nodes[f'person:{person}'].label} on screen")
            for (person, shot), times in spans.items()
        ]  # fmt: skip

    def _entities(
        self, video_id: str, entities: Entities, passages: list[dict[str, Any]]
    ) -> list[Moment]:
        found = []
        for entity in entities.entities:
            node = self._entity_node(entity.text, entity.label, entity.place)
            if node is None:
                continue
            passage = _passage_at(passages, entity.start)
            shot = int(passage["shot"]) if passage and passage["shot"] is not None else -1
            if passage is not None:  # what a model may read for relations
                where = (video_id, passage["start"], passage["end"], passage["text"])
                self.named.setdefault(where, {})[entity.text.strip()] = node
            found.append(
                Moment(
                    node, video_id, entity.start, entity.end, shot, entity.source, entity.context
                )
            )
        return found

    def _entity_node(self, text: str, label: str, place: Any) -> str | None:
        key = normal(text)
        if label in SKIPPED_LABELS or len(key) < 2 or not re.search(r"[^\W\d_]", key):
            return None
        if place is not None:
            return self._node(
                f"place:{place.geonameid}",
                "place",
                place.name,
                place.country_code,
                lat=place.lat,
                lon=place.lon,
            )
        if label in PLACE_LABELS:
            return self._node(f"place:name:{key}", "place", text.strip(), "no coordinates")
        if label == "PERSON":
            return self.named_faces.get(key) or self._node(
                f"name:{key}", "person", text.strip(), "named"
            )
        return self._node(f"entity:{label}:{key}", "entity", text.strip(), label)

    def _subjects(
        self, video_id: str, entities: Entities, passages: list[dict[str, Any]]
    ) -> list[Moment]:
        """A video's keywords, each timed by the passages that say it."""
        found = []
        words = [p for p in passages if p["source"] not in ("metadata", "summary")]
        best = sorted(entities.keywords, key=lambda k: -k.score)[:KEYWORDS_PER_VIDEO]
        for keyword in best:
            pattern = re.compile(rf"\b{re.escape(keyword.term)}\b", re.IGNORECASE)
            said = [p for p in words if pattern.search(p["text"] or "")]
            if not said:
                continue
            node = self._node(f"subject:{normal(keyword.term)}", "subject", keyword.term)
            found += [
                Moment(node, video_id, p["start"], p["end"], p["shot"], p["source"], p["text"])
                for p in said
            ]
        return found

    # -- links ----------------------------------------------------------------------------
    def _link(
        self, a: str, b: str, kind: str, count: int, video: str, relation: str = ""
    ) -> list[Evidence]:
        """Count ``count`` more moments of ``video`` on a link; returns its evidence list,
        which callers add to only while it has room (a moment's Evidence is made only if
        kept)."""
        key = (*sorted((a, b)), kind, relation) if kind == "together" else (a, b, kind, relation)
        self.weights[key] += count  # type: ignore[index]
        self.per_video[key][video] += count  # type: ignore[index]
        return self.edges[key]  # type: ignore[index]

    def _room(self, kept: list[Evidence]) -> int:
        return self.settings.graph.evidence - len(kept)

    def _link_in(self, video_node: str, moments: list[Moment]) -> None:
        by_node: dict[str, list[Moment]] = defaultdict(list)
        for moment in moments:
            by_node[moment.node].append(moment)
        for node, seen in by_node.items():
            target = self.nodes[node]
            target.mentions += len(seen)
            target.videos += 1
            kept = self._link(node, video_node, "in", len(seen), seen[0].video_id)
            kept += [_evidence(m) for m in seen[: max(self._room(kept), 0)]]

    def _link_together(self, moments: list[Moment]) -> None:
        """Pairs of different nodes within the window of each other, or in one shot."""
        window = self.settings.graph.window
        in_shot: dict[int, list[int]] = defaultdict(list)
        for i, moment in enumerate(moments):
            if moment.shot >= 0:
                in_shot[moment.shot].append(i)
        seen: set[tuple[str, str, float, float]] = set()  # one moment counts once per link
        for i, first in enumerate(moments):
            near = set(in_shot.get(first.shot, []) if first.shot >= 0 else [])
            for j in range(i + 1, len(moments)):
                if moments[j].start - first.start > window:
                    break
                near.add(j)
            for j in sorted(k for k in near if k > i):
                second = moments[j]
                a, b = sorted((first.node, second.node))
                if a == b or _both_subjects(a, b):
                    continue
                span = _span(first, second)
                if (a, b, *span) not in seen:
                    seen.add((a, b, *span))
                    kept = self._link(a, b, "together", 1, first.video_id)
                    if self._room(kept) > 0:
                        kept.append(_joined(first, second, span))

    # -- relations read by a language model ---------------------------------------------
    def add_relations(self, ask: Callable[[str, str], str], most: int) -> int:
        """Relations a model names between the names a passage holds; returns how many."""
        added = 0
        chosen = [(key, names) for key, names in self.named.items() if len(set(names.values())) > 1]
        for (video_id, start, end, text), names in chosen[:most]:
            known = {name.lower(): node for name, node in names.items()}
            answer = ask(RELATIONS_SYSTEM, _relations_prompt(sorted(names), text))
            for a, relation, b in _relations(answer):
                first, second = known.get(a.lower()), known.get(b.lower())
                if first is None or second is None or first == second:
                    continue
                kept = self._link(first, second, "relation", 1, video_id, relation)
                if self._room(kept) > 0:
                    kept.append(Evidence(video_id=video_id, start=start, end=end, source="model",
                                         text=text))  # fmt: skip
                added += 1
        return added

    # -- the result -----------------------------------------------------------------------
    def graph(self, videos: int, shots: int, notes: list[str], model: str | None) -> KnowledgeGraph:
        edges = [
            GraphEdge(
                source=a, target=b, kind=kind, relation=relation, by=_by(kind),
                weight=self.weights[key], videos=dict(self.per_video[key]),
                evidence=sorted(self.edges[key], key=lambda e: (e.video_id, e.start)),
            )
            for key in self.weights
            for a, b, kind, relation in [key]
        ]  # fmt: skip
        nodes = [n for n in self.nodes.values() if n.mentions or n.kind in ("video", "programme")]
        communities = communities_of(nodes, edges, self.settings.map.seed)
        return KnowledgeGraph(
            window=self.settings.graph.window,
            videos=videos,
            shots=shots,
            nodes=sorted(nodes, key=lambda n: (-n.mentions, n.id)),
            edges=sorted(edges, key=lambda e: (-e.weight, e.source, e.target)),
            communities=communities,
            model=model,
            notes=notes,
        )


RELATIONS_SYSTEM = (
    "You read a passage and the names in it. List how the names are related in the "
    "passage, one per line, as: NAME | relation | NAME. Use only the names given, exactly "
    "as written. Write nothing else. If the passage relates none, write NONE."
)


def _relations_prompt(labels: list[str], text: str) -> str:
    return f"Names: {'; '.join(labels)}\nPassage: {text}"


def _relations(answer: str) -> list[tuple[str, str, str]]:
    """The model's lines ``A | relation | B`` (anything else is ignored)."""
    found = []
    for line in answer.splitlines():
        parts = [p.strip(" -*.\t\"'") for p in line.split("|")]
        if len(parts) == 3 and all(parts) and len(parts[1].split()) <= RELATION_WORDS:
            found.append((parts[0], parts[1].lower(), parts[2]))
    return found


def _both_subjects(a: str, b: str) -> bool:
    """Two keywords of one sentence say nothing about each other: no link."""
    return a.startswith("subject:") and b.startswith("subject:")


def _by(kind: str) -> str:
    if kind == "relation":
        return "model"
    return "catalogue" if kind == "part_of" else "co-occurrence"


def _evidence(moment: Moment) -> Evidence:
    return Evidence(
        video_id=moment.video_id,
        start=moment.start,
        end=moment.end,
        source=moment.source,
        text=moment.text,
    )


def _span(a: Moment, b: Moment) -> tuple[float, float]:
    """Where the moment showing both is: the words, if one of them is said (a face is on
    screen around them), else the stretch holding both."""
    said = [m for m in (a, b) if m.source != "face"]
    if len(said) == 1:
        return said[0].start, said[0].end
    return min(a.start, b.start), max(a.end, b.end)


def _joined(a: Moment, b: Moment, span: tuple[float, float]) -> Evidence:
    """The evidence of two moments together, with what is said there."""
    said = [m.text for m in (a, b) if m.text and m.source != "face"]
    texts = said or [m.text for m in (a, b) if m.text]
    return Evidence(
        video_id=a.video_id,
        start=span[0],
        end=span[1],
        source="+".join(sorted({a.source, b.source})),
        text=texts[0] if texts else "",
    )


def _passage_at(passages: list[dict[str, Any]], time: float) -> dict[str, Any] | None:
    """The passage read or heard at ``time`` (not the catalogue record)."""
    return next(
        (p for p in passages if p["start"] <= time <= p["end"] and p["source"] != "metadata"),
        None,
    )


def _entities(data_dir: Path, video_id: str, notes: list[str]) -> Entities | None:
    """The video's entities (None where that stage did not run, or its file is damaged:
    noted, and the rest of the collection still makes its graph)."""
    try:
        return artefacts.read_if_there(VideoFolder.for_video(data_dir, video_id), Entities)
    except ArtefactError as exc:
        notes.append(f"{video_id[:8]}: entities not read ({exc.problem})")
        return None


def communities_of(nodes: list[GraphNode], edges: list[GraphEdge], seed: int) -> list[Community]:
    """Louvain communities of the ``together`` links; each node learns its community."""
    graph = nx.Graph()
    linked = [e for e in edges if e.kind in ("together", "relation")]
    for edge in linked:
        weight = graph.get_edge_data(edge.source, edge.target, {}).get("weight", 0)
        graph.add_edge(edge.source, edge.target, weight=weight + edge.weight)
    if not graph.number_of_edges():
        return []
    groups = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    by_id = {n.id: n for n in nodes}
    videos_of = _videos_of(edges)
    found = []
    ordered = sorted(groups, key=lambda g: (-len(g), min(g)))
    for number, members in enumerate(m for m in ordered if len(m) >= 2):
        ranked = sorted(members, key=lambda n: (-by_id[n].mentions, n))
        for node in ranked:
            by_id[node].community = number
        found.append(
            Community(
                id=number,
                size=len(members),
                members=ranked[:MEMBERS_SHOWN],
                summary=_summary([by_id[n] for n in ranked], videos_of, by_id),
                summary_by="template",
            )
        )
    return found


def _videos_of(edges: list[GraphEdge]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.kind == "in":
            found[edge.source].add(edge.target)
    return found


def _summary(
    members: list[GraphNode], videos_of: dict[str, set[str]], by_id: dict[str, GraphNode]
) -> str:
    """'Eileen Collins, Lisbon and the United Nations: 2 films (1962–1968), …'"""
    names = [m.label for m in members[:4]]
    lead = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    videos = set().union(*(videos_of.get(m.id, set()) for m in members))
    films = sorted(videos, key=lambda v: (-sum(v in videos_of.get(m.id, ()) for m in members), v))
    years = sorted(int(by_id[v].detail) for v in videos if v in by_id and by_id[v].detail.isdigit())
    span = f" ({years[0]}–{years[-1]})" if years and years[0] != years[-1] else (
        f" ({years[0]})" if years else "")  # fmt: skip
    titles = "; ".join(by_id[v].label for v in films[:3] if v in by_id)
    count = f"{len(videos)} film{'s' if len(videos) != 1 else ''}"
    return f"{lead}: {count}{span}" + (f", e.g. {titles}" if titles else "")


# -- the collection step --------------------------------------------------------------------
def build_graph(
    settings: Settings, collection: str, videos: list[VideoRow], say: Say = lambda _: None
) -> KnowledgeGraph:
    """The graph of a collection from its search index and entities."""
    index = SearchIndex.open(settings, collection)
    folder = CollectionFolder.for_collection(settings.data_dir, collection)
    people = artefacts.read(folder, People) if folder.path(People.file).exists() else None
    builder = GraphBuilder(settings, people)
    for number, video in enumerate(videos, 1):
        builder.add_video(video, index, settings.data_dir)
        if number % 100 == 0:
            say(f"{number} of {len(videos)} videos read")
    notes = builder.notes
    model = _add_model_relations(settings, builder, notes)
    table = index.table("shots")
    shots = table.count_rows() if table is not None else 0
    return builder.graph(len(videos), shots, notes, model)


def _add_model_relations(settings: Settings, builder: GraphBuilder, notes: list[str]) -> str | None:
    """Relations from the model at ``llm.endpoint`` (never the small bundled one, which
    invents them); a server that fails leaves the graph without them and says so."""
    if not settings.llm.endpoint or settings.graph.relations == 0:
        return None
    from deerin.models.llm import open_language_model

    try:
        model = open_language_model(settings)
        added = builder.add_relations(
            lambda system, prompt: model.generate(system, prompt, 200).text,
            settings.graph.relations,
        )
    except DeerinError as exc:
        notes.append(f"no relations read by the language model: {exc.problem}")
        return None
    notes.append(f"{added} relations read by {model.name}: check them against their passages")
    return model.name


def read_graph(settings: Settings, collection: str) -> KnowledgeGraph:
    """A collection's graph; a clear error when it has none yet."""
    folder = CollectionFolder.named(settings.data_dir, collection)
    try:
        changed = folder.path(KnowledgeGraph.file).stat().st_mtime_ns
    except OSError:
        raise DeerinError(
            f"collection '{collection}' has no graph yet",
            hint=f"run `deerin graph -c {collection}` (ingest makes it too)",
        ) from None
    return _graph_read(folder.root, changed)


@lru_cache(maxsize=8)
def _graph_read(folder: Path, changed: int) -> KnowledgeGraph:
    """The graph as written at ``changed``: a server answering questions about the whole
    collection reads it once, not once a question (callers never change it)."""
    return artefacts.read(CollectionFolder(folder), KnowledgeGraph)


class GraphStep(CollectionStep):
    """The graph as a collection step: after the search index, whose rows it reads."""

    name = "graph"
    version = "1"
    requires = ("probe",)
    optional = ("faces", "transcript", "subtitles", "text", "entities")

    def params(self) -> dict[str, Any]:
        return {
            "graph": self.settings.graph.model_dump(mode="json"),
            "seed": self.settings.map.seed,
            "llm": [self.settings.llm.endpoint, self.settings.models.language_model],
        }

    def fingerprint(self, ctx: CollectionContext) -> str:
        """Also the index's state and who the people are (a name given links a face to
        the name said)."""
        try:
            table = SearchIndex.open(self.settings, ctx.collection).table(STATE)
        except DeerinError:
            table = None
        state = table.version if table is not None else ""
        people = ctx.path(People.file)
        named = people.read_bytes() if people.exists() else b""
        basis = f"{super().fingerprint(ctx)}:{state}:{hashlib.sha256(named).hexdigest()}"
        return hashlib.sha256(basis.encode()).hexdigest()[:16]

    def run(self, ctx: CollectionContext) -> StageOutput:
        graph = build_graph(self.settings, ctx.collection, ctx.videos, ctx.say)
        ctx.write(KnowledgeGraph, graph)
        kinds = Counter(n.kind for n in graph.nodes)
        method = {"links": f"co-occurrence within {graph.window:g} s or one shot",
                  "communities": "Louvain (networkx)"}  # fmt: skip
        if graph.model:
            method["relations"] = f"language model {graph.model}"
        summary = {"nodes": len(graph.nodes), "edges": len(graph.edges),
                   "communities": len(graph.communities), **dict(kinds)}  # fmt: skip
        return StageOutput(method=method, summary=summary)
