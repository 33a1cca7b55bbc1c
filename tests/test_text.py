"""On-screen text: the OCR reader, frame readings into events, and the stage on a video."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import ffmpeg
from deerin.enrich.text.events import FrameText, Reading, blocks, distance, events, similar
from deerin.enrich.text.ocr import Line, Reader, ocr_models, reader
from deerin.index.store import VideoFolder, read_json
from deerin.models.resolver import resolve
from deerin.models.weights import ModelError
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

TEXT_STAGES = ("probe", "shots", "frames", "text")
SIZE = (768, 576)


def card(lines: list[str], ink: str = "white", ground: str = "black") -> Image.Image:
    """An intertitle: centred lines in Pillow's bundled font, framed by a thin border."""
    picture = Image.new("RGB", SIZE, ground)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((24, 24, SIZE[0] - 25, SIZE[1] - 25), outline=ink, width=3)
    font = ImageFont.load_default(size=44)
    top = SIZE[1] // 2 - 35 * len(lines)
    for n, line in enumerate(lines):
        draw.text((SIZE[0] // 2, top + 70 * n), line, font=font, fill=ink, anchor="mt")
    return picture


def cards_video(path: Path, pieces: list[tuple[Image.Image, float]]) -> Path:
    """A 25 fps video showing each picture for its seconds, with hard cuts."""
    inputs, graph = [], ""
    for n, (picture, seconds) in enumerate(pieces):
        still = path.with_name(f"{path.stem}-{n}.png")
        picture.save(still)
        inputs += ["-loop", "1", "-t", str(seconds), "-i", str(still)]
        graph += f"[{n}:v]fps=25,setsar=1,format=yuv420p[v{n}];"
    graph += "".join(f"[v{n}]" for n in range(len(pieces))) + f"concat=n={len(pieces)}:v=1[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset",
           "ultrafast", str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def ocr() -> Reader:
    return reader(Settings.from_values({"run.workers": 1}))


def test_reads_a_line_and_finds_nothing_on_a_blank_picture(ocr: Reader) -> None:
    picture = card(["LAUNCH DAY 1969"], ink="black", ground="white")
    [line] = ocr.read(np.asarray(picture), 640)
    assert similar(line.text, "LAUNCH DAY 1969") >= 0.9 and line.confidence > 0.8
    x, y, w, h = line.box
    assert 100 < x < x + w < 668 and 200 < y < y + h < 330  # around the drawn words
    assert ocr.read(np.full((480, 640, 3), 128, np.uint8), 640) == []


def test_words_keep_their_spaces(ocr: Reader) -> None:
    # Plain greedy CTC decoding read the first and last lines of this card (Pillow's
    # bundled font, as on the demo tape) as "THEARCHIVEOF1962", "SYNTHETICTESTMATERIAL".
    words = ["THE ARCHIVE OF 1962", "NEWSFILM 1962", "DEERIN DEMO TAPE REEL 1",
             "SYNTHETIC TEST MATERIAL"]  # fmt: skip
    lines = ocr.read(np.asarray(card(words)), 640)
    assert [line.text for line in lines] == words


def test_lines_of_an_intertitle_form_one_block_in_reading_order() -> None:
    lines = [
        Line("THE END", 0.9, (300, 300, 160, 40)),
        Line("REEL 2", 0.95, (310, 240, 140, 40)),
        Line("LOGO", 0.99, (20, 20, 60, 20)),
        Line("OF", 0.8, (220, 240, 60, 40)),  # same row as REEL 2, to its left
    ]
    frame = blocks(7, 21.0, lines, (800, 600))
    assert [r.text for r in frame.readings] == ["LOGO", "OF REEL 2\nTHE END"]
    intertitle = frame.readings[1]
    assert intertitle.box == pytest.approx((220 / 800, 240 / 600, 240 / 800, 100 / 600))
    assert intertitle.confidence == pytest.approx((0.8 * 2 + 0.95 * 6 + 0.9 * 7) / 15)


def reading(frame: int, time: float, text: str, x: float = 0.3, y: float = 0.4) -> Reading:
    return Reading(frame, time, text, 0.9, (x, y, 0.3, 0.1))


def test_readings_of_consecutive_frames_become_one_event_until_the_text_goes() -> None:
    frames = [
        FrameText(0, 0.0, ()),
        FrameText(1, 3.0, (reading(1, 3.0, "THE END"),)),
        FrameText(2, 6.0, (reading(2, 6.0, "THEEND"), reading(2, 6.0, "FIN", x=0.0))),
        FrameText(3, 9.0, (reading(3, 9.0, "THE END", y=0.05),)),  # same words, elsewhere
        FrameText(4, 12.0, (reading(4, 12.0, "A NEW CARD"),)),
    ]
    found = events(frames, end=14.0)
    assert [(e["start"], e["end"], e["text"], e["frames"]) for e in found] == [
        (3.0, 9.0, "THE END", [1, 2]),
        (6.0, 9.0, "FIN", [2]),
        (9.0, 12.0, "THE END", [3]),
        (12.0, 14.0, "A NEW CARD", [4]),
    ]
    assert found[0]["kind"] == "text" and found[0]["box"] == [0.3, 0.4, 0.3, 0.1]


def test_edit_distance_and_similarity() -> None:
    assert distance("kitten", "sitting") == 3 and distance("", "abc") == 3
    assert similar("The End", "THEEND") == 1.0 and similar("abc", "xyz") == 0.0


def test_text_stage_times_two_intertitles_and_survives_a_damaged_frame(tmp_path: Path) -> None:
    black = Image.new("RGB", SIZE, "black")
    first = ["A NIGHT AT THE OPERA", "REEL ONE"]
    second = ["FIFTY YEARS LATER"]
    video = cards_video(
        tmp_path / "intertitles.mkv",
        [(black, 2.0), (card(first), 5.0), (card(second, "black", "white"), 4.0), (black, 2.0)],
    )
    settings = Settings.from_values(
        {
            "data_dir": tmp_path / "store",
            "run.workers": 1,
            "proxy.enabled": False,
            "frames.sample_seconds": 1.0,
        }
    )
    result = process_video(VideoJob("v1", str(video), settings, TEXT_STAGES), lambda e: None)
    assert result.outcomes["text"].status == "done", result.outcomes["text"].detail
    folder = VideoFolder.for_video(settings.data_dir, "v1")
    document = read_json(folder.path("text.json"))
    assert document["errors"] == [] and document["model"]["name"] == "rapidocr PP-OCRv4"
    found = document["events"]
    expected = ["\n".join(first), "\n".join(second)]
    assert len(found) == 2, found
    for event, text in zip(found, expected, strict=True):
        assert similar(event["text"], text) >= 0.9, (event["text"], text)
    (one, two) = found
    assert 2.0 <= one["start"] <= 3.0 and 7.0 <= one["end"] <= 8.0  # within a sample interval
    assert 7.0 <= two["start"] <= 8.0 and 11.0 <= two["end"] <= 12.0
    assert one["text"].count("\n") == 1 and len(one["frames"]) >= 4
    x, y, w, h = one["box"]
    assert 0.05 < x < x + w < 0.95 and 0.3 < y < y + h < 0.7 and one["confidence"] > 0.8

    frames = read_json(folder.path("frames.json"))["frames"]
    damaged = next(f for f in frames if f["index"] in one["frames"][1:])
    path = folder.path(damaged["file"])
    path.write_bytes(path.read_bytes()[:60])
    job = VideoJob("v1", str(video), settings, TEXT_STAGES, frozenset({"text"}))
    outcome = process_video(job, lambda e: None).outcomes["text"]
    assert outcome.status == "partial" and f"1 of {len(frames)} frames failed" in outcome.detail
    again = read_json(folder.path("text.json"))
    assert [e["frame"] for e in again["errors"]] == [damaged["index"]]
    assert [e["text"] for e in again["events"]] == [e["text"] for e in found]
    assert damaged["index"] not in again["events"][0]["frames"]


def test_a_folder_of_onnx_files_can_replace_the_bundled_models(tmp_path: Path) -> None:
    bundled = ocr_models(resolve("ocr", Settings.from_values({"run.workers": 1})))
    shutil.copy(bundled.detector, tmp_path / "my_det.onnx")
    shutil.copy(bundled.recogniser, tmp_path / "my_rec.onnx")
    mine = Settings.from_values({"models.ocr": str(tmp_path)})
    models = ocr_models(resolve("ocr", mine))
    assert (models.detector.name, models.recogniser.name) == ("my_det.onnx", "my_rec.onnx")
    assert models.characters is None and models.name == tmp_path.name
    (tmp_path / "chars.txt").write_text("a\nb\n")
    assert ocr_models(resolve("ocr", mine)).characters == tmp_path / "chars.txt"
    (tmp_path / "my_rec.onnx").unlink()
    with pytest.raises(ModelError, match=r"expected one \*rec\*\.onnx file for the recogniser"):
        resolve("ocr", mine)
    with pytest.raises(ModelError, match="not a bundled model"):
        resolve("ocr", Settings.from_values({"models.ocr": "someone/some-hub-ocr"}))
