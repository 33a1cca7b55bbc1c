"""The graph page and its API over the newsreel (two films; the astronaut's face, named
Eileen Collins, is on screen in both while "Lisbon" is said): the summary, finding a
node, a node's neighbourhood with every moment tied to its film and time, the
downloads read back by networkx and csv, clear 404s, and the page in a real browser
(drawn, clicked, searched)."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from playwright.sync_api import Page, expect

from deerin.export.graph import EDGE_COLUMNS, NODE_COLUMNS
from deerin.index import artefacts
from deerin.index.schemas.graph import GraphNode, KnowledgeGraph
from newsreel import COLLECTION, PERSON, Newsreel
from test_web_pages import assert_accessible_shape
from webapp import Server, screenshot, start_server, stop_server

TIMEOUT = 30_000  # ms
CENTRE_IS = "(id) => window.deerinGraph && window.deerinGraph.centre() === id"


@pytest.fixture(scope="module")
def served(newsreel_store: Path) -> Iterator[Server]:
    running = start_server(newsreel_store)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def summary(served: Server) -> dict[str, Any]:
    answer = served.get(f"/api/graph/{COLLECTION}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def node_id(served: Server, text: str) -> str:
    found = served.get(f"/api/graph/{COLLECTION}/find", params={"q": text}).json()["nodes"]
    assert found, text
    return found[0]["id"]


def test_the_summary_counts_the_nodes_and_names_the_communities(summary: dict[str, Any]) -> None:
    assert summary["nodes"] == sum(summary["counts"].values())
    assert summary["counts"]["video"] == 2 and summary["counts"]["person"] >= 1
    assert summary["window"] > 0
    together = [{m["label"] for m in c["members"]} for c in summary["communities"]]
    assert any({PERSON, "Lisbon"} <= members for members in together), together
    top = summary["top"]
    assert top and all(n["kind"] != "video" for n in top)
    assert [n["mentions"] for n in top] == sorted((n["mentions"] for n in top), reverse=True)


def test_find_lists_the_place_a_person_types(served: Server) -> None:
    found = served.get(f"/api/graph/{COLLECTION}/find", params={"q": "lisbon"}).json()["nodes"]
    assert [(n["label"], n["kind"]) for n in found] == [("Lisbon", "place")]
    nothing = served.get(f"/api/graph/{COLLECTION}/find", params={"q": "Timbuktu"}).json()
    assert nothing["nodes"] == []


def test_a_neighbourhood_ties_each_link_to_its_moments(served: Server, newsreel: Newsreel) -> None:
    lisbon = node_id(served, "Lisbon")
    answer = served.get(f"/api/graph/{COLLECTION}/node", params={"id": lisbon}).json()
    assert answer["node"]["id"] == lisbon and answer["nodes"][0]["id"] == lisbon
    person = next(n for n in answer["nodes"] if n["label"] == PERSON)
    assert person["kind"] == "person"
    links = [e for e in answer["edges"] if {e["source"], e["target"]} == {lisbon, person["id"]}]
    assert links and links[0]["kind"] == "together"
    moments = [m for e in links for m in e["evidence"] if m["file"] == "harbour.mp4"]
    assert moments and {m["title"] for m in moments} == {"Lisbon harbour"}
    # "The mayor visited the harbour of Lisbon…" is when the face and the name are together
    said = newsreel.said("harbour of Lisbon")[1]
    next_sentence = newsreel.said("Fishing boats")[1]
    assert any(said - 1.0 <= m["start"] < next_sentence for m in moments), (said, moments)
    for m in moments:
        assert m["link"] == f"/video/{m['video_id']}?t={m['start']:.2f}"
    assert served.get(moments[0]["link"]).status_code == 200
    # the place's own moments: said in both films
    assert {m["file"] for m in answer["moments"]} == {"clyde.mp4", "harbour.mp4"}
    assert all("Lisbon" in m["text"] for m in answer["moments"])


def test_the_downloads_open_in_networkx_and_as_tables(
    served: Server, summary: dict[str, Any], tmp_path: Path
) -> None:
    graphml = served.get(f"/api/graph/{COLLECTION}/graph.graphml")
    assert graphml.status_code == 200
    disposition = graphml.headers["content-disposition"]
    assert disposition == f'attachment; filename="{COLLECTION}-graph.graphml"'
    (tmp_path / "graph.graphml").write_bytes(graphml.content)
    read = nx.read_graphml(tmp_path / "graph.graphml")
    assert read.number_of_nodes() == summary["nodes"]
    assert read.number_of_edges() == summary["edges"]
    for name, columns, count in (
        ("graph-nodes.csv", NODE_COLUMNS, summary["nodes"]),
        ("graph-edges.csv", EDGE_COLUMNS, summary["edges"]),
    ):
        answer = served.get(f"/api/graph/{COLLECTION}/{name}")
        assert answer.headers["content-type"].startswith("text/csv")
        assert f'filename="{COLLECTION}-{name}"' in answer.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert tuple(rows[0]) == columns and len(rows) - 1 == count


def test_what_is_not_there_is_a_404_without_server_folders(
    served: Server, newsreel_store: Path
) -> None:
    for path, said in (
        ("/api/graph/nowhere", "no collection 'nowhere'"),
        ("/api/graph/nowhere/graph.graphml", "no collection 'nowhere'"),
        (f"/api/graph/{COLLECTION}/node?id=place:nowhere", "no node 'place:nowhere'"),
    ):
        answer = served.get(path)
        assert answer.status_code == 404, (path, answer.text)
        assert said in answer.json()["error"]
        assert str(newsreel_store) not in answer.text and "/tmp" not in answer.text


# -- the page ------------------------------------------------------------------------------
def click_node(page: Page, node: str) -> None:
    """A real click where cytoscape drew the node."""
    at = page.evaluate("(id) => window.deerinGraph.cy.getElementById(id).renderedPosition()", node)
    box = page.locator("#graph-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])


def test_the_page_draws_a_neighbourhood_and_shows_the_evidence(page: Page, served: Server) -> None:
    lisbon, person = node_id(served, "Lisbon"), node_id(served, PERSON)
    page.goto(f"{served.url}/graph?node=Lisbon")  # a name in the address: found, then drawn
    page.wait_for_function(CENTRE_IS, arg=lisbon, timeout=TIMEOUT)
    assert page.evaluate("() => window.deerinGraph.cy.nodes().length") > 3
    expect(page.locator("#graph-centre")).to_have_text("Lisbon")
    expect(page.locator("#graph-explain")).to_contain_text("within 20 s")
    expect(page.locator("#graph-legend")).to_contain_text("person")
    expect(page.locator("#graph-near")).to_contain_text(PERSON)
    click_node(page, person)
    page.wait_for_function(CENTRE_IS, arg=person, timeout=TIMEOUT)
    evidence = page.locator("#graph-evidence")
    expect(evidence.locator("h3").first).to_have_text(
        re.compile(rf"{PERSON} and Lisbon|Lisbon and {PERSON}")
    )
    links = evidence.locator(".graph-moment a")
    expect(links.first).to_be_visible()
    hrefs = links.evaluate_all("(found) => found.map((a) => a.getAttribute('href'))")
    assert hrefs and all(re.fullmatch(r"/video/[0-9a-f]+\?t=\d+\.\d\d", h) for h in hrefs), hrefs
    expect(evidence).to_contain_text("Lisbon harbour")
    assert "node=person" in page.url
    screenshot(page, "graph")
    assert_accessible_shape(page)


def test_find_box_lists_and_communities_centre_the_graph(
    page: Page, served: Server, summary: dict[str, Any]
) -> None:
    lisbon = node_id(served, "Lisbon")
    page.goto(f"{served.url}/graph")
    page.wait_for_function(
        "() => window.deerinGraph && window.deerinGraph.centre()", timeout=TIMEOUT
    )
    top = page.locator("#graph-top button").first
    assert page.evaluate("() => window.deerinGraph.centre()") == top.get_attribute("data-node")
    page.fill("#graph-q", "lisbon")
    page.press("#graph-q", "Enter")
    page.wait_for_function(CENTRE_IS, arg=lisbon, timeout=TIMEOUT)
    expect(page.locator("#graph-found button")).to_have_count(1)
    # an edge: its moments in the panel
    page.evaluate("() => { window.deerinGraph.cy.edges('.linked')[0].emit('tap'); }")
    expect(page.locator("#evidence-live")).to_contain_text("moment")
    expect(page.locator("#evidence-body .graph-moment").first).to_be_visible()
    # a community, by keyboard: centred on its first member
    community = page.locator("#graph-communities button").nth(1)
    community.focus()
    page.keyboard.press("Enter")
    first = summary["communities"][1]["members"][0]["id"]
    page.wait_for_function(CENTRE_IS, arg=first, timeout=TIMEOUT)
    page.go_back()
    page.wait_for_function(CENTRE_IS, arg=lisbon, timeout=TIMEOUT)


def test_a_collection_without_a_graph_says_so(
    page: Page, served: Server, newsreel_store: Path
) -> None:
    """No graph yet: a 404 and a message; an empty graph: a message; a graph written again
    is read again (the server keeps it only while its file is unchanged)."""
    folder = newsreel_store / "collections" / "bare"
    folder.mkdir()
    try:
        answer = served.get("/api/graph/bare")
        assert answer.status_code == 404 and "no graph yet" in answer.json()["error"]
        assert str(newsreel_store) not in answer.text
        page.goto(f"{served.url}/graph?collection=bare")
        expect(page.locator("#graph-message")).to_contain_text("no graph yet")
        expect(page.locator("#graph-layout")).to_be_hidden()
        empty = KnowledgeGraph(window=20, videos=0, shots=0, nodes=[], edges=[], communities=[])
        artefacts.write(folder / KnowledgeGraph.file, empty, KnowledgeGraph)
        assert served.get("/api/graph/bare").json()["nodes"] == 0
        page.reload()
        expect(page.locator("#graph-message")).to_contain_text("no people, places or subjects")
        one = GraphNode(id="place:name:oslo", kind="place", label="Oslo", mentions=1, videos=1)
        artefacts.write(
            folder / KnowledgeGraph.file,
            empty.model_copy(update={"nodes": [one]}),
            KnowledgeGraph,
        )
        later = os.stat(folder / KnowledgeGraph.file).st_mtime + 5
        os.utime(folder / KnowledgeGraph.file, (later, later))
        assert [n["label"] for n in served.get("/api/graph/bare").json()["top"]] == ["Oslo"]
    finally:
        shutil.rmtree(folder)
