"""The collection, search and people pages in a real browser (headless Chromium) against
a real `deerin serve` over the archive of tests/webapp.py: what a person sees and
does, with the mouse and with the keyboard alone."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from test_faces import astronaut
from webapp import Server, screenshot, start_server, stop_server

FILES = {
    "manifesto.mp4",
    "jfk.flac",
    "chaplin.mp4",
    "mkv_pgs_Title_T00-1.mkv",
    "portrait_a.mkv",
    "portrait_b.mkv",
}
PORTRAITS = {"portrait_a.mkv", "portrait_b.mkv"}
PHRASE = "all the powers of old Europe"  # manifesto.mp4, about 25 s in
TIMEOUT = 60_000  # ms: the first search of a server loads the text model


@pytest.fixture(scope="module")
def cards(server: Server) -> dict[str, dict]:
    """Every video's card as the API gives it, by file name."""
    videos = server.get("/api/videos", params={"limit": 500}).json()["videos"]
    return {card["file"]: card for card in videos}


def card_files(tab: Page) -> list[str]:
    return tab.locator("#videos > li").evaluate_all("(cards) => cards.map((c) => c.dataset.file)")


def hit_files(tab: Page) -> list[str]:
    return tab.locator("#hits > li").evaluate_all("(hits) => hits.map((h) => h.dataset.file)")


def duration_text(seconds: float) -> str:
    """What lib.js timecode(seconds, 0) shows for a video under an hour."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def search_for(tab: Page, text: str) -> None:
    tab.fill("#q", text)
    tab.press("#q", "Enter")
    expect(tab.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)


def assert_accessible_shape(tab: Page) -> None:
    """Headings in order, every field labelled, nothing wider than the screen."""
    levels = tab.locator("h1, h2, h3, h4").evaluate_all(
        "(hs) => hs.map((h) => Number(h.tagName[1]))"
    )
    assert levels and levels[0] == 1, levels
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    unlabelled = tab.locator("input:not([type=hidden]), select").evaluate_all(
        "(fields) => fields.filter((f) => !f.labels.length && !f.getAttribute('aria-label'))"
        ".map((f) => f.outerHTML)"
    )
    assert not unlabelled
    for width in (1280, 1920):
        tab.set_viewport_size({"width": width, "height": 900})
        overflow = tab.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{tab.url} is {overflow}px wider than a {width}px screen"


def test_every_page_opens_without_script_errors(server: Server, page: Page) -> None:
    """The page fixture fails the test on any script error; each page also draws."""
    for path, drawn in (
        ("/", "#videos > li"),
        ("/search", "#q"),
        ("/search?q=country", "#hits > li"),
        ("/people", "#people > li"),
    ):
        page.goto(server.url + path)
        expect(page.locator(drawn).first).to_be_visible(timeout=TIMEOUT)
        assert_accessible_shape(page)


def test_every_page_works_under_its_content_security_policy(server: Server, browser: Any) -> None:
    """No page needs anything its policy forbids (inline scripts, eval, other origins)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    refused: list[str] = []
    tab.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    tab.on("pageerror", lambda error: refused.append(str(error)))
    video = server.get("/api/videos", params={"q": "manifesto"}).json()["videos"][0]["id"]
    for path, drawn in (
        ("/", "#videos > li"),
        ("/search?q=country", "#hits > li"),
        ("/people", "#people > li"),
        (f"/video/{video}?t=5", ".w"),
    ):
        tab.goto(server.url + path)
        expect(tab.locator(drawn).first).to_be_visible(timeout=TIMEOUT)
    context.close()
    assert not refused, refused


def test_collection_lists_every_file_with_its_facts(
    server: Server, page: Page, cards: dict[str, dict]
) -> None:
    asked: list[str] = []
    page.on("request", lambda r: "/api/videos?" in r.url and asked.append(r.url))
    page.goto(server.url + "/")
    expect(page.locator("#videos > li")).to_have_count(len(FILES))
    assert set(card_files(page)) == FILES
    expect(page.locator("#count")).to_have_text(
        f"1–{len(FILES)} of {len(FILES)} videos and recordings"
    )
    # one page at a time, never the whole collection
    assert asked and all(query_of(url)["limit"] == ["48"] for url in asked)
    for file, card in cards.items():
        item = page.locator(f'#videos > li[data-file="{file}"]')
        expect(item.locator(".duration")).to_have_text(duration_text(card["duration"]))
        expect(item.locator("a.title")).to_have_attribute("href", f"/video/{card['id']}")
        if card["media"] == "film":
            expect(item.locator(".shots")).to_have_text(
                f"{card['shots']} shot{'s' if card['shots'] != 1 else ''}"
            )
            poster = item.locator("img")
            expect(poster).to_have_attribute("loading", "lazy")
            poster.scroll_into_view_if_needed()
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=poster.element_handle()
            )
    manifesto = page.locator('#videos > li[data-file="manifesto.mp4"]')
    expect(manifesto.locator('.indicators [data-kind="speech"]')).to_have_text("Speech")
    expect(manifesto.locator('.indicators [data-kind="text"]')).to_be_visible()
    portrait = page.locator('#videos > li[data-file="portrait_a.mkv"]')
    expect(portrait.locator('.indicators [data-kind="faces"]')).to_have_text("2 faces")
    expect(portrait.locator('.indicators [data-kind="people"]')).to_be_visible()
    jfk = page.locator('#videos > li[data-file="jfk.flac"]')
    expect(jfk.locator(".sound-poster")).to_be_visible()
    expect(jfk.locator(".shots")).to_have_text("sound recording")
    expect(jfk.locator('.indicators [data-kind="problems"]')).to_contain_text("technical problem")
    page.evaluate("() => scrollTo(0, 0)")
    screenshot(page, "collection")


def test_collection_sorts_filters_and_pages_in_the_address(
    server: Server, page: Page, cards: dict[str, dict]
) -> None:
    by_duration = [
        c["file"] for c in sorted(cards.values(), key=lambda c: (c["duration"], c["title"].lower()))
    ]
    page.goto(server.url + "/")
    expect(page.locator("#videos > li")).to_have_count(len(FILES))
    page.select_option("select[name=sort]", "duration")
    expect(page).to_have_url(re.compile(r"sort=duration"))
    page.wait_for_function(
        "(first) => document.querySelector('#videos > li')?.dataset.file === first",
        arg=by_duration[0],
    )
    assert card_files(page) == by_duration
    page.select_option("select[name=order]", "desc")
    page.wait_for_function(
        "(first) => document.querySelector('#videos > li')?.dataset.file === first",
        arg=by_duration[-1],
    )
    assert card_files(page) == by_duration[::-1]

    page.select_option("select[name=media]", "sound")
    expect(page.locator("#videos > li")).to_have_count(1)
    assert card_files(page) == ["jfk.flac"]
    assert query_of(page.url)["media"] == ["sound"]
    page.reload()  # the address keeps the state
    expect(page.locator("#videos > li")).to_have_count(1)
    expect(page.locator("select[name=media]")).to_have_value("sound")
    page.go_back()  # before the filter: every file again, longest first
    expect(page.locator("#videos > li")).to_have_count(len(FILES))
    assert card_files(page) == by_duration[::-1]

    page.fill("#filters input[name=q]", "manif")  # typing filters, after a pause
    expect(page.locator("#videos > li")).to_have_count(1)
    assert card_files(page) == ["manifesto.mp4"]
    assert query_of(page.url)["q"] == ["manif"]
    page.fill("#filters input[name=q]", "")
    expect(page.locator("#videos > li")).to_have_count(len(FILES))
    page.check('input[name=has][value="speech"]')
    expect(page.locator("#videos > li")).to_have_count(
        sum(c["indicators"]["speech"] for c in cards.values())
    )

    page.goto(server.url + "/?sort=duration&limit=2&offset=2")
    expect(page.locator("#count")).to_have_text(f"3–4 of {len(FILES)} videos and recordings")
    assert card_files(page) == by_duration[2:4]
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#count")).to_have_text(f"5–6 of {len(FILES)} videos and recordings")
    assert card_files(page) == by_duration[4:6]
    assert query_of(page.url)["offset"] == ["4"]
    expect(page.locator('#pages [aria-disabled="true"]')).to_have_text("Next →")
    expect(page.locator("#count")).to_be_focused()


def test_a_spoken_phrase_opens_the_video_at_its_first_word(
    server: Server, page: Page, cards: dict[str, dict]
) -> None:
    manifesto = cards["manifesto.mp4"]["id"]
    segments = server.get(f"/api/videos/{manifesto}/transcript").json()["segments"]
    words = next(s["words"] for s in segments if PHRASE.lower() in s["text"].lower())
    first = next(w["start"] for w in words if w["word"].strip(".,").lower() == "all")

    page.goto(server.url + "/search")
    search_for(page, f'"{PHRASE}"')
    hit = page.locator("#hits > li").first
    assert hit_files(page)[0] == "manifesto.mp4"
    marked = hit.locator(".match mark").all_inner_texts()
    assert [w.lower() for w in marked] == PHRASE.lower().split()
    expect(page.locator("#search-count")).to_contain_text("hits")
    spoken = page.locator("#hits > li", has=page.locator('.match[data-kind="speech"]')).first
    spoken.locator("img").hover()  # the preview: a bigger picture and the words' times
    preview = page.locator("#hit-preview")
    expect(preview.locator("img")).to_be_visible()
    said = preview.locator(".preview-words .word:has(mark)")
    expect(said).to_have_count(len(PHRASE.split()))
    expect(said.first).to_have_text(re.compile(r"^All\s*0:25\.\d$"))
    screenshot(page, "search")

    link = hit.locator("a.title")
    at = float(query_of(link.get_attribute("href"))["t"][0])
    assert abs(at - first) < 1
    link.click()
    expect(page).to_have_url(re.compile(rf"/video/{manifesto}\?t="))
    page.wait_for_function(
        "(t) => { const v = document.querySelector('video'); return v && v.readyState > 0"
        " && Math.abs(v.currentTime - t) < 1 }",
        arg=first,
        timeout=TIMEOUT,
    )


def test_the_address_runs_a_search_and_the_header_box_posts_there(
    server: Server, page: Page
) -> None:
    page.goto(server.url + "/")
    page.fill("#quick-q", "country")
    page.press("#quick-q", "Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=country"))
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#q")).to_have_value("country")


@pytest.fixture
def astronaut_jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.jpg"
    astronaut().save(path)
    return path


def test_a_picture_finds_the_films_it_is_from(
    server: Server, page: Page, astronaut_jpeg: Path
) -> None:
    page.goto(server.url + "/search")
    page.set_input_files("#picture", astronaut_jpeg)
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    assert set(hit_files(page)[:2]) == PORTRAITS
    expect(page.locator("#query-extra")).to_contain_text("astronaut.jpg")
    expect(page.locator("#hits .methods").first).to_contain_text("picture")


def test_a_face_dropped_on_the_box_finds_where_that_person_is(
    server: Server, page: Page, astronaut_jpeg: Path
) -> None:
    page.goto(server.url + "/search")
    page.select_option("#picture-kind", "face")
    dropped = page.evaluate_handle(
        """async (bytes) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], "her.jpg", { type: "image/jpeg" }));
            return data;
        }""",
        list(astronaut_jpeg.read_bytes()),
    )
    page.dispatch_event("#drop", "dragover", {"dataTransfer": dropped})
    page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    assert set(hit_files(page)) == PORTRAITS
    expect(page.locator("#hits .methods").first).to_contain_text("face")


def test_more_like_this_searches_by_the_shot(server: Server, page: Page) -> None:
    page.goto(server.url + "/search?q=" + "has:faces")
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    page.locator('#hits > li[data-file="portrait_a.mkv"] button.like').first.click()
    expect(page).to_have_url(re.compile(r"like=[0-9a-f]+%3A\d+"))
    expect(page.locator("#query-extra")).to_contain_text("More like shot")
    expect(page.locator("#hits .methods").first).to_contain_text("more like shot")
    assert len(hit_files(page)) > 1
    assert hit_files(page)[0] in PORTRAITS
    expect(page.locator("#search-count")).to_be_focused()
    page.get_by_role("button", name="Stop: search the box only").click()
    expect(page.locator("#hits > li")).to_have_count(0)


def test_a_facet_narrows_the_hits_and_a_second_click_widens_them(
    server: Server, page: Page
) -> None:
    page.goto(server.url + "/search?q=country")
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    before = hit_files(page)
    assert {"jfk.flac", "manifesto.mp4"} <= set(before)
    facet = page.locator('#facets [data-facet="video"] button', has_text="jfk.flac")
    facet.click()
    expect(page.locator("#q")).to_have_value("country video:jfk.flac")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#hits > li')]"
        ".every((h) => h.dataset.file === 'jfk.flac')"
    )
    assert 0 < len(hit_files(page)) < len(before)
    expect(page.locator('#hits > li[data-file="jfk.flac"] .sound-poster').first).to_be_visible()
    pressed = page.locator('#facets button[data-term="video:jfk.flac"]')
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_be_focused()
    pressed.click()
    expect(page.locator("#q")).to_have_value("country")
    expect(page.locator("#hits > li")).to_have_count(len(before))


def test_the_keyboard_alone_searches_and_opens_a_hit(server: Server, page: Page) -> None:
    page.goto(server.url + "/search")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "q":
            break
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("country")
    page.keyboard.press("Enter")
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('#hits a.title')"):
            break
    focused = page.locator("#hits a.title:focus")
    expect(focused).to_have_count(1)
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    href = focused.get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url + href)


def person_card(tab: Page, file: str):
    return tab.locator("#people > li", has=tab.locator(f'.person-videos a:text-is("{file}")'))


def test_people_are_named_on_the_page_and_found_by_name(server: Server, page: Page) -> None:
    page.goto(server.url + "/people")
    expect(page.locator("#people > li").first).to_be_visible()
    card = person_card(page, "portrait_a.mkv")
    expect(card).to_have_count(1)
    expect(card.locator(".person-videos a")).to_have_count(2)
    faces = card.locator(".faces img")
    assert faces.count() >= 2
    for index in range(faces.count()):
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=faces.nth(index).element_handle()
        )
    expect(card.locator(".faces a").first).to_have_attribute(
        "href", re.compile(r"^/video/[0-9a-f]+\?t=")
    )

    card.get_by_label("Name", exact=True).fill("Eileen Collins")
    card.get_by_role("button", name="Save name").click()
    expect(card.locator("h2")).to_have_text("Eileen Collins", timeout=TIMEOUT)
    expect(page.locator("#status")).to_contain_text("Eileen Collins")
    screenshot(page, "people")
    page.reload()
    expect(person_card(page, "portrait_a.mkv").locator("h2")).to_have_text("Eileen Collins")

    found = server.get("/api/search", params={"q": 'person:"Eileen Collins"'}).json()
    assert {hit["file"] for hit in found["hits"]} == PORTRAITS
    page.goto(server.url + "/?q=portrait")
    expect(page.locator('#videos > li [data-kind="people"]').first).to_have_text(
        "People: Eileen Collins"
    )


def test_the_person_chip_writes_the_field_and_modes_choose_the_methods(
    server: Server, page: Page
) -> None:
    page.goto(server.url + "/search")
    page.get_by_role("button", name="Person…").click()
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value('person:""')
    page.keyboard.type("Eileen")  # the cursor waits between the quotes
    expect(page.locator("#q")).to_have_value('person:"Eileen"')
    page.keyboard.press("Enter")
    expect(page.locator("#hits > li").first).to_be_visible(timeout=TIMEOUT)
    assert set(hit_files(page)) == PORTRAITS

    page.fill("#q", "country")
    page.get_by_label("Meaning").uncheck()
    expect(page).to_have_url(re.compile(r"mode=words(&|$)"))
    expect(page.locator("#hits .methods").first).to_have_text("words (BM25)")
    methods = page.locator("#hits .methods").all_inner_texts()
    assert methods and set(methods) == {"words (BM25)"}
    page.get_by_label("Words").click()  # the last way left stays on
    expect(page.get_by_label("Words")).to_be_checked()


def test_two_people_are_merged_split_again_and_one_rejected(server: Server, page: Page) -> None:
    """Chaplin's two faces: one person, two again, then one of them is no person."""
    page.goto(server.url + "/people")
    chaplin = person_card(page, "chaplin.mp4")
    expect(chaplin).to_have_count(2)
    people = server.get("/api/people/shared").json()["people"]
    ids = chaplin.evaluate_all("(cards) => cards.map((c) => c.dataset.person)")

    first = chaplin.first
    first.get_by_label("Same person as").select_option(ids[1])
    first.get_by_role("button", name="Merge").click()
    expect(page.locator("#people-count")).to_have_text(f"{len(people) - 1} people in shared")
    expect(page.locator("#people-count")).to_be_focused()
    expect(chaplin).to_have_count(1)
    expect(chaplin.locator(".faces img")).to_have_count(2)

    chaplin.locator('input[name="face"]').first.check()
    chaplin.get_by_role("button", name="Split off selected faces").click()
    expect(page.locator("#people-count")).to_have_text(f"{len(people)} people in shared")
    expect(chaplin).to_have_count(2)

    page.once("dialog", lambda dialog: dialog.accept())
    chaplin.first.get_by_role("button", name="Reject…").click()
    expect(page.locator("#people-count")).to_have_text(f"{len(people) - 1} people in shared")
    expect(chaplin).to_have_count(1)
    assert len(server.get("/api/people/shared").json()["people"]) == len(people) - 1


@pytest.fixture(scope="module")
def guarded(server: Server) -> Iterator[Server]:
    """The same store served again with an editing token (edits without it: 403)."""
    running = start_server(server.store, env={"DEERIN_WEB_EDIT_TOKEN": "s3cret"})
    yield running
    stop_server(running)


def test_an_edit_without_the_token_is_refused_on_the_page(guarded: Server, page: Page) -> None:
    page.goto(guarded.url + "/people")
    expect(page.locator("#editor-token")).to_be_visible()
    card = person_card(page, "chaplin.mp4").first
    card.get_by_label("Name", exact=True).fill("Nobody")
    card.get_by_role("button", name="Save name").click()
    expect(page.locator("#status")).to_contain_text("editing token")
    expect(page.locator('#status[data-kind="error"]')).to_have_count(1)
    expect(card.get_by_role("button", name="Save name")).to_be_enabled()
    assert "Nobody" not in guarded.get("/api/people/shared").text
