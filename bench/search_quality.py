"""Search quality on the shared footage: a labelled query set, recall@1 and recall@5.

Ingests seven files of ../shared/media (manifesto.mp4, spoken_example.mp4, jfk.flac,
Big Buck Bunny, Sintel, Chaplin and the first HD Popeye excerpt) with the default
models, then asks five kinds of question whose answers are known from outside DEERIn:

  spoken phrases   three-word phrases from the reference word timings shipped beside
                   manifesto.mp4 (manifesto.json, another recogniser's), and JFK's line;
                   a hit is right in the right file within 1 s of the phrase's first word
  paraphrases      the same passages in other words (meaning mode only)
  on-screen text   lines of the hand-made SRT of the Popeye excerpt's bitmap subtitles
                   (which DEERIn reads by OCR), searched in:subtitles; right within 1 s
  pictures         every Big Buck Bunny shot's middle frame, cropped, mirrored, shrunk and
                   recompressed, as a picture query; right if the hit is that shot
  a person         a mirrored face crop from the file with the most faces found, as a
                   face query; right if the hit is in that file

Also: the share of spoken hits (recall@5 hits) whose start lies within 1 s of the word.

    .venv/bin/python bench/search_quality.py               # about 4 minutes on 2 cores
    .venv/bin/python bench/search_quality.py --store DIR   # keep (or reuse) the ingest
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import Faces, Frames, Keyframes
from deerin.index.store import VideoFolder
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.retrieve.query import Query, parse
from deerin.retrieve.search import Searcher
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
FILES = (
    "speech/manifesto.mp4",
    "speech/spoken_example.mp4",
    "speech/jfk.flac",
    "film/big_buck_bunny_0_30.webm",
    "film/sintel_5s.mp4",
    "film/chaplin.mp4",
    "popeye/mkv_pgs_Title_T00-1.mkv",
)
SUBTITLES = "popeye/srt_popeye_p3.eng.srt"  # T00's hand-made text
STAGES = ("probe", "shots", "keyframes", "frames", "tags", "faces", "text", "subtitles",
          "transcript", "entities", "text_embeddings")  # fmt: skip
PARAPHRASES = (  # (query, file, a word of the passage meant, in the reference)
    ("a ghost is haunting the continent", "manifesto.mp4", "spectre"),
    ("the old powers joined together to chase the ghost away", "manifesto.mp4", "alliance"),
    ("communists from many countries met in the British capital", "manifesto.mp4", "london"),
    ("it will be printed in several European tongues", "manifesto.mp4", "languages"),
    ("do not wonder what the nation will give you", "jfk.flac", None),
)


@dataclass
class Question:
    kind: str
    query: Query
    file: str
    time: float | None = None  # where the answer is said or shown (None: anywhere in file)
    shot: int | None = None  # pictures: the shot meant
    mode: str = "default"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="data dir to keep or reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store or Path(scratch) / "store"
        settings = Settings.from_values({"data_dir": store, "proxy.enabled": False})
        started = time.perf_counter()
        report = ingest([MEDIA / f for f in FILES], "bench", settings,
                        JsonReporter(io.StringIO()), stages=STAGES)  # fmt: skip
        print(f"ingest: {time.perf_counter() - started:.0f} s, failed: {report.failed or 'none'}")
        questions = build_questions(settings, Path(scratch))
        evaluate(Searcher(settings, ["bench"]), questions)


def build_questions(settings: Settings, scratch: Path) -> list[Question]:
    videos = {Path(v.path).name: v for v in open_catalogue(settings).videos("bench")}
    questions = spoken(videos) + paraphrases() + subtitles()
    questions += pictures(settings, videos["big_buck_bunny_0_30.webm"].id, scratch)
    questions += person(settings, videos, scratch)
    return questions


def spoken(videos: dict) -> list[Question]:
    segments = json.loads((MEDIA / "speech" / "manifesto.json").read_text())
    found = []
    for segment in segments[2::3]:
        words = segment["words"]
        if len(words) >= 5:
            middle = words[len(words) // 2 - 1 : len(words) // 2 + 2]
            phrase = " ".join(w["word"] for w in middle)
            found.append(Question("spoken phrase", parse(f'"{phrase}"'), "manifesto.mp4",
                                  middle[0]["start"]))  # fmt: skip
    found.append(Question("spoken phrase", parse('"ask not what your country"'), "jfk.flac"))
    return found


def paraphrases() -> list[Question]:
    segments = json.loads((MEDIA / "speech" / "manifesto.json").read_text())
    found = []
    for text, file, word in PARAPHRASES:
        when = None
        if word:
            when = next(w["start"] for s in segments for w in s["words"] if w["word"] == word)
        query = parse(text, Query(modes=("meaning",)))
        found.append(Question("paraphrase", query, file, when, mode="meaning"))
    return found


def subtitles() -> list[Question]:
    blocks = (MEDIA / SUBTITLES).read_text(encoding="utf-8-sig").strip().split("\n\n")
    found = []
    for block in blocks:
        lines = block.strip().splitlines()
        text = " ".join(lines[2:])
        words = [w for w in text.replace("-", " ").split() if w.strip("[]!?.,").isalpha()]
        if len(words) >= 3 and "[" not in text:
            start = _srt_time(lines[1].split(" --> ")[0])
            phrase = " ".join(w.strip("!?.,") for w in words[:3])
            found.append(Question("on-screen text", parse(f'"{phrase}" in:subtitles'),
                                  "mkv_pgs_Title_T00-1.mkv", start))  # fmt: skip
    return found


def _srt_time(text: str) -> float:
    hours, minutes, seconds = text.replace(",", ".").split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def pictures(settings: Settings, video_id: str, scratch: Path) -> list[Question]:
    folder = VideoFolder.for_video(settings.data_dir, video_id)
    stills = artefacts.read(folder, Keyframes)
    found = []
    for shot in stills.shots:
        if shot.middle is None:
            continue
        frame = Image.open(folder.path(shot.middle.jpeg)).convert("RGB")
        width, height = frame.size
        changed = ImageOps.mirror(frame.crop((width // 10, height // 10, width, height)))
        changed = changed.resize((changed.width * 6 // 10, changed.height * 6 // 10))
        path = scratch / f"bbb-{shot.index}.jpg"
        changed.save(path, quality=60)
        found.append(Question("picture", Query(image=path), "big_buck_bunny_0_30.webm",
                              shot=shot.index))  # fmt: skip
    return found


def person(settings: Settings, videos: dict, scratch: Path) -> list[Question]:
    """A face from the file with the most faces, mirrored and re-cropped, as a face query."""
    found = {
        name: artefacts.read(VideoFolder.for_video(settings.data_dir, v.id), Faces).faces
        for name, v in videos.items()
        if VideoFolder.for_video(settings.data_dir, v.id).path(Faces.file).exists()
    }
    name, faces = max(found.items(), key=lambda item: len(item[1]))
    if not faces:
        return []
    folder = VideoFolder.for_video(settings.data_dir, videos[name].id)
    frames = {f.index: f for f in artefacts.read(folder, Frames).frames}
    best = max(faces, key=lambda f: f.height)
    frame = Image.open(folder.path(frames[best.frame].file)).convert("RGB")
    x, y, w, h = (v * s for v, s in zip(best.box, frame.size * 2, strict=True))  # fractions
    crop = frame.crop((max(0, x - w), max(0, y - h), x + 2 * w, y + 2 * h))
    path = scratch / "face.jpg"
    ImageOps.mirror(crop).save(path, quality=80)
    print(f"person: a face of {name} ({len(faces)} faces found in it)")
    return [Question("person", Query(face=path), name)]


def evaluate(searcher: Searcher, questions: list[Question]) -> None:
    rows: dict[str, list[tuple[int, int]]] = {}
    timing: list[bool] = []
    by_words = 0
    for question in questions:
        result = searcher.search(question.query, limit=5, merge=question.kind != "picture")
        ranks = [i for i, hit in enumerate(result.hits) if _right(question, hit)]
        rows.setdefault(question.kind, []).append((ranks[0] if ranks else 99, 1))
        if question.kind == "spoken phrase" and question.time is not None and ranks:
            start = result.hits[ranks[0]].start
            by_words += any("BM25" in m for m in result.hits[ranks[0]].methods)
            timing.append(abs(start - question.time) <= 1.0)
            if not timing[-1]:
                print(f"  late ({question.query.text}): {start:.2f} s, reference "
                      f"{question.time:.2f} s")  # fmt: skip
        if not ranks:
            got = [(h.file, round(h.start, 1)) for h in result.hits[:3]]
            print(f"  miss ({question.kind}): {question.query.text or question.query.image} "
                  f"-> {got}")  # fmt: skip
    print("\n| query kind | questions | recall@1 | recall@5 |\n|---|---:|---:|---:|")
    for kind, found in rows.items():
        at1 = sum(1 for rank, _ in found if rank == 0) / len(found)
        at5 = sum(1 for rank, _ in found if rank < 5) / len(found)
        print(f"| {kind} | {len(found)} | {at1:.2f} | {at5:.2f} |")
    if timing:
        print(f"\nspoken hits starting within 1 s of the word: {sum(timing)}/{len(timing)}; "
              f"found by their words (the rest by meaning): {by_words}/{len(timing)}")  # fmt: skip


def _right(question: Question, hit) -> bool:
    if hit.file != question.file:
        return False
    if all(m.kind in ("metadata", "summary", "video") for m in hit.matches):
        return False  # about the whole file: no moment
    if question.shot is not None:
        return hit.shot == question.shot
    if question.time is None or question.kind == "person":
        return True
    return hit.start - 1.0 <= question.time <= hit.end + 1.0


if __name__ == "__main__":
    main()
