"""Near-duplicate detection: which videos of the shared media are copies of each other.

Ingests every file in ../shared/media (film/*, popeye/*.mkv, speech/*.mp4) with the
stages the duplicates step reads (probe, shots, frames, tags, hashes), then runs the
duplicates step with each signal alone and with both, on the same frames. The truth:
each Popeye Blu-ray excerpt (pgs) and the DVD excerpt (vob) with the same title number
are copies (another size, frame rate, crop and encode); no other pair is. Reports
video-level precision and recall, the shot-level matches found between each pair,
and the time taken. The baseline "exact file hash" is what the video id alone finds.

    .venv/bin/python bench/near_duplicates.py                 # about 3 minutes on 2 cores
    .venv/bin/python bench/near_duplicates.py --store DIR     # keep (or reuse) the store
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from deerin.enrich.duplicates.groups import DuplicatesStep
from deerin.enrich.duplicates.hashes import is_flat, phash
from deerin.enrich.frames import AnalysisFrame, readable
from deerin.index.catalogue import open_catalogue
from deerin.index.store import VideoFolder, read_json
from deerin.pipeline.collection import collection_context
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.plugins.stage import ItemErrors
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
COLLECTION = "bench"
STAGES = ("probe", "shots", "frames", "tags", "hashes")
MODES = ("phash", "embedding", "combined")


def media_files() -> list[Path]:
    files = [
        *sorted((MEDIA / "film").glob("*")),
        *sorted((MEDIA / "popeye").glob("*.mkv")),
        *sorted((MEDIA / "speech").glob("*.mp4")),
    ]
    if not files:
        raise SystemExit(f"no media found in {MEDIA}")
    return files


def truth(names: list[str]) -> set[frozenset[str]]:
    """Popeye pgs and vob excerpts with the same title number are copies; nothing else."""
    title = {name: re.search(r"_Title_(T\d\d)", name) for name in names}
    return {
        frozenset((a, b))
        for a, b in itertools.combinations(names, 2)
        if title[a] and title[b] and title[a].group(1) == title[b].group(1)
    }


def hash_cost(settings: Settings, video_ids: list[str]) -> float:
    """CPU milliseconds per analysis frame to read and hash it (what the hashes stage does)."""
    frames = []
    for video_id in video_ids:
        folder = VideoFolder.for_video(settings.data_dir, video_id)
        for e in read_json(folder.path("frames.json"))["frames"]:
            frames.append(
                AnalysisFrame(e["index"], e["time"], e["shot"], e["kind"], folder.path(e["file"]))
            )
    started = time.process_time()
    for batch in readable(frames, ItemErrors()):
        for _, image in batch:
            gray = np.asarray(image.convert("L"))
            phash(gray), is_flat(gray)
    return 1000 * (time.process_time() - started) / len(frames)


def run_step(settings: Settings, mode: str, names: dict[str, str]) -> dict:
    """The duplicates step with one matching mode; its groups as pairs of file names."""
    settings = settings.merged({"duplicates.match": mode})
    catalogue = open_catalogue(settings)
    ctx = collection_context(COLLECTION, settings, catalogue)
    catalogue.close()
    started = time.perf_counter()
    DuplicatesStep(settings).run(ctx)
    seconds = time.perf_counter() - started
    groups = read_json(ctx.folder / "duplicates.json")["groups"]
    video_pairs: set[frozenset[str]] = set()
    shot_pairs: dict[frozenset[str], int] = {}
    matched: dict[frozenset[str], set[tuple[str, int]]] = {}  # shots grouped with the other
    for group in groups:
        for a, b in itertools.combinations(group["members"], 2):
            pair = frozenset((names[a["video_id"]], names[b["video_id"]]))
            if len(pair) < 2:
                continue  # a repeat inside one video
            if group["kind"] == "video":
                video_pairs.add(pair)
            else:
                shot_pairs[pair] = shot_pairs.get(pair, 0) + 1
                for member in (a, b):
                    matched.setdefault(pair, set()).add((names[member["video_id"]], member["shot"]))
    return {
        "seconds": seconds,
        "video_pairs": video_pairs,
        "shot_pairs": shot_pairs,
        "matched": matched,
    }


def scores(found: set[frozenset[str]], true: set[frozenset[str]]) -> dict[str, float | None]:
    hits = len(found & true)
    return {
        "found": len(found),
        "correct": hits,
        "precision": hits / len(found) if found else None,
        "recall": hits / len(true) if true else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="store to ingest into (default: temporary)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store or Path(scratch) / "store"
        settings = Settings.from_values(
            {"data_dir": store, "run.workers": args.workers, "proxy.enabled": False}
        )
        files = media_files()
        started = time.perf_counter()
        report = ingest(files, COLLECTION, settings, JsonReporter(io.StringIO()), stages=STAGES)
        ingest_seconds = time.perf_counter() - started
        if report.failed:
            raise SystemExit(f"ingest failed: {report.failed}")
        catalogue = open_catalogue(settings)
        names = {video.id: Path(video.path).name for video in catalogue.videos(COLLECTION)}
        catalogue.close()
        true = truth(list(names.values()))
        shots = {
            name: len(read_json(VideoFolder.for_video(store, v).path("shots.json"))["shots"])
            for v, name in names.items()
        }
        frames = sum(
            len(read_json(VideoFolder.for_video(store, v).path("hashes.json"))["frames"])
            for v in names
        )
        results = {mode: run_step(settings, mode, names) for mode in MODES}
        per_frame = hash_cost(settings, list(names))
    rows = {"exact file hash (video id)": {**scores(set(), true), "seconds": 0.0}}
    for mode, result in results.items():
        rows[f"DEERIn {mode}"] = {
            **scores(result["video_pairs"], true),
            "seconds": result["seconds"],
        }
    pairs = sorted(true | set().union(*(r["shot_pairs"] for r in results.values())), key=sorted)
    shot_table = {
        " + ".join(sorted(pair)): {
            "copies": pair in true,
            **{mode: results[mode]["shot_pairs"].get(pair, 0) for mode in MODES},
            "shots matched (combined)": {
                name: f"{sum(n == name for n, _ in results['combined']['matched'].get(pair, ()))}"
                f"/{shots[name]}"
                for name in sorted(pair)
            },
        }
        for pair in pairs
    }
    summary = {
        "files": len(files),
        "analysis_frames": frames,
        "ingest_seconds": ingest_seconds,
        "hash_ms_per_frame": per_frame,
        "true_pairs": sorted(" + ".join(sorted(p)) for p in true),
        "video_level": rows,
        "shot_matches": shot_table,
        "settings": {
            "duplicate_hamming": settings.duplicates.hamming,
            "duplicate_cosine": settings.duplicates.cosine,
            "duplicate_video_fraction": settings.duplicates.video_fraction,
            "tags_model": settings.models.tags,
        },
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "near_duplicates.json").write_text(json.dumps(summary, indent=2))
    print_markdown(summary)


def print_markdown(summary: dict) -> None:
    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    print(
        f"{summary['files']} files, {summary['analysis_frames']} analysis frames; ingest "
        f"(probe, shots, frames, tags, hashes) {summary['ingest_seconds']:.0f} s; "
        f"hashing {summary['hash_ms_per_frame']:.1f} ms CPU per frame\n"
    )
    print("| method | video pairs found | correct | precision | recall | step seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in summary["video_level"].items():
        print(
            f"| {name} | {row['found']} | {row['correct']} | {number(row['precision'])} | "
            f"{number(row['recall'])} | {row['seconds']:.2f} |"
        )
    print("\nShot-level matches (shot pairs grouped together) between two videos:\n")
    print("| videos | copies? | " + " | ".join(MODES) + " | shots of each matched (combined) |")
    print("|---|---|" + "---:|" * len(MODES) + "---|")
    for pair, row in summary["shot_matches"].items():
        counts = " | ".join(str(row[mode]) for mode in MODES)
        covered = ", ".join(row["shots matched (combined)"].values())
        print(f"| {pair} | {'yes' if row['copies'] else 'no'} | {counts} | {covered} |")


if __name__ == "__main__":
    main()
