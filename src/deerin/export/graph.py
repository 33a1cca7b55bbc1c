"""The collection's graph as files other tools open: GraphML (Gephi, Cytoscape, yEd,
networkx) written by networkx, and CSV tables of nodes and edges (Gephi's spreadsheet
import, or any spreadsheet).

Every edge keeps its evidence: in GraphML as attributes (the first moment, and all of
them as ``video@start-end`` in one text), in CSV as the first moment's columns and a
``moments`` column, so a link can be checked against the film.
"""

from __future__ import annotations

import csv
import io
import re

import networkx as nx

from deerin.index.schemas.graph import Evidence, GraphEdge, KnowledgeGraph

NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NODE_COLUMNS = ("id", "label", "kind", "detail", "mentions", "videos", "community", "lat", "lon")
EDGE_COLUMNS = ("source", "target", "kind", "relation", "by", "weight", "video_id", "start",
                "end", "said", "moments")  # fmt: skip


def graph_graphml(graph: KnowledgeGraph) -> bytes:
    """GraphML, nodes and edges with every attribute (a missing value left out)."""
    out = nx.MultiDiGraph()
    for node in graph.nodes:
        values = node.model_dump(exclude={"id"})
        out.add_node(_xml(node.id), **{k: _xml(v) for k, v in values.items() if v is not None})
    for edge in graph.edges:
        values = {k: _xml(v) for k, v in _edge_values(edge).items()}
        out.add_edge(values.pop("source"), values.pop("target"), **values)
    buffer = io.BytesIO()
    nx.write_graphml(out, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def graph_csv(graph: KnowledgeGraph) -> tuple[bytes, bytes]:
    """Two CSV tables: the nodes, and the edges with their evidence."""
    nodes = _csv(NODE_COLUMNS, [n.model_dump() for n in graph.nodes])
    edges = _csv(EDGE_COLUMNS, [_edge_values(e) for e in graph.edges])
    return nodes, edges


def _xml(value: object) -> object:
    """Text without the control characters XML 1.0 forbids (OCR and subtitles hold some)."""
    return NOT_XML.sub("", value) if isinstance(value, str) else value


def _edge_values(edge: GraphEdge) -> dict[str, object]:
    first = edge.evidence[0] if edge.evidence else None
    return {
        "source": edge.source,
        "target": edge.target,
        "kind": edge.kind,
        "relation": edge.relation,
        "by": edge.by,
        "weight": edge.weight,
        "video_id": first.video_id if first else "",
        "start": round(first.start, 3) if first else 0.0,
        "end": round(first.end, 3) if first else 0.0,
        "said": first.text if first else "",
        "moments": "; ".join(_moment(e) for e in edge.evidence),
    }


def _moment(evidence: Evidence) -> str:
    return f"{evidence.video_id}@{evidence.start:.2f}-{evidence.end:.2f}"


def _csv(columns: tuple[str, ...], rows: list[dict[str, object]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return text.getvalue().encode("utf-8")
