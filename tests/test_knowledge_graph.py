"""The collection's graph on the newsreels (tests/newsreel.py): its people, places and
entities, links with the moments that show them, communities, GraphML and CSV, relations
read by a language model, and the `deerin graph` command."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.export.graph import graph_csv, graph_graphml
from deerin.index.catalogue import collection_videos
from deerin.index.schemas.graph import GraphNode, KnowledgeGraph
from deerin.retrieve.graph import build_graph, read_graph
from deerin.retrieve.graph_queries import GraphIndex
from newsreel import COLLECTION, PERSON, Newsreel, newsreel_settings
from test_endpoint import closed_port_url
from test_sequence import OrderServer


@pytest.fixture(scope="module")
def graph(newsreel_store: Path) -> GraphIndex:
    return GraphIndex(read_graph(newsreel_settings(newsreel_store), COLLECTION))


def node(graph: GraphIndex, label: str) -> GraphNode:
    return next(n for n in graph.graph.nodes if n.label == label)


def cli(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(application(), ["--data-dir", str(store), *args])
    return result.exit_code, result.output


def test_people_places_and_entities_become_nodes(graph: GraphIndex) -> None:
    person = node(graph, PERSON)
    assert person.id == "person:p0001" and person.kind == "person" and person.videos == 2
    lisbon = node(graph, "Lisbon")
    assert lisbon.kind == "place" and lisbon.detail == "PT" and lisbon.videos == 2
    assert lisbon.mentions == 3 and abs(lisbon.lat - 38.7) < 0.1 and abs(lisbon.lon + 9.15) < 0.1
    glasgow = node(graph, "Glasgow")
    assert glasgow.detail == "GB"  # not a town in the US because New York is named too
    clyde = node(graph, "Clyde")
    assert clyde.kind == "place" and clyde.lat is None and clyde.detail == "no coordinates"
    assert node(graph, "United Nations").detail == "ORG"
    videos = {n.label: n.detail for n in graph.graph.nodes if n.kind == "video"}
    assert videos == {"Clyde shipyards": "1962", "Lisbon harbour": "1968"}


def test_every_link_carries_the_moments_that_show_it(graph: GraphIndex, newsreel: Newsreel) -> None:
    near = {n.node.label: n for n in graph.neighbours("person:p0001")}
    lisbon = near["Lisbon"]
    together = next(e for e in lisbon.edges if e.kind == "together")
    assert together.weight >= 2 and together.by == "co-occurrence"
    assert all(sum(e.videos.values()) == e.weight for e in graph.graph.edges)
    assert len({(e.video_id, e.start, e.end) for e in together.evidence}) == len(together.evidence)
    harbour_said = newsreel.said("harbour of Lisbon")[1]
    starts = [e.start for e in together.evidence]
    assert any(abs(s - harbour_said) < 2.5 for s in starts), (starts, harbour_said)
    assert all("Lisbon" in e.text for e in together.evidence if "transcript" in e.source)
    # No two keywords are linked only for sharing a sentence.
    assert not [e for e in graph.graph.edges
                if e.source.startswith("subject:") and e.target.startswith("subject:")]  # fmt: skip


def test_communities_group_who_is_seen_with_what(graph: GraphIndex) -> None:
    communities = graph.graph.communities
    assert communities and all(c.size >= 2 for c in communities)
    holding = next(c for c in communities if "person:p0001" in c.members)
    assert "place:2267057" in holding.members  # Lisbon, geonameid 2267057
    assert "Eileen Collins" in holding.summary and "film" in holding.summary
    assert node(graph, PERSON).community == holding.id


def test_neighbourhood_and_find(graph: GraphIndex) -> None:
    assert [n.label for n in graph.find("lisbon")] == ["Lisbon"]
    assert graph.find("united") and graph.find("united")[0].label == "United Nations"
    assert graph.find("atlantis") == []
    around = graph.neighbourhood("place:2267057", most=3)
    ids = {n.id for n in around.nodes}
    assert "place:2267057" in ids and "person:p0001" in ids and len(ids) <= 4
    assert all(e.source in ids and e.target in ids for e in around.edges)


def test_graphml_and_csv_keep_nodes_edges_and_evidence(graph: GraphIndex, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    lisbon = node(graph, "Lisbon").model_copy(update={"label": "Lisbon\x07"})  # as OCR may
    nodes = [lisbon if n.id == lisbon.id else n for n in graph.graph.nodes]
    path.write_bytes(graph_graphml(graph.graph.model_copy(update={"nodes": nodes})))
    read = nx.read_graphml(path)
    assert read.number_of_nodes() == len(graph.graph.nodes)
    assert read.number_of_edges() == len(graph.graph.edges)
    assert read.nodes["place:2267057"]["label"] == "Lisbon"
    first = graph.graph.edges[0]
    data = read.get_edge_data(first.source, first.target)
    data = next(iter(data.values())) if read.is_multigraph() else data
    assert data["weight"] == first.weight and data["video_id"] == first.evidence[0].video_id
    nodes, edges = graph_csv(graph.graph)
    node_rows = list(csv.DictReader(io.StringIO(nodes.decode())))
    edge_rows = list(csv.DictReader(io.StringIO(edges.decode())))
    assert len(node_rows) == len(graph.graph.nodes) and len(edge_rows) == len(graph.graph.edges)
    lisbon = next(r for r in node_rows if r["label"] == "Lisbon")
    assert lisbon["kind"] == "place" and float(lisbon["lat"]) > 38
    assert edge_rows[0]["moments"].count("@") == len(first.evidence)


def test_a_language_model_adds_relations_marked_as_its_own(newsreel_store: Path) -> None:
    settings = newsreel_settings(newsreel_store)
    videos = collection_videos(settings, COLLECTION)
    answer = "Lisbon | hosted | United Nations\nAtlantis | sank | Nothing\nnot a relation"
    with OrderServer(answer) as server:
        asked = settings.merged({"llm.endpoint": server.url, "models.language_model": "reader"})
        graph = build_graph(asked, COLLECTION, videos)
    assert server.questions and all("Names:" in q for q in server.questions)
    relations = [e for e in graph.edges if e.kind == "relation"]
    assert relations and {(e.relation, e.by) for e in relations} == {("hosted", "model")}
    assert all(e.evidence[0].source == "model" and "Lisbon" in e.evidence[0].text
               for e in relations)  # fmt: skip
    assert graph.model == "reader" and any("check them" in n for n in graph.notes)
    down = settings.merged({"llm.endpoint": closed_port_url(), "models.language_model": "x"})
    quiet = build_graph(down, COLLECTION, videos)
    assert not [e for e in quiet.edges if e.kind == "relation"]
    assert quiet.model is None and any("cannot reach" in n for n in quiet.notes)


def test_a_damaged_entities_file_is_noted_and_the_graph_still_made(
    newsreel_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(newsreel_store, store, symlinks=True)
    settings = newsreel_settings(store)
    videos = collection_videos(settings, COLLECTION)
    damaged = next(store.glob("videos/*/*/entities.json"))
    damaged.write_text("{not json")
    graph = build_graph(settings, COLLECTION, videos)
    assert any("entities not read" in note for note in graph.notes)
    assert any(n.label == "Lisbon" for n in graph.nodes)  # named in both films


def test_deerin_graph_shows_writes_and_follows_a_new_name(
    newsreel_store: Path, tmp_path: Path
) -> None:
    code, said = cli(newsreel_store, "graph", "-c", COLLECTION)
    assert code == 0 and "communities" in said and PERSON in said
    code, said = cli(newsreel_store, "graph", "-n", "lisbon")
    assert code == 0 and said.startswith("Lisbon (place, PT)") and f"{PERSON} [person]" in said
    code, said = cli(newsreel_store, "graph", "-o", str(tmp_path / "g.csv"))
    assert code == 0 and (tmp_path / "g.nodes.csv").exists() and (tmp_path / "g.csv").exists()
    code, said = cli(newsreel_store, "graph", "-o", str(tmp_path / "g.png"))
    assert code == 2 and ".graphml" in said and "Traceback" not in said
    code, said = cli(newsreel_store, "graph", "-n", "Atlantis")
    assert code == 2 and "nothing called 'Atlantis'" in said
    code, said = cli(newsreel_store, "people", "name", "p0001", "Ann Other", "-c", COLLECTION)
    assert code == 0, said
    renamed = read_graph(newsreel_settings(newsreel_store), COLLECTION)
    assert "Ann Other" in {n.label for n in renamed.nodes}
    assert isinstance(renamed, KnowledgeGraph)


def test_a_store_without_the_collection_says_so(tmp_path: Path) -> None:
    code, said = cli(tmp_path / "store", "graph")
    assert code == 2 and "no collections yet" in said
