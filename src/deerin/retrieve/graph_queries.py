"""Reading the collection's graph: find a node by what a person types, its neighbours,
and the neighbourhood the graph page draws.

The graph is small next to the index (one node per person, place, entity, subject and
video), so these work on the loaded :class:`KnowledgeGraph` in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deerin.index.schemas.graph import GraphEdge, GraphNode, KnowledgeGraph
from deerin.retrieve.graph import normal
from deerin.retrieve.matching import WORD, stem

NEIGHBOURHOOD = 40  # nodes the graph page draws around the one chosen


@dataclass
class Neighbour:
    """A node linked to the one asked about, and the links between them."""

    node: GraphNode
    edges: list[GraphEdge] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return sum(e.weight for e in self.edges if e.kind != "in")


class GraphIndex:
    """One graph with its nodes by id and its links by node, for repeated questions."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.graph = graph
        self.nodes = {n.id: n for n in graph.nodes}
        self.links: dict[str, list[GraphEdge]] = {}
        for edge in graph.edges:
            self.links.setdefault(edge.source, []).append(edge)
            self.links.setdefault(edge.target, []).append(edge)

    def find(self, text: str, kinds: tuple[str, ...] = ()) -> list[GraphNode]:
        """Nodes called ``text``: the same name first, then names holding all its words
        (stemmed), most mentioned first."""
        wanted = normal(text)
        if not wanted:
            return []
        chosen = [n for n in self.graph.nodes if not kinds or n.kind in kinds]
        same = [n for n in chosen if normal(n.label) == wanted]
        if same:
            return same
        words = {stem(w) for w in WORD.findall(wanted)}
        if not words:
            return []
        holding = [n for n in chosen if words <= {stem(w) for w in WORD.findall(normal(n.label))}]
        return sorted(holding, key=lambda n: -n.mentions)

    def neighbours(self, node_id: str, kinds: tuple[str, ...] = ()) -> list[Neighbour]:
        """The nodes linked to ``node_id`` (of ``kinds``), most linked first."""
        found: dict[str, Neighbour] = {}
        for edge in self.links.get(node_id, []):
            other = edge.target if edge.source == node_id else edge.source
            node = self.nodes.get(other)
            if node is None or (kinds and node.kind not in kinds):
                continue
            found.setdefault(other, Neighbour(node)).edges.append(edge)
        return sorted(found.values(), key=lambda n: (-n.weight, -n.node.mentions, n.node.id))

    def neighbourhood(self, node_id: str, most: int = NEIGHBOURHOOD) -> KnowledgeGraph:
        """The node, its ``most`` strongest neighbours and every link among them."""
        near = self.neighbours(node_id)
        videos = [n for n in near if n.node.kind == "video"]
        others = [n for n in near if n.node.kind != "video"]
        kept = {node_id} | {n.node.id for n in (others + videos)[:most]}
        edges = [e for e in self.graph.edges if e.source in kept and e.target in kept]
        nodes = [self.nodes[n] for n in kept if n in self.nodes]
        return self.graph.model_copy(update={"nodes": nodes, "edges": edges})
