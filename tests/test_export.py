"""Shot-list exports, checked against values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from deerin.export.shotlist import (
    export_shots,
    is_drop_frame_rate,
    reel_name,
    timecode,
    to_csv,
    to_edl,
    to_json,
    to_otio,
)
from deerin.index.schemas import Shots

PAL_SOURCE = Path("/archive/harbour_reel_12.mkv")
NTSC_SOURCE = Path("/archive/Tape 7 — Street Scenes.mpg")
NTSC = 30000 / 1001
CSV_HEADER = (
    "index,start_frame,end_frame,start_time,end_time,start_timecode,end_timecode,duration,"
    "transition_in"
)


def _shot(
    index: int, frames: tuple[int, int], times: tuple[float, float], transition: dict | None
) -> dict[str, Any]:
    return {
        "index": index,
        "start_frame": frames[0],
        "end_frame": frames[1],
        "start_time": times[0],
        "end_time": times[1],
        "last_frame_time": round(times[1] - 1 / 25, 3),  # passed through, never computed on
        "transition_in": transition,
    }


def _transition(kind: str, start: int, end: int) -> dict[str, Any]:
    return {"kind": kind, "start_frame": start, "end_frame": end}


def _document(fps: float, shots: list[dict[str, Any]], frames: int, duration: float) -> Shots:
    return Shots.model_validate(
        {
            "video_id": "ab12cd34",
            "fps": fps,
            "frame_count": frames,
            "duration": duration,
            "decoded_to": duration,
            "method": {"name": "pyscenedetect", "version": "0.7.2", "detectors": ["adaptive"]},
            "shots": shots,
        }
    )


@pytest.fixture
def pal() -> Shots:
    """25 fps: a first shot, one after a fade, then a long one running past a minute."""
    return _document(
        25.0,
        [
            _shot(0, (0, 125), (0.0, 5.0), None),
            _shot(1, (125, 260), (5.0, 10.4), _transition("fade", 120, 130)),
            _shot(2, (260, 1510), (10.4, 60.4), _transition("cut", 260, 260)),
        ],
        1510,
        60.4,
    )


@pytest.fixture
def ntsc() -> Shots:
    """29.97 fps (rounded, as shots.json may store it): boundaries at frames 1800 and 17983.

    Frame 1800 is 00:01:00;02 in drop-frame (labels ;00 and ;01 skipped at minute 1);
    frame 17983 is 00:10:00;01 (no labels skipped at minute 10).
    """
    return _document(
        29.97,
        [
            _shot(0, (0, 1800), (0.0, 60.06), None),
            _shot(1, (1800, 1810), (60.06, 60.394), _transition("dissolve", 1795, 1805)),
            _shot(2, (1810, 17983), (60.394, 600.033), _transition("cut", 1810, 1810)),
        ],
        17983,
        600.033,
    )


@pytest.mark.parametrize(
    ("seconds", "fps", "drop", "expected"),
    [
        (0.0, 25, False, "00:00:00:00"),
        (60.4, 25, False, "00:01:00:10"),
        (3600 + 61.2, 25, False, "01:01:01:05"),
        (1.5, 24, False, "00:00:01:12"),
        (1440 / (24000 / 1001), 23.976, False, "00:01:00:00"),  # 24-frame labels
        (1799 / NTSC, 29.97, True, "00:00:59;29"),
        (1800 / NTSC, 29.97, True, "00:01:00;02"),  # first frame of minute 1
        (17982 / NTSC, 29.97, True, "00:10:00;00"),  # minute 10 keeps its ;00
        (1800 / NTSC, 29.97, False, "00:01:00:00"),
        (3600 / (60000 / 1001), 59.94, True, "00:01:00;04"),
        (1.0, 16, False, "00:00:01:00"),  # silent-film transfer rate
    ],
)
def test_timecode(seconds: float, fps: float, drop: bool, expected: str) -> None:
    assert timecode(seconds, fps, drop) == expected


def test_drop_frame_agrees_with_opentimelineio_over_an_hour() -> None:
    for frame in range(0, 108_000, 13):
        ours = timecode(frame / NTSC, 29.97, True)
        assert ours == otio.opentime.RationalTime(frame, NTSC).to_timecode(NTSC, True), frame


def test_timecode_refuses_what_has_no_timecode() -> None:
    with pytest.raises(ValueError, match="drop-frame"):
        timecode(1.0, 25, True)
    with pytest.raises(ValueError, match="0 or more"):
        timecode(-0.04, 25, False)


def test_which_rates_are_drop_frame() -> None:
    assert [is_drop_frame_rate(r) for r in (29.97, NTSC, 59.94, 23.976, 25, 30, 24)] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_reel_names_fit_cmx3600() -> None:
    assert reel_name("Harbour Reel 12") == "HARBOUR"
    assert reel_name("Tape 7 — Street Scenes") == "TAPE_7_S"
    assert reel_name("Ünïcode film") == "UNICODE"
    assert reel_name("———") == "AX"


def test_csv_rows_at_25_fps(pal: Shots) -> None:
    assert to_csv(pal).split("\n") == [
        CSV_HEADER,
        "0,0,125,0.000,5.000,00:00:00:00,00:00:05:00,5.000,",
        "1,125,260,5.000,10.400,00:00:05:00,00:00:10:10,5.400,fade",
        "2,260,1510,10.400,60.400,00:00:10:10,00:01:00:10,50.000,cut",
        "",
    ]


def test_csv_rows_at_29_97_use_drop_frame(ntsc: Shots) -> None:
    assert to_csv(ntsc).split("\n")[1:] == [
        "0,0,1800,0.000,60.060,00:00:00;00,00:01:00;02,60.060,",
        "1,1800,1810,60.060,60.394,00:01:00;02,00:01:00;12,0.334,dissolve",
        "2,1810,17983,60.394,600.033,00:01:00;12,00:10:00;01,539.639,cut",
        "",
    ]


def test_edl_at_25_fps(pal: Shots) -> None:
    url = "* FROM CLIP: file:///archive/harbour_reel_12.mkv"
    assert to_edl(pal, PAL_SOURCE, "Harbour Reel 12").split("\n") == [
        "TITLE: Harbour Reel 12",
        "FCM: NON-DROP FRAME",
        "",
        "001  HARBOUR  V     C        00:00:00:00 00:00:05:00 00:00:00:00 00:00:05:00",
        "* FROM CLIP NAME:  harbour_reel_12.mkv",
        url,
        "002  HARBOUR  V     C        00:00:05:00 00:00:10:10 00:00:05:00 00:00:10:10",
        "* FROM CLIP NAME:  harbour_reel_12.mkv",
        url,
        "003  HARBOUR  V     C        00:00:10:10 00:01:00:10 00:00:10:10 00:01:00:10",
        "* FROM CLIP NAME:  harbour_reel_12.mkv",
        url,
        "",
    ]


def test_edl_at_29_97_is_drop_frame_and_titled_after_the_file(ntsc: Shots) -> None:
    lines = export_shots(ntsc, "edl", source=NTSC_SOURCE).split("\n")
    assert lines[:2] == ["TITLE: Tape 7 — Street Scenes", "FCM: DROP FRAME"]
    assert lines[6:8] == [
        "002  TAPE_7_S V     C        00:01:00;02 00:01:00;12 00:01:00;02 00:01:00;12",
        "* FROM CLIP NAME:  Tape 7 — Street Scenes.mpg",
    ]
    assert lines[9] == (
        "003  TAPE_7_S V     C        00:01:00;12 00:10:00;01 00:01:00;12 00:10:00;01"
    )


def test_json_adds_timecodes_and_names_the_source(ntsc: Shots) -> None:
    exported = json.loads(to_json(ntsc, NTSC_SOURCE))
    assert set(exported) == {
        "video_id", "source", "fps", "drop_frame", "frame_count", "duration", "method", "shots",
    }  # fmt: skip
    assert (exported["video_id"], exported["source"]) == ("ab12cd34", str(NTSC_SOURCE))
    assert exported["drop_frame"] is True
    shot = exported["shots"][1]
    assert (shot["start_timecode"], shot["end_timecode"]) == ("00:01:00;02", "00:01:00;12")
    assert shot["duration"] == pytest.approx(0.334)
    assert shot["transition_in"] == ntsc.shots[1].transition_in.model_dump()


def _read_otio(text: str) -> tuple[otio.schema.Timeline, list[otio.schema.Clip]]:
    timeline = otio.adapters.read_from_string(text, "otio_json")
    return timeline, list(timeline.tracks[0].find_clips())


def test_otio_round_trip_at_25_fps(pal: Shots) -> None:
    timeline, clips = _read_otio(export_shots(pal, "otio", source=PAL_SOURCE, title="Harbour"))
    assert timeline.name == "Harbour"
    assert len(timeline.tracks) == 1 and timeline.tracks[0].kind == otio.schema.TrackKind.Video
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == [
        (0, 125), (125, 135), (260, 1250),
    ]  # fmt: skip
    assert all(c.source_range.start_time.rate == 25 for c in clips)
    media = clips[0].media_reference
    assert media.target_url == PAL_SOURCE.as_uri()
    assert media.available_range.duration.value == 1510
    assert timeline.duration().value == 1510
    [marker] = timeline.tracks[0].markers
    assert marker.name == "fade"
    assert (marker.marked_range.start_time.value, marker.marked_range.duration.value) == (120, 10)


def test_otio_at_29_97_uses_the_exact_rate(ntsc: Shots) -> None:
    _, clips = _read_otio(to_otio(ntsc, NTSC_SOURCE, "Street"))
    assert [c.source_range.start_time.value for c in clips] == [0, 1800, 1810]
    assert clips[-1].source_range.end_time_exclusive().value == 17983
    assert clips[1].source_range.start_time.rate == pytest.approx(NTSC)
    assert clips[1].source_range.start_time.to_timecode(NTSC, True) == "00:01:00;02"


def test_unknown_format_names_the_known_ones(pal: Shots) -> None:
    with pytest.raises(ValueError, match="csv, json, otio, edl"):
        export_shots(pal, "xlsx", source=PAL_SOURCE)
