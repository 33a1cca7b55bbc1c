"""`deerin graph`: who and what appears with whom in a collection, each link with the
moments that show it; a node's neighbours; the graph as GraphML or CSV.

Ingest keeps the graph up to date (the collection step ``graph``); this command brings
it up to date when it is behind, then shows or writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deerin.cli.common import err, out, settings_from
from deerin.errors import DeerinError
from deerin.export.events import clock
from deerin.export.graph import graph_csv, graph_graphml
from deerin.index.schemas.graph import KnowledgeGraph
from deerin.index.store import CollectionFolder, atomic_write_bytes
from deerin.pipeline.ingest import refresh_collection
from deerin.retrieve.graph import GraphStep, read_graph
from deerin.retrieve.graph_queries import GraphIndex
from deerin.settings import Settings

FORMATS = (".graphml", ".csv", ".json")
SHOWN = 15
PLURAL = {"person": "people", "entity": "entities", "place": "places", "subject": "subjects",
          "video": "videos", "programme": "programmes"}  # fmt: skip


def graph_cmd(
    ctx: typer.Context,
    collection: Annotated[
        str | None,
        typer.Option("--collection", "-c", help="Collection [default: the only one]."),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option("--node", "-n", help='A person, place or subject: its links, e.g. "Lisbon".'),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="graph.graphml (Gephi, Cytoscape, yEd), graph.csv (edges; nodes beside it "
            "as graph.nodes.csv) or graph.json.",
        ),
    ] = None,
) -> None:
    """The collection's graph: communities, a node's neighbours, or the graph as a file."""
    settings = settings_from(ctx)
    chosen = _collection(settings, collection)
    if output is not None and output.suffix.lower() not in FORMATS:
        raise DeerinError(
            f"cannot write a graph as '{output.suffix or output.name}'",
            hint=f"end the -o file in {', '.join(FORMATS)}",
        )
    graph = _current(settings, chosen)
    if output is not None:
        _write(graph, output)
    elif node is not None:
        _neighbours(GraphIndex(graph), node)
    else:
        _summary(graph, chosen)


def _collection(settings: Settings, name: str | None) -> str:
    if name is not None:
        return CollectionFolder.named(settings.data_dir, name).name
    known = [f.name for f in CollectionFolder.chosen(settings.data_dir, None)]
    if len(known) == 1:
        return known[0]
    raise DeerinError(
        "say which collection" if known else "no collections yet",
        hint="add -c NAME" if known else "ingest a folder first: `deerin ingest FOLDER -c NAME`",
    )


def _current(settings: Settings, collection: str) -> KnowledgeGraph:
    """The graph, brought up to date first (nothing is done when it already is)."""
    results = refresh_collection(
        settings,
        collection,
        ("graph",),
        on_wait=lambda why: err.print(f"[yellow]{escape(why)}; waiting…[/]"),
        say=lambda line: err.print(f"  {escape(line)}"),
    )
    failed = [r.detail for r in results if r.step == GraphStep.name and r.status == "failed"]
    if failed:
        raise DeerinError(f"the graph could not be made: {failed[0]}")
    return read_graph(settings, collection)


def _summary(graph: KnowledgeGraph, collection: str) -> None:
    kinds: dict[str, int] = {}
    for n in graph.nodes:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    counted = ", ".join(f"{count} {PLURAL[kind] if count != 1 else kind}"
                        for kind, count in sorted(kinds.items()))  # fmt: skip
    out.print(f"{escape(collection)}: {len(graph.nodes)} nodes ({counted}), {len(graph.edges)} "
              f"links, {len(graph.communities)} communities")  # fmt: skip
    for community in graph.communities[:SHOWN]:
        out.print(f"  {community.id:>3}  {community.size:>5} nodes  {escape(community.summary)}")
    for note in graph.notes:
        out.print(f"  note: {escape(note)}")
    out.print("  a node's links: deerin graph -n NAME; see it: deerin serve, then /graph")


def _neighbours(graph: GraphIndex, text: str) -> None:
    found = [n for n in graph.find(text) if n.kind != "video"]
    if not found:
        raise DeerinError(
            f"nothing called '{text}' in the graph",
            hint="try part of the name; `deerin graph` lists the communities",
        )
    node = found[0]
    out.print(f"{escape(node.label)} ({node.kind}{', ' + node.detail if node.detail else ''}): "
              f"{node.mentions} moments in {node.videos} videos")  # fmt: skip
    for near in graph.neighbours(node.id)[:SHOWN]:
        edge = max(near.edges, key=lambda e: e.weight)
        first = edge.evidence[0] if edge.evidence else None
        where = f"  {first.video_id[:8]} {clock(first.start, '.')}" if first else ""
        how = f" ({edge.relation}, read by a model)" if edge.kind == "relation" else ""
        line = f"  {edge.weight:>4}×  {near.node.label} [{near.node.kind}]{how}{where}"
        out.print(escape(line))
    if len(found) > 1:
        others = ", ".join(n.label for n in found[1:6])
        out.print(f"  also called so: {escape(others)}")


def _write(graph: KnowledgeGraph, output: Path) -> None:
    suffix = output.suffix.lower()
    if suffix == ".graphml":
        atomic_write_bytes(output, graph_graphml(graph))
    elif suffix == ".json":
        atomic_write_bytes(output, graph.model_dump_json(indent=1).encode())
    else:
        nodes, edges = graph_csv(graph)
        beside = output.with_name(f"{output.stem}.nodes.csv")
        atomic_write_bytes(beside, nodes)
        atomic_write_bytes(output, edges)
        out.print(f"wrote {escape(str(beside))}")
    out.print(f"wrote {escape(str(output))}: {len(graph.nodes)} nodes, {len(graph.edges)} links")
