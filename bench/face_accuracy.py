"""Face detection accuracy on LFW crops, and the faces stage's speed on SD frames.

Detection: ``skimage.data.lfw_subset()`` holds 100 face crops and 100 non-face crops,
25x25 grey. YuNet needs context around a face and more than 25 pixels, so every crop
is upscaled 4x (bicubic, to 100x100) and put on a 50-pixel mid-grey border (200x200):
the face then fills half the picture, as in a close shot. A crop counts as "face" when
at least one face passes the score threshold. The peer, measured on the same pictures
in the same run, is scikit-image's LBP frontal-face cascade
(``skimage.feature.Cascade.detect_multi_scale``), the classic detector that ships
offline beside these crops (OpenCV 5 no longer ships Haar cascades).

Speed: detection and embedding time on a 720x576 SD frame (the astronaut photo on a
grey card, so there is a face to embed) and on real SD frames (the Popeye DVD excerpts:
720x478 stored, 640x478 at display aspect), then the whole faces stage over real films
(analysis frames every 3 s plus each shot's middle frame), as ms per analysis frame.
All timings are CPU time of this process (time.process_time) with one OpenCV thread, as
each worker of a full ingest runs: milliseconds of one core, the unit of the visual
stack's budget (~0.6 s of one core per analysis frame), and steady on a busy machine.

    .venv/bin/python bench/face_accuracy.py          # about a minute on 2 cores

Prints Markdown and writes bench/results/face_accuracy.json.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from skimage import data
from skimage.feature import Cascade

from deerin.enrich.faces.detect import FaceModel, align, bgr
from deerin.enrich.faces.stage import FacesStage
from deerin.index.store import VideoFolder
from deerin.media.frames import frames_at
from deerin.media.probe import probe
from deerin.models.backends import open_model
from deerin.pipeline.runner import VideoJob, process_video
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
RESULTS = ROOT / "bench" / "results"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
# As many workers as cores leaves OpenCV one thread each, as in a full ingest.
ONE_CORE = os.cpu_count() or 1
FILMS = ("film/chaplin.mp4", "popeye/mkv_vob_Title_T01-2.mkv", "popeye/mkv_vob_Title_T03-4.mkv")


def lfw_pictures() -> tuple[list[Image.Image], list[bool]]:
    """The 200 LFW crops made detectable (see the module docstring) and whether each is a face."""
    crops = data.lfw_subset()
    pictures = [
        ImageOps.expand(
            Image.fromarray((crop * 255).astype(np.uint8))
            .convert("RGB")
            .resize((100, 100), Image.Resampling.BICUBIC),
            50,
            (128, 128, 128),
        )
        for crop in crops
    ]
    return pictures, [n < 100 for n in range(len(crops))]


def precision_recall(found: list[bool], truth: list[bool]) -> dict[str, float]:
    hits = sum(f and t for f, t in zip(found, truth, strict=True))
    false = sum(f and not t for f, t in zip(found, truth, strict=True))
    return {
        "precision": hits / max(1, hits + false),
        "recall": hits / max(1, sum(truth)),
        "false_positives": false,
    }


def yunet_detection(pictures: list[Image.Image], truth: list[bool]) -> dict[str, dict]:
    model = open_model(
        "faces", Settings.from_values({"run.workers": 1, "faces.min_score": min(THRESHOLDS)})
    )
    best = [max((f.score for f in model.detect(p)), default=0.0) for p in pictures]
    return {
        f"{threshold:.1f}": precision_recall([s >= threshold for s in best], truth)
        for threshold in THRESHOLDS
    }


def lbp_cascade(picture: Image.Image, cascade: Cascade) -> list:
    grey = np.asarray(picture.convert("L"), dtype=np.float64) / 255.0
    return cascade.detect_multi_scale(
        grey, scale_factor=1.2, step_ratio=1, min_size=(24, 24), max_size=(400, 400)
    )


def peer_detection(pictures: list[Image.Image], truth: list[bool]) -> dict[str, float]:
    cascade = Cascade(data.lbp_frontal_face_cascade_filename())
    return precision_recall([bool(lbp_cascade(p, cascade)) for p in pictures], truth)


def sd_frames() -> list[Image.Image]:
    """Real SD frames: every 5 s of two Popeye DVD excerpts, at display aspect."""
    frames = []
    for name in FILMS[1:]:
        path = MEDIA / name
        info = probe(path)
        frames += [
            grab.image.convert("RGB")
            for grab in frames_at(path, [5.0 * n for n in range(12)], info)
        ]
    return frames


def timings(model: FaceModel) -> dict[str, float]:
    """ms per SD frame for detection alone, per face for embedding, and both on a face."""
    card = Image.new("RGB", (720, 576), (128, 128, 128))
    card.paste(Image.fromarray(data.astronaut()).resize((360, 360)), (180, 100))
    real = sd_frames() if MEDIA.is_dir() else []
    cascade = Cascade(data.lbp_frontal_face_cascade_filename())
    model.detect(card)  # warm up

    def per_call(action, items, repeat: int = 1) -> float:
        start = time.process_time()
        for _ in range(repeat):
            for item in items:
                action(item)
        return 1000 * (time.process_time() - start) / (repeat * len(items))

    def detect_and_embed(picture: Image.Image) -> None:
        faces = model.detect(picture)
        pixels = bgr(picture)
        model.embed([align(pixels, face) for face in faces])

    aligned = align(bgr(card), model.detect(card)[0])
    result = {
        "detect_ms_sd_card": per_call(model.detect, [card], 20),
        "embed_ms_per_face": per_call(lambda a: model.embed([a]), [aligned], 20),
        "embed_ms_per_face_batch_32": per_call(lambda a: model.embed([a] * 32), [aligned], 3) / 32,
        "detect_embed_ms_sd_card": per_call(detect_and_embed, [card], 20),
        "peer_lbp_ms_sd_card": per_call(lambda p: lbp_cascade(p, cascade), [card], 3),
    }
    if real:
        result["detect_embed_ms_real_sd"] = per_call(detect_and_embed, real)
        result["peer_lbp_ms_real_sd"] = per_call(lambda p: lbp_cascade(p, cascade), real)
    return result


def stage_speed() -> list[dict]:
    """The faces stage alone over real films (frames made first, not timed)."""
    rows = []
    with tempfile.TemporaryDirectory() as store:
        settings = Settings.from_values(
            {"data_dir": Path(store), "run.workers": ONE_CORE, "proxy.enabled": False}
        )
        stage = FacesStage(settings)
        stage.model.detect(Image.new("RGB", (64, 64)))  # load the models before timing
        for name in FILMS:
            path = MEDIA / name
            job = VideoJob(path.stem, str(path), settings, ("probe", "shots", "frames"))
            process_video(job, lambda event: None)
            folder = VideoFolder.for_video(settings.data_dir, path.stem)
            staging = Path(tempfile.mkdtemp(dir=store))
            ctx = StageContext(path.stem, path, folder, staging, settings)
            frames = len(json.loads(folder.path("frames.json").read_text())["frames"])
            start = time.process_time()
            output = stage.run(ctx)
            seconds = time.process_time() - start
            duration = probe(path).duration
            rows.append(
                {
                    "file": name,
                    "duration_s": round(duration, 1),
                    "analysis_frames": frames,
                    "faces": output.summary["faces"],
                    "cpu_ms_per_frame": round(1000 * seconds / frames, 1),
                    "x_real_time_one_core": round(duration / seconds, 1),
                }
            )
    return rows


def main() -> None:
    pictures, truth = lfw_pictures()
    results = {
        "detection": {
            "yunet": yunet_detection(pictures, truth),
            "lbp_cascade": peer_detection(pictures, truth),
        },
        "speed": timings(open_model("faces", Settings.from_values({"run.workers": ONE_CORE}))),
        "stage": stage_speed() if MEDIA.is_dir() else [],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "face_accuracy.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(results: dict) -> str:
    lines = [
        "| detector | threshold | precision | recall | false positives (of 100) |",
        "|---|---|---|---|---|",
    ]
    for threshold, row in results["detection"]["yunet"].items():
        lines.append(
            f"| YuNet int8 (DEERIn) | {threshold} | {row['precision']:.3f} | {row['recall']:.2f} | "
            f"{row['false_positives']} |"
        )
    peer = results["detection"]["lbp_cascade"]
    lines.append(
        f"| scikit-image LBP cascade (peer) | – | {peer['precision']:.3f} | {peer['recall']:.2f} | "
        f"{peer['false_positives']} |"
    )
    lines += ["", "| timing (one core) | CPU ms |", "|---|---|"]
    lines += [f"| {key} | {value:.1f} |" for key, value in results["speed"].items()]
    if results["stage"]:
        lines += [
            "",
            "| film | s | analysis frames | faces | CPU ms / frame | x real time, one core |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['file']} | {r['duration_s']} | {r['analysis_frames']} | {r['faces']} | "
            f"{r['cpu_ms_per_frame']} | {r['x_real_time_one_core']} |"
            for r in results["stage"]
        ]
        median = statistics.median(r["cpu_ms_per_frame"] for r in results["stage"])
        lines.append(f"\nMedian faces-stage cost: {median} CPU ms per analysis frame.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
