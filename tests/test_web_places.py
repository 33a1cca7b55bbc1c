"""The places page over a real `deerin serve` of the newsreels: the API (places, years,
mistakes), and in Chromium the world outline drawn from the shipped atlas, the markers,
Lisbon's moments, one of them played from the second "Lisbon" is said, the year filter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from newsreel import COLLECTION
from test_web_pages import assert_accessible_shape
from webapp import Server, screenshot, start_server, stop_server

TIMEOUT = 30_000  # ms
PLAYING = """() => {
  const video = document.getElementById("places-video");
  return video.readyState >= 2 && !video.paused && !video.seeking && video.currentTime > 0;
}"""
SHOWN = """(mentions) => {
  const numbers = [...document.querySelectorAll(".places-pin-count")];
  return numbers.reduce((sum, number) => sum + Number(number.textContent), 0) === mentions;
}"""  # the mentions on the markers and clusters drawn, once the map has settled


@pytest.fixture(scope="module")
def served(newsreel_store: Path) -> Iterator[Server]:
    running = start_server(newsreel_store)
    yield running
    stop_server(running)


def places(served: Server, **params: Any) -> dict[str, Any]:
    answer = served.get("/api/places", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_api_answers_places_by_collection_and_years(served: Server) -> None:
    every = places(served, collection=COLLECTION)
    lisbon = every["places"][0]
    assert (lisbon["name"], lisbon["mentions"], lisbon["videos"]) == ("Lisbon", 3, 2)
    assert [m["file"] for m in lisbon["moments"]] == ["clyde.mp4", "harbour.mp4", "harbour.mp4"]
    assert every["unplaced"] == [{"name": "Clyde", "count": 1}]
    assert places(served) == every  # every collection: the one there is
    sixties = places(served, collection=COLLECTION, **{"from": 1960, "to": 1965})
    assert {p["name"]: p["mentions"] for p in sixties["places"]} == {
        "Glasgow": 1,
        "Lisbon": 1,
        "New York": 1,
    }
    assert str(served.store) not in served.get("/api/places").text  # no server folder


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"from": 1970, "to": 1960}, 422, "the years run backwards"),
        ({"from": "nineteen"}, 422, "from: "),
        ({"to": 10**12}, 422, "to: "),
        ({"collection": "elsewhere"}, 404, "there is no collection 'elsewhere'"),
    ],
)
def test_api_mistakes(served: Server, params: dict[str, Any], status: int, said: str) -> None:
    answer = served.get("/api/places", params=params)
    assert answer.status_code == status
    assert said in answer.json()["error"]


def test_the_map_lists_lisbon_and_plays_it_from_its_mention(served: Server, page: Page) -> None:
    moments = places(served, collection=COLLECTION)["places"][0]["moments"]
    page.goto(f"{served.url}/places?collection={COLLECTION}")
    count = page.locator("#places-count")
    expect(count).to_have_text("3 places named 5 times in 2 films.", timeout=TIMEOUT)
    # the outline: one path per country of Natural Earth's 1:110m (177), no tiles
    assert page.locator("path.places-land").count() > 150
    assert page.locator("img.leaflet-tile").count() == 0
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("Natural Earth")
    # every mention is on the map, in a marker or a cluster
    page.wait_for_function(SHOWN, arg=5, timeout=TIMEOUT)
    expect(page.locator("#places-unplaced")).to_have_text("Named but not on the map: Clyde (1)")

    page.locator(".places-pin", has_text="Lisbon").click()
    expect(page.locator("#places-heading")).to_have_text("Lisbon")
    expect(page.locator("#places-facts")).to_contain_text("3 mentions in 2 films")
    listed = page.locator(".places-moment-play")
    expect(listed).to_have_count(3)
    expect(listed.first).to_contain_text("Clyde shipyards")
    expect(listed.first.locator("mark")).to_have_text("Lisbon")  # the name marked in its line
    href = page.locator(".places-moment-link").nth(1).get_attribute("href")
    assert href == f"/video/{moments[1]['video_id']}?t={moments[1]['start']:.2f}"

    listed.nth(1).click()  # Lisbon harbour (1968), at the harbour of Lisbon
    page.wait_for_function(PLAYING, timeout=TIMEOUT)
    now = page.evaluate("() => document.getElementById('places-video').currentTime")
    assert abs(now - moments[1]["start"]) < 1.0, (now, moments[1]["start"])
    source = page.evaluate("() => document.getElementById('places-video').currentSrc")
    assert source.endswith(f"/media/{moments[1]['video_id']}")
    expect(listed.nth(1)).to_have_attribute("aria-current", "true")
    expect(page.locator("#places-playing")).to_contain_text("Lisbon harbour")
    page.evaluate("() => document.getElementById('places-video').pause()")
    screenshot(page, "places")

    # the sixties: harbour's (1968) two mentions leave; the chosen place stays chosen
    page.fill("#places-from", "1960")
    page.fill("#places-to", "1965")
    page.press("#places-to", "Enter")
    expect(count).to_have_text("3 places named 3 times in 1 film of 1960–1965.")
    expect(listed).to_have_count(1)
    assert page.url.endswith(f"/places?collection={COLLECTION}&from=1960&to=1965")
    assert_accessible_shape(page)


def test_places_are_reached_by_keyboard(served: Server, page: Page) -> None:
    page.goto(f"{served.url}/places?from=1965")
    expect(page.locator("#places-count")).to_have_text(
        "1 place named 2 times in 1 film of 1965 or later.", timeout=TIMEOUT
    )
    assert page.input_value("#places-from") == "1965"
    page.locator(".places-choice", has_text="Lisbon").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#places-heading")).to_be_focused()
    page.keyboard.press("Tab")  # back to every place
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the first moment
    page.wait_for_function(PLAYING, timeout=TIMEOUT)
    expect(page.locator("#places-playing")).to_contain_text("Lisbon harbour")


def test_the_page_needs_nothing_its_policy_forbids(served: Server, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    refused: list[str] = []
    tab.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: refused.append(str(error)))
    tab.goto(f"{served.url}/places")
    expect(tab.locator(".places-pin").first).to_be_visible(timeout=TIMEOUT)
    context.close()
    assert not refused
