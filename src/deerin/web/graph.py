"""The collection's graph over HTTP: what it holds, finding a node, a node's neighbourhood
with every moment that shows a link (the film's title, its file, a link to that moment),
and the graph as GraphML or CSV to open in Gephi, Cytoscape or a spreadsheet.

The graph is one file (``collections/<name>/graph.json``) read once and kept until it
changes (its modification time), so a person clicking from node to node costs no reads.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from deerin.errors import DeerinError
from deerin.export.graph import graph_csv, graph_graphml
from deerin.index.catalogue import collection_videos
from deerin.index.schemas.graph import Evidence, GraphEdge, GraphNode, KnowledgeGraph, NodeKind
from deerin.retrieve.graph import read_graph
from deerin.retrieve.graph_queries import NEIGHBOURHOOD, GraphIndex
from deerin.settings import Settings
from deerin.web.errors import NotFound
from deerin.web.library import download_name
from deerin.web.map import known

TOP = 30  # the most mentioned nodes the page starts from
FOUND = 20  # nodes a search box lists
MOMENTS = 60  # a node's own moments shown beside its neighbourhood


class NodeRef(BaseModel):
    """A node as a list names it."""

    id: str
    label: str
    kind: NodeKind


class CommunityView(BaseModel):
    """A community with its members named (most mentioned first, at most 12)."""

    id: int
    size: int
    summary: str
    summary_by: str = Field(description="template, or model (to be checked).")
    members: list[NodeRef]


class GraphSummary(BaseModel):
    """What a collection's graph holds: the graph page's starting point."""

    collection: str
    window: float = Field(description="Seconds within which two moments count as together.")
    videos: int
    shots: int
    nodes: int
    edges: int
    counts: dict[str, int] = Field(description="Nodes of each kind.")
    communities: list[CommunityView]
    top: list[GraphNode] = Field(description=f"The {TOP} most mentioned nodes (no videos).")
    model: str | None = Field(description="The language model that read relations, if any.")
    notes: list[str]


class FoundNodes(BaseModel):
    query: str
    nodes: list[GraphNode]


class Moment(Evidence):
    """A moment of evidence with the film it is in and a link to it."""

    title: str = Field(description="The film's catalogue title, else its file name.")
    file: str = Field(description="The film's file name (never its folder).")
    link: str = Field(description="The video page at that moment: /video/<id>?t=<start>.")


class EdgeView(GraphEdge):
    evidence: list[Moment]  # type: ignore[assignment]


class Neighbourhood(BaseModel):
    """A node, its strongest neighbours and every link among them, with their moments."""

    collection: str
    window: float
    node: GraphNode
    moments: list[Moment] = Field(description="Where the node itself is seen, said or shown.")
    nodes: list[GraphNode] = Field(description="The node first, then its neighbours.")
    edges: list[EdgeView]
    more: int = Field(description="Neighbours left out (the strongest are drawn).")


@dataclass
class Loaded:
    """One collection's graph, indexed, and the titles of its films."""

    changed: int
    index: GraphIndex
    films: dict[str, tuple[str, str]]  # video id → (title, file name)

    def moment(self, evidence: Evidence) -> Moment:
        title, file = self.films.get(evidence.video_id, (evidence.video_id, ""))
        link = f"/video/{evidence.video_id}?t={evidence.start:.2f}"
        return Moment(**evidence.model_dump(), title=title, file=file, link=link)

    def edge(self, edge: GraphEdge) -> EdgeView:
        moments = [self.moment(e) for e in edge.evidence]
        return EdgeView(**edge.model_dump(exclude={"evidence"}), evidence=moments)


@dataclass
class Graphs:
    """Each collection's graph, read once and again only when its file changes."""

    settings: Settings
    _held: dict[str, Loaded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, collection: str) -> Loaded:
        folder = known(self.settings, collection)
        try:
            changed = folder.path(KnowledgeGraph.file).stat().st_mtime_ns
        except OSError:
            changed = None
        with self._lock:
            held = self._held.get(folder.name)
            if held is None or held.changed != changed:
                held = self._read(folder.name, changed)
                self._held[folder.name] = held
        return held

    def _read(self, collection: str, changed: int | None) -> Loaded:
        try:
            graph = read_graph(self.settings, collection)
        except DeerinError as missing:
            if changed is None:  # no graph yet: not there, and the hint says how to make it
                raise NotFound(missing.problem, hint=missing.hint) from None
            raise
        films = {
            v.id: (v.metadata.get("title") or Path(v.path).name, Path(v.path).name)
            for v in collection_videos(self.settings, collection)
        }
        return Loaded(changed or 0, GraphIndex(graph), films)


def graph_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["graph"])
    graphs = Graphs(settings)

    @router.get("/api/graph/{collection}", response_model=GraphSummary)
    def summary(collection: str) -> GraphSummary:
        """Nodes of each kind, the communities, the most mentioned nodes, the notes."""
        graph = graphs.get(collection).index
        return summary_of(collection, graph)

    @router.get("/api/graph/{collection}/find", response_model=FoundNodes)
    def find(
        collection: str,
        q: Annotated[str, Query(min_length=1, max_length=200, description="A name or words.")],
    ) -> FoundNodes:
        """Nodes called so (the same name first, then names holding all its words)."""
        return FoundNodes(query=q, nodes=graphs.get(collection).index.find(q)[:FOUND])

    @router.get("/api/graph/{collection}/node", response_model=Neighbourhood)
    def node(
        collection: str,
        id: Annotated[str, Query(min_length=1, max_length=500, description="A node's id.")],
        most: Annotated[int, Query(ge=1, le=200, description="Neighbours drawn.")] = NEIGHBOURHOOD,
    ) -> Neighbourhood:
        """A node's neighbourhood, every moment with its film and a link to it."""
        return neighbourhood_of(collection, graphs.get(collection), id, most)

    @router.get("/api/graph/{collection}/graph.graphml")
    def graphml(collection: str) -> Response:
        """The whole graph as GraphML (Gephi, Cytoscape, yEd, networkx)."""
        body = graph_graphml(graphs.get(collection).index.graph)
        return _download(body, "application/graphml+xml", f"{collection}-graph.graphml")

    @router.get("/api/graph/{collection}/graph-nodes.csv")
    def nodes_csv(collection: str) -> Response:
        """The nodes as a CSV table (Gephi's spreadsheet import)."""
        nodes, _ = graph_csv(graphs.get(collection).index.graph)
        return _download(nodes, "text/csv; charset=utf-8", f"{collection}-graph-nodes.csv")

    @router.get("/api/graph/{collection}/graph-edges.csv")
    def edges_csv(collection: str) -> Response:
        """The links as a CSV table, each with its first moment and all of them."""
        _, edges = graph_csv(graphs.get(collection).index.graph)
        return _download(edges, "text/csv; charset=utf-8", f"{collection}-graph-edges.csv")

    return router


def summary_of(collection: str, index: GraphIndex) -> GraphSummary:
    graph = index.graph

    def ref(node_id: str) -> NodeRef | None:
        found = index.nodes.get(node_id)
        return NodeRef(id=found.id, label=found.label, kind=found.kind) if found else None

    communities = [
        CommunityView(
            id=c.id,
            size=c.size,
            summary=c.summary,
            summary_by=c.summary_by,
            members=[r for r in (ref(m) for m in c.members) if r is not None],
        )
        for c in graph.communities
    ]
    named = [n for n in graph.nodes if n.kind != "video"]
    top = sorted(named, key=lambda n: (-n.mentions, -n.videos, n.label.lower()))[:TOP]
    return GraphSummary(
        collection=collection,
        window=graph.window,
        videos=graph.videos,
        shots=graph.shots,
        nodes=len(graph.nodes),
        edges=len(graph.edges),
        counts=dict(Counter(n.kind for n in graph.nodes)),
        communities=communities,
        top=top,
        model=graph.model,
        notes=graph.notes,
    )


def neighbourhood_of(collection: str, loaded: Loaded, node_id: str, most: int) -> Neighbourhood:
    """The node first, its neighbours most linked first; its own moments from the links
    to its films (all of them, even where the films are not drawn)."""
    index = loaded.index
    centre = index.nodes.get(node_id)
    if centre is None:
        raise NotFound(
            f"there is no node '{node_id}' in the graph of '{collection}'",
            hint="find it by name with /find?q=",
        )
    near = index.neighbourhood(node_id, most)
    strength = {n.node.id: rank for rank, n in enumerate(index.neighbours(node_id))}
    drawn = sorted((n for n in near.nodes if n.id != node_id), key=lambda n: strength[n.id])
    seen = [e for e in index.links.get(node_id, []) if e.kind == "in"]
    moments = [loaded.moment(m) for e in seen for m in e.evidence]
    moments.sort(key=lambda m: (m.title.lower(), m.video_id, m.start))
    return Neighbourhood(
        collection=collection,
        window=near.window,
        node=centre,
        moments=moments[:MOMENTS],
        nodes=[centre, *drawn],
        edges=[loaded.edge(e) for e in near.edges],
        more=len(strength) - len(drawn),
    )


def _download(body: bytes, media: str, name: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{download_name(name)}"'},
    )
