"""The video page in a real Chromium against a real `deerin serve`: the player follows a
click on a word or a shot and the URL's ?t=, the word being said is marked, the HEVC
film plays its proxy, corrections made through the page reach the API and search, the
keyboard alone reaches and drives the player, and the export links download."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from webapp import Server, screenshot, start_server, stop_server

MANIFESTO = "manifesto.mp4"
POPEYE = "mkv_pgs_Title_T00-1.mkv"  # HEVC: Chromium plays its proxy
JFK = "jfk.flac"
PLAYER = "document.querySelector('#player')"
LOADED = f"{PLAYER}.readyState >= 1"
EDITOR = "Test Editor"


def video_id(server: Server, name: str) -> str:
    videos = server.get("/api/videos", params={"q": name.rsplit(".", 1)[0]}).json()["videos"]
    return next(v["id"] for v in videos if v["file"] == name)


def words_of(server: Server, vid: str) -> list[dict[str, Any]]:
    """Every word in the order the page draws them (its buttons' data-i)."""
    segments = server.get(f"/api/videos/{vid}/transcript").json()["segments"]
    return [word for segment in segments for word in segment["words"]]


def shots_of(server: Server, vid: str) -> list[dict[str, Any]]:
    return server.get(f"/api/videos/{vid}/shots").json()["shots"]


def open_video(page: Page, server: Server, vid: str, query: str = "", ready: str = ".w") -> None:
    page.goto(f"{server.url}/video/{vid}{query}")
    page.wait_for_selector(ready)
    page.wait_for_function(LOADED)


def current_time(page: Page) -> float:
    return page.evaluate(f"{PLAYER}.currentTime")


def near(page: Page, seconds: float, within: float) -> None:
    """Wait until the player is within ``within`` seconds of ``seconds``."""
    page.wait_for_function(f"Math.abs({PLAYER}.currentTime - {seconds}) < {within}", timeout=5000)


def test_a_word_clicked_plays_from_it_and_the_word_said_is_marked(
    page: Page, server: Server
) -> None:
    vid = video_id(server, MANIFESTO)
    words = words_of(server, vid)
    open_video(page, server, vid)
    assert page.locator(".w").count() == len(words)
    assert "English" in page.locator(".transcript-language").inner_text()
    chosen = len(words) // 3
    page.locator(f'.w[data-i="{chosen}"]').click()
    near(page, words[chosen]["start"], 0.3)
    assert page.locator(f'.w[data-i="{chosen}"]').get_attribute("aria-current") == "true"

    page.evaluate(f"{PLAYER}.play()")
    page.wait_for_function(f"{PLAYER}.currentTime > {words[chosen]['end'] + 1.5}", timeout=8000)
    marked = page.evaluate(
        "(() => { const m = [...document.querySelectorAll('.w[aria-current=true]')];"
        f" return {{n: m.length, at: +m[0]?.dataset.i, now: m[0]?.matches('.now'),"
        f" t: {PLAYER}.currentTime}}; }})()"
    )
    at, t = marked["at"], marked["t"]
    assert marked["n"] == 1 and marked["now"], marked
    assert at > chosen
    assert words[at]["start"] <= t + 0.1, (words[at], t)
    assert at + 1 == len(words) or words[at + 1]["start"] >= t - 0.1, (words[at + 1], t)
    page.mouse.move(1, 400)  # no word hovered in the picture
    screenshot(page, "video")
    page.evaluate(f"{PLAYER}.pause()")


def test_a_shot_clicked_plays_from_its_start(page: Page, server: Server) -> None:
    vid = video_id(server, POPEYE)
    shots = shots_of(server, vid)
    assert len(shots) > 3
    open_video(page, server, vid, ready=".shot")
    assert page.locator(".shot").count() == len(shots)
    assert page.locator(".shot img").first.get_attribute("loading") == "lazy"
    page.locator('.shot[data-i="3"]').click()
    near(page, shots[3]["start"], 0.1)
    assert page.locator('.shot[aria-current="true"]').get_attribute("data-i") == "3"
    # '.' goes to the next shot, ',' back to this one's start (the page has focus, not a field)
    page.locator("h1").click()
    page.keyboard.press(".")
    near(page, shots[4]["start"], 0.1)
    page.keyboard.press(",")
    near(page, shots[3]["start"], 0.1)


def test_hevc_film_plays_its_proxy(page: Page, server: Server) -> None:
    vid = video_id(server, POPEYE)
    open_video(page, server, vid, ready=".shot")
    source = page.evaluate(f"{PLAYER}.currentSrc")
    assert source.endswith(f"/media/{vid}/proxy"), source
    assert page.evaluate(f"{PLAYER}.error") is None
    assert abs(page.evaluate(f"{PLAYER}.duration") - 60) < 1


def test_the_url_time_opens_there(page: Page, server: Server) -> None:
    vid = video_id(server, MANIFESTO)
    open_video(page, server, vid, "?t=30")
    near(page, 30, 1.0)
    marked = int(page.locator('.w[aria-current="true"]').get_attribute("data-i"))
    assert abs(words_of(server, vid)[marked]["start"] - 30) < 3


def test_a_word_corrected_on_the_page_is_kept_and_found(page: Page, server: Server) -> None:
    vid = video_id(server, MANIFESTO)
    words = words_of(server, vid)
    chosen = len(words) // 2
    open_video(page, server, vid)
    page.fill("#editor-name", EDITOR)
    page.keyboard.press("Tab")  # the name is kept when the field is left
    page.locator(f'.w[data-i="{chosen}"]').click()
    page.locator(".correct summary").click()
    assert page.input_value("#fix-word") == words[chosen]["word"]
    page.fill("#fix-word", "zeppelin")
    page.get_by_role("button", name="Save word").click()
    page.wait_for_selector("#status.shown:has-text('Saved')")
    page.wait_for_selector(f'.w[data-i="{chosen}"]:text-is("zeppelin")')

    page.reload()
    page.wait_for_selector(".w")
    assert page.locator(f'.w[data-i="{chosen}"]').inner_text() == "zeppelin"
    history = page.locator(".history li").first.inner_text()
    assert "zeppelin" in history and f"by {EDITOR}" in history
    hits = server.get("/api/search", params={"q": "zeppelin"}).json()["hits"]
    assert any(
        hit["video_id"] == vid and "zeppelin" in match["text"]
        for hit in hits
        for match in hit["matches"]
    ), hits


def test_shots_merged_and_split_on_the_page(page: Page, server: Server) -> None:
    vid = video_id(server, POPEYE)
    shots = shots_of(server, vid)
    open_video(page, server, vid, ready=".shot")
    heading = page.locator("#shots-heading")
    assert f"({len(shots)})" in heading.inner_text()

    page.locator('.shot[data-i="2"]').click()
    near(page, shots[2]["start"], 0.1)
    page.get_by_role("button", name="Merge shot 3 with shot 2").click()
    page.wait_for_selector(f"#shots-heading:has-text('({len(shots) - 1})')")
    page.reload()
    page.wait_for_selector(".shot")
    assert page.locator(".shot").count() == len(shots) - 1
    merged = shots_of(server, vid)
    assert len(merged) == len(shots) - 1
    assert merged[1]["end"] == pytest.approx(shots[2]["end"])

    page.wait_for_function(LOADED)
    page.locator('.shot[data-i="1"]').click()  # 3.1 s to 22.1 s now
    near(page, merged[1]["start"], 0.1)
    page.get_by_role("button", name="Forward 5 seconds").click()
    near(page, merged[1]["start"] + 5, 0.1)
    page.get_by_role("button", name="Split the shot at the playhead").click()
    page.wait_for_selector(f"#shots-heading:has-text('({len(shots)})')")
    page.reload()
    page.wait_for_selector(".shot")
    assert page.locator(".shot").count() == len(shots)
    split = shots_of(server, vid)
    assert split[2]["start"] == pytest.approx(merged[1]["start"] + 5, abs=1 / 24)
    assert page.locator(".history li").count() == 2


def test_the_keyboard_alone_reaches_the_player_and_the_words(page: Page, server: Server) -> None:
    vid = video_id(server, MANIFESTO)
    words = words_of(server, vid)
    open_video(page, server, vid)
    reached: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        what = page.evaluate(
            "(() => { const a = document.activeElement;"
            " return a.matches('.play') ? 'play' : a.matches('.w') ? 'word' : a.tagName; })()"
        )
        reached.add(what)
        if what == "play":
            page.keyboard.press("Space")
            page.wait_for_function(f"!{PLAYER}.paused", timeout=5000)
            page.keyboard.press("k")
            page.wait_for_function(f"{PLAYER}.paused", timeout=5000)
        if what == "word":
            break
    assert {"VIDEO", "play", "word"} <= reached, reached  # the native controls, ours, a word
    # ←/→ walk the words (not the player); Enter plays from the word reached
    first = int(page.evaluate("document.activeElement.dataset.i"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.i") == str(first + 2)
    page.keyboard.press("Enter")
    near(page, words[first + 2]["start"], 0.3)
    # out of the transcript, → steps the player 5 s
    start = current_time(page)
    page.locator("h1").click()
    page.keyboard.press("ArrowRight")
    near(page, start + 5, 0.3)


def test_an_export_link_downloads_the_file(page: Page, server: Server) -> None:
    vid = video_id(server, MANIFESTO)
    open_video(page, server, vid)
    with page.expect_download() as download:
        page.get_by_role("link", name="Transcript as VTT").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    assert "-->" in text
    assert download.value.suggested_filename == "manifesto.transcript.vtt"


def test_a_sound_recording_has_a_sound_player_and_its_transcript(
    page: Page, server: Server
) -> None:
    vid = video_id(server, JFK)
    open_video(page, server, vid)
    assert page.evaluate(f"{PLAYER}.tagName") == "AUDIO"
    assert page.locator(".shots").count() == 0
    assert page.locator(".generated").first.is_visible()
    assert "country" in page.locator(".transcript-text").inner_text()
    page.locator('.w:text-is("fellow")').click()
    near(page, 1.44, 0.3)
    page.evaluate(f"{PLAYER}.play()")
    page.wait_for_function(f"{PLAYER}.currentTime > 4", timeout=8000)
    page.evaluate(f"{PLAYER}.pause()")
    assert page.locator('.w[aria-current="true"]').count() == 1
    page.mouse.move(1, 400)
    screenshot(page, "video-sound")


def test_a_line_corrected_on_the_page_and_undone(page: Page, server: Server) -> None:
    vid = video_id(server, JFK)
    open_video(page, server, vid)
    second = page.locator(".segment").nth(1)
    before = second.locator(".w").all_inner_texts()
    second.locator(".w").nth(2).focus()
    page.keyboard.press("e")  # the chosen word's form, from the keyboard
    line = "Ask what you can do for your zeppelin country."
    assert page.input_value("#fix-line") == " ".join(before)
    page.fill("#fix-line", line)
    page.get_by_role("button", name="Save line").click()
    page.wait_for_selector(".segment:nth-child(2) .w:text-is('zeppelin')")
    page.reload()
    page.wait_for_selector(".w")
    assert page.locator(".segment").nth(1).locator(".w").all_inner_texts() == line.split()
    page.get_by_role("button", name="Undo c0001").click()
    page.wait_for_selector(".history li:has-text('c0001 undone')")
    assert page.locator(".segment").nth(1).locator(".w").all_inner_texts() == before


def test_an_edit_refused_by_the_server_is_said(page: Page, server: Server) -> None:
    vid = video_id(server, MANIFESTO)
    guarded = start_server(
        server.store, "--host", "0.0.0.0", env={"DEERIN_WEB_EDIT_TOKEN": "s3cret"}
    )
    try:
        open_video(page, guarded, vid)
        page.locator('.w[data-i="3"]').click()
        page.locator(".correct summary").click()
        page.fill("#fix-word", "wrong")
        page.get_by_role("button", name="Save word").click()
        status = page.locator("#status.shown[data-kind='error']")
        status.wait_for()
        assert "editing token" in status.inner_text()
    finally:
        stop_server(guarded)
    read_only = start_server(server.store, "--host", "0.0.0.0")
    try:
        open_video(page, read_only, vid)
        assert page.locator(".correct").count() == 0
        assert page.get_by_text("Read-only").is_visible()
        assert page.locator(".history li").count() >= 1
        assert page.locator(".history button:has-text('Undo')").count() == 0
    finally:
        stop_server(read_only)
