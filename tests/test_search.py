"""Search end to end: a small collection ingested with the real models, then every kind of
query, filter and bad input, on the CLI, the Python API and over HTTP.

The collection (built once for the module):

* ``pictures.mkv``: the astronaut (a face), a coffee cup, a title card "HARBOUR NIGHTS";
  catalogued 1975;
* ``news.mp4``: espeak-ng says three sentences (Glasgow, the shipyards, the tape) at
  known times; catalogued 1962 with an identifier and rights;
* ``harbour.wav``: a sound recording that says one sentence; catalogued 1958.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont, ImageOps
from skimage import data
from typer.testing import CliRunner

from deerin.cli.main import application
from deerin.index.catalogue import open_catalogue
from deerin.index.search_index import SearchIndex
from deerin.pipeline.collection import collection_context
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.retrieve.build import update_index
from deerin.retrieve.fusion import fuse, merge_neighbours
from deerin.retrieve.hits import Hit, Match, SearchResult
from deerin.retrieve.query import MAX_QUERY, Query, QueryError, ShotRef, parse
from deerin.retrieve.search import Searcher
from deerin.settings import Settings
from deerin.web.app import create_app
from test_faces import astronaut, still_video
from test_transcript import speech_video

LOCAL = "http://127.0.0.1"  # the app on this machine answers only its own names

SENTENCES = (
    "Good morning from the city of Glasgow in Scotland.",
    "The shipyards on the river are building a new ship.",
    "Please return the tape tomorrow morning.",
)
STAGES = (
    "probe", "shots", "keyframes", "frames", "tags", "faces", "text", "transcript",
    "entities", "text_embeddings",
)  # fmt: skip


def title_card(text: str) -> Image.Image:
    card = Image.new("RGB", (640, 480), "black")
    font = ImageFont.load_default(size=64)
    ImageDraw.Draw(card).text((320, 240), text, fill="white", font=font, anchor="mm")
    return card


def coffee() -> Image.Image:
    return Image.fromarray(data.coffee())


def make_settings(root: Path, **more: object) -> Settings:
    return Settings.from_values(
        {
            "data_dir": root / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "models.speech": "whisper-tiny.en",
            **more,
        }
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    media = root / "media"
    media.mkdir()
    still_video(
        media / "pictures.mkv",
        [(astronaut(), 3.0), (coffee(), 3.0), (title_card("HARBOUR NIGHTS"), 3.0)],
    )
    spoken = root / "spoken"
    spoken.mkdir()
    video, _ = speech_video(spoken, SENTENCES)
    shutil.move(video, media / "news.mp4")
    subprocess.run(
        ["espeak-ng", "-w", str(media / "harbour.wav"), "The harbour lights shine at night."],
        check=True,
    )
    with (media / "catalogue.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "title", "date", "identifier", "rights"])
        writer.writerow(["pictures.mkv", "Stills", "1975", "PIC-1", "CC-BY"])
        writer.writerow(["news.mp4", "Evening news", "1962-03-01", "NEWS-1", "public domain"])
        writer.writerow(["harbour.wav", "Harbour", "1958", "SND-1", "public domain"])
    settings = make_settings(root)
    report = ingest(
        [media / "catalogue.csv"], "c", settings, JsonReporter(io.StringIO()), stages=STAGES
    )
    assert report.ok, (report.failed, report.steps)
    assert {s.step: s.status for s in report.steps}["search_index"] == "done", report.steps
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Settings:
    """A private copy of the ingested store (the media stay where they are)."""
    shutil.copytree(template / "store", tmp_path / "store")
    return make_settings(tmp_path)


@pytest.fixture(scope="module")
def searcher(template: Path) -> Searcher:
    return Searcher(make_settings(template))


def run(searcher: Searcher, text: str, **options: object) -> SearchResult:
    return searcher.search(parse(text, Query(**options)), limit=50)  # type: ignore[arg-type]


def files(result: SearchResult) -> set[str]:
    return {hit.file for hit in result.hits}


def spoken_word(settings: Settings, word: str) -> tuple[float, float]:
    """When the transcript says ``word`` (the truth a spoken hit must point to)."""
    for transcript in (settings.data_dir / "videos").glob("*/*/transcript.json"):
        for segment in json.loads(transcript.read_text())["segments"]:
            for w in segment["words"]:
                if w["word"].strip(" .,").lower() == word:
                    return w["start"], w["end"]
    raise AssertionError(f"{word!r} is not in the transcript")


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(application(), ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


# -- the index -----------------------------------------------------------------------


def test_ingest_builds_every_table_and_a_rerun_touches_nothing(store: Settings) -> None:
    index = SearchIndex.open(store, "c")
    counts = {name: index.table(name).count_rows() for name in ("shots", "passages", "videos")}
    assert counts["videos"] == 3
    assert counts["shots"] == 4  # three stills, and news.mp4's one grey shot
    assert counts["passages"] >= 3 + 3  # sentences, the title card, catalogue records
    code, output = cli(store, "index", "-c", "c")
    assert code == 0, output
    assert "0 indexed, 3 unchanged" in output
    code, output = cli(store, "index", "-c", "c", "--rebuild")
    assert code == 0 and "3 indexed" in output and "rebuilt: asked for" in output


# -- words ---------------------------------------------------------------------------


def test_a_phrase_points_to_the_spoken_words_and_their_times(searcher: Searcher) -> None:
    result = run(searcher, '"new ship"')
    hit = result.hits[0]
    assert hit.file == "news.mp4"
    match = hit.matches[0]
    assert match.kind == "speech"
    assert "«new» «ship»" in match.marked
    marked = [w for w in match.words or [] if w.match]
    assert [w.word.strip(".").lower() for w in marked] == ["new", "ship"]
    start, _ = spoken_word(searcher.settings, "new")
    _, end = spoken_word(searcher.settings, "ship")
    assert abs(hit.start - start) < 0.01 and abs(hit.end - end) < 0.01


def test_words_exclusions_and_sources(searcher: Searcher) -> None:
    assert "harbour.wav" in files(run(searcher, "harbour lights"))
    assert "pictures.mkv" in files(run(searcher, "harbour in:text"))  # the title card, by OCR
    only_speech = run(searcher, "harbour in:speech")
    assert {m.kind for h in only_speech.hits for m in h.matches} == {"speech"}
    assert "pictures.mkv" not in files(run(searcher, "harbour -nights"))


def test_meaning_finds_a_paraphrase(searcher: Searcher) -> None:
    result = run(searcher, "boats constructed at the docks", modes=("meaning",))
    assert result.hits, result
    best = result.hits[0]
    assert best.file == "news.mp4" and "shipyard" in best.matches[0].text
    assert best.methods == ["meaning"]
    assert "all-minilm-l6-v2" in result.methods["meaning"]


# -- pictures ----------------------------------------------------------------------


def test_a_transformed_frame_finds_its_shot(searcher: Searcher, tmp_path: Path) -> None:
    picture = ImageOps.mirror(coffee()).crop((40, 30, 560, 380)).resize((300, 200))
    picture.save(tmp_path / "query.jpg", quality=70)
    result = run(searcher, "", image=tmp_path / "query.jpg")
    best = result.hits[0]
    assert (best.file, best.shot) == ("pictures.mkv", 1)
    assert result.methods["picture"].startswith("picture (efficientnet-lite0")
    assert best.thumbnail and (searcher.settings.data_dir / best.thumbnail).is_file()


def test_more_like_this_leaves_the_shot_itself_out(searcher: Searcher) -> None:
    result = searcher.search(Query(like=ShotRef("pictures.mkv", 1)), limit=10, merge=False)
    assert result.hits and all((h.file, h.shot) != ("pictures.mkv", 1) for h in result.hits)


def test_words_reach_pictures_through_the_imagenet_labels(searcher: Searcher) -> None:
    result = run(searcher, "a cup of coffee", modes=("picture",))
    assert "ImageNet bridge" in result.methods["picture"]
    assert (result.hits[0].file, result.hits[0].shot) == ("pictures.mkv", 1)


# -- people and places ---------------------------------------------------------------


def test_a_person_by_id_by_name_and_by_photo(store: Settings) -> None:
    code, output = cli(store, "people", "name", "p0001", "Ada Astronaut", "-c", "c")
    assert code == 0, output
    searcher = Searcher(store)
    by_name = run(searcher, 'person:"ada astronaut"')
    assert by_name.hits and {h.file for h in by_name.hits} == {"pictures.mkv"}
    assert by_name.hits[0].start < 3.0  # the astronaut's shot
    assert by_name.people == {"c": {"p0001": "Ada Astronaut"}}
    assert by_name.facets["person"] == {"Ada Astronaut": len(by_name.hits)}
    typed = run(searcher, "ada", modes=("words",))  # a name typed as words finds her too
    assert any("person (named Ada Astronaut)" in h.methods for h in typed.hits)
    photo = store.data_dir.parent / "face.jpg"
    ImageOps.mirror(astronaut()).save(photo)
    by_photo = run(searcher, "", face=photo)
    assert by_photo.hits[0].file == "pictures.mkv" and by_photo.hits[0].start < 3.0


def test_a_place_by_name_and_by_box(searcher: Searcher) -> None:
    by_name = run(searcher, "place:glasgow")
    assert [h.file for h in by_name.hits] == ["news.mp4"]
    assert all("Glasgow" in m.method for h in by_name.hits for m in h.matches)  # not Scotland
    start, _ = spoken_word(searcher.settings, "glasgow")
    assert abs(by_name.hits[0].start - start) < 1.0
    assert by_name.hits[0].matches[0].kind == "place"
    inside = searcher.search(Query(box=(55.0, -5.0, 56.5, -3.5)))
    assert [h.file for h in inside.hits] == ["news.mp4"]
    assert searcher.search(Query(box=(40.0, -75.0, 41.0, -73.0))).hits == []


# -- filters and facets --------------------------------------------------------------


def test_filters_on_catalogue_fields_media_and_video(searcher: Searcher) -> None:
    assert files(run(searcher, "morning year:1960..1969")) == {"news.mp4"}
    assert files(run(searcher, "harbour year:1975")) == {"pictures.mkv"}
    assert files(run(searcher, "harbour media:sound")) == {"harbour.wav"}
    assert files(run(searcher, "harbour video:harbour.wav")) == {"harbour.wav"}
    assert files(run(searcher, "morning id:NEWS-1")) == {"news.mp4"}
    assert files(run(searcher, "harbour rights:cc-by")) == {"pictures.mkv"}
    assert run(searcher, "harbour rights:cc_by").hits == []  # _ is no wildcard
    assert files(run(searcher, "year:1958")) == {"harbour.wav"}  # filters alone: the videos
    assert files(run(searcher, "year:..1958")) == {"harbour.wav"}  # open ends fit Int32
    assert "harbour.wav" in files(run(searcher, "year:1958..123456789012"))
    faces = run(searcher, "has:faces")  # shot filters alone: those shots
    assert [(h.file, h.shot) for h in faces.hits] == [("pictures.mkv", 0)]
    assert run(searcher, "morning lang:fr").hits == []
    assert files(run(searcher, "morning lang:en")) == {"news.mp4"}


def test_facets_count_every_hit_found(searcher: Searcher) -> None:
    result = searcher.search(parse("harbour"), limit=1)
    assert len(result.hits) == 1 and result.total > 1
    assert sum(result.facets["video"].values()) == result.total
    assert set(result.facets["media"]) == {"film", "sound"}


def test_hits_group_by_video(searcher: Searcher) -> None:
    result = searcher.search(parse("harbour"), group=True)
    assert result.groups is not None
    assert sorted(g.file for g in result.groups) == sorted(files(result))


# -- fusion and merging (pure) ------------------------------------------------------


def hit(start: float, end: float, method: str, video: str = "v", kind: str = "speech") -> Hit:
    match = Match(kind=kind, start=start, end=end, text="t", marked="t", method=method,
                  score=1.0)  # fmt: skip
    return Hit(collection="c", video_id=video, file=f"{video}.mp4", media="film", start=start,
               end=end, score=0.0, methods=[method], matches=[match])  # fmt: skip


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    words = [("a", hit(0, 1, "words")), ("b", hit(10, 11, "words"))]
    meaning = [("b", hit(10, 11, "meaning")), ("c", hit(20, 21, "meaning"))]
    fused = fuse([words, meaning])
    assert [h.start for h in fused] == [10, 0, 20]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[0].methods == ["words", "meaning"]


def test_neighbours_in_one_video_merge_into_one_range() -> None:
    hits = [hit(0, 2, "m"), hit(2.5, 4, "m"), hit(10, 11, "m"), hit(2.5, 4, "m", video="w")]
    hits = [
        h.model_copy(update={"score": s}) for h, s in zip(hits, (0.2, 0.3, 0.25, 0.05), strict=True)
    ]
    merged = merge_neighbours(hits, gap=1.0)
    assert [(h.video_id, h.start, h.end) for h in merged] == [
        ("v", 0, 4),
        ("v", 10, 11),
        ("w", 2.5, 4),
    ]
    assert merged[0].score == 0.3
    assert [(h.start, h.end) for h in merge_neighbours(hits, gap=0.0)][:2] == [(2.5, 4), (10, 11)]


def test_neighbouring_shots_stay_apart_but_a_moment_joins_its_shot() -> None:
    shots = [hit(0, 3, "picture", kind="shot"), hit(3, 6, "picture", kind="shot")]
    spoken = hit(4, 5, "words", kind="speech")
    for h, score in zip([*shots, spoken], (0.2, 0.2, 0.3), strict=True):
        h.score = score
    merged = merge_neighbours([*shots, spoken], gap=1.0)
    assert [(h.start, h.end) for h in merged] == [(3, 6), (0, 3)]
    joined = merged[0]
    assert joined.matches[0].kind == "speech"  # the best match shows first
    assert [(h.start, h.end) for h in merge_neighbours(shots, gap=1.0)] == [(0, 3), (3, 6)]


def test_a_weak_neighbour_does_not_stretch_a_strong_hit() -> None:
    strong, weak = hit(10, 11, "words"), hit(11.5, 60, "meaning")
    strong.score, weak.score = 0.03, 0.012
    assert [(h.start, h.end) for h in merge_neighbours([strong, weak], gap=1.0)] == [
        (10, 11),
        (11.5, 60),
    ]


# -- the grammar ---------------------------------------------------------------------


def test_the_grammar_reads_phrases_exclusions_and_fields() -> None:
    query = parse('ship "river clyde" -cat -"black cat" person:"Ada L" year:1950..1969 '
                  "in:speech lang:EN scale:close-up media:sound has:faces 10:30")  # fmt: skip
    assert query.terms == ("ship", "10", "30")
    assert query.phrases == ("river clyde",)
    assert query.excluded == ("cat", "black cat")
    f = query.filters
    assert f.people == ("Ada L",) and f.years == (1950, 1969) and f.sources == ("speech",)
    assert f.langs == ("en",) and f.scales == ("CS",) and f.media == ("sound",)
    assert f.has == ("faces",)


@pytest.mark.parametrize(
    "text",
    ['"unclosed phrase', "- -- ---", '""', "a\x00b\x1bc\u200b", "::", "word:", "ＡＢＣ", "😀 ship"],
)
def test_odd_input_is_read_without_failing(text: str) -> None:
    query = parse(text)
    assert all("\x00" not in t and "\x1b" not in t for t in query.terms)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("peson:ada", "did you mean 'person:'"),
        ("year:nineteen", "is not a number or a range"),
        ("year:1970..1950", "starts after it ends"),
        ("in:speach", "did you mean in:speech"),
        ("scale:huge", "is no shot scale"),
        ("x" * 10_000, f"at most {MAX_QUERY}"),
        ("-person:ada", "a filter cannot be left out"),
        ("duration:nan", "is not a number or a range"),
        ("year:1e999", "is not a number or a range"),
    ],
)
def test_what_cannot_be_meant_is_said(text: str, says: str) -> None:
    with pytest.raises(QueryError, match=says.replace("(", r"\(")):
        parse(text)


# -- bad input on the command line ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([""], "there is nothing to search for"),
        (["x" * 10_000], "at most 1000 are read"),
        (["person:nobody"], "there is no person 'nobody'"),
        (["ship video:nothing.mp4"], "there is no video 'nothing.mp4'"),
        (["ship", "-c", "nope"], "there is no collection 'nope'"),
        (["ship", "--mode", "smell"], "mode 'smell'"),
        (["ship", "--like", "pictures.mkv:99"], "shot 99 of pictures.mkv is not in the index"),
        (["ship", "--box", "1,2,3"], "write four numbers"),
        (["ship", "--box", "55,-5,56,-4"], "cannot be combined with words"),
        (["ship", "--like", "pictures.mkv:²"], "write the video and the shot number"),
        (["in:speech"], "there are no words to look for"),
    ],
)
def test_bad_searches_get_one_line_and_no_traceback(
    template: Path, args: list[str], says: str
) -> None:
    code, output = cli(make_settings(template), "search", *args)
    assert code == 2, output
    assert says in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_bad_pictures_are_refused(template: Path, tmp_path: Path) -> None:
    settings = make_settings(template)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    code, output = cli(settings, "search", "--image", str(text))
    assert code == 2 and "is not a picture DEERIn can read" in output
    huge = tmp_path / "huge.png"
    Image.new("1", (20_000, 10_000)).save(huge)  # 200 megapixels
    code, output = cli(settings, "search", "--image", str(huge))
    assert code == 2 and "larger than the 50,000,000 pixels accepted" in output
    code, output = cli(settings, "search", "--face", str(tmp_path / "missing.jpg"))
    assert code == 2 and "cannot be read" in output
    rocket = tmp_path / "rocket.png"
    Image.fromarray(data.rocket()).save(rocket)
    code, output = cli(settings, "search", "--face", str(rocket))
    assert code == 2 and "shows no face" in output


def test_a_missing_index_says_how_to_build_it(store: Settings) -> None:
    shutil.rmtree(store.data_dir / "index")
    code, output = cli(store, "search", "ship")
    assert code == 2 and "no search index" in output and "deerin index" in output


def test_an_index_older_than_the_artefacts_says_so(store: Settings) -> None:
    catalogue = open_catalogue(store)
    (news,) = [v for v in catalogue.videos("c") if v.path.endswith("news.mp4")]
    catalogue.close()
    stages = store.data_dir / "videos" / news.id[:2] / news.id / "stages"
    (stages / "touch.json").write_text("{}")  # as a stage rerun would
    code, output = cli(store, "search", "ship", "--json")
    assert code == 0
    assert "older than its artefacts (1 video(s) changed)" in output
    assert "deerin index -c c" in output


# -- the CLI and HTTP ----------------------------------------------------------------


def test_the_cli_prints_hits_and_json(template: Path) -> None:
    settings = make_settings(template)
    code, output = cli(settings, "search", "shipyard", "--year", "1962")
    assert code == 0, output
    assert "news.mp4" in output and "«shipyard»" in output
    code, output = cli(settings, "search", "shipyard", "--json", "--group")
    document = json.loads(output)
    first = document["hits"][0]
    assert {"video_id", "file", "start", "end", "matches", "score", "methods", "thumbnail"} <= set(
        first
    )
    assert first["matches"][0]["words"][0]["start"] >= 0
    assert document["groups"][0]["file"] == "news.mp4"


def test_the_http_api_answers_like_the_cli(template: Path) -> None:
    settings = make_settings(template)
    client = TestClient(create_app(settings), base_url=LOCAL, raise_server_exceptions=False)
    reply = client.get("/api/search", params={"q": '"new ship"'})
    assert reply.status_code == 200, reply.text
    hit = reply.json()["hits"][0]
    assert hit["file"] == "news.mp4" and hit["matches"][0]["kind"] == "speech"
    assert client.get("/openapi.json").json()["paths"]["/api/search"]
    bad = client.get("/api/search", params={"q": "peson:x"})
    assert bad.status_code == 400 and "did you mean 'person:'" in bad.json()["error"]
    assert client.get("/api/search", params={"q": ""}).status_code == 400
    assert client.get("/api/search", params={"q": "x", "limit": 0}).status_code == 422
    upload = client.post(
        "/api/search/picture", files={"file": ("x.jpg", b"not a picture", "image/jpeg")}
    )
    assert upload.status_code == 400 and "is not a picture" in upload.json()["error"]
    picture = io.BytesIO()
    coffee().save(picture, "JPEG")
    found = client.post("/api/search/picture", files={"file": ("c.jpg", picture.getvalue())})
    assert found.status_code == 200 and found.json()["hits"][0]["shot"] == 1
    thumb = found.json()["hits"][0]["thumbnail"]
    image = client.get(f"/api/thumbnail/{thumb}")
    assert image.status_code == 200 and "max-age" in image.headers["cache-control"]
    for escape in ("../../../etc/passwd", "..%2F..%2Fcatalogue.sqlite", "catalogue.sqlite",
                   "videos/%00x.webp"):  # fmt: skip
        assert client.get(f"/api/thumbnail/{escape}").status_code == 404
    assert client.get("/api/nothing").json() == {"error": "Not Found"}


def test_the_index_takes_a_uri(template: Path, tmp_path: Path) -> None:
    """The object-store path (``s3://…`` in production) runs here on a file:// URI."""
    settings = make_settings(template, **{"search.index_uri": f"file://{tmp_path}/remote"})
    catalogue = open_catalogue(settings)
    where = collection_context("c", settings, catalogue)
    catalogue.close()
    report = update_index(where)
    assert report.videos == 3 and (tmp_path / "remote" / "c").is_dir()
    assert run(Searcher(settings), '"new ship"').hits[0].file == "news.mp4"


def test_a_table_past_the_threshold_gets_an_ann_index(tmp_path: Path) -> None:
    """ANN (IVF-HNSW) from ``search.ann_threshold`` rows, scalar indexes on filter columns,
    filters applied before the vector search, and the nearest row still found."""
    import numpy as np
    import pyarrow as pa

    from deerin.index.search_index import TableSpec

    settings = Settings.from_values({"data_dir": tmp_path, "search.ann_threshold": 256})
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(600, 32)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    table = pa.table(
        {
            "video_id": [f"v{i % 7}" for i in range(600)],
            "year": pa.array([1900 + i % 100 for i in range(600)], pa.int32()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(rows.ravel()), 32),
        }
    )
    index = SearchIndex.open(settings, "c", create=True)
    index.replace_rows("t", [], table)
    spec = TableSpec("t", btree=("video_id", "year"), vectors=("vector",))
    built = index.build_indexes(spec, settings.search.ann_threshold)
    assert set(built) == {"t.video_id", "t.year", "t.vector"}
    kinds = {tuple(i.columns): i.index_type for i in index.table("t").list_indices()}
    assert kinds[("vector",)].upper().startswith("IVF") and kinds[("year",)] == "BTree"
    found = index.vector_search("t", rows[123], "vector", None, 5, ["video_id", "year"])
    assert found[0]["year"] == 1900 + 123 % 100 and found[0]["_distance"] < 1e-3
    filtered = index.vector_search("t", rows[123], "vector", "year < 1950", 5, ["year"])
    assert len(filtered) == 5 and all(r["year"] < 1950 for r in filtered)
    index.replace_rows("t", ["v0"], None)
    assert index.table("t").count_rows("video_id = 'v0'") == 0


def test_deerin_serve_answers_over_real_http(template: Path) -> None:
    """`deerin serve` in its own process, on a free port of this machine only."""
    import socket
    import sys
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    deerin = Path(sys.executable).with_name("deerin")
    server = subprocess.Popen(
        [str(deerin), "--data-dir", str(make_settings(template).data_dir), "serve",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        query = urllib.parse.urlencode({"q": '\x00\u202e😀 harbour "unclosed'})
        with urllib.request.urlopen(f"{base}/api/search?{query}", timeout=60) as reply:
            document = json.loads(reply.read())
        assert document["hits"] and "Traceback" not in json.dumps(document)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/search?q=year%3Anineteen", timeout=30)
        assert refused.value.code == 400
        assert "is not a number" in json.loads(refused.value.read())["error"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_index_follows_changed_and_removed_videos(store: Settings) -> None:
    catalogue = open_catalogue(store)
    videos = {Path(v.path).name: v.id for v in catalogue.videos("c")}
    stages = store.data_dir / "videos" / videos["news.mp4"][:2] / videos["news.mp4"] / "stages"
    (stages / "touch.json").write_text("{}")  # as a stage rerun would
    code, output = cli(store, "index", "-c", "c")
    assert code == 0 and "1 indexed, 2 unchanged, 0 removed" in output, output
    catalogue.forget_video(videos["harbour.wav"])
    catalogue.close()
    code, output = cli(store, "index", "-c", "c")
    assert code == 0 and "0 indexed, 2 unchanged, 1 removed" in output, output
    index = SearchIndex.open(store, "c")
    gone = f"video_id = '{videos['harbour.wav']}'"
    assert all(index.table(t).count_rows(gone) == 0 for t in ("passages", "videos"))
    assert "harbour.wav" not in files(run(Searcher(store), "harbour"))
