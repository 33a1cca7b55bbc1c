"""The map page in a real browser (headless Chromium, WebGL2 through SwiftShader) against
a real `deerin serve` over the archive of tests/webapp.py, whose ingest made its map: it
draws every shot, loads pictures as it is zoomed, tells what is under the pointer, opens
the video, colours by a facet, lights up a search, saves a lasso as a set (a name with a
space, found by search), reaches shots from the keyboard, says when the map changed or
the graphics were lost; and the static export opens from disk."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect

from webapp import COLLECTION, Server, screenshot

TIMEOUT = 60_000  # ms: the first search of a server loads the text model
TIME_CODE = re.compile(r"\d\d:\d\d:\d\d[:;.]\d\d")


@pytest.fixture
def errors(page: Page) -> Iterator[list[str]]:
    """Console errors of the page (the page fixture fails on script errors already)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    yield seen
    assert not seen, seen


@pytest.fixture(scope="module")
def shots(server: Server) -> int:
    """How many shots the collection has, as its video cards count them."""
    videos = server.get("/api/videos", params={"limit": 500}).json()["videos"]
    return sum(card.get("shots") or 0 for card in videos)


def open_map(tab: Page, url: str) -> float:
    """Open the map and wait for its first frame; the time it took (ms)."""
    tab.goto(url)
    return tab.evaluate("() => window.deerinMap.ready")


def canvas_picture(tab: Page) -> Image.Image:
    return Image.open(io.BytesIO(tab.locator("#map-canvas").screenshot())).convert("RGB")


def distinct_colours(picture: Image.Image) -> int:
    return len(picture.getcolors(maxcolors=1 << 20) or [])


def shows_pictures(tab: Page, least: int = 20, seconds: float = 20) -> int:
    """The canvas's distinct colours once it shows more than ``least`` (the shots'
    pictures, which come after the first frame's dots), or as it is after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (found := distinct_colours(canvas_picture(tab))) <= least and time.monotonic() < deadline:
        tab.wait_for_timeout(200)
    return found


def point_on_screen(tab: Page, index: int) -> tuple[float, float]:
    box = tab.locator("#map-canvas").bounding_box()
    x, y = tab.evaluate("(i) => window.deerinMap.screenOf(i)", index)
    return box["x"] + x, box["y"] + y


def next_frames(tab: Page) -> None:
    tab.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_the_map_draws_every_shot_and_loads_pictures_as_it_is_zoomed(
    server: Server, page: Page, errors: list[str], shots: int
) -> None:
    asked: list[str] = []
    page.on("request", lambda r: "/atlas/" in r.url and asked.append(r.url))
    drawn = open_map(page, f"{server.url}/map?collection={COLLECTION}")
    assert 0 < drawn < 10_000
    assert page.evaluate("() => window.deerinMap.count") == shots > 10
    renderer = page.get_attribute("#map-canvas", "data-renderer")
    assert renderer and renderer == page.evaluate("() => window.deerinMap.renderer")
    assert "Canvas 2D" not in renderer  # WebGL2, not the fallback
    assert shows_pictures(page) > 20  # not a blank ground, nor dots alone
    expect(page.locator("#map-summary")).to_contain_text(f"{shots} shots")
    screenshot(page, "map")
    x, y = page.evaluate("() => window.deerinMap.worldOf(0)")
    page.evaluate("([x, y]) => window.deerinMap.zoomTo(x, y, 8)", [x, y])
    page.wait_for_function(
        "() => window.deerinMap.atlasRequests().some((p) => p.includes('/128/'))"
    )
    page.wait_for_timeout(500)
    assert any("/atlas/128/" in url for url in asked) and any("/atlas/32/" in url for url in asked)
    screenshot(page, "map-close")


def test_hover_tells_the_shot_and_a_click_opens_its_video(
    server: Server, page: Page, errors: list[str]
) -> None:
    details = server.get(f"/api/map/{COLLECTION}/info/0.json").json()
    index = next(i for i, shot in enumerate(details) if shot["a"] > 1)  # a shot not at 0:00
    open_map(page, f"{server.url}/map?collection={COLLECTION}")
    page.mouse.move(*point_on_screen(page, index))
    tooltip = page.locator(".map-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip.locator(".map-facts")).to_contain_text(TIME_CODE)
    expect(tooltip.locator(".map-title")).not_to_be_empty()
    screenshot(page, "map-hover")
    expect(tooltip.locator(".map-title")).to_have_text(details[index]["t"])
    page.mouse.click(*point_on_screen(page, index))
    page.wait_for_url(f"{server.url}/video/{details[index]['v']}?t={details[index]['a']:.2f}")


def test_colouring_by_another_facet_changes_the_map_and_its_legend(
    server: Server, page: Page, errors: list[str]
) -> None:
    open_map(page, f"{server.url}/map?collection={COLLECTION}")
    page.evaluate("() => window.deerinMap.zoomTo(0.5, 0.5, 0.6)")  # dots: colours alone
    before = canvas_picture(page)
    legend_before = page.locator(".map-legend-entry").all_inner_texts()
    page.select_option("#map-facet", "video")
    page.wait_for_function("() => document.querySelector('#map-facet').value === 'video'")
    next_frames(page)
    after = canvas_picture(page)
    assert before.tobytes() != after.tobytes()
    assert page.locator(".map-legend-entry").all_inner_texts() != legend_before
    entry = page.locator(".map-legend-entry").first
    entry.click()  # lights up that video's shots, dims the rest
    expect(entry).to_have_attribute("aria-pressed", "true")
    next_frames(page)
    assert canvas_picture(page).tobytes() != after.tobytes()


def test_a_search_lights_up_its_shots_and_the_address_keeps_it(
    server: Server, page: Page, errors: list[str]
) -> None:
    open_map(page, f"{server.url}/map?collection={COLLECTION}&q=Europe")
    count = page.locator("#map-count")
    expect(count).to_have_text(re.compile(r"^\d+ of \d+ shots lit up$"), timeout=TIMEOUT)
    assert int(count.get_attribute("data-hits") or 0) > 0
    assert count.get_attribute("aria-live") == "polite"
    screenshot(page, "map-search")
    page.click("#map-clear")
    expect(count).to_have_text("")
    assert "q=" not in page.url


def test_a_lasso_selection_is_saved_as_a_set(
    server: Server, page: Page, errors: list[str], shots: int
) -> None:
    open_map(page, f"{server.url}/map?collection={COLLECTION}")
    page.fill("#editor-name", "Ada")
    page.focus("#map-canvas")
    page.keyboard.press("l")
    expect(page.locator("#map-lasso")).to_have_attribute("aria-pressed", "true")
    box = page.locator("#map-canvas").bounding_box()
    left, top = box["x"] + 4, box["y"] + 4
    right, bottom = box["x"] + box["width"] - 4, box["y"] + box["height"] - 4
    page.mouse.move(left, top)
    page.mouse.down()
    for x, y in ((right, top), (right, bottom), (left, bottom), (left, top + 8)):
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    selection = page.locator(".map-selection")
    expect(selection.locator(".map-selection-count")).to_have_text(f"{shots} shots selected")
    expect(selection.locator(".map-frame")).to_have_count(8)
    screenshot(page, "map-lasso")
    page.fill("#map-set-name", 'the "whole" map')  # the server refuses a quote: it says so
    page.click("text=Save as set")
    expect(page.locator("#map-set-problem")).to_contain_text("double quote")
    errors[:] = [e for e in errors if "status of 400" not in e]  # the refusal, as logged
    page.fill("#map-set-name", "the whole map")  # sent as ranges of points, not a list
    page.click("text=Save as set")
    expect(page.locator("#status")).to_contain_text('search finds it with set:"the whole map"')
    expect(page.locator("#map-set-problem")).to_be_empty()
    saved = server.get("/api/sets", params={"collection": COLLECTION}).json()["sets"]
    assert {"name": "the whole map", "shots": shots, "by": "Ada"}.items() <= next(
        s for s in saved if s["name"] == "the whole map"
    ).items()
    page.locator(".map-set-list a", has_text="the whole map").click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert parse_qs(urlparse(page.url).query)["q"] == ['set:"the whole map"']
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)


def shots_in_view(tab: Page) -> int:
    """How many shots the canvas shows (their centres inside it)."""
    return tab.evaluate(
        """() => {
          const canvas = document.querySelector("#map-canvas");
          let n = 0;
          for (let i = 0; i < window.deerinMap.count; i++) {
            const [x, y] = window.deerinMap.screenOf(i);
            if (x >= 0 && x <= canvas.clientWidth && y >= 0 && y <= canvas.clientHeight) n++;
          }
          return n;
        }"""
    )


def test_the_keyboard_selects_what_is_in_view_and_opens_the_shot_at_the_centre(
    server: Server, page: Page, errors: list[str], shots: int
) -> None:
    details = server.get(f"/api/map/{COLLECTION}/info/0.json").json()
    index = next(i for i, shot in enumerate(details) if shot["a"] > 1)
    open_map(page, f"{server.url}/map?collection={COLLECTION}")
    assert "Enter opens the video of the shot nearest the centre" in page.inner_text("#map-keys")
    x, y = page.evaluate("(i) => window.deerinMap.worldOf(i)", index)
    page.evaluate("([x, y]) => window.deerinMap.zoomTo(x, y, 4)", [x, y])
    page.focus("#map-canvas")
    expect(page.locator(".map-cross")).to_be_visible()  # where Enter looks
    in_view = shots_in_view(page)
    assert 0 < in_view < shots
    page.keyboard.press("s")
    counted = f"{in_view} shot{'s' if in_view > 1 else ''}"
    expect(page.locator(".map-selection-count")).to_have_text(f"{counted} selected")
    expect(page.locator("#map-set-name")).to_be_focused()  # name it, Enter saves it
    page.keyboard.type("in view")
    page.keyboard.press("Enter")
    expect(page.locator(".map-set-list")).to_contain_text(f"in view {counted}")
    screenshot(page, "map-keyboard")
    page.focus("#map-canvas")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/video/{details[index]['v']}?t={details[index]['a']:.2f}")


def test_a_map_changed_since_the_page_opened_asks_for_a_reload(server: Server, page: Page) -> None:
    """The page believes an old version (its meta.json's version rewritten on the way):
    the server answers 409 to the files of that version, and the page says so."""

    def old_version(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, body=json.dumps({**answer.json(), "version": "0ld"}))

    asked: list[str] = []
    page.on("request", lambda r: "/api/map/" in r.url and asked.append(r.url))
    page.route("**/meta.json", old_version)
    page.goto(f"{server.url}/map?collection={COLLECTION}")
    failed = page.evaluate("() => window.deerinMap.ready.then(() => '', (e) => e.message)")
    assert failed.startswith("The map has changed since this page was opened: reload the page")
    message = page.locator(".map-message")
    expect(message).to_contain_text("The map has changed since this page was opened")
    page.wait_for_timeout(500)
    assert len(asked) <= 3  # meta.json and the first files, refused: nothing more
    page.unroute("**/meta.json")
    with page.expect_navigation():
        message.get_by_role("button", name="Reload").click()
    assert page.evaluate("() => window.deerinMap.ready") > 0
    expect(message).to_be_hidden()


def test_a_lost_graphics_context_is_said(server: Server, page: Page) -> None:
    open_map(page, f"{server.url}/map?collection={COLLECTION}")
    page.evaluate(
        """() => document.querySelector("#map-canvas").getContext("webgl2")
            .getExtension("WEBGL_lose_context").loseContext()"""
    )
    message = page.locator(".map-message")
    expect(message).to_contain_text("The graphics context was lost: reload the page")
    expect(message.get_by_role("button", name="Reload")).to_be_visible()


def test_the_static_export_opens_from_disk_and_draws(
    server: Server, page: Page, errors: list[str], shots: int, tmp_path: Path
) -> None:
    target = tmp_path / "map"
    command = [sys.executable, "-m", "deerin.cli.main", "--data-dir", str(server.store)]
    subprocess.run([*command, "map", "export", "-c", COLLECTION, "-o", str(target)], check=True)
    open_map(page, (target / "index.html").as_uri())
    assert page.evaluate("() => window.deerinMap.count") == shots
    assert shows_pictures(page) > 20
    expect(page.locator("#map-q")).to_be_hidden()  # no server: no search
    page.mouse.click(*point_on_screen(page, 2))
    expect(page.locator(".map-details .map-facts")).to_contain_text(TIME_CODE)
    assert page.url.startswith("file://")  # details only: no video to open
    screenshot(page, "map-static")
