"""Film statistics in the web app: the JSON API in process (each film's figures as
film_stats reads them, films side by side, the report to download, refusals), and the
statistics page in a real browser under its Content-Security-Policy (a collection's
table, two films picked and shown side by side, each chart's PNG and CSV downloaded)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Page, expect

from deerin.explore.stats import film_stats
from deerin.index.catalogue import open_catalogue
from deerin.web.app import create_app
from test_web import local
from test_web_pages import assert_accessible_shape
from webapp import Server, screenshot, settings_for

PAIR = ("chaplin.mp4", "mkv_pgs_Title_T00-1.mkv")  # two films with shots
TIMEOUT = 60_000  # ms


@pytest.fixture(scope="module")
def client(server: Server) -> TestClient:
    """The app in process over the served store (these requests change nothing)."""
    return local(create_app(settings_for(server.store)))


@pytest.fixture(scope="module")
def ids(client: TestClient) -> dict[str, str]:
    """Every video's id by file name."""
    cards = client.get("/api/videos", params={"collection": "shared", "limit": 100}).json()
    return {card["file"]: card["id"] for card in cards["videos"]}


def test_each_film_is_as_film_stats_reads_it(client: TestClient, server: Server) -> None:
    report = client.get("/api/stats", params={"collection": "shared"}).json()
    assert report["collection"] == "shared" and len(report["films"]) == 6
    settings = settings_for(server.store)
    catalogue = open_catalogue(settings)
    try:
        rows = catalogue.videos("shared")
    finally:
        catalogue.close()
    assert report["films"] == [film_stats(settings.data_dir, row).model_dump() for row in rows]
    cards = client.get("/api/videos", params={"collection": "shared", "limit": 100}).json()
    shots = {card["id"]: card["shots"] for card in cards["videos"]}
    assert {f["video_id"]: f["lengths"]["count"] for f in report["films"]} == shots
    assert report["lengths"]["count"] == sum(shots.values())


def test_films_side_by_side_over_the_api(client: TestClient, ids: dict[str, str]) -> None:
    pair = [ids[name] for name in PAIR]
    both = client.get("/api/stats", params={"video": pair}).json()
    assert [f["video_id"] for f in both["films"]] == pair
    alone = client.get("/api/stats", params={"video": pair[1]}).json()
    assert both["films"][1] == alone and alone["lengths"]["count"] > 5
    charts = client.get("/api/stats/charts", params={"video": pair}).json()
    assert charts["title"] == f"Film statistics: {PAIR[0]}, {PAIR[1]}"
    drawn = re.findall(r'<svg id="([^"]+)"', charts["html"])
    assert drawn[:4] == ["compare-lengths", "compare-pace", "compare-scales", "compare-seen"]
    assert len(drawn) == 4 + 2 * 5 and "<script" not in charts["html"]
    whole = client.get("/api/stats/charts", params={"collection": "shared"}).json()["html"]
    assert whole.count("<tr>") == 1 + 6 and "<svg" not in whole  # no years: no trends


def test_the_report_downloads_in_every_format(client: TestClient, ids: dict[str, str]) -> None:
    pair = [ids[name] for name in PAIR]
    table = client.get("/api/stats/report.csv", params={"video": pair})
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert table.headers["content-disposition"] == 'attachment; filename="comparison.stats.csv"'
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["video_id"] for row in rows] == pair
    page = client.get("/api/stats/report.html", params={"video": pair}).text
    assert page.startswith("<!doctype html>") and "<script>" in page  # the file's own PNGs
    assert all(f"<h2>{name}</h2>" in page for name in PAIR)
    one = client.get("/api/stats/report.json", params={"video": pair[0]})
    assert one.json()["file"] == PAIR[0]
    assert one.headers["content-disposition"] == 'attachment; filename="chaplin.stats.json"'


def test_what_cannot_be_counted_is_refused(client: TestClient, ids: dict[str, str]) -> None:
    missing = client.get("/api/stats", params={"video": "0" * 32})
    assert missing.status_code == 404 and "no video" in missing.json()["error"]
    nowhere = client.get("/api/stats/charts", params={"collection": "nope"})
    assert nowhere.status_code == 404 and "no collection 'nope'" in nowhere.json()["error"]
    for asked in ({}, {"video": ids["chaplin.mp4"], "collection": "shared"}):
        refused = client.get("/api/stats", params=asked)
        assert refused.status_code == 400 and "one of them" in refused.json()["error"]
    assert client.get("/api/stats/report.pdf", params={"collection": "shared"}).status_code == 422


def picked(tab: Page, name: str) -> Any:
    return tab.locator("#stats-films label").filter(has_text=name).locator("input")


def test_the_page_compares_two_picked_films_and_downloads_charts(
    server: Server, browser: Any, ids: dict[str, str]
) -> None:
    """Under the page's own policy (no bypass): the PNG is drawn by the page's script."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    refused: list[str] = []
    tab.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    tab.on("pageerror", lambda error: refused.append(str(error)))
    tab.goto(server.url + "/stats?collection=shared")
    rows = tab.locator("#stats-report tbody tr")
    expect(rows).to_have_count(6, timeout=TIMEOUT)
    expect(rows.filter(has_text="chaplin.mp4")).to_have_count(1)
    expect(tab.locator("#stats-films input")).to_have_count(6)
    expect(tab.locator('nav a[aria-current="page"]')).to_have_text("Statistics")
    screenshot(tab, "stats-collection")

    for name in PAIR:
        picked(tab, name).check()
    expect(tab.locator("#stats-compare")).to_have_text("Compare 2 films")
    tab.click("#stats-compare")
    expect(tab).to_have_url(re.compile(r"/stats\?collection=shared&video=\w+&video=\w+$"))
    assert tab.url.endswith(f"video={ids[PAIR[0]]}&video={ids[PAIR[1]]}")
    heads = tab.locator("#stats-report table.side-by-side thead th")
    expect(heads).to_have_text(["figure", *PAIR], timeout=TIMEOUT)
    expect(tab.locator("#compare-lengths")).to_be_visible()
    expect(tab.locator("#stats-count")).to_have_text("2 films side by side")
    screenshot(tab, "stats-side-by-side")
    tab.locator("#compare-seen").scroll_into_view_if_needed()  # the second row of charts
    screenshot(tab, "stats-side-by-side-charts")

    figure = tab.locator("figure", has=tab.locator("#compare-lengths"))
    with tab.expect_download() as png:
        figure.get_by_role("link", name="PNG").click()
    assert png.value.suggested_filename == "compare-lengths.png"
    picture = Image.open(png.value.path())
    assert picture.format == "PNG" and picture.size == (1280, 440)
    assert len(picture.convert("RGB").getcolors(1 << 16) or []) > 3  # bars, text: not blank
    with tab.expect_download() as table:
        figure.get_by_role("link", name="CSV").click()
    lines = table.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"bin,{PAIR[0]},{PAIR[1]}" and len(lines) == 1 + 7
    with tab.expect_download() as report:
        tab.get_by_role("link", name="Download report (HTML)").click()
    assert report.value.path().read_text(encoding="utf-8").count('<svg id="compare-') == 4

    tab.go_back()  # the address is the page's state
    expect(rows).to_have_count(6, timeout=TIMEOUT)
    expect(picked(tab, PAIR[0])).not_to_be_checked()
    context.close()
    assert not refused, refused


def test_the_video_page_links_to_its_statistics(
    server: Server, page: Page, ids: dict[str, str]
) -> None:
    page.goto(f"{server.url}/video/{ids['chaplin.mp4']}?collection=shared")
    page.get_by_role("link", name="Film statistics").click()
    expect(page).to_have_url(re.compile(rf"/stats\?collection=shared&video={ids['chaplin.mp4']}$"))
    expect(page.locator("h1")).to_have_text("Film statistics: chaplin.mp4", timeout=TIMEOUT)
    expect(page.locator("#stats-report svg")).to_have_count(5)
    expect(picked(page, "chaplin.mp4")).to_be_checked()
    expect(page.locator("#stats-whole")).to_be_visible()
    assert_accessible_shape(page)
