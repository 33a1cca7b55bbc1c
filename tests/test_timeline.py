"""Edit exports: every file loads back through its OpenTimelineIO adapter and points at
the right frames of the right files, at exact rates.

The edit mixes what archives hold: a 23.976 fps film with sound, a silent 25 fps film,
an interlaced 29.97 fps tape whose rate is stored rounded, and a sound recording. Its
frames, worked out by hand (timeline at 24000/1001, the rate most clips have):

    clip  source  source frames (rate)      record frames
    1     film    24 +48  (24000/1001)      0-48
    2     silent  10 +31  (25)              48-78   (31/25 s = 29.7 frames, rounded)
    3     tape    60 +30  (30000/1001)      78-102
    4     radio   24 +36  (the timeline's)  102-138
    5     film    96 +24  (24000/1001)      138-162
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from conftest import ffmpeg
from deerin.errors import DeerinError
from deerin.export.shotlist import export_shots
from deerin.export.timeline import FORMATS, TimelineError, edit_timeline, export_edit
from deerin.index.schemas import Edit, EditClip, EditSource, Shots

FILM_RATE = 24000 / 1001
TAPE_RATE = 30000 / 1001
ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "xml": "fcp_xml", "fcpxml": "fcpx_xml"}
# (source, first frame, frames, rate) of each clip, and its record frames on the timeline.
EXPECTED = [
    ("film", 24, 48, FILM_RATE),
    ("silent", 10, 31, 25),
    ("tape", 60, 30, TAPE_RATE),
    ("radio", 24, 36, FILM_RATE),
    ("film", 96, 24, FILM_RATE),
]
RECORD = [(0, 48), (48, 78), (78, 102), (102, 138), (138, 162)]
PICTURE = [0, 1, 2, 4]  # the clips with a picture (the radio has none)
SOUND = [0, 2, 3, 4]  # the clips with sound (the silent film has none)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files of the four kinds, six seconds each."""
    folder = tmp_path_factory.mktemp("edit_media")
    files = {name: folder / name for name in ("film.mp4", "silent.mp4", "tape.mp4", "radio.wav")}
    picture = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    sound = ["-c:a", "aac", "-shortest"]
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=6"]
    pattern = ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=6:r="]
    ffmpeg(*pattern[:3], pattern[3] + "24000/1001", *tone, *picture, *sound, str(files["film.mp4"]))
    ffmpeg(*pattern[:3], pattern[3] + "25", *picture, str(files["silent.mp4"]))
    interlaced = ["-vf", "setfield=tff", "-flags", "+ildct+ilme"]
    tape = [pattern[3] + "30000/1001", *tone, *interlaced, *picture, *sound]
    ffmpeg(*pattern[:3], *tape, str(files["tape.mp4"]))
    ffmpeg(*tone, str(files["radio.wav"]))
    return {path.stem: path for path in files.values()}


PICTURE_FACTS = {"width": 320, "height": 240, "audio": True}
SOURCES = {
    "film": ("Alpha film", {**PICTURE_FACTS, "fps": 23.976, "fps_fraction": "24000/1001"}),
    "silent": ("Beta silent", {**PICTURE_FACTS, "fps": 25.0, "fps_fraction": "25", "audio": False}),
    # stored rounded and without its fraction: the exact 30000/1001 must be found
    "tape": ("Gamma tape", {**PICTURE_FACTS, "fps": 29.97, "interlaced": True}),
    "radio": ("Radio talk", {"audio": True}),
}


@pytest.fixture(scope="module")
def edit(media: dict[str, Path]) -> Edit:
    sources = {
        name: EditSource(
            video_id=name, collection="archive", path=str(media[name]), title=title,
            duration=6.0, **facts,
        )
        for name, (title, facts) in SOURCES.items()
    }  # fmt: skip
    clips = [
        EditClip(video_id="film", start=1.001, end=3.003, caption="the first words", kind="speech"),
        EditClip(video_id="silent", start=0.4, end=1.64, kind="shot", shot=3),
        EditClip(video_id="tape", start=2.002, end=3.003, caption="third\nline", kind="text"),
        EditClip(video_id="radio", start=1.0, end=2.5, caption="ask not", kind="speech"),
        EditClip(video_id="film", start=4.004, end=5.005, caption="again", kind="speech"),
    ]  # fmt: skip
    return Edit(name="ask not", made="supercut", query="ask not", sources=sources, clips=clips)


def _read(edit: Edit, fmt: str, **options: object) -> otio.schema.Timeline:
    return otio.adapters.read_from_string(export_edit(edit, fmt), ADAPTERS[fmt], **options)


def _clips(track: otio.schema.Track) -> list[otio.schema.Clip]:
    return list(track.find_clips())


def _url(media: dict[str, Path], name: str) -> str:
    return media[name].absolute().as_uri()


def _frames(clip: otio.schema.Clip) -> tuple[float, float, float]:
    span = clip.source_range
    return span.start_time.value, span.duration.value, span.start_time.rate


def test_timeline_has_picture_and_sound_at_exact_source_frames(edit: Edit, media) -> None:
    timeline = edit_timeline(edit)
    video, audio = timeline.tracks
    assert (video.kind, audio.kind) == (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio)
    assert timeline.global_start_time.rate == pytest.approx(FILM_RATE, abs=1e-9)
    assert timeline.global_start_time.to_timecode() == "01:00:00:00"
    for track, kept in ((video, PICTURE), (audio, SOUND)):
        assert len(track) == len(EXPECTED)  # a gap holds the place of each clip left out
        for index, item in enumerate(track):
            if index not in kept:
                assert isinstance(item, otio.schema.Gap)
                continue
            name, first, frames, rate = EXPECTED[index]
            assert _frames(item)[:2] == (first, frames)
            assert abs(item.source_range.start_time.rate - rate) < 1e-9
            assert item.media_reference.target_url == _url(media, name)
            assert item.media_reference.available_range.duration.value == round(6 * rate)
    first = video[0]
    assert first.name == "Alpha film 00:00:01:00"
    origin = first.metadata["deerin"]
    assert (origin["video_id"], origin["start"], origin["end"], origin["kind"]) == (
        "film", 1.001, 3.003, "speech",
    )  # fmt: skip
    [marker] = first.markers
    assert (marker.name, marker.marked_range) == ("the first words", first.source_range)
    assert [m.name for m in audio[3].markers] == ["ask not"]  # sound only: its marker on A1


def test_otio_file_round_trips(edit: Edit, media) -> None:
    timeline = _read(edit, "otio")
    video, audio = timeline.tracks
    assert [_frames(c) for c in _clips(video)] == [
        (EXPECTED[i][1], EXPECTED[i][2], pytest.approx(EXPECTED[i][3], abs=1e-9)) for i in PICTURE
    ]
    assert [c.media_reference.target_url for c in _clips(audio)] == [
        _url(media, EXPECTED[i][0]) for i in SOUND
    ]
    assert timeline.global_start_time.value == 86400
    assert _clips(video)[2].metadata["deerin"]["caption"] == "third\nline"


def test_fcp7_xml_loads_with_exact_rates_and_points_at_the_frames(edit: Edit, media) -> None:
    text = export_edit(edit, "xml")
    assert "<timebase>24</timebase>" in text and "<ntsc>TRUE</ntsc>" in text
    timeline = otio.adapters.read_from_string(text, "fcp_xml")
    assert abs(timeline.global_start_time.rate - FILM_RATE) < 1e-9
    assert timeline.global_start_time.value == 86400  # the sequence starts at 01:00:00:00
    video, audio = timeline.tracks
    assert [t.kind for t in timeline.tracks] == ["Video", "Audio"]
    for track, kept in ((video, PICTURE), (audio, SOUND)):
        clips = _clips(track)
        assert [c.media_reference.target_url for c in clips] == [
            _url(media, EXPECTED[i][0]) for i in kept
        ]
        for clip, index in zip(clips, kept, strict=True):
            _, first, frames, rate = EXPECTED[index]
            assert clip.source_range.start_time.value == first
            assert abs(clip.source_range.start_time.rate - rate) < 1e-9
            # another rate than the timeline's comes back as its record length (whole
            # timeline frames), within a frame of the source's
            seconds = clip.source_range.duration.to_seconds()
            assert seconds == pytest.approx(frames / rate, abs=1 / FILM_RATE)
            record = clip.range_in_parent()
            assert round(record.start_time.to_seconds() * FILM_RATE) == RECORD[index][0]


def test_fcp7_xml_says_which_files_have_sound(edit: Edit) -> None:
    """Sound items are whole clip items of their own, and a silent film's file claims no
    sound (the adapter would claim sound for every file)."""
    root = ET.fromstring(export_edit(edit, "xml"))
    files = {f.findtext("name"): f for f in root.iter("file") if f.find("pathurl") is not None}
    assert files["silent.mp4"].find("media/audio") is None
    assert files["film.mp4"].find("media/audio") is not None
    assert files["radio.wav"].find("media/video") is None
    sound_items = root.findall(".//media/audio/track/clipitem")
    assert len(sound_items) == len(SOUND)
    assert all(item.findtext("sourcetrack/mediatype") == "audio" for item in sound_items)
    picture_ids = {item.get("id") for item in root.findall(".//media/video/track/clipitem")}
    assert picture_ids.isdisjoint(item.get("id") for item in sound_items)


def _fcpx_time(value: str) -> Fraction:
    return Fraction(value.removesuffix("s"))


def test_fcpxml_has_exact_frame_durations_and_times(edit: Edit) -> None:
    text = export_edit(edit, "fcpxml")
    root = ET.fromstring(text.split("\n", 3)[3])  # after the declaration and DOCTYPE
    formats = {f.get("id"): f.get("frameDuration") for f in root.iter("format")}
    assert formats[root.find("project/sequence").get("format")] == "1001/24000s"
    assert set(formats.values()) == {"1001/24000s", "1/25s", "1001/30000s"}
    assets = {Path(a.get("src")).name: a for a in root.iter("asset")}
    assert {name: (a.get("hasVideo"), a.get("hasAudio")) for name, a in assets.items()} == {
        "film.mp4": ("1", "1"),
        "silent.mp4": ("1", "0"),
        "tape.mp4": ("1", "1"),
        "radio.wav": ("0", "1"),
    }
    spine = [c for c in root.find("project/sequence/spine") if c.tag == "clip"]
    frame = Fraction(1001, 24000)
    for clip, index in zip(spine, PICTURE, strict=True):
        _, first, _, rate = EXPECTED[index]
        assert _fcpx_time(clip.get("start")) == first / Fraction(rate).limit_denominator(1001)
        assert _fcpx_time(clip.get("offset")) == RECORD[index][0] * frame  # on the frame grid
        record_frames = RECORD[index][1] - RECORD[index][0]
        assert _fcpx_time(clip.get("duration")) == record_frames * frame


def test_fcpxml_loads_and_keeps_sound_within_a_frame_of_picture(edit: Edit, media) -> None:
    """The adapter's reader counts frames at whole rates (23 for 23.976), and its writer
    places connected sound the same way: both land within a frame, never further."""
    timeline = _read(edit, "fcpxml")
    by_kind = {t.kind: _clips(t) for t in timeline.tracks}
    for kind, kept in (("Video", PICTURE), ("Audio", SOUND)):
        clips = by_kind[kind]
        assert [c.media_reference.target_url for c in clips] == [
            _url(media, EXPECTED[i][0]) for i in kept
        ]
        for clip, index in zip(clips, kept, strict=True):
            _, first, _, rate = EXPECTED[index]
            start = clip.source_range.start_time.to_seconds()
            assert start == pytest.approx(first / rate, abs=1 / FILM_RATE)
    root = ET.fromstring(export_edit(edit, "fcpxml").split("\n", 3)[3])
    for parent in root.find("project/sequence/spine"):
        for sound in parent.findall("clip[@lane='-1']"):
            early = _fcpx_time(parent.get("start", "0s")) - _fcpx_time(sound.get("offset"))
            assert abs(early) < Fraction(1001, 24000)


def test_edl_links_sound_to_picture_and_loads_at_the_timeline_rate(edit: Edit, media) -> None:
    text = export_edit(edit, "edl")
    lines = text.split("\n")
    assert lines[:2] == ["TITLE: ask not", "FCM: NON-DROP FRAME"]
    events = [line for line in lines if line[:1].isdigit()]
    assert [tuple(e.split()[1:3]) for e in events] == [
        ("ALPHA_FI", "B"), ("BETA_SIL", "V"), ("GAMMA_TA", "B"), ("RADIO_TA", "A"),
        ("ALPHA_FI", "B"),
    ]  # fmt: skip
    assert events[0].split()[-2:] == ["01:00:00:00", "01:00:02:00"]
    assert events[1].split()[-4:] == ["00:00:00:10", "00:00:01:16", "01:00:02:00", "01:00:03:06"]
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=FILM_RATE)
    tracks = {t.name: _clips(t) for t in timeline.tracks}
    assert set(tracks) == {"V", "A1"}
    # one rate for all: a clip of another rate is counted in the timeline's frames
    conformed = {0: (24, 48), 1: (10, 30), 2: (48, 24), 3: (24, 36), 4: (96, 24)}
    for name, kept in (("V", PICTURE), ("A1", SOUND)):
        assert [_frames(c)[:2] for c in tracks[name]] == [conformed[i] for i in kept]
        assert [c.media_reference.target_url for c in tracks[name]] == [
            _url(media, EXPECTED[i][0]) for i in kept
        ]


def test_vtt_cues_sit_at_record_times_with_both_timecodes(edit: Edit) -> None:
    blocks = export_edit(edit, "vtt").strip().split("\n\n")
    assert blocks[:2] == ["WEBVTT", "NOTE ask not"]
    assert blocks[2].split("\n") == [
        "1",
        "00:00:00.000 --> 00:00:02.002",
        "the first words",
        "01:00:00:00 · Alpha film 00:00:01:00",
    ]
    assert blocks[3].split("\n")[1:] == [
        "00:00:02.002 --> 00:00:03.253",
        "01:00:02:00 · Beta silent 00:00:00:10",
    ]
    assert blocks[4].split("\n")[1:] == [
        "00:00:03.253 --> 00:00:04.254",
        "third line",
        "01:00:03:06 · Gamma tape 00:00:02;00",  # the tape's own drop-frame timecode
    ]
    assert blocks[6].split("\n")[1] == "00:00:05.756 --> 00:00:06.757"


def test_csv_rows_give_sources_and_timecodes(edit: Edit, media) -> None:
    rows = list(csv.DictReader(io.StringIO(export_edit(edit, "csv"))))
    assert len(rows) == len(EXPECTED)
    assert rows[0] == {
        "number": "1",
        "video_id": "film",
        "collection": "archive",
        "file": str(media["film"].absolute()),
        "title": "Alpha film",
        "source_fps": "24000/1001",
        "source_in": "1.001",
        "source_out": "3.003",
        "source_in_timecode": "00:00:01:00",
        "source_out_timecode": "00:00:03:00",
        "record_in_timecode": "01:00:00:00",
        "record_out_timecode": "01:00:02:00",
        "duration": "2.002",
        "caption": "the first words",
        "kind": "speech",
    }
    assert [(r["source_in_timecode"], r["source_out_timecode"]) for r in rows[1:4]] == [
        ("00:00:00:10", "00:00:01:16"),
        ("00:00:02;00", "00:00:03;00"),
        ("00:00:01:00", "00:00:02:12"),
    ]
    assert [r["record_out_timecode"] for r in rows] == [
        "01:00:02:00", "01:00:03:06", "01:00:04:06", "01:00:05:18", "01:00:06:18",
    ]  # fmt: skip


def test_a_given_rate_and_a_sound_only_edit(edit: Edit) -> None:
    pal = edit_timeline(edit, rate=25)
    assert pal.global_start_time.value == 90000 and pal.global_start_time.rate == 25
    radio = edit.model_copy(update={"clips": [c for c in edit.clips if c.video_id == "radio"]})
    timeline = edit_timeline(radio)
    assert timeline.global_start_time.rate == 25
    assert _frames(timeline.tracks[1][0]) == (25, 37, 25)  # 1.0 s to 2.5 s: 62.5 rounds to even
    for fmt in ADAPTERS:
        options = {"rate": 25} if fmt == "edl" else {}
        loaded = _read(radio, fmt, **options)
        sound = [t for t in loaded.tracks if t.kind == "Audio"]
        assert [len(_clips(t)) for t in sound] == [1], fmt
        assert not any(_clips(t) for t in loaded.tracks if t.kind == "Video"), fmt


def test_a_speech_film_relinks_exactly_at_25_fps(shared_media: Path) -> None:
    """The real reading at 25 fps: whole rates place sound exactly under picture."""
    path = shared_media / "speech" / "manifesto.mp4"
    source = EditSource(
        video_id="m", collection="speech", path=str(path), title="Manifesto", duration=88.08,
        fps=25.0, fps_fraction="25/1", width=320, height=180, audio=True,
    )  # fmt: skip
    clips = [
        EditClip(video_id="m", start=12.36, end=14.04, caption="a spectre", kind="speech"),
        EditClip(video_id="m", start=3.0, end=5.52, caption="is haunting", kind="speech"),
    ]
    manifesto = Edit(name="spectre", made="supercut", sources={"m": source}, clips=clips)
    text = export_edit(manifesto, "edl")
    assert [line.split()[2] for line in text.split("\n") if line[:1].isdigit()] == ["B", "B"]
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=25)
    assert [_frames(c)[:2] for c in _clips(timeline.tracks[0])] == [(309, 42), (75, 63)]
    assert timeline.tracks[0][0].media_reference.target_url == path.absolute().as_uri()
    root = ET.fromstring(export_edit(manifesto, "fcpxml").split("\n", 3)[3])
    for parent in root.find("project/sequence/spine"):
        [sound] = parent.findall("clip[@lane='-1']")
        assert sound.get("offset") == parent.get("start")


def test_reels_stay_unique_when_titles_begin_alike(edit: Edit) -> None:
    twin = edit.sources["silent"].model_copy(update={"video_id": "twin", "title": "Beta silence"})
    clips = [*edit.clips[:2], edit.clips[1].model_copy(update={"video_id": "twin"})]
    both = edit.model_copy(update={"sources": {**edit.sources, "twin": twin}, "clips": clips})
    timeline = edit_timeline(both)
    reels = [c.metadata["cmx_3600"]["reel"] for c in timeline.tracks[0]]
    assert reels == ["ALPHA_FI", "BETA_SIL", "BETA_SI2"]


def test_refuses_what_it_cannot_export(edit: Edit) -> None:
    with pytest.raises(TimelineError, match="no clips") as empty:
        export_edit(edit.model_copy(update={"clips": []}), "edl")
    assert empty.value.hint
    with pytest.raises(TimelineError, match="unknown timeline format 'fcpx'") as unknown:
        export_edit(edit, "fcpx")
    assert "did you mean fcpxml?" in unknown.value.hint
    assert ", ".join(FORMATS) in unknown.value.hint
    lost = edit.model_copy(update={"sources": {}})
    with pytest.raises(DeerinError, match="no source file for: film, radio, silent, tape"):
        export_edit(lost, "csv")


def _shots(fps: float, bounds: list[tuple[int, int]]) -> Shots:
    shots = [
        {"index": i, "start_frame": a, "end_frame": b, "start_time": a / fps,
         "end_time": b / fps, "last_frame_time": (b - 1) / fps, "transition_in": None}
        for i, (a, b) in enumerate(bounds)
    ]  # fmt: skip
    end = bounds[-1][1]
    return Shots.model_validate(
        {
            "video_id": "ab12cd34", "fps": fps, "frame_count": end, "duration": end / fps,
            "decoded_to": end / fps, "shots": shots,
            "method": {"name": "transnetv2", "version": "1.0.5"},
        }
    )  # fmt: skip


def test_shot_list_edl_loads_through_the_adapter_at_the_right_frames(media) -> None:
    document = _shots(round(FILM_RATE, 3), [(0, 40), (40, 97), (97, 143)])
    text = export_shots(document, "edl", source=media["film"], title="Alpha film")
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=FILM_RATE)
    clips = _clips(timeline.tracks[0])
    assert [_frames(c)[:2] for c in clips] == [(0, 40), (40, 57), (97, 46)]
    assert {c.media_reference.target_url for c in clips} == {_url(media, "film")}
    assert {c.metadata["cmx_3600"]["reel"] for c in clips} == {"ALPHA_FI"}
    assert [c.name for c in clips] == ["film.mp4"] * 3


def test_shot_list_edl_refuses_a_rate_without_timecode(media) -> None:
    with pytest.raises(DeerinError, match="16 fps") as refused:
        export_shots(_shots(16.0, [(0, 32)]), "edl", source=media["silent"])
    assert "otio or xml" in refused.value.hint
