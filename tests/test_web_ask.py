"""The Ask page and its API over the newsreel (tests/newsreel.py: two films with a known
answer to every question): the closure is cited to the second it is said, a question about
the whole collection is counted from the graph, a question the films do not answer says
so, a question's length is bounded with a clear error; and the page in a real browser
(asked, answered, a citation lighting its source and playing its moment, the question in
the address, an example asked, the graph's lines, nothing found, Back, an error)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from newsreel import PERSON, Newsreel
from test_web_pages import assert_accessible_shape
from webapp import Server, screenshot, start_server, stop_server

TIMEOUT = 60_000  # ms
CLOSED = "When did the shipyard close?"
WITH_LISBON = "who appears most often with Lisbon?"
NOWHERE = "What is the recipe for bouillabaisse?"
NOT_FOUND = "I could not find this in the collection."
LONGEST = 10_000  # characters the API accepts
# The player's time once it plays (null until then): the moment it started from.
PLAYING_FROM = """() => {
  const video = document.getElementById("ask-video");
  return !video.paused && !video.seeking && video.currentTime > 0 ? video.currentTime : null;
}"""
# Every aria-busy the form takes, and the status line then (an answer may come too fast to
# catch the busy state by polling).
WATCH_BUSY = """() => {
  const form = document.getElementById("ask-form");
  window.busySeen = [];
  new MutationObserver(() => window.busySeen.push([form.getAttribute("aria-busy"),
    document.getElementById("ask-status").textContent])).observe(form, { attributes: true });
}"""
# For the screenshot: the question just below the sticky header, so the answer and the
# sources fit below it.
SHOW_QUESTION_AND_SOURCES = """() => {
  const header = document.querySelector("header.top").offsetHeight;
  const form = document.getElementById("ask-form").getBoundingClientRect().top + scrollY;
  scrollTo(0, form - header - 8);
}"""


@pytest.fixture(scope="module")
def served(newsreel_store: Path) -> Iterator[Server]:
    running = start_server(newsreel_store)
    yield running
    stop_server(running)


def ask(served: Server, question: str, **more: str) -> httpx.Response:
    return served.get("/api/ask", params={"q": question, **more})


@pytest.fixture(scope="module")
def closed(served: Server) -> dict[str, Any]:
    answer = ask(served, CLOSED)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_closure_is_cited_to_the_second_it_is_said(
    closed: dict[str, Any], newsreel: Newsreel
) -> None:
    file, start = newsreel.said("closed")
    assert closed["found"] and closed["mode"] == "extractive"
    sources = {c["n"]: c for c in closed["citations"]}
    sentence = next(s for s in closed["sentences"] if s["kept"] and "closed" in s["text"])
    cited = [sources[n] for n in sentence["citations"]]
    assert any(c["file"] == file and abs(c["start"] - start) <= 1.0 for c in cited), (cited, start)
    assert all(c["link"] == f"/video/{c['video_id']}?t={c['start']:.2f}" for c in cited)
    assert "[1]" in closed["answer"]


def test_who_appears_with_a_place_is_counted_from_the_graph(served: Server) -> None:
    answer = ask(served, WITH_LISBON).json()
    assert answer["mode"] == "graph" and answer["found"], answer
    assert PERSON in answer["sentences"][0]["text"]
    assert answer["citations"] and {c["file"] for c in answer["citations"]} <= {
        "clyde.mp4",
        "harbour.mp4",
    }


def test_a_question_the_films_do_not_answer_finds_nothing(served: Server) -> None:
    answer = ask(served, NOWHERE).json()
    assert (answer["found"], answer["mode"], answer["answer"]) == (False, "none", NOT_FOUND)
    assert answer["citations"] == [] and answer["sentences"] == []


def test_a_long_question_is_read_in_part_and_a_longer_one_refused(
    served: Server, newsreel_store: Path
) -> None:
    longest = (f"{CLOSED} " * 400)[:LONGEST]
    read = ask(served, longest)
    assert read.status_code == 200, read.text[:300]
    assert any("characters" in note for note in read.json()["notes"]), read.json()["notes"]
    refused = ask(served, longest + "?")
    assert refused.status_code == 422
    message = refused.json()["error"]
    assert "10000" in message and str(newsreel_store.parent) not in refused.text


def test_the_page_answers_and_plays_the_moment_cited(served: Server, page: Page) -> None:
    page.goto(f"{served.url}/ask")
    expect(page.locator("#ask-examples .chip").first).to_be_visible(timeout=TIMEOUT)
    page.evaluate(WATCH_BUSY)
    page.fill("#ask-q", CLOSED)
    page.press("#ask-q", "Enter")
    lines = page.locator("#ask-text .ask-sentence")
    expect(lines.first).to_contain_text("closed", timeout=TIMEOUT)
    expect(page.locator("#ask-form")).to_have_attribute("aria-busy", "false")
    busy = page.evaluate("() => window.busySeen")
    assert busy[0] == ["true", "Looking through the collection…"] and busy[-1][0] == "false"
    expect(page.locator("#ask-status")).to_contain_text("citing")
    expect(page.locator("#ask-who")).to_contain_text("no model wrote this")
    assert parse_qs(urlsplit(page.url).query)["q"] == [CLOSED]
    expect(page.locator("#ask-examples")).to_be_hidden()

    source = page.locator("#source-1")
    expect(source).to_contain_text("Clyde shipyards")
    expect(source).to_contain_text("1962")
    expect(source.locator(".ask-source-time")).to_have_text(re.compile(r"^0:1\d$"))
    cite = lines.first.locator("a.cite").first
    expect(cite).to_have_text("1")
    href = cite.get_attribute("href") or ""
    start = float(parse_qs(urlsplit(href).query)["t"][0])
    cite.hover()
    expect(source).to_have_class(re.compile(r"\blit\b"))
    cite.click()
    at = page.wait_for_function(PLAYING_FROM, timeout=TIMEOUT).json_value()
    assert abs(at - start) <= 1.0, (at, start)
    assert urlsplit(page.url).path == "/ask"  # played here, the link not followed
    expect(page.locator("#ask-playing a")).to_have_attribute("href", href)
    expect(source).to_have_attribute("aria-current", "")
    assert_accessible_shape(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.evaluate(SHOW_QUESTION_AND_SOURCES)
    screenshot(page, "ask")


def test_the_page_asks_examples_counts_the_graph_and_says_when_nothing_is_found(
    served: Server, page: Page
) -> None:
    page.goto(f"{served.url}/ask")
    page.locator("#ask-examples .chip", has_text="Lisbon").click(timeout=TIMEOUT)
    lines = page.locator("#ask-text .ask-lines .ask-sentence")
    expect(lines.first).to_contain_text(PERSON, timeout=TIMEOUT)
    expect(page.locator("#ask-who")).to_contain_text("Counted from the collection's graph")
    expect(page.locator("#ask-sources .ask-source").first).to_contain_text("Lisbon harbour")
    asked = page.locator("#ask-q").input_value()
    assert "Lisbon" in asked and parse_qs(urlsplit(page.url).query)["q"] == [asked]
    page.reload()  # the address asks again on opening
    expect(lines.first).to_contain_text(PERSON, timeout=TIMEOUT)

    page.fill("#ask-q", NOWHERE)
    page.click("#ask-submit")
    expect(page.locator(".ask-none")).to_contain_text(NOT_FOUND, timeout=TIMEOUT)
    expect(page.locator("#ask-sources-section")).to_be_hidden()
    expect(page.locator("#ask-player")).to_be_hidden()
    page.go_back()
    expect(lines.first).to_contain_text(PERSON, timeout=TIMEOUT)
    expect(page.locator("#ask-q")).to_have_value(asked)

    page.goto(f"{served.url}/ask?q=shipyard&year=nineteen")
    expect(page.locator("#messages .error")).to_contain_text("year", timeout=TIMEOUT)
    expect(page.locator("#ask-result")).to_be_hidden()
