"""Supercuts and sequences in the web app: the JSON API in process (clips cut on the
word, no server folder, every timeline download read back by OpenTimelineIO's own
adapters, a phrase said nowhere), and the phrase player and the sequence page in a real
browser on the shared footage (clips played back to back from the original files, skip,
widen, the MP4 rendered and probed, the search page's "Make a sequence")."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import opentimelineio as otio
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from deerin.interact.supercut import WORD_TAIL, SupercutRequest, make_supercut
from deerin.media.probe import probe
from deerin.retrieve.query import QueryError
from deerin.web import clips
from deerin.web.app import create_app
from deerin.web.clips import Renders
from deerin.web.errors import Busy, public_note
from test_web import local
from test_web_pages import assert_accessible_shape
from webapp import Archive, Server, screenshot, settings_for

PHRASE = "Europe"  # said twice in the opening of the manifesto ("haunting Europe", "old Europe")
TIMEOUT = 60_000  # ms
ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "xml": "fcp_xml", "fcpxml": "fcpx_xml"}
READ = {"edl": {"rate": 25}}  # an EDL does not say its rate: manifesto.mp4's
SAMPLE = """async ([seconds]) => {
  const seen = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const video = document.querySelector("video.clip-deck.shown");
    seen.push({ n: document.querySelector(".clip-n")?.textContent, t: video?.currentTime,
                paused: video?.paused, live: document.getElementById("clip-live").textContent,
                caption: document.querySelector(".clip-caption").textContent });
    await new Promise(requestAnimationFrame);
  }
  return seen;
}"""


@pytest.fixture(scope="module")
def client(server: Server) -> TestClient:
    """The app in process over the served store (these requests change nothing)."""
    return local(create_app(settings_for(server.store)))


@pytest.fixture(scope="module")
def cut(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/supercut", params={"q": PHRASE, "collection": "shared"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def spoken(client: TestClient, video_id: str, word: str) -> list[tuple[float, float]]:
    """When ``word`` is said in a video, by its transcript's word timings."""
    transcript = client.get(f"/api/videos/{video_id}/transcript").json()
    return [
        (w["start"], w["end"])
        for segment in transcript["segments"]
        for w in segment["words"]
        if re.sub(r"\W", "", w["word"]).lower() == word.lower()
    ]


def test_a_phrase_is_cut_on_its_words(
    client: TestClient, cut: dict[str, Any], archive: Archive, shared_media: Path
) -> None:
    clips = cut["clips"]
    assert len(clips) >= 2 and [c["n"] for c in clips] == list(range(1, len(clips) + 1))
    assert {c["file"] for c in clips} == {"manifesto.mp4"}
    said = spoken(client, clips[0]["video_id"], PHRASE)
    assert len(said) == len(clips)
    for clip, (start, end) in zip(clips, said, strict=True):
        assert clip["start"] == pytest.approx(start)
        assert end - 1e-6 <= clip["end"] <= end + WORD_TAIL + 1e-6  # on into a pause
        assert clip["caption"].lower().strip(".,") == PHRASE.lower() and clip["kind"] == "speech"
        assert clip["media"] == f"/media/{clip['video_id']}" and clip["sound"] is False
        assert clip["video_page"] == f"/video/{clip['video_id']}?t={start:.2f}"
    assert cut["name"] == PHRASE and cut["duration"] == pytest.approx(
        sum(c["end"] - c["start"] for c in clips)
    )
    text = client.get("/api/supercut", params={"q": PHRASE}).text
    for folder in (archive.root, archive.media, shared_media.resolve()):
        assert str(folder) not in text  # no server folder, only files by name


def test_every_timeline_download_reads_back(
    client: TestClient, cut: dict[str, Any], server: Server, shared_media: Path
) -> None:
    asked = {"q": PHRASE, "collection": "shared", "pad_before": 0.5, "pad_after": 0.5}
    count = len(cut["clips"])
    for fmt, adapter in ADAPTERS.items():
        answer = client.get(f"/api/supercut/download.{fmt}", params=asked)
        assert answer.status_code == 200, (fmt, answer.text)
        disposition = answer.headers["content-disposition"]
        assert disposition == f'attachment; filename="{PHRASE}.supercut.{fmt}"'
        timeline = otio.adapters.read_from_string(answer.text, adapter, **READ.get(fmt, {}))
        clips = [clip for track in timeline.video_tracks() for clip in track.find_clips()]
        assert len(clips) == count, fmt
        first = cut["clips"][0]["end"] - cut["clips"][0]["start"] + 1  # padded 0.5 s each side
        assert clips[0].source_range.duration.to_seconds() == pytest.approx(first, abs=0.1)
    cues = client.get("/api/supercut/download.vtt", params=asked).text
    assert cues.startswith("WEBVTT") and cues.count(" --> ") == count and PHRASE in cues
    table = client.get("/api/supercut/download.csv", params=asked)
    assert table.headers["content-type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(table.text)))) == count
    # on this machine a timeline points at the files where they are; on the network it
    # names them only (the editor relinks), so a visitor learns nothing of the disk
    folder = (shared_media / "speech").resolve().as_uri()
    assert f"{folder}/manifesto.mp4" in client.get("/api/supercut/download.otio", params=asked).text
    networked = local(create_app(settings_for(server.store), host="0.0.0.0"))
    named = networked.get("/api/supercut/download.otio", params=asked).text
    assert "file:///manifesto.mp4" in named and folder not in named


def test_what_cannot_be_cut_is_a_clean_message(client: TestClient) -> None:
    nothing = client.get("/api/supercut", params={"q": "zzzqqq"})
    assert nothing.status_code == 404
    assert nothing.json() == {
        "error": "nothing said or shown matches 'zzzqqq' — try fewer words, a part of the "
        "phrase, or Match: the meaning"
    }
    bad = client.get("/api/supercut", params={"q": PHRASE, "order": "loudest"})
    assert bad.status_code == 400 and "no order 'loudest'" in bad.json()["error"]
    assert client.get("/api/supercut/download.mov", params={"q": PHRASE}).status_code == 422
    elsewhere = client.get("/api/supercut", params={"q": PHRASE, "collection": "nope"})
    assert elsewhere.status_code == 404 and "no collection 'nope'" in elsewhere.json()["error"]
    # a rhythm clip is a catalogued video, never a file of the server's choosing
    beat = {"q": PHRASE, "strategy": "rhythm", "rhythm": "/etc/hostname:0-5"}
    path = client.get("/api/sequence", params=beat)
    assert path.status_code == 404 and "no video 'hostname'" in path.json()["error"]  # no folder
    moved = public_note("/srv/old films/reel 1.mkv has moved or gone since ingest")
    assert moved == "reel 1.mkv has moved or gone since ingest"


def test_a_web_render_is_bounded(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A visitor cannot start a film of hours, nor queue renders behind one."""
    settings = settings_for(server.store)
    renders = Renders(settings, local=True)
    monkeypatch.setattr(clips, "RENDER_SECONDS", 60)  # manifesto.mp4 lasts 88 s
    long = make_supercut(settings, SupercutRequest(PHRASE, pad_after=60))
    assert long.duration > 60
    with pytest.raises(QueryError, match="a render from the web app lasts at most 60 s"):
        renders.rendered(long)
    fresh = make_supercut(settings, SupercutRequest(PHRASE, seed=7, pad_before=0.25))
    with renders._lock, pytest.raises(Busy, match="another film is being rendered"):
        renders.rendered(fresh)  # while a render is under way


def test_the_phrase_plays_back_to_back(server: Server, page: Page, cut: dict[str, Any]) -> None:
    """Type the phrase: clip 1 plays inside its words, then clip 2 on its own; widen seeks
    a second earlier; skip plays the next; the MP4 link gives a rendered film."""
    clips = cut["clips"]
    page.goto(server.url + "/supercut?collection=shared")
    page.get_by_role("searchbox", name="Phrase").fill(PHRASE)
    page.keyboard.press("Enter")
    expect(page.locator("#clips li")).to_have_count(len(clips), timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(rf"/supercut\?collection=shared&q={PHRASE}$"))
    seen = page.evaluate(SAMPLE, [clips[1]["end"] - clips[0]["start"] + 3])
    for n, clip in enumerate(clips[:2], start=1):
        playing = [s for s in seen if s["n"] == f"{n} of {len(clips)}" and not s["paused"]]
        assert playing, (n, seen[:5])
        times = [s["t"] for s in playing if s["t"] > clip["start"] + 0.01]
        assert times and all(clip["start"] - 0.05 <= t <= clip["end"] + 0.3 for t in times), n
        assert all(PHRASE.lower() in s["caption"].lower() for s in playing)
        assert playing[0]["live"].startswith(f"Clip {n} of {len(clips)}: “{clip['caption']}”")
        assert "manifesto.mp4" in playing[0]["live"]
    expect(page.locator("#clip-live")).to_have_text(
        f"The end: all {len(clips)} clips played. Press Play to start again."
    )

    page.locator("#clips .clip-item").first.click()
    page.keyboard.press("w")
    expect(page.locator("#clip-context")).to_have_text("context ±1 s")
    at = page.evaluate("() => document.querySelector('video.clip-deck.shown').currentTime")
    assert clips[0]["start"] - 1.05 <= at < clips[0]["start"], at  # a second before the word
    page.evaluate("() => window.scrollTo(0, 0)")  # the picture shows the phrase box too
    screenshot(page, "supercut")
    page.keyboard.press("w")  # ±2 s: clip 2 lasts long enough to check it unhurried
    expect(page.locator("#clip-context")).to_have_text("context ±2 s")
    page.get_by_role("button", name="Skip to the next clip").click()
    expect(page.locator(".clip-n")).to_have_text(f"2 of {len(clips)}")
    at = page.evaluate("() => document.querySelector('video.clip-deck.shown').currentTime")
    assert clips[1]["start"] - 2.05 <= at <= clips[1]["end"] + 2, at
    page.evaluate("() => document.activeElement.blur()")  # Space on a button presses it
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    paused = page.evaluate("() => document.querySelector('video.clip-deck.shown').currentTime")
    assert paused < clips[1]["end"] + 2 and "The end" not in page.inner_text("#clip-live")

    mp4 = page.locator('#clips-downloads a[data-format="mp4"]').get_attribute("href")
    assert mp4 and "pad_before=2" in mp4
    film = httpx.get(server.url + mp4, timeout=120)
    assert film.status_code == 200 and film.headers["content-type"] == "video/mp4"
    path = server.store.parent / "supercut.mp4"
    path.write_bytes(film.content)
    made = probe(path)
    assert made.has_picture and made.audio
    timeline = httpx.get(server.url + mp4.replace("download.mp4", "download.otio"), timeout=60)
    length = otio.adapters.read_from_string(timeline.text, "otio_json").duration().to_seconds()
    assert made.duration == pytest.approx(length, abs=0.1)  # the film is the timeline


def test_a_sound_recording_plays_with_a_card_and_nothing_is_no_error(
    server: Server, page: Page
) -> None:
    page.goto(server.url + "/supercut?q=fellow+Americans")
    card = page.locator(".clip-sound")
    expect(card).to_have_text("♪Sound recording: jfk.flac", timeout=TIMEOUT)
    clip = page.locator("#clips .clip-item").first
    start = float(clip.get_attribute("data-start") or 0)
    page.wait_for_function(  # the sound plays in the same element, from the words
        "(s) => { const v = document.querySelector('video.clip-deck.shown');"
        " return !v.paused && v.currentTime > s + 0.1; }",
        arg=start,
    )
    expect(page.locator(".clip-caption")).to_have_text(re.compile("fellow Americans", re.I))
    screenshot(page, "supercut-sound")

    page.goto(server.url + "/supercut?q=zzzqqq")
    expect(page.locator("#clips-count")).to_contain_text(
        "nothing said or shown matches 'zzzqqq'", timeout=TIMEOUT
    )
    expect(page.locator("#clips-player")).to_be_hidden()
    expect(page.locator("#messages")).to_be_empty()  # no error: an answer
    assert_accessible_shape(page)


def test_a_search_and_a_saved_set_make_sequences(server: Server, page: Page) -> None:
    page.goto(server.url + f"/search?q={PHRASE}&collection=shared")
    link = page.get_by_role("link", name="Make a sequence")
    expect(link).to_be_visible(timeout=TIMEOUT)
    link.click()
    expect(page).to_have_url(re.compile(rf"/sequence\?collection=shared&q={PHRASE}$"))
    expect(page.locator("#clips li").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".clip-n")).to_contain_text("1 of")
    start = float(page.locator("#clips .clip-item").first.get_attribute("data-start") or 0)
    page.wait_for_function(
        "(start) => document.querySelector('video.clip-deck.shown').currentTime > start + 0.2",
        arg=start,
    )
    screenshot(page, "sequence")
    assert_accessible_shape(page)

    meta = server.get("/api/map/shared/meta.json").json()
    saved = server.post(
        "/api/sets",
        json={"collection": "shared", "name": "every shot", "version": meta["version"],
              "ranges": [[0, meta["count"]]]},
    )  # fmt: skip
    assert saved.status_code == 201, saved.text
    page.goto(server.url + "/map?collection=shared")
    page.get_by_role("link", name="Make a sequence of every shot").click()
    expect(page).to_have_url(re.compile(r"/sequence\?q=set%3A%22every\+shot%22&collection=shared$"))
    expect(page.get_by_role("searchbox", name="Shots of")).to_have_value('set:"every shot"')
    expect(page.locator("#clips li")).not_to_have_count(0, timeout=TIMEOUT)
    assert page.locator("#clips li").count() > 3  # the shots of every film
