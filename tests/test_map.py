"""The collection map: layouts, clusters and their labels, incremental updates, the
bundle the map page reads, named sets, and the command line.

Most tests use a small synthetic collection written into a real search index (three
kinds of picture vectors, each with its own tags and words), so every answer is known;
one reads the map that ingest made of the shared footage.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.explore import layout
from deerin.explore.bundle import ATLAS, NONE, Bundle, export
from deerin.explore.clusters import NOISE, Terms, find_clusters, label_clusters, spread
from deerin.explore.map import MODEL, build_map, read_map
from deerin.index.schemas import SetShot
from deerin.index.search_index import STATE, SearchIndex
from deerin.index.sets import read_sets, save_set, shot_set
from deerin.retrieve.build import FORMAT
from deerin.retrieve.query import Query, parse
from deerin.retrieve.search import NotInCollection, Searcher
from deerin.retrieve.units import arrow_table
from deerin.settings import Settings
from webapp import COLLECTION, Archive, settings_for

KINDS = (  # a kind of picture: its tags, what is said over it
    ("sea", "ocean ship wave", "the storm at sea"),
    ("city", "street tram building", "traffic in the city"),
    ("farm", "tractor field cow", "harvest on the farm"),
)
PICTURE_DIM, TEXT_DIM = 32, 16


def synthetic_rows(start: int, count: int) -> tuple[list[dict], list[dict]]:
    """Shots ``start…`` of three kinds (row i is kind i % 3), ten shots per video."""
    centres = np.random.default_rng(5).normal(size=(3, PICTURE_DIM)) * 4
    words = np.random.default_rng(6).normal(size=(3, TEXT_DIM)) * 4
    shots, passages = [], []
    for i in range(start, start + count):
        kind = i % 3
        noise = np.random.default_rng(i)
        video = f"vid{i // 10:04d}"
        facets = {
            "video_id": video, "file": f"{video}.mp4", "media": "film",
            "year": 1950 + (i // 10) % 5, "date": "", "identifier": "", "rights": "",
            "length": 100.0, "langs": ["en"], "places": [],
        }  # fmt: skip
        timed = {"start": (i % 10) * 10.0, "end": (i % 10) * 10.0 + 10.0, "shot": i % 10}
        shots.append({
            **facets, **timed, "tags": KINDS[kind][1], "scale": "LS", "people": [],
            "text": "", "caption": "", "has_faces": False, "has_text": False,
            "has_speech": True, "thumb": "",
            "vector": (centres[kind] + noise.normal(size=PICTURE_DIM)).astype(np.float32),
        })  # fmt: skip
        passages.append({
            **facets, **timed, "source": "speech", "text": KINDS[kind][2], "words": "",
            "lang": "en", "scale": "LS", "people": [], "thumb": "",
            "vector": (words[kind] + noise.normal(size=TEXT_DIM)).astype(np.float32),
        })  # fmt: skip
    return shots, passages


def add_shots(settings: Settings, start: int, count: int) -> None:
    index = SearchIndex.open(settings, "synth", create=True)
    shots, passages = synthetic_rows(start, count)
    index.replace_rows("shots", [], arrow_table("shots", shots, {"shots": PICTURE_DIM}))
    index.replace_rows("passages", [], arrow_table("passages", passages, {"passages": TEXT_DIM}))
    if STATE not in index.names():
        index.replace_rows(STATE, [], pa.table({"video_id": ["~format"], "stamp": [FORMAT]}))


@pytest.fixture
def synth(tmp_path: Path) -> Settings:
    settings = Settings.from_values({"data_dir": tmp_path / "store", "map.fit_sample": 600})
    add_shots(settings, 0, 300)
    return settings


def kind_of(video_id: str, shot: int) -> int:
    return (int(video_id.removeprefix("vid")) * 10 + shot) % 3


# -- layouts ----------------------------------------------------------------------------


def test_every_layout_fits_the_unit_square_with_its_aspect_kept() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 2.0], [5.0, 1.0]])
    unit = layout.normalise(coords)
    assert unit.min() >= 0.0 and unit.max() <= 1.0
    width, height = np.ptp(unit, axis=0)
    assert width == pytest.approx(1 - 2 * layout.MARGIN, abs=1e-6)
    assert width / height == pytest.approx(5.0, rel=1e-4)


def test_hilbert_order_keeps_consecutive_points_next_to_each_other() -> None:
    cells = np.stack(np.meshgrid(np.arange(16), np.arange(16)), -1).reshape(-1, 2) / 15.0
    walked = cells[layout.hilbert_order(cells.astype(np.float32), bits=4)] * 15
    assert np.abs(np.diff(walked, axis=0)).sum(axis=1).max() == pytest.approx(1.0)


def test_grid_and_contact_sheets_give_every_shot_a_cell_of_its_own() -> None:
    rng = np.random.default_rng(0)
    coords = rng.random((50, 2))
    cells = layout.grid(coords)
    assert len({(round(x, 5), round(y, 5)) for x, y in cells}) == 50
    groups = [i % 4 for i in range(50)]
    sheets = layout.contact_sheets(groups, np.arange(50))
    assert len({(round(x, 5), round(y, 5)) for x, y in sheets}) == 50
    # each group's shots share a block: their x ranges do not interleave with another row's
    first = sheets[[i for i in range(50) if groups[i] == 0]]
    second = sheets[[i for i in range(50) if groups[i] == 1]]
    assert first[:, 0].max() < second[:, 0].min()


def test_a_placed_copy_of_a_fitted_shot_lands_beside_it() -> None:
    rng = np.random.default_rng(1)
    sample = rng.normal(size=(40, 8)).astype(np.float32)
    anchors = rng.random((40, 2)).astype(np.float32)
    found, distances = layout.nearest(sample, sample[[7, 21]] + 1e-4)
    assert list(found[:, 0]) == [7, 21]
    placed = layout.place(anchors, found, distances, sample[[7, 21]])
    assert np.abs(placed - anchors[[7, 21]]).max() < 0.01


# -- clusters ---------------------------------------------------------------------------


def test_clusters_are_found_spread_and_labelled_by_what_is_telling() -> None:
    rng = np.random.default_rng(2)
    blobs = np.concatenate([rng.normal(loc=c, scale=0.2, size=(60, 2)) for c in (0, 5, 10)])
    clusters = find_clusters(blobs, 10)
    assert len(set(clusters) - {NOISE}) == 3
    assert len({clusters[i * 60 + 5] for i in range(3)}) == 3  # one per blob
    found, distances = layout.nearest(blobs.astype(np.float32), np.array([[10.1, 9.9]], "f4"))
    assert spread(clusters, found, distances)[0] == clusters[150]
    tags = [("ship wave film" if i < 60 else "tram film") for i in range(180)]
    labels = label_clusters(clusters, Terms.of(tags, [""] * 180, [[]] * 180, [[]] * 180))
    sea = labels[int(clusters[0])]["tags"]
    assert sea[:2] == ["ship", "wave"] or sea[:2] == ["wave", "ship"]
    assert "film" not in sea[:2]  # on every shot: tells nothing


# -- the map of a collection ------------------------------------------------------------


def test_the_map_puts_each_kind_of_picture_in_its_own_labelled_cluster(synth: Settings) -> None:
    info = build_map(synth, "synth")
    found = read_map(synth, "synth")
    assert info.count == found.points.num_rows == 300
    assert {x.name for x in info.layouts} == set(synth.map.layouts)
    rows = found.points.to_pylist()
    by_cluster: dict[int, set[int]] = {}
    for row in rows:
        by_cluster.setdefault(row["cluster"], set()).add(kind_of(row["video_id"], row["shot"]))
    clustered = {c: kinds for c, kinds in by_cluster.items() if c != NOISE}
    assert len(clustered) == 3 and all(len(kinds) == 1 for kinds in clustered.values())
    labels = " / ".join(c.label for c in info.clusters)
    for _, tags, said in KINDS:
        assert any(word in labels for word in tags.split() + said.split()), labels
    for name in ("image", "image_tsne", "text", "grid", "date", "video", "place"):
        xy = np.column_stack([found.points[f"x_{name}"], found.points[f"y_{name}"]])
        assert np.isfinite(xy).all() and xy.min() >= 0 and xy.max() <= 1, name
    # Nearest neighbour on the picture map: the same kind of picture.
    xy = np.column_stack([found.points["x_image"], found.points["y_image"]])
    kinds = np.array([kind_of(r["video_id"], r["shot"]) for r in rows])
    near = layout.nearest(xy, xy, k=2)[0][:, 1]
    assert (kinds[near] == kinds).mean() > 0.95


def test_new_shots_join_the_map_and_the_others_stay_where_they_were(synth: Settings) -> None:
    sampled = synth.merged({"map.fit_sample": 100})  # 100 fitted, 200 placed
    build_map(sampled, "synth")
    before = read_map(sampled, "synth").points.to_pylist()
    add_shots(sampled, 300, 30)
    SearchIndex.open(sampled, "synth").replace_rows("shots", ["vid0000"], None)  # one gone
    info = build_map(sampled, "synth")
    after = {(r["video_id"], r["shot"]): r for r in read_map(sampled, "synth").points.to_pylist()}
    assert info.count == 320 and info.fitted["image"] == 100  # the fit was kept
    for row in before:
        if row["video_id"] == "vid0000":
            assert (row["video_id"], row["shot"]) not in after
            continue
        moved = after[(row["video_id"], row["shot"])]
        for name in ("image", "image_tsne"):
            assert moved[f"x_{name}"] == pytest.approx(row[f"x_{name}"], abs=1e-5), name
            assert moved[f"y_{name}"] == pytest.approx(row[f"y_{name}"], abs=1e-5), name
        assert moved["cluster"] == row["cluster"]
    new = [r for key, r in after.items() if key[0] >= "vid0030"]
    assert len(new) == 30
    sea_cluster = next(r["cluster"] for r in before if kind_of(r["video_id"], r["shot"]) == 0)
    assert all(r["cluster"] == sea_cluster for r in new if kind_of(r["video_id"], r["shot"]) == 0)


def test_a_new_model_or_new_map_settings_fit_the_map_again(synth: Settings) -> None:
    assert build_map(synth, "synth").fitted["image"] == 300
    model = synth.data_dir / "collections" / "synth" / MODEL
    kept = model.read_bytes()
    build_map(synth, "synth")
    assert np.load(model)["refitted"] == np.load(io.BytesIO(kept))["refitted"]  # reused
    build_map(synth.merged({"map.neighbours": 5}), "synth")
    assert np.load(model)["fit"] != np.load(io.BytesIO(kept))["fit"]  # fitted again


def test_refit_fits_again_and_an_outgrown_fit_is_redone(synth: Settings) -> None:
    small = synth.merged({"map.fit_sample": 100})
    assert build_map(small, "synth").fitted["image"] == 100
    add_shots(synth, 300, 300)  # 600 shots: a fit of 600 may now use them all
    assert build_map(synth, "synth").fitted["image"] == 600
    assert build_map(synth, "synth", refit=True).fitted["image"] == 600
    assert (synth.data_dir / "collections" / "synth" / MODEL).is_file()


def test_a_collection_without_pictures_or_map_says_what_to_do(tmp_path: Path) -> None:
    settings = Settings.from_values({"data_dir": tmp_path / "store"})
    with pytest.raises(DeerinError, match="deerin map synth"):
        read_map(settings, "synth")
    with pytest.raises(DeerinError, match="search index"):
        build_map(settings, "synth")


# -- the bundle the map page reads ------------------------------------------------------


def test_the_bundle_files_hold_what_the_page_is_promised(synth: Settings) -> None:
    build_map(synth, "synth")
    bundle = Bundle(read_map(synth, "synth"), synth.data_dir, "synth")
    meta = bundle.meta()
    assert meta["count"] == 300 and meta["layouts"][0]["name"] == "image"
    xy = np.frombuffer(bundle.file("layout/image.bin")[0], "<f4").reshape(-1, 2)
    points = bundle.map.points
    assert np.allclose(xy[:, 0], points["x_image"].to_numpy())
    facets = {f["name"]: f for f in meta["facets"]}
    years = np.frombuffer(bundle.file("facet/year.bin")[0], "<u2")
    labels = [facets["year"]["values"][code]["label"] for code in years]
    assert labels == [str(y) for y in points["year"].to_pylist()]
    persons = np.frombuffer(bundle.file("facet/person.bin")[0], "<u2")
    assert (persons == NONE).all()  # nobody is named in this collection
    details = json.loads(bundle.file("info/0.json")[0])
    assert len(details) == 300 and details[3]["v"] == points["video_id"][3].as_py()
    assert details[3]["tc"].count(":") == 2
    for spec in ATLAS:
        page, media = bundle.file(f"atlas/{spec['size']}/0.jpg")
        with Image.open(__import__("io").BytesIO(page)) as sheet:
            assert sheet.size == (spec["size"] * spec["columns"],) * 2 and media == "image/jpeg"
    assert len(list(bundle.paths())) == 7 + 6 + 1 + 1 + math.ceil(300 / 64)
    for wrong in ("layout/nope.bin", "atlas/33/0.jpg", "atlas/32/1.jpg", "info/-1.json", "x"):
        with pytest.raises(DeerinError):
            bundle.file(wrong)


def test_the_static_export_opens_without_a_server(synth: Settings, tmp_path: Path) -> None:
    build_map(synth, "synth")
    bundle = Bundle(read_map(synth, "synth"), synth.data_dir, "synth")
    target = tmp_path / "export"
    written = export(bundle, target, lambda _: None)
    assert written == 3 + 1 + 1 + len(list(bundle.paths())) + 1
    assert not (target / "data" / "layout" / "image.bin").exists()  # scripts only
    script = (target / "data" / "meta.json.js").read_text()
    assert script.startswith('window.deerinMapData("meta.json",')
    assert json.loads((target / "data" / "meta.json").read_text())["static"] is True
    page = (target / "index.html").read_text()
    assert 'src="map.js"' in page and "http" not in page
    table = pq.read_table(target / "points.parquet")
    assert table.num_rows == 300 and {"x_image", "cluster", "video_id"} <= set(table.column_names)


# -- named sets ---------------------------------------------------------------------------


def test_a_named_set_is_kept_replaced_by_name_and_checked(synth: Settings) -> None:
    shots = [SetShot(video_id="vid0000", shot=n, start=n * 10.0, end=n * 10.0 + 10) for n in (0, 3)]
    save_set(synth, "synth", "  Storm  at sea ", shots, by="ada")
    assert shot_set(synth, "synth", "storm at sea").shots == shots
    save_set(synth, "synth", "STORM AT SEA", shots[:1])
    assert [(s.name, len(s.shots)) for s in read_sets(synth, "synth").sets] == [("STORM AT SEA", 1)]
    for bad in ("", "x" * 81, "tab\u0007bell"):
        with pytest.raises(DeerinError):
            save_set(synth, "synth", bad, shots)
    with pytest.raises(DeerinError, match="at least one shot"):
        save_set(synth, "synth", "empty", [])


def test_search_keeps_to_a_set_with_set_name(synth: Settings) -> None:
    chosen = [(2, 20.0), (5, 50.0)]  # shots 12 and 15: pictures of the sea
    shots = [SetShot(video_id="vid0001", shot=n, start=t, end=t + 10) for n, t in chosen]
    save_set(synth, "synth", "pair", shots)
    searcher = Searcher(synth, ["synth"])
    words = Query(modes=("words",))
    result = searcher.search(parse('"the storm at sea" set:pair', words), limit=50, merge=False)
    assert {(h.video_id, h.shot) for h in result.hits} == {("vid0001", 2), ("vid0001", 5)}
    everywhere = searcher.search(parse('"the storm at sea"', words), limit=50, merge=False)
    assert len(everywhere.hits) > 2
    with pytest.raises(NotInCollection, match="no set 'nope'"):
        searcher.search(parse("storm set:nope", words))


# -- the map of the shared footage (made by ingest) ---------------------------------------


def test_ingest_maps_the_shared_footage(archive: Archive) -> None:
    settings = settings_for(archive.store)
    found = read_map(settings, COLLECTION)
    assert found.info.count == found.points.num_rows > 10
    assert set(found.points["title"].to_pylist()) >= {"chaplin.mp4", "mkv_pgs_Title_T00-1.mkv"}
    manifest = json.loads(
        (archive.store / "collections" / COLLECTION / "steps" / "map.json").read_text()
    )
    assert manifest["summary"]["shots"] == found.info.count


# -- the command line ---------------------------------------------------------------------


def test_deerin_map_and_its_export_from_the_command_line(synth: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(synth.data_dir)]
    (synth.data_dir / "collections" / "synth").mkdir(parents=True, exist_ok=True)
    made = runner.invoke(application(), [*base, "map", "synth"])
    assert made.exit_code == 0, made.output
    assert "300 shots" in made.output and "clusters" in made.output
    again = runner.invoke(application(), [*base, "map", "synth", "--refit"])
    assert again.exit_code == 0, again.output
    target = tmp_path / "out"
    exported = runner.invoke(
        application(), [*base, "map", "export", "-c", "synth", "-o", str(target)]
    )
    assert exported.exit_code == 0, exported.output
    assert (target / "index.html").is_file() and (
        target / "data" / "atlas" / "32" / "0.jpg.js"
    ).is_file()
    missing = runner.invoke(application(), [*base, "map", "nowhere"])
    assert missing.exit_code != 0 and "no collection 'nowhere'" in missing.output
    assert "Traceback" not in missing.output


# -- the map's web API ----------------------------------------------------------------------


def test_the_map_api_serves_its_files_and_refuses_anything_else(synth: Settings) -> None:
    from fastapi.testclient import TestClient

    from deerin.web.app import create_app

    build_map(synth, "synth")
    client = TestClient(create_app(synth), base_url="http://127.0.0.1")
    meta = client.get("/api/map/synth/meta.json").json()
    assert meta["count"] == 300 and meta["editable"] is True
    kept = client.get("/api/map/synth/layout/image.bin", params={"v": meta["version"]})
    assert kept.status_code == 200 and len(kept.content) == 300 * 8
    assert "immutable" in kept.headers["cache-control"]
    assert client.get("/api/map/synth/layout/image.bin").headers["cache-control"] == "no-cache"
    stale = client.get("/api/map/synth/layout/image.bin", params={"v": "0ld"})
    assert stale.status_code == 409 and "reload" in stale.json()["error"]
    for wrong in (
        "/api/map/synth/atlas/..%2F..%2Fmap.json",
        "/api/map/synth/info/0.json%2F..%2F..%2Fmap%2Fmap.json",
        "/api/map/..%2Fsynth/meta.json",
        "/api/map/nowhere/meta.json",
        "/api/map/synth/layout/nope.bin",
    ):
        answer = client.get(wrong)
        assert answer.status_code == 404, wrong
        assert "Traceback" not in answer.text and str(synth.data_dir) not in answer.text
    chosen = {"collection": "synth", "name": "sea", "points": [0, 5], "version": meta["version"]}
    assert client.post("/api/sets", json=chosen).status_code == 201
    assert client.get("/api/sets", params={"collection": "synth"}).json()["sets"][0]["shots"] == 2
    assert client.get("/api/sets", params={"collection": ".."}).status_code == 404
    runs = {**chosen, "name": "runs", "points": [], "ranges": [[10, 20], [15, 25], [299, 300]]}
    assert client.post("/api/sets", json=runs).json()["shots"] == 16
    quoted = client.post("/api/sets", json={**chosen, "name": 'a "b"'})
    assert quoted.status_code == 400 and "double quote" in quoted.json()["error"]
    assert client.post("/api/sets", json={**chosen, "version": "old"}).status_code == 409
    assert client.post("/api/sets", json={**chosen, "points": [300]}).status_code == 400
    assert client.post("/api/sets", json={**chosen, "collection": "../x"}).status_code == 404
    network = TestClient(create_app(synth, host="0.0.0.0"), base_url="http://127.0.0.1")
    assert network.post("/api/sets", json=chosen).status_code == 403
    assert [s.name for s in read_sets(synth, "synth").sets] == ["sea", "runs"]
