"""OCR accuracy and speed: on-screen text and bitmap subtitles.

Three measurements, each in one run:
  intertitles   20 sentences rendered in six styles (old-style intertitle: white on black
                with a border; black-on-white card; the demo tape's cards in Pillow's
                bundled font; burnt-in subtitle over a photograph; small lower-third
                caption; tiny caption), saved as the frames stage saves
                frames (JPEG q90, 768x576), read through the text stage's path (reader, junk
                filter, blocks) at several detector sizes; peer: RapidOCR's own defaults
                (``RapidOCR()``: 736-pixel short side, direction classifier, score 0.5).
  subtitles     the four Popeye excerpts' PGS and VobSub tracks through the subtitles stage,
                against the hand-made SRT files: cues aligned by time overlap; character
                error rate (CER = edit distance / reference length, markup stripped) per
                file and overall, reference cues with no cue, and cue start error.
  speed         CPU ms per analysis frame (one onnxruntime thread) on the analysis frames
                of the demo tape, chaplin, a Popeye excerpt and Big Buck Bunny: reading
                with the stage's gates (flat and repeated frames), every frame read, and
                RapidOCR's defaults, on the same decoded frames; and the whole stage run.

    .venv/bin/python bench/ocr_accuracy.py       # about 4 minutes on 2 cores
    .venv/bin/python bench/ocr_accuracy.py --intertitles-only   # the first part alone

Prints Markdown and writes bench/results/ocr_accuracy.json (ocr_intertitles.json for
--intertitles-only). CER counts spaces (runs of whitespace fold to one); the figure in
brackets ignores them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from deerin.enrich.frames import analysis_frames, load_image
from deerin.enrich.subtitles.text import parse_srt
from deerin.enrich.text.events import blocks, distance, similar
from deerin.enrich.text.ocr import Reader, reader
from deerin.enrich.text.stage import Gate, TextStage
from deerin.index.store import VideoFolder, read_json
from deerin.media.synth import build_demo_tape
from deerin.pipeline.runner import VideoJob, process_video
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
RESULTS = ROOT / "bench" / "results"
SIZE = (768, 576)
DETECT_SIZES = (512, 640, 768)  # 640 is the default (text_detect_size)
SLACK = 1.0  # seconds: how far apart in time a cue and its reference may lie
POPEYE = {"T00-1": "p3", "T01-2": "p2", "T02-3": "p4", "T03-4": "p1"}
SENTENCES = [
    "THE END",
    "CHAPTER II",
    "LONDON, 1926",
    "Meanwhile, in the city...",
    "Ten years have passed.",
    "Directed by Mary Pickford",
    "A KEYSTONE COMEDY",
    "The next morning",
    "Reel 3 of 5",
    "Where is my hat?",
    "Production No. 4471",
    "Copyright MCMXXXVI",
    "THE GREAT TRAIN ROBBERY",
    "Photographed by Karl Freund",
    "Evening news, 6 June 1944",
    "Please stand by",
    "Scene 12 - Take 4",
    "To be continued next week!",
    "The harbour at dawn",
    "Music by the Orchestra",
]


def cer(reference: str, hypothesis: str, spaces: bool = True) -> tuple[int, int]:
    """Edit distance and reference length after folding whitespace (or dropping it)."""
    join = " " if spaces else ""
    ref, hyp = (join.join(text.split()) for text in (reference, hypothesis))
    return distance(ref, hyp), len(ref)


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = Path("/usr/share/fonts/truetype/dejavu") / f"{name}.ttf"
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def photo(index: int) -> Image.Image:
    picture = [data.astronaut, data.coffee, data.chelsea, data.rocket][index % 4]()
    return Image.fromarray(picture).convert("RGB").resize(SIZE)


def intertitle(text: str, n: int) -> Image.Image:
    picture = Image.new("RGB", SIZE, "black")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((30, 30, SIZE[0] - 31, SIZE[1] - 31), outline="white", width=4)
    draw.rectangle((42, 42, SIZE[0] - 43, SIZE[1] - 43), outline="white", width=1)
    draw.text((SIZE[0] / 2, SIZE[1] / 2), text, font=font("DejaVuSerif", 40), fill="white",
              anchor="mm")  # fmt: skip
    return picture


def bundled_font_card(text: str, n: int) -> Image.Image:
    """White on blue in Pillow's bundled font, as the demo tape draws its cards."""
    picture = Image.new("RGB", SIZE, (26, 58, 138))
    ImageDraw.Draw(picture).text((SIZE[0] / 2, SIZE[1] / 2), text, fill="white", anchor="mm",
                                 font=ImageFont.load_default(size=(30, 46, 64)[n % 3]))  # fmt: skip
    return picture


def card(text: str, n: int) -> Image.Image:
    picture = Image.new("RGB", SIZE, (235, 230, 215))
    ImageDraw.Draw(picture).text((SIZE[0] / 2, SIZE[1] / 2), text, font=font("DejaVuSans", 32),
                                 fill=(20, 20, 20), anchor="mm")  # fmt: skip
    return picture


def burnt_in(text: str, n: int) -> Image.Image:
    picture = photo(n)
    ImageDraw.Draw(picture).text((SIZE[0] / 2, SIZE[1] - 60), text, font=font("DejaVuSans", 28),
                                 fill="white", stroke_width=2, stroke_fill="black",
                                 anchor="mm")  # fmt: skip
    return picture


def lower_third(text: str, n: int) -> Image.Image:
    picture = photo(n + 1)
    draw = ImageDraw.Draw(picture, "RGBA")
    draw.rectangle((40, SIZE[1] - 110, 420, SIZE[1] - 80), fill=(0, 0, 60, 170))
    draw.text((50, SIZE[1] - 95), text, font=font("DejaVuSansCondensed", 18), fill="white",
              anchor="lm")  # fmt: skip
    return picture


def tiny(text: str, n: int) -> Image.Image:
    picture = photo(n + 2)
    ImageDraw.Draw(picture).text((40, 40), text, font=font("DejaVuSans", 12), fill="white",
                                 stroke_width=1, stroke_fill="black")  # fmt: skip
    return picture


STYLES: dict[str, Callable[[str, int], Image.Image]] = {
    "intertitle (white on black, border, serif 40px)": intertitle,
    "card (dark on light, sans 32px)": card,
    "demo-tape card (Pillow's bundled font, 30-64px)": bundled_font_card,
    "burnt-in subtitle (outlined, over a photo, 28px)": burnt_in,
    "lower third (small 18px on a band, over a photo)": lower_third,
    "tiny caption (12px, outlined, over a photo)": tiny,
}


def as_frame(picture: Image.Image, folder: Path, name: str) -> np.ndarray:
    """The picture as the frames stage leaves it: a JPEG at quality 90, read back."""
    path = folder / f"{name}.jpg"
    picture.save(path, "JPEG", quality=90)
    return np.asarray(Image.open(path).convert("RGB"))


def stage_text(stage: TextStage, ocr: Reader, image: np.ndarray, detect_size: int) -> str:
    lines = [line for line in ocr.read(image, detect_size) if stage.worth_keeping(line)]
    frame = blocks(0, 0.0, lines, (image.shape[1], image.shape[0]))
    return "\n".join(reading.text for reading in frame.readings)


def rapidocr_default() -> Callable[[np.ndarray], str]:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1)

    def read(image: np.ndarray) -> str:
        found, _ = engine(np.ascontiguousarray(image[:, :, ::-1]))
        return "\n".join(line[1] for line in found or [])

    return read


def timed(read: Callable[[np.ndarray], str], image: np.ndarray) -> tuple[str, float]:
    started = time.process_time()
    text = read(image)
    return text, time.process_time() - started


def intertitles(stage: TextStage, ocr: Reader, peer: Callable, work: Path) -> dict[str, Any]:
    methods: dict[str, Callable[[np.ndarray], str]] = {
        f"deerin, detector at {size}px": (
            lambda image, size=size: stage_text(stage, ocr, image, size)
        )
        for size in DETECT_SIZES
    }
    methods["RapidOCR defaults (peer)"] = peer
    rows: dict[str, dict[str, Any]] = {}
    for method, read in methods.items():
        per_style = {}
        for style, draw in STYLES.items():
            errors = length = errors_nospace = length_nospace = 0
            seconds = 0.0
            for n, sentence in enumerate(SENTENCES):
                image = as_frame(draw(sentence, n), work, f"{n}")
                text, spent = timed(read, image)
                seconds += spent
                e, n_ref = cer(sentence, text)
                e2, n2 = cer(sentence, text, spaces=False)
                errors, length = errors + e, length + n_ref
                errors_nospace, length_nospace = errors_nospace + e2, length_nospace + n2
            per_style[style] = {
                "cer": errors / length,
                "cer_ignoring_spaces": errors_nospace / length_nospace,
                "ms_per_frame": 1000 * seconds / len(SENTENCES),
                "errors": errors,
                "length": length,
            }
        total_errors = sum(row["errors"] for row in per_style.values())
        total_length = sum(row["length"] for row in per_style.values())
        rows[method] = {
            "styles": per_style,
            "cer": total_errors / total_length,
            "ms_per_frame": statistics.mean(row["ms_per_frame"] for row in per_style.values()),
        }
        print(f"  {method}: CER {rows[method]['cer']:.3f}", flush=True)
    return rows


def aligned(reference: list[dict], cues: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each reference cue with its cue, one to one: of the unused cues within SLACK seconds
    of it, the one whose text is closest, if at least half alike (None: no such cue).

    DVD timings differ from the hand-made SRT by up to 0.9 s, so the greatest time
    overlap pairs neighbours; the text decides among the cues near in time.
    """
    pairs: list[tuple[dict, dict | None]] = []
    used: set[int] = set()
    for ref in reference:
        near = [
            (n, cue)
            for n, cue in enumerate(cues)
            if n not in used
            and cue["start"] < ref["end"] + SLACK
            and cue["end"] > ref["start"] - SLACK
        ]
        best = min(near, key=lambda pair: distance(ref["text"], pair[1]["text"]), default=None)
        if best is None or similar(ref["text"], best[1]["text"]) < 0.5:
            pairs.append((ref, None))
            continue
        used.add(best[0])
        pairs.append((ref, best[1]))
    return pairs


def subtitles(work: Path) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for kind in ("pgs", "vob"):
        for title, srt in POPEYE.items():
            rows[f"{kind} {title}"] = subtitle_track(work, kind, title, srt)
            print(f"  {kind} {title}: {rows[f'{kind} {title}']}", flush=True)
        errors = sum(row["errors"] for name, row in rows.items() if name.startswith(kind))
        length = sum(row["length"] for name, row in rows.items() if name.startswith(kind))
        rows[f"{kind} overall"] = {"cer_matched": errors / length}
    return rows


def subtitle_track(work: Path, kind: str, title: str, srt: str) -> dict[str, Any]:
    """One Popeye excerpt's bitmap track through the subtitles stage, against its SRT."""
    video = MEDIA / f"popeye/mkv_{kind}_Title_{title}.mkv"
    settings = Settings.from_values(
        {"data_dir": work / f"{kind}{title}", "run.workers": os.cpu_count() or 1}
    )
    started = time.process_time()
    process_video(VideoJob("v", str(video), settings, ("probe", "subtitles")), print_fail)
    spent = time.process_time() - started
    folder = VideoFolder.for_video(settings.data_dir, "v")
    cues = read_json(folder.path("subtitles.json"))["tracks"][0]["events"]
    srt_text = (MEDIA / f"popeye/srt_popeye_{srt}.eng.srt").read_text("utf-8-sig")
    reference = parse_srt(srt_text)
    pairs = aligned(reference, cues)
    matched = [(ref, cue) for ref, cue in pairs if cue is not None]
    counts = [cer(ref["text"], cue["text"]) for ref, cue in matched]
    whole = cer(" ".join(r["text"] for r in reference), " ".join(c["text"] for c in cues))
    errors, length = sum(c[0] for c in counts), sum(c[1] for c in counts)
    starts = [abs(ref["start"] - cue["start"]) for ref, cue in matched]
    return {
        "reference_cues": len(reference),
        "cues": len(cues),
        "reference_cues_without_cue": len(pairs) - len(matched),
        "errors": errors,
        "length": length,
        "cer_matched": errors / length,
        "cer_transcript": whole[0] / whole[1],
        "start_error_median_s": statistics.median(starts),
        "start_error_max_s": max(starts),
        "cpu_s": spent,
        "ms_per_cue": 1000 * spent / max(1, len(cues)),
    }


def print_fail(event: Any) -> None:
    if event.status == "failed":
        print(f"    {event.stage} failed: {event.detail}")


def real_frames(work: Path) -> dict[str, VideoFolder]:
    """The folders, with analysis frames (frames stage, defaults), of a few videos."""
    videos = {
        "demo tape (bars, slate, cards)": build_demo_tape(work / "demo" / "demo_tape.mkv").path,
        "chaplin (silent, b/w)": MEDIA / "film/chaplin.mp4",
        "popeye pgs T00 (cartoon)": MEDIA / "popeye/mkv_pgs_Title_T00-1.mkv",
        "big buck bunny 0-30 s (titles)": MEDIA / "film/big_buck_bunny_0_30.webm",
    }
    settings = Settings.from_values(
        {"data_dir": work / "frames", "run.workers": 1, "proxy.enabled": False}
    )
    folders = {}
    for n, (name, video) in enumerate(videos.items()):
        job = VideoJob(f"v{n}", str(video), settings, ("probe", "shots", "frames"))
        process_video(job, print_fail)
        folders[name] = VideoFolder.for_video(settings.data_dir, f"v{n}")
    return folders


def speed(work: Path, ocr: Reader, stage: TextStage, peer: Callable) -> dict[str, Any]:
    """CPU ms per frame of reading, frames already in memory: with the stage's gates, every
    frame read, RapidOCR's defaults; and the whole stage run (JPEG decoding included)."""
    rows = {}
    size = stage.settings.text.detect_size
    for name, folder in real_frames(work).items():
        staging = work / f"staging-{folder.root.name}"
        staging.mkdir()
        ctx = StageContext(folder.root.name, Path("unused"), folder, staging, stage.settings)
        pictures = [load_image(frame) for frame in analysis_frames(ctx)]
        images = [np.asarray(picture) for picture in pictures]
        gate = Gate()
        started = time.process_time()
        for picture in pictures:
            gate.read(picture, ocr, size)
        gated = time.process_time() - started
        every = sum(timed(lambda i: stage_text(stage, ocr, i, size), image)[1] for image in images)
        default = sum(timed(peer, image)[1] for image in images)
        started = time.process_time()
        output = stage.run(ctx)
        whole = time.process_time() - started
        rows[name] = {
            "frames": len(images),
            "size": [images[0].shape[1], images[0].shape[0]],
            "gated_ms_per_frame": 1000 * gated / len(images),
            "gates": gate.counts,
            "every_frame_ms_per_frame": 1000 * every / len(images),
            "rapidocr_default_ms_per_frame": 1000 * default / len(images),
            "stage_run_ms_per_frame": 1000 * whole / len(images),
            "events": output.summary["events"],
        }
        print(f"  {name}: {rows[name]}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intertitles-only", action="store_true",
                        help="only the rendered intertitles (about a minute)")  # fmt: skip
    only_intertitles = parser.parse_args().intertitles_only
    RESULTS.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_values(
        {"run.workers": os.cpu_count() or 1}
    )  # one onnxruntime thread per reader
    ocr = reader(settings)
    stage = TextStage(settings)
    peer = rapidocr_default()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("intertitles", flush=True)
        results = {"intertitles": intertitles(stage, ocr, peer, work), "subtitles": {}, "speed": {}}
        if not only_intertitles:
            print("subtitles", flush=True)
            results["subtitles"] = subtitles(work)
            print("speed", flush=True)
            results["speed"] = speed(work, ocr, stage, peer)
    name = "ocr_intertitles.json" if only_intertitles else "ocr_accuracy.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(results: dict[str, Any]) -> str:
    lines = ["| method | " + " | ".join(STYLES) + " | all | ms/frame |",
             "|---|" + "---|" * (len(STYLES) + 2)]  # fmt: skip
    for method, row in results["intertitles"].items():
        cells = [f"{row['styles'][s]['cer']:.3f} ({row['styles'][s]['cer_ignoring_spaces']:.3f})"
                 for s in STYLES]  # fmt: skip
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {row['cer']:.3f} | "
                     f"{row['ms_per_frame']:.0f} |")  # fmt: skip
    if not results["subtitles"]:  # --intertitles-only
        return "\n".join(lines)
    lines += ["", "| track | ref cues | cues | ref cues without cue | CER (matched) | "
              "CER (transcript) | start error median / max (s) | ms per cue |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, row in results["subtitles"].items():
        if "cues" not in row:
            lines.append(f"| **{name}** | | | | **{row['cer_matched']:.3f}** | | | |")
            continue
        lines.append(
            f"| {name} | {row['reference_cues']} | {row['cues']} | "
            f"{row['reference_cues_without_cue']} | {row['cer_matched']:.3f} | "
            f"{row['cer_transcript']:.3f} | {row['start_error_median_s']:.2f} / "
            f"{row['start_error_max_s']:.2f} | {row['ms_per_cue']:.0f} |"
        )
    lines += ["", "| frames of | n | size | read / repeat / flat | gated ms/frame | "
              "every frame ms/frame | RapidOCR defaults ms/frame | whole stage ms/frame | "
              "events |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, row in results["speed"].items():
        gates = row["gates"]
        lines.append(
            f"| {name} | {row['frames']} | {row['size'][0]}x{row['size'][1]} | "
            f"{gates['read']} / {gates['repeat']} / {gates['flat']} | "
            f"{row['gated_ms_per_frame']:.0f} | {row['every_frame_ms_per_frame']:.0f} | "
            f"{row['rapidocr_default_ms_per_frame']:.0f} | {row['stage_run_ms_per_frame']:.0f} | "
            f"{row['events']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
