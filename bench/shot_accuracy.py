"""Shot boundary accuracy on hand-labelled real footage and on the synthetic demo tape.

Methods, each run on the same files in the same run:
  deerin pyscenedetect   the shots stage's CPU method (what `auto` picks without a GPU)
  deerin transnetv2      the shots stage's learned method
  scenedetect adaptive   PySceneDetect's own defaults as a peer: scenedetect.detect(file,
                         AdaptiveDetector()) with its default (OpenCV) decoding
  scenedetect content    (--peers adaptive content) the same with ContentDetector()

Labels are bench/labels/<file stem>.json (how they were made is written in each); the
demo tape's truth comes from deerin.media.synth. A detection matches a cut within ±2
frames and a fade or dissolve when it falls inside it (±2 frames at the edges), one to
one; detections on a boundary the labeller marked ambiguous count neither way.

TransNetV2 runs at about 50 frames a second on 2 CPU cores, so on a CPU it runs on the
four Popeye pgs excerpts only by default; on a CUDA GPU it runs on everything.

    .venv/bin/python bench/shot_accuracy.py                  # about 4 minutes on 2 cores
    .venv/bin/python bench/shot_accuracy.py --transnet all   # about 6 minutes
    .venv/bin/python bench/shot_accuracy.py --transnet none   # about 2 minutes

Prints a Markdown table and writes bench/results/shot_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from deerin.enrich.probe import ProbeStage
from deerin.enrich.shots.detector import Boundary, Score, score_boundaries
from deerin.enrich.shots.stage import ShotsStage
from deerin.index.store import VideoFolder
from deerin.media.synth import build_demo_tape
from deerin.models.device import torch_device
from deerin.plugins.stage import StageContext
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
LABELS = ROOT / "bench" / "labels"
RESULTS = ROOT / "bench" / "results"
TRANSNET_ON_CPU = tuple(f"mkv_pgs_Title_{title}" for title in ("T00-1", "T01-2", "T02-3", "T03-4"))
DEMO = "demo tape (synthetic)"


@dataclass(frozen=True)
class Labelled:
    """A file and its reference boundaries."""

    name: str
    path: Path
    duration: float
    reference: tuple[Boundary, ...]
    ambiguous: tuple[Boundary, ...]


@dataclass(frozen=True)
class Run:
    """One method on one file."""

    method: str
    file: str
    seconds: float
    duration: float
    found: list[int]
    score: Score


def labelled_files(scratch: Path) -> list[Labelled]:
    """Every labelled file present under ../shared/media, then the demo tape (built here)."""
    files = []
    for label in sorted(LABELS.glob("*.json")):
        doc = json.loads(label.read_text())
        path = MEDIA / doc["file"]
        if not path.is_file():
            print(f"skipping {label.name}: {path} not found")
            continue
        files.append(
            Labelled(
                label.stem,
                path,
                doc["frame_count"] / doc["fps"],
                tuple(Boundary.from_dict(b) for b in doc["boundaries"]),
                tuple(Boundary.from_dict(b) for b in doc["ambiguous"]),
            )
        )
    tape = build_demo_tape(scratch / "demo_tape.mkv")
    truth = tuple(Boundary.from_dict(asdict(b)) for b in tape.boundaries)
    files.append(Labelled(DEMO, tape.path, tape.duration, truth, ()))
    return files


def deerin_method(method: str) -> Callable[[Path, Path], list[Boundary]]:
    """Run the shots stage (after the probe stage) as the pipeline would, with defaults."""
    settings = Settings.from_values({"models.shots": method})

    def detect(path: Path, scratch: Path) -> list[Boundary]:
        work = Path(tempfile.mkdtemp(dir=scratch))
        folder = VideoFolder(work / "video")
        folder.root.mkdir()
        ProbeStage(settings).run(StageContext("bench", path, folder, folder.root, settings))
        ShotsStage(settings).run(StageContext("bench", path, folder, work, settings))
        shots = json.loads((work / "shots.json").read_text())["shots"]
        return [
            Boundary.from_dict({"frame": s["start_frame"], **s["transition_in"]}) for s in shots[1:]
        ]

    return detect


def scenedetect_peer(detector_name: str) -> Callable[[Path, Path], list[Boundary]]:
    """PySceneDetect's own pipeline with a detector's default settings."""

    def detect(path: Path, scratch: Path) -> list[Boundary]:
        import scenedetect

        detector = getattr(scenedetect, detector_name)()
        scenes = scenedetect.detect(str(path), detector)
        return [Boundary.cut(start.frame_num) for start, _ in scenes[1:]]

    return detect


def run(name: str, detect: Callable, file: Labelled, scratch: Path) -> Run:
    started = time.perf_counter()
    found = detect(file.path, scratch)
    seconds = time.perf_counter() - started
    score = score_boundaries(file.reference, found, ambiguous=file.ambiguous)
    frames = [b.frame for b in found]
    return Run(name, file.name, seconds, file.duration, frames, score)


def table(runs: list[Run]) -> str:
    """Per method: totals over its files, then one row per file."""
    lines = [
        "| method | file | labelled | found | P | R | F1 | kinds right | × real time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for method in dict.fromkeys(r.method for r in runs):
        mine = [r for r in runs if r.method == method]
        real = [r for r in mine if r.file != DEMO]
        if real:
            lines.append(_row(method, f"**all real footage ({len(real)} files)**", real))
        lines += [_row(method, r.file, [r]) for r in mine]
    return "\n".join(lines)


def _row(method: str, label: str, runs: list[Run]) -> str:
    score = sum((r.score for r in runs), Score(0, 0, 0, 0))
    found = score.hits + score.false_alarms
    speed = sum(r.duration for r in runs) / max(sum(r.seconds for r in runs), 1e-9)
    return (
        f"| {method} | {label} | {score.hits + score.misses} | {found} | "
        f"{score.precision:.2f} | {score.recall:.2f} | {score.f1:.2f} | "
        f"{score.kinds_right}/{score.hits} | {speed:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--transnet",
        choices=["auto", "all", "none"],
        default="auto",
        help="files for TransNetV2: auto = all on a GPU, the Popeye pgs excerpts on a CPU",
    )
    parser.add_argument("--peers", nargs="*", default=["adaptive"], choices=["adaptive", "content"])
    args = parser.parse_args()
    if not MEDIA.is_dir():
        print(f"note: {MEDIA} not found; only the synthetic demo tape is measured")
    on_gpu = torch_device(Settings()) == "cuda"
    methods: list[tuple[str, Callable, Callable[[str], bool]]] = [
        ("deerin pyscenedetect", deerin_method("pyscenedetect"), lambda name: True)
    ]
    if args.transnet != "none":
        everywhere = args.transnet == "all" or on_gpu
        methods.append(
            (
                "deerin transnetv2",
                deerin_method("transnetv2"),
                lambda name: everywhere or name in TRANSNET_ON_CPU,
            )
        )
    for peer in args.peers:
        detector = {"adaptive": "AdaptiveDetector", "content": "ContentDetector"}[peer]
        methods.append((f"scenedetect {peer}", scenedetect_peer(detector), lambda name: True))
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        files = labelled_files(scratch)
        runs = []
        for name, detect, wanted in methods:
            for file in files:
                if wanted(file.name):
                    runs.append(run(name, detect, file, scratch))
                    print(f"  {name:22s} {file.name:24s} {runs[-1].seconds:6.1f} s", flush=True)
    print()
    print(table(runs))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "shot_accuracy.json"
    records = [
        {**asdict(r), "precision": r.score.precision, "recall": r.score.recall, "f1": r.score.f1}
        for r in runs
    ]
    out.write_text(json.dumps({"device": "cuda" if on_gpu else "cpu", "runs": records}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
