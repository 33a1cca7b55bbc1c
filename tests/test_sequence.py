"""Sequences: shots of a result set put in order by each strategy and cut to a length.

The collection (built once for the module) is real where a sequence reads it: real
files made with ffmpeg, catalogued and probed, and a real search index whose shots
rows are synthetic, so every scale, time and picture vector is known:

* ``a.mp4`` (1960): ten 3 s shots; its sound is a tone;
* ``b.mp4`` (1950): eleven shots, one of them 0.6 s; its sound clicks every 0.5 s,
  a quarter of a second off the whole seconds;
* ``clicks.wav`` (1940): a sound recording (no shots) clicking every 0.5 s.

Both films have six wide (LS, FS), six medium (MS) and six close (CS, ECS) shots. The
prompt strategy asks a real HTTP server on this machine that answers a fixed order.
"""

from __future__ import annotations

import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from conftest import ffmpeg
from deerin.cli.main import application
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import EditClip, Probe
from deerin.index.search_index import STATE, SearchIndex
from deerin.index.store import CollectionFolder, VideoFolder
from deerin.interact.rhythm import RhythmClip, analyse
from deerin.interact.sequence import (
    CLOSE,
    MEDIUM,
    WIDE,
    Candidate,
    NothingToCut,
    Pool,
    build_sequence,
    candidates,
    chosen_numbers,
    look_alike_chain,
)
from deerin.media.identity import content_id
from deerin.media.probe import probe
from deerin.retrieve.build import current_stamps
from deerin.retrieve.query import QueryError
from deerin.retrieve.units import SPECS, Sources, arrow_table, video_units
from deerin.settings import Settings
from test_endpoint import ChatServer

PICTURE_DIM = 32
CLICK = "if(lt(mod(t{shift}\\,0.5)\\,0.01)\\,0.8*sin(2*PI*1000*t)\\,0)"
FILMS = {  # file: (title, date, its shots as (seconds, scale))
    "a.mp4": ("Film A", "1960", [(3, "LS"), (3, "MS"), (3, "CS"), (3, "FS"), (3, "MS"),
                                 (3, "ECS"), (3, "LS"), (3, "MS"), (3, "CS"), (3, "")]),
    "b.mp4": ("Film B", "1950-05-01", [(3, "FS"), (3, "MS"), (3, "CS"), (0.6, ""), (2.4, "LS"),
                                       (3, "MS"), (3, "CS"), (3, "FS"), (3, "MS"), (3, "ECS"),
                                       (3, "")]),
}  # fmt: skip


def film(path: Path, sound: str) -> None:
    """30 s of test pattern at 10 fps over ``sound`` (an ffmpeg lavfi source)."""
    pattern = "testsrc2=s=160x120:r=10:d=30"
    ffmpeg("-f", "lavfi", "-i", pattern, "-f", "lavfi", "-i", sound, "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))  # fmt: skip


def sound(path: Path, expression: str, seconds: float = 6.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{expression}':s=44100:d={seconds}", str(path))
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("sequence")
    media = root / "media"
    media.mkdir()
    film(media / "a.mp4", "sine=frequency=440:sample_rate=48000:duration=30")
    film(media / "b.mp4", f"aevalsrc='{CLICK.format(shift='+0.25')}':s=48000:d=30")
    sound(media / "clicks.wav", CLICK.format(shift=""), 30.0)
    settings = Settings.from_values({"data_dir": root / "store", "proxy.enabled": False})
    catalogue = open_catalogue(settings)
    catalogue.ensure_collection("c")
    records = {**{name: {"title": t, "date": d} for name, (t, d, _) in FILMS.items()},
               "clicks.wav": {"title": "Clicks", "date": "1940"}}  # fmt: skip
    for name, record in records.items():
        path = media / name
        video_id = content_id(path)
        catalogue.upsert_video(video_id, path, path.stat().st_size)
        catalogue.add_member("c", video_id, record)
        info = probe(path)
        folder = VideoFolder.for_video(settings.data_dir, video_id)
        folder.root.mkdir(parents=True)
        artefacts.write(folder.path(Probe.file), {"media": info}, Probe)
        catalogue.set_media(video_id, info.duration, info.kind)
    videos = catalogue.videos("c")
    catalogue.close()
    CollectionFolder.for_collection(settings.data_dir, "c").root.mkdir(parents=True)
    index_rows(settings, videos)
    return settings


def index_rows(settings: Settings, videos: list[Any]) -> None:
    """The videos' rows as the index builder makes them; the films' shots synthetic."""
    index = SearchIndex.open(settings, "c", create=True)
    built = [video_units(v, Sources(settings.data_dir, {}, "none")).rows["videos"][0]
             for v in videos]  # fmt: skip
    index.replace_rows("videos", [], arrow_table("videos", built, {}))
    shots, passages = [], []
    for row in built:
        facets = {k: row[k] for k in ("video_id", "file", "media", "year", "date", "identifier",
                                      "rights", "length", "langs", "places")}  # fmt: skip
        at = 0.0
        for number, (seconds, scale) in enumerate(FILMS.get(row["file"], ("", "", []))[2]):
            tags = "sea ship" if number % 2 == 0 else "city tram"
            rng = np.random.default_rng([int(row["year"]), number])
            shots.append({
                **facets, "shot": number, "start": at, "end": at + seconds, "tags": tags,
                "scale": scale, "people": [], "text": "", "has_faces": False,
                "has_text": False, "has_speech": False, "thumb": "",
                "caption": f"{scale or 'a'} shot of a {tags.split()[1]}",
                "vector": rng.normal(size=PICTURE_DIM).astype(np.float32),
            })  # fmt: skip
            at += seconds
        if row["file"] == "a.mp4":
            passages.append({
                **facets, "source": "speech", "start": 3.2, "end": 5.0, "shot": 1,
                "text": "the ship leaves the harbour", "words": "", "lang": "en", "scale": "MS",
                "people": [], "thumb": "", "vector": np.ones(8, dtype=np.float32),
            })  # fmt: skip
    index.replace_rows("shots", [], arrow_table("shots", shots, {"shots": PICTURE_DIM}))
    index.replace_rows("passages", [], arrow_table("passages", passages, {"passages": 8}))
    stamps = current_stamps(settings.data_dir, videos, {})
    index.replace_rows(
        STATE, [], pa.table({"video_id": list(stamps), "stamp": list(stamps.values())})
    )
    for name in ("shots", "passages", "videos"):
        index.build_indexes(SPECS[name], settings.search.ann_threshold)


def by_file(settings: Settings) -> dict[str, str]:
    catalogue = open_catalogue(settings)
    try:
        return {Path(v.path).name: v.id for v in catalogue.videos("c")}
    finally:
        catalogue.close()


def films(settings: Settings) -> Pool:
    return candidates(settings, "year:1950..1970", "c")


def shot_of(pool: Pool, clip: EditClip) -> Candidate:
    return next(c for c in pool.candidates if (c.video_id, c.shot) == (clip.video_id, clip.shot))


def group(scale: str | None) -> int:
    return next((i for i, scales in enumerate((WIDE, MEDIUM, CLOSE)) if scale in scales), -1)


# -- result sets ------------------------------------------------------------------------


def test_hits_become_the_shots_they_lie_in(archive: Settings) -> None:
    ids = by_file(archive)
    ships = candidates(archive, "ship in:tags", "c").candidates
    assert ships and all("ship" in c.description for c in ships)
    assert len({c.key for c in ships}) == len(ships) == 11  # every even shot of both films
    whole = candidates(archive, "video:a.mp4", "c", shots=[(ids["b.mp4"], 4)]).candidates
    assert (whole[0].video_id, whole[0].shot) == (ids["b.mp4"], 4)  # the listed shot first
    assert sorted(c.shot for c in whole[1:]) == list(range(10))  # a video hit: all its shots
    assert all(abs(float(np.linalg.norm(c.vector)) - 1) < 1e-5 for c in whole)
    said = next(c for c in whole if c.video_id == ids["a.mp4"] and c.shot == 1)
    assert "said: the ship leaves the harbour" in said.description and said.scale == "MS"
    with pytest.raises(QueryError, match="shot 99 of video"):
        candidates(archive, "", "c", shots=[(ids["a.mp4"], 99)])


def test_a_sound_recording_has_no_shots_and_nothing_is_said_clearly(archive: Settings) -> None:
    pool = candidates(archive, "year:1940", "c")
    assert pool.candidates == [] and "sound recordings left out" in pool.notes[0]
    with pytest.raises(NothingToCut, match="found no shots"):
        build_sequence(archive, pool, "chronological")
    with pytest.raises(QueryError, match="needs shots"):
        candidates(archive, "  ", "c")
    with pytest.raises(QueryError, match="did you mean 'similar'"):
        build_sequence(archive, films(archive), "similarity")


# -- strategies -------------------------------------------------------------------------


def test_chronological_goes_by_date_film_and_time(archive: Settings) -> None:
    pool = films(archive)
    edit = build_sequence(archive, pool, "chronological", 1000.0)
    years = [shot_of(pool, clip).year for clip in edit.clips]
    assert years == sorted(years) and years[0] == 1950 and years[-1] == 1960
    for earlier, later in zip(edit.clips, edit.clips[1:], strict=False):
        if earlier.video_id == later.video_id:
            assert earlier.start < later.start
    assert len(edit.clips) == 20  # 21 shots, the 0.6 s one passed over
    assert edit.made == "sequence: chronological" and set(edit.sources) == set(
        by_file(archive).values()
    ) - {by_file(archive)["clicks.wav"]}
    assert any("shorter than 1 s" in n for n in edit.notes)
    assert any("make 59.4 s of the 1000.0 s" in n for n in edit.notes)


def test_similar_chains_each_shot_to_the_most_like_of_the_rest(archive: Settings) -> None:
    pool = films(archive)
    edit = build_sequence(archive, pool, "similar", 1000.0)
    chained = [shot_of(pool, clip) for clip in edit.clips]
    assert chained[0] == next(c for c in pool.candidates if c.duration >= 1.0)  # the best hit
    for i in range(len(chained) - 1):
        rest = chained[i + 1 :]
        best = max(rest, key=lambda c: float(c.vector @ chained[i].vector))
        assert chained[i + 1].key == best.key


def test_analytical_editing_cycles_wide_medium_close(archive: Settings) -> None:
    pool = films(archive)
    edit = build_sequence(archive, pool, "analytical", 1000.0)
    pattern = [group(clip.scale) for clip in edit.clips]
    assert pattern == [0, 1, 2] * 6 + [-1, -1]
    assert any("2 shot(s) of unknown scale" in n for n in edit.notes)
    cycle = [shot_of(pool, clip) for clip in edit.clips[:3]]
    assert cycle[0].year == 1950 and cycle[0].start == 0.0  # opens on the first wide shot
    mediums = [c for c in pool.candidates if c.scale == "MS"]
    assert cycle[1].key == max(mediums, key=lambda c: float(c.vector @ cycle[0].vector)).key


@pytest.mark.parametrize(
    ("target", "max_shot"), [(20.0, 2.5), (7.3, 3.0), (13.9, 6.0), (12.0, 6.0)]
)
def test_the_target_length_is_met_and_every_clip_stays_in_its_shot(
    archive: Settings, target: float, max_shot: float
) -> None:
    pool = films(archive)
    edit = build_sequence(archive, pool, "chronological", target, max_shot=max_shot)
    assert abs(edit.duration - target) < 0.05
    for clip in edit.clips:
        shot = shot_of(pool, clip)
        assert shot.start - 1e-6 <= clip.start < clip.end <= shot.end + 1e-6
        assert 1.0 - 1e-6 <= clip.duration <= max_shot + 1.0
    for clip in edit.clips[:-1]:  # cut from the middle of the shot
        shot = shot_of(pool, clip)
        assert abs((clip.start + clip.end) / 2 - (shot.start + shot.end) / 2) < 1e-6


def test_beats_of_a_click_track_give_clips_of_its_period(archive: Settings) -> None:
    ids = by_file(archive)
    track = archive.data_dir.parent / "media" / "clicks.wav"
    found = analyse(RhythmClip(track), 6.0, "beats", -50.0)
    assert np.allclose(np.diff(found.cuts), 0.5, atol=0.05) and len(found.cuts) >= 10
    assert abs(found.cuts[0] - 0.5) < 0.05 and abs(found.tempo - 120) < 5  # type: ignore[operator]
    clip = RhythmClip(track, 0.0, 6.0, ids["clicks.wav"], "c")
    edit = build_sequence(archive, films(archive), "rhythm", 60.0, min_shot=0.4, rhythm=clip)
    assert np.allclose([c.duration for c in edit.clips], 0.5, atol=0.05)
    assert abs(edit.duration - 6.0) < 0.05 and len(edit.clips) == 12
    assert ids["clicks.wav"] in edit.sources  # the music, for the editor to lay under it
    assert any("clicks.wav" in n and "not mixed" in n for n in edit.notes)
    slower = build_sequence(archive, films(archive), "rhythm", 60.0, min_shot=0.9, rhythm=clip)
    assert np.allclose([c.duration for c in slower.clips], 1.0, atol=0.05)  # every 2nd beat


def test_pauses_cut_where_the_sound_stops(archive: Settings, tmp_path: Path) -> None:
    tone = "0.5*sin(2*PI*440*t)*(lt(t\\,1.5)+between(t\\,2.0\\,3.2)+gte(t\\,3.6))"
    gaps = RhythmClip(sound(tmp_path / "gaps.wav", tone))
    assert np.allclose(analyse(gaps, 6.0, "pauses", -50.0).cuts, [1.75, 3.4], atol=0.05)
    edit = build_sequence(archive, films(archive), "rhythm", 60.0, rhythm=gaps, cut_on="pauses")
    assert np.allclose([c.duration for c in edit.clips], [1.75, 1.65, 2.6], atol=0.05)
    assert edit.sources.keys() == {c.video_id for c in edit.clips}  # a file outside: not placed
    with pytest.raises(QueryError, match="rhythm strategy"):
        build_sequence(archive, films(archive), "similar", rhythm=gaps)


class OrderServer(ChatServer):
    """An OpenAI-compatible server that answers every question with ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.questions: list[str] = []
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.questions.append(body["messages"][-1]["content"])
                message = {"role": "assistant", "content": server.answer}
                data = json.dumps({"choices": [{"index": 0, "message": message}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def test_a_language_model_chooses_and_orders_the_shots(archive: Settings) -> None:
    pool = candidates(archive, "video:a.mp4", "c")
    with OrderServer("<think>maybe [1]</think>Here: [3, 1, 99, 3, 2]") as server:
        asked = archive.merged({"llm.endpoint": server.url, "models.language_model": "editor"})
        edit = build_sequence(asked, pool, "prompt", 60.0, prompt="a calm morning")
    assert [(c.video_id, c.shot) for c in edit.clips] == [
        (pool.candidates[i].video_id, pool.candidates[i].shot) for i in (2, 0, 1)
    ]
    question = server.questions[0]
    assert "a calm morning" in question and "\n10. [" in question and "\n11. " not in question
    assert "said: the ship leaves the harbour" in question
    notes = " | ".join(edit.notes)
    assert "99, not on the list" in notes and "3 more than once" in notes
    assert edit.name == "a calm morning" and edit.made == "sequence: prompt"
    assert chosen_numbers("1, 2 and then 7", 5) == ([1, 2], [7], [])


def test_the_prompt_strategy_says_how_to_set_up_a_model(archive: Settings) -> None:
    with pytest.raises(DeerinError, match=r"llm\.endpoint is not set.*\[llm\]"):
        build_sequence(archive, films(archive), "prompt", prompt="a storm")
    with pytest.raises(QueryError, match="needs a prompt"):
        build_sequence(archive, films(archive), "prompt")


def test_a_moved_file_is_named_and_its_shots_left_out(archive: Settings) -> None:
    pool = films(archive)
    media = archive.data_dir.parent / "media"
    shutil.move(media / "a.mp4", media / "a.moved")
    try:
        edit = build_sequence(archive, pool, "chronological", 1000.0)
    finally:
        shutil.move(media / "a.moved", media / "a.mp4")
    assert any("a.mp4 has moved or gone" in n for n in edit.notes)
    assert {c.video_id for c in edit.clips} == {by_file(archive)["b.mp4"]}


def test_supercut_clips_chain_by_their_shots_pictures(archive: Settings) -> None:
    ids = by_file(archive)
    shots = {c.shot: c for c in candidates(archive, "video:a.mp4", "c").candidates}
    clips = [EditClip(video_id=ids["a.mp4"], start=shots[n].start, end=shots[n].start + 1,
                      kind="speech", shot=n, score=n / 10) for n in range(6)]  # fmt: skip
    clips.append(EditClip(video_id=ids["clicks.wav"], start=1, end=2, kind="speech"))
    collections = {ids["a.mp4"]: "c", ids["clicks.wav"]: "c"}
    ordered = look_alike_chain(archive, clips, collections)
    assert ordered[0].shot == 5 and ordered[-1].video_id == ids["clicks.wav"]
    for i in range(4):
        here = shots[ordered[i].shot]  # type: ignore[index]
        rest = [shots[c.shot] for c in ordered[i + 1 : 6]]  # type: ignore[index]
        best = max(rest, key=lambda c: float(c.vector @ here.vector))
        assert ordered[i + 1].shot == best.shot


# -- the command line -------------------------------------------------------------------


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(application(), ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_deerin_sequence_lists_writes_and_explains(archive: Settings, tmp_path: Path) -> None:
    code, said = cli(archive, "sequence", "year:1950..1970", "-c", "c", "--strategy",
                     "analytical", "--length", "12")  # fmt: skip
    assert code == 0, said
    assert "Film B" in said and "12.0 s" in said
    out = tmp_path / "beats.json"
    code, said = cli(archive, "sequence", "video:a.mp4", "--rhythm", "b.mp4:2-8",
                     "--min-shot", "0.4", "-o", str(out))  # fmt: skip
    assert code == 0, said
    edit = json.loads(out.read_text())
    lengths = [c["end"] - c["start"] for c in edit["clips"]]
    assert edit["made"] == "sequence: rhythm" and by_file(archive)["b.mp4"] in edit["sources"]
    assert abs(lengths[0] - 0.75) < 0.05 and np.allclose(lengths[1:-1], 0.5, atol=0.05)
    code, said = cli(archive, "sequence", "year:1950..1970", "--strategy", "prompt",
                     "--prompt", "a storm")  # fmt: skip
    assert code == 2 and "llm.endpoint is not set" in said and "Traceback" not in said
