"""The web app over HTTP, in process: serving media with ranges, caching headers, the
library's lists, exports, and every refusal of the security baseline (traversal, links
out, uploads, edits without the token, no stack traces)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from deerin.index.catalogue import open_catalogue
from deerin.retrieve.library import VideoCard, browse
from deerin.web.app import create_app
from test_faces import astronaut
from webapp import Archive, private_store, settings_for


@pytest.fixture(scope="module")
def store(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return private_store(archive, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(store: Path) -> TestClient:
    return local(create_app(settings_for(store)))


LOCAL = "http://127.0.0.1"  # the app on this machine answers only its own host names


def local(app: object) -> TestClient:
    return TestClient(app, base_url=LOCAL, raise_server_exceptions=False)  # type: ignore[arg-type]


def video_id(client: TestClient, name: str) -> str:
    found = client.get("/api/videos", params={"q": name}).json()["videos"]
    assert len(found) == 1, found
    return found[0]["id"]


def test_the_collection_lists_every_file_with_its_indicators(client: TestClient) -> None:
    page = client.get("/api/videos", params={"collection": "shared", "limit": 100}).json()
    cards = {card["file"]: card for card in page["videos"]}
    assert page["total"] == 6 and len(cards) == 6  # the .srt belongs to manifesto.mp4
    manifesto = cards["manifesto.mp4"]
    assert manifesto["indicators"]["speech"] and manifesto["indicators"]["text"]  # the .srt
    assert manifesto["duration"] == pytest.approx(88, abs=1) and manifesto["poster"]
    assert cards["jfk.flac"]["media"] == "sound" and cards["jfk.flac"]["shots"] == 0
    assert cards["mkv_pgs_Title_T00-1.mkv"]["shots"] > 5
    assert cards["portrait_a.mkv"]["indicators"]["faces"] >= 2
    assert cards["portrait_a.mkv"]["indicators"]["people"]  # the astronaut's person
    by_length = client.get("/api/videos", params={"sort": "duration", "order": "desc"}).json()
    lengths = [card["duration"] for card in by_length["videos"]]
    assert lengths == sorted(lengths, reverse=True)
    sound = client.get("/api/videos", params={"media": "sound"}).json()["videos"]
    assert [card["file"] for card in sound] == ["jfk.flac"]
    speech = client.get("/api/videos", params={"has": "speech", "limit": 2, "offset": 0}).json()
    assert speech["total"] >= 2 and len(speech["videos"]) == 2


def test_bad_list_requests_are_one_line_errors(client: TestClient) -> None:
    assert client.get("/api/videos", params={"sort": "colour"}).json()["error"].startswith("sort")
    answer = client.get("/api/videos", params={"collection": "nope"})
    assert answer.status_code == 400 and "no collection 'nope'" in answer.json()["error"]
    assert client.get("/api/videos", params={"limit": 0}).status_code == 422


def test_the_original_is_served_with_byte_ranges(client: TestClient, archive: Archive) -> None:
    vid = video_id(client, "manifesto")
    whole = (archive.media / "manifesto.mp4").read_bytes()
    answer = client.get(f"/media/{vid}", headers={"Range": "bytes=1000-1999"})
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes 1000-1999/{len(whole)}"
    assert answer.content == whole[1000:2000]
    assert "max-age" in answer.headers["cache-control"]
    sound = video_id(client, "jfk")
    assert client.get(f"/media/{sound}", headers={"Range": "bytes=0-9"}).status_code == 206


def test_a_film_the_browser_cannot_play_gets_its_proxy(client: TestClient) -> None:
    vid = video_id(client, "T00-1")  # HEVC in Matroska
    details = client.get(f"/api/videos/{vid}").json()
    assert details["src"] == f"/media/{vid}/proxy"
    proxy = client.get(details["src"], headers={"Range": "bytes=0-7"})
    assert proxy.status_code == 206 and proxy.content[4:8] == b"ftyp"
    playable = client.get(f"/api/videos/{video_id(client, 'manifesto')}").json()
    assert playable["src"].endswith(video_id(client, "manifesto"))


def test_thumbnails_and_barcodes_carry_caching_headers(client: TestClient) -> None:
    vid = video_id(client, "T00-1")
    shots = client.get(f"/api/videos/{vid}/shots").json()["shots"]
    answer = client.get(f"/api/thumbnail/{shots[0]['thumb']}")
    assert answer.status_code == 200 and "max-age" in answer.headers["cache-control"]
    barcode = client.get(f"/api/videos/{vid}/barcode.png")
    picture = Image.open(io.BytesIO(barcode.content))
    assert barcode.status_code == 200 and picture.width > 10
    assert client.get(f"/api/videos/{video_id(client, 'jfk')}/barcode.png").status_code == 404


def test_every_export_the_page_offers_downloads(client: TestClient) -> None:
    vid = video_id(client, "manifesto")
    offered = client.get(f"/api/videos/{vid}").json()["exports"]
    layers = {each["layer"] for each in offered}
    assert {"transcript", "shots", "subtitles"} <= layers
    for each in offered:
        for fmt in each["formats"]:
            answer = client.get(f"/api/videos/{vid}/export/{each['layer']}.{fmt}")
            assert answer.status_code == 200, (each["layer"], fmt, answer.text)
            assert "attachment" in answer.headers["content-disposition"]
    vtt = client.get(f"/api/videos/{vid}/export/transcript.vtt").text
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    wrong = client.get(f"/api/videos/{vid}/export/transcript.edl")
    assert wrong.status_code == 400 and "not exported as edl" in wrong.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "../catalogue.sqlite",
        "..%2Fcatalogue.sqlite",
        "..%252Fcatalogue.sqlite",
        "videos/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "videos/%2e%2e/%2e%2e/catalogue.sqlite",
    ],
)
def test_no_path_leaves_the_data_dir(client: TestClient, path: str) -> None:
    answer = client.get(f"/api/thumbnail/{path}")
    assert answer.status_code == 404
    assert "root:" not in answer.text and "SQLite" not in answer.text


def test_a_link_out_of_the_data_dir_or_the_media_folder_is_refused(
    store: Path, client: TestClient, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.jpg"
    astronaut().save(outside)
    shots = client.get(f"/api/videos/{video_id(client, 'T00-1')}/shots").json()["shots"]
    thumb = store / shots[0]["thumb"]
    link = thumb.with_name("link.jpg")
    link.symlink_to(outside)
    relative = link.relative_to(store).as_posix()
    assert client.get(f"/api/thumbnail/{relative}").status_code == 404
    # A catalogued film replaced by a link to a file elsewhere is not served either.
    vid = video_id(client, "chaplin")
    catalogue = open_catalogue(settings_for(store))
    listed = Path(catalogue.video(vid).path)
    catalogue.close()
    moved = tmp_path / "chaplin-copy.mp4"
    shutil.copy(listed, moved)
    replaced = tmp_path / "media"
    replaced.mkdir()
    os.symlink(moved, replaced / "chaplin.mp4")
    catalogue = open_catalogue(settings_for(store))
    catalogue.upsert_video(vid, replaced / "chaplin.mp4", moved.stat().st_size)
    catalogue.close()
    answer = client.get(f"/media/{vid}")
    assert answer.status_code == 404 and "leads elsewhere" in answer.json()["error"]
    # So is one whose folder became a link (to /etc, say) since it was ingested.
    folder = tmp_path / "real"
    folder.mkdir()
    shutil.copy(listed, folder / "chaplin.mp4")
    os.symlink(folder, tmp_path / "linked")
    catalogue = open_catalogue(settings_for(store))
    catalogue.upsert_video(vid, tmp_path / "linked" / "chaplin.mp4", moved.stat().st_size)
    catalogue.close()
    assert client.get(f"/media/{vid}").status_code == 404


def test_unknown_ids_are_404_never_a_trace(client: TestClient) -> None:
    for path in ("/media/0123456789abcdef0123", "/media/../../etc/passwd", "/api/videos/zz"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Traceback" not in answer.text
    assert client.get("/video/0123456789abcdef0123").status_code == 404


def test_uploads_are_limited_and_must_be_pictures(store: Path) -> None:
    small = local(create_app(settings_for(store, **{"web.upload_mb": 1})))
    big = io.BytesIO()
    Image.effect_noise((1200, 1200), 100).convert("RGB").save(big, "PNG")
    assert big.tell() > 1024 * 1024
    answer = small.post("/api/search/picture", files={"file": ("big.png", big.getvalue())})
    assert answer.status_code == 413 and "over 1 MB" in answer.json()["error"]
    text = small.post("/api/search/picture", files={"file": ("x.png", b"not a picture at all")})
    assert text.status_code == 400 and "picture" in text.json()["error"]


def correction(client: TestClient, vid: str, **headers: str) -> object:
    segment = client.get(f"/api/videos/{vid}/transcript").json()["segments"][0]
    word = segment["words"][0]
    body = {
        "kind": "word",
        "segment_start": segment["start"],
        "word_start": word["start"],
        "old": word["word"],
        "new": "Zanzibar",
    }
    return client.post(f"/api/videos/{vid}/corrections", json=body, headers=headers)


def test_on_the_network_without_a_token_the_app_is_read_only(store: Path) -> None:
    exposed = local(create_app(settings_for(store), host="0.0.0.0"))
    vid = video_id(exposed, "jfk")
    answer = correction(exposed, vid)
    assert answer.status_code == 403 and "read-only" in answer.json()["error"]
    named = exposed.post("/api/people/shared/p0001/name", json={"name": "X"})
    assert named.status_code == 403
    assert exposed.get("/api/videos").status_code == 200  # reading still works


def test_with_a_token_edits_need_it_and_record_who(store: Path) -> None:
    guarded = local(create_app(settings_for(store, **{"web.edit_token": "s3cret"}), host="0.0.0.0"))
    vid = video_id(guarded, "jfk")
    assert not guarded.get("/api/search", params={"q": "zanzibar"}).json()["hits"]
    refused = correction(guarded, vid, **{"X-DEERIn-Token": "wrong"})
    assert refused.status_code == 403 and "token" in refused.json()["error"]
    done = correction(
        guarded, vid, **{"X-DEERIn-Token": "s3cret", "X-DEERIn-Editor": "Ana%20Mar%C3%ADa"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["by"] == "Ana María" and done.json()["made"]
    words = [
        w["word"].strip()
        for s in guarded.get(f"/api/videos/{vid}/transcript").json()["segments"]
        for w in s["words"]
    ]
    assert "Zanzibar" in words
    found = guarded.get("/api/search", params={"q": "zanzibar"}).json()["hits"]
    assert any(hit["video_id"] == vid for hit in found)


def test_library_pages_10000_videos() -> None:
    """The collection page's list at 10,000 videos: sorted, filtered, paged in memory
    (bench/web_load.py times it)."""
    base = {
        "generated_title": "", "media": "film", "date": "", "year": None, "identifier": "",
        "rights": "", "description": "", "languages": [], "poster": None, "collections": ["c"],
        "indicators": {"speech": False, "text": False, "faces": 0, "people": [], "problems": 0},
    }  # fmt: skip
    cards = [
        VideoCard(id=f"{i:020x}", title=f"Film {i}", file=f"f{i}.mp4", duration=float(i % 977),
                  shots=i % 50, **base)
        for i in range(10_000)
    ]  # fmt: skip
    page = browse(cards, text="film 9", sort="duration", descending=True, offset=48, limit=48)
    assert page.total == 1111 and len(page.videos) == 48
    durations = [card.duration for card in page.videos]
    assert durations == sorted(durations, reverse=True)


def test_on_this_machine_the_app_answers_only_its_own_names(store: Path) -> None:
    """A page elsewhere whose name resolves here (DNS rebinding) gets nothing."""
    app = create_app(settings_for(store))
    assert local(app).get("/api/videos").status_code == 200
    rebound = TestClient(app, base_url="http://attacker.example:8765")
    assert rebound.get("/api/videos").status_code == 400
    assert rebound.post("/api/people/shared/p0001/name", json={"name": "x"}).status_code == 400
    exposed = TestClient(
        create_app(settings_for(store), host="0.0.0.0"), base_url="http://archive.lan"
    )
    assert exposed.get("/api/videos").status_code == 200  # on the network: by any name


def test_errors_name_no_folder_of_the_server(client: TestClient, store: Path) -> None:
    answers = [
        client.get("/api/videos", params={"collection": "nope"}),
        client.get(f"/api/videos/{video_id(client, 'jfk')}/export/shots.csv"),
        client.get("/media/0123456789abcdef0123"),
        client.get("/api/thumbnail/videos/nothing.jpg"),
    ]
    for answer in answers:
        assert answer.status_code in (400, 404), answer.text
        error = answer.json()["error"]
        assert str(store) not in error and "/work" not in error and "/tmp" not in error, error
    assert answers[1].json()["error"].startswith("jfk.flac: is a sound recording")


def test_bodies_are_refused_by_size_before_they_are_read(store: Path) -> None:
    exposed = local(create_app(settings_for(store), host="0.0.0.0"))
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {"Content-Type": "application/json"}
    answer = exposed.post("/api/people/shared/p0001/name", content=huge, headers=headers)
    assert answer.status_code == 413 and "over 1 MB" in answer.json()["error"]


def test_decisions_made_at_once_are_all_kept(store: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from deerin.index import artefacts
    from deerin.index.schemas import PeopleDecisions
    from deerin.index.store import CollectionFolder

    app = create_app(settings_for(store))
    person = local(app).get("/api/people/shared").json()["people"][0]["id"]

    def name(n: int) -> int:
        return (
            local(app).post(f"/api/people/shared/{person}/name", json={"name": f"N{n}"}).status_code
        )

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(name, range(6))) == {200}
    folder = CollectionFolder.for_collection(store, "shared")
    decisions = artefacts.read(folder, PeopleDecisions).decisions
    assert sorted(d.name for d in decisions if d.name and d.name.startswith("N")) == [
        f"N{n}" for n in range(6)
    ]


def test_an_edit_during_an_ingest_is_kept_without_waiting(store: Path) -> None:
    from deerin.pipeline.ingest import collection_lock

    app = local(create_app(settings_for(store)))
    vid = video_id(app, "manifesto")
    with collection_lock(settings_for(store), "shared", wait=False):
        answer = correction(app, vid)
    assert answer.status_code == 200, answer.text
    assert answer.json()["indexed"] is False and "kept" in answer.json()["note"]
    listed = app.get(f"/api/videos/{vid}/corrections").json()["corrections"]
    assert listed[-1]["new"] == "Zanzibar" and listed[-1]["applied"]


def test_pages_load_nothing_from_elsewhere(client: TestClient) -> None:
    """Offline and safe: every script and style is the app's own, and the page says so."""
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    html = page.text
    assert "http://" not in html and "https://" not in html  # no CDN, no font service
    for asset in ("/static/style.css", "/static/js/collection.js"):
        assert asset in html
        assert client.get(asset.split("?")[0]).status_code == 200


def test_deerin_export_writes_a_video_as_a_iiif_manifest(store: Path) -> None:
    import json

    from iiif_prezi3 import Manifest
    from typer.testing import CliRunner

    from deerin.cli.main import application

    args = ["--data-dir", str(store), "export", "jfk.flac", "--layer", "iiif", "-f", "json"]
    result = CliRunner().invoke(application(), [*args, "--base-url", "https://archive.example"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    manifest = Manifest(**document)
    assert str(manifest.id).startswith("https://archive.example/iiif/")
    assert document["items"][0]["duration"] == pytest.approx(11, abs=0.5)
