"""Tags: accuracy on labelled photos, how embeddings hold up on copies, and the stage's speed.

Accuracy: top-1 and top-5 on the colour photos scikit-image ships, each with the set of
ImageNet-1k labels that honestly name what is in it (ImageNet has no "person",
"rocket" or "motorcycle" class, so the nearest classes are accepted and the reason is
written beside each). Photos with no fitting class at all are run too and their top
answer's score is reported: it shows how confident a wrong answer looks.

Copies: cosine similarity of each photo's embedding with re-encoded, resized copies of
it, against the similarity between different photos.

Speed: the tags stage on the analysis frames of an SD film (a Popeye DVD excerpt,
720x478, from ../shared/media, else the synthetic demo tape), in milliseconds per
frame, at batch 1, 4 (the CPU default) and 16, with one thread (each of two workers on
two cores) and with two (one worker owning both cores); each the best of three runs.
The baseline, measured in the same run, is the upstream package used as its README
shows: ``EfficientNet.from_pretrained`` and ``model(x)`` on one frame at a time
(logits only, no embedding).

    .venv/bin/python bench/tag_accuracy.py
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from skimage import data

from deerin.enrich.frames import analysis_frames, load_image
from deerin.enrich.tags.backend import TOP_K, TagBackend
from deerin.enrich.tags.efficientnet import model_input
from deerin.enrich.tags.stage import TagsStage
from deerin.index.store import VideoFolder
from deerin.media.synth import build_demo_tape
from deerin.models.backends import open_model
from deerin.models.resolver import resolve
from deerin.pipeline.runner import VideoJob, process_video
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SD_FILM = ROOT.parent / "shared" / "media" / "popeye" / "mkv_vob_Title_T00-1.mkv"

# photo: (acceptable ImageNet labels, why these)
PHOTOS: dict[str, tuple[set[str], str]] = {
    "chelsea": (
        {"Egyptian cat", "tabby", "tiger cat"},
        "a tabby house cat; ImageNet's three short-haired house-cat classes overlap so much "
        "that its own annotators mix them",
    ),
    "coffee": (
        {"espresso", "cup", "coffee mug"},
        "a cup of coffee on a saucer: the drink (espresso) or the vessel",
    ),
    "rocket": (
        {"missile", "projectile", "space shuttle"},
        "a rocket on its launch pad; ImageNet has no rocket class, missile and projectile "
        "are where rocket photos sit, space shuttle is the nearest spacecraft",
    ),
    "astronaut": (
        {"crash helmet", "space shuttle"},
        "a portrait of an astronaut holding her helmet, a shuttle model behind; ImageNet "
        "has no person class, so only the visible objects count",
    ),
    "motorcycle": (
        {"moped", "motor scooter"},
        "a motorcycle in a garage; ImageNet has no motorcycle class, moped is the nearest",
    ),
    "camera": (
        {"tripod", "reflex camera", "Polaroid camera"},
        "(greyscale) a man behind a camera on a tripod; no person class",
    ),
}
# No ImageNet class fits these (medical, astronomy, coins, a scan, a silhouette).
NO_CLASS = ("retina", "immunohistochemistry", "hubble_deep_field", "coins", "page", "horse")
COPIES = ((1.0, 90), (1.0, 40), (0.75, 75), (0.5, 75), (0.5, 40))  # (scale, JPEG quality)


def photo(name: str) -> Image.Image:
    pixels = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    return Image.fromarray(pixels).convert("RGB")


def jpeg_copy(image: Image.Image, scale: float, quality: int) -> Image.Image:
    smaller = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    smaller.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def accuracy(backend: TagBackend) -> dict[str, Any]:
    names = list(PHOTOS)
    tags = backend.tags([photo(name) for name in names], TOP_K)
    rows = []
    for name, labels in zip(names, tags, strict=True):
        good, why = PHOTOS[name]
        found = [label for label, _ in labels]
        rows.append(
            {
                "photo": name,
                "accepted": sorted(good),
                "why": why,
                "tags": labels,
                "top1": found[0] in good,
                "top5": bool(good & set(found)),
            }
        )
    strays = backend.tags([photo(name) for name in NO_CLASS], 1)
    return {
        "photos": rows,
        "top1": sum(r["top1"] for r in rows) / len(rows),
        "top5": sum(r["top5"] for r in rows) / len(rows),
        "no_class": [{"photo": n, "top": t[0]} for n, t in zip(NO_CLASS, strays, strict=True)],
    }


def copies(backend: TagBackend) -> dict[str, Any]:
    names = [name for name in PHOTOS if name != "camera"]  # colour photos
    originals = backend.embed([photo(name) for name in names])
    others = originals @ originals.T
    rows = []
    for scale, quality in COPIES:
        copied = backend.embed([jpeg_copy(photo(name), scale, quality) for name in names])
        same = np.sum(originals * copied, axis=1)
        rows.append(
            {
                "scale": scale,
                "quality": quality,
                "mean": float(same.mean()),
                "min": float(same.min()),
            }
        )
    unrelated = others[np.triu_indices(len(names), 1)]
    return {
        "copies": rows,
        "unrelated_mean": float(unrelated.mean()),
        "unrelated_max": float(unrelated.max()),
    }


def analysis_frames_of(video: Path, store: Path) -> Settings:
    """Run probe, shots and frames once; the speed runs reuse the frames."""
    settings = Settings.from_values({"data_dir": store, "run.workers": 1, "proxy.enabled": False})
    job = VideoJob("bench", str(video), settings, ("probe", "shots", "frames"))
    outcome = process_video(job, lambda event: None).outcomes["frames"]
    if outcome.status != "done":
        raise SystemExit(f"frames stage {outcome.status}: {outcome.detail}")
    return settings


def timed(work: Callable[[], Any], repeats: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds (this process, all threads) of ``repeats`` calls.

    The best of a few runs, since other work on a shared machine only ever adds time.
    """
    work()  # warm-up: first-call allocations
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def stage_speed(settings: Settings, workers: int, batch: int) -> dict[str, Any]:
    """The tags stage alone on the published frames, model already loaded."""
    import torch

    stage = TagsStage(settings.merged({"run.workers": workers}))
    stage.backend().batch = batch  # loaded outside the timing: a worker loads it once
    folder = VideoFolder.for_video(settings.data_dir, "bench")
    with tempfile.TemporaryDirectory() as scratch:
        ctx = StageContext("bench", Path(), folder, Path(scratch), stage.settings)
        count = len(analysis_frames(ctx))
        wall, cpu = timed(lambda: stage.run(ctx))
    return {
        "method": "deerin tags stage",
        "threads": torch.get_num_threads(),
        "batch": batch,
        "frames": count,
        "ms_per_frame": 1000 * wall / count,
        "cpu_ms_per_frame": 1000 * cpu / count,
    }


def upstream_speed(settings: Settings, threads: int) -> dict[str, Any]:
    """The package as its README uses it: from_pretrained, then model(x) per frame."""
    import contextlib

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(threads)
    weights = str(resolve("tags", Settings()).weights()[0])
    with contextlib.redirect_stdout(io.StringIO()):  # it prints on loading
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval()
    folder = VideoFolder.for_video(settings.data_dir, "bench")
    ctx = StageContext("bench", Path(), folder, Path(), settings)
    frames = analysis_frames(ctx)

    def run() -> None:
        for frame in frames:
            pixels = torch.from_numpy(np.array(model_input(load_image(frame)))).permute(2, 0, 1)
            with torch.inference_mode():
                model(pixels.unsqueeze(0).float().div(127.5).sub(1.0)).softmax(1)

    wall, cpu = timed(run)
    return {
        "method": "efficientnet-lite-pytorch forward(), one frame at a time",
        "threads": threads,
        "batch": 1,
        "frames": len(frames),
        "ms_per_frame": 1000 * wall / len(frames),
        "cpu_ms_per_frame": 1000 * cpu / len(frames),
    }


def speed(scratch: Path) -> tuple[str, list[dict[str, Any]]]:
    if SD_FILM.is_file():
        video, name = SD_FILM, f"{SD_FILM.name} (SD DVD excerpt)"
    else:
        video, name = build_demo_tape(scratch / "demo_tape.mkv").path, "the demo tape (SD)"
    settings = analysis_frames_of(video, scratch / "store")
    rows = [stage_speed(settings, workers, batch) for workers in (2, 1) for batch in (1, 4, 16)]
    rows += [upstream_speed(settings, threads) for threads in (1, 2)]
    return name, rows


def main() -> None:
    backend = open_model("tags", Settings.from_values({"run.workers": 1}))
    report: dict[str, Any] = {
        "model": backend.name,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    report["accuracy"] = accuracy(backend)
    report["embeddings"] = copies(backend)
    with tempfile.TemporaryDirectory() as scratch:
        report["film"], report["speed"] = speed(Path(scratch))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tag_accuracy.json").write_text(json.dumps(report, indent=2))
    print_markdown(report)


def print_markdown(report: dict[str, Any]) -> None:
    acc = report["accuracy"]
    print(f"top-1 {acc['top1']:.0%}, top-5 {acc['top5']:.0%} on {len(acc['photos'])} photos\n")
    print("| photo | accepted | top tags |\n|---|---|---|")
    for row in acc["photos"]:
        tags = ", ".join(f"{label} {score:.2f}" for label, score in row["tags"][:3])
        print(f"| {row['photo']} | {', '.join(row['accepted'])} | {tags} |")
    strays = ", ".join(f"{r['photo']}: {r['top'][0]} {r['top'][1]:.2f}" for r in acc["no_class"])
    print(f"\nNo fitting class (top answer): {strays}\n")
    emb = report["embeddings"]
    print("| copy | cosine to the original (mean / min) |\n|---|---|")
    for row in emb["copies"]:
        print(
            f"| {row['scale']:.0%} size, JPEG q{row['quality']} | "
            f"{row['mean']:.3f} / {row['min']:.3f} |"
        )
    print(f"| different photos | {emb['unrelated_mean']:.3f} / max {emb['unrelated_max']:.3f} |")
    print(f"\nSpeed on {report['film']}, load average {report['load_average'][0]:.1f}:\n")
    print("| method | threads | batch | ms per frame (wall) | CPU ms per frame |")
    print("|---|---|---|---|---|")
    for row in report["speed"]:
        print(
            f"| {row['method']} | {row['threads']} | {row['batch']} | "
            f"{row['ms_per_frame']:.0f} | {row['cpu_ms_per_frame']:.0f} |"
        )


if __name__ == "__main__":
    main()
