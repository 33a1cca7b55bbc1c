"""The graph at scale: time of the collection step `graph` at 1k, 10k and 50k shots, with
a GraphRAG-style peer (a language model reading every passage for entities and
relations) timed in the same run on a sample and scaled.

The collection is synthetic, in the real stores the step reads: the search index's
``faces`` and ``passages`` tables (one face of one of 300 people and one spoken passage
per shot, 50 shots per video), every video's ``entities.json`` (two names per passage,
from pools of 400 people, 200 places and 100 organisations, and 8 keywords said in its
passages) and the collection's ``people.json``. The graph is made by the real code
(:func:`deerin.retrieve.graph.build_graph`).

    .venv/bin/python bench/graph_scale.py                    # 1k, 10k and 50k shots
    .venv/bin/python bench/graph_scale.py --sizes 1000 --peer 10

Prints a Markdown table and writes bench/results/graph_scale.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from deerin.index import artefacts
from deerin.index.catalogue import VideoRow
from deerin.index.schemas import Entities, People
from deerin.index.search_index import STATE, SearchIndex
from deerin.index.store import CollectionFolder, VideoFolder
from deerin.models.answers import AnswerCache
from deerin.models.llm import open_language_model
from deerin.retrieve.build import FORMAT
from deerin.retrieve.graph import RELATIONS_SYSTEM, build_graph
from deerin.retrieve.units import arrow_table
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHOTS_PER_VIDEO = 50
PEOPLE, PLACES, ORGS, NAMES, WORDS = 300, 200, 100, 400, 300
DIM = 4  # the step reads no vectors: the smallest that the tables accept


def facets(video: str, year: int) -> dict[str, object]:
    return {"video_id": video, "file": f"{video}.mp4", "media": "film", "year": year,
            "date": str(year), "identifier": video, "rights": "", "length": 100.0,
            "langs": ["en"], "places": []}  # fmt: skip


def write_video(
    root: Path, index_rows: dict[str, list], n: int, rng: np.random.Generator
) -> VideoRow:
    """One synthetic video: its faces and passages rows, and its entities file."""
    video, year = f"v{n:06d}", 1950 + n % 40
    entities, keywords = [], rng.choice(WORDS, 8, replace=False)
    for shot in range(SHOTS_PER_VIDEO):
        start = shot * 2.0
        person = f"p{rng.integers(PEOPLE) + 1:04d}"
        index_rows["faces"].append({**facets(video, year), "face": f"f{shot}", "shot": shot,
                                    "start": start + 0.5, "end": start + 0.5, "person": person,
                                    "thumb": "", "vector": np.zeros(DIM)})  # fmt: skip
        named = [("PERSON", f"Name {rng.integers(NAMES)}"), *(
            [("GPE", f"Place {rng.integers(PLACES)}")] if shot % 2 else
            [("ORG", f"Org {rng.integers(ORGS)}")])]  # fmt: skip
        text = f"{named[0][1]} spoke of {named[1][1]} and the w{keywords[shot % 8]} again."
        index_rows["passages"].append({**facets(video, year), "source": "speech", "start": start,
                                       "end": start + 2.0, "text": text, "words": "",
                                       "lang": "en", "shot": shot, "scale": "", "people": [],
                                       "thumb": "", "vector": np.zeros(DIM)})  # fmt: skip
        for label, name in named:
            number = int(name.split()[1])
            place = {"name": name, "country_code": "GB", "lat": 50.0 + number / 10,
                     "lon": number / 10, "geonameid": 9_000_000 + number, "population": 1000,
                     "confidence": 1.0} if label == "GPE" else None  # fmt: skip
            entities.append({"text": name, "label": label, "start": start + 0.2,
                             "end": start + 0.6, "source": "transcript", "context": text,
                             "place": place})  # fmt: skip
    words = [{"term": f"w{k}", "score": 1.0, "count": 3} for k in keywords]
    document = {"video_id": video, "model": {"name": "synthetic"}, "entities": entities,
                "keywords": words, "errors": []}  # fmt: skip
    artefacts.write(VideoFolder.for_video(root, video).path(Entities.file), document, Entities)
    return VideoRow(video, f"/synthetic/{video}.mp4", 0, 100.0, {"date": str(year)}, "film")


def collection(root: Path, shots: int) -> tuple[Settings, list[VideoRow]]:
    settings = Settings.from_values({"data_dir": root})
    rng = np.random.default_rng(0)
    rows: dict[str, list] = {"faces": [], "passages": []}
    videos = [write_video(root, rows, n, rng) for n in range(shots // SHOTS_PER_VIDEO)]
    index = SearchIndex.open(settings, "bench", create=True)
    for table, found in rows.items():
        index.replace_rows(table, [], arrow_table(table, found, {table: DIM}))
    index.replace_rows(STATE, [], pa.table({"video_id": ["~format"], "stamp": [FORMAT]}))
    folder = CollectionFolder.for_collection(root, "bench")
    people = [{"id": f"p{i:04d}", "name": f"Name {i}" if i % 3 == 0 else None,
               "faces": [{"video_id": "v000000", "face_id": "f0"}], "videos": [],
               "representative": {"video_id": "v000000", "face_id": "f0"}}
              for i in range(1, PEOPLE + 1)]  # fmt: skip
    artefacts.write(folder.path(People.file), {"people": people}, People)
    return settings, videos


def peer_seconds_per_passage(settings: Settings, sample: int) -> float:
    """SmolLM2 (bundled, in this process) reading one passage for entities and relations."""
    model = open_language_model(settings)
    model.cache = AnswerCache(Path(tempfile.mkdtemp()))
    model.generate(RELATIONS_SYSTEM, "Names: a; b\nPassage: a met b.", 50)  # load it
    started = time.perf_counter()
    for n in range(sample):
        passage = f"Name {n} spoke of Place {n} and the w{n} again, with Org {n}."
        model.generate(RELATIONS_SYSTEM, f"List the people, places and organisations in this "
                       f"passage and how they are related.\nPassage: {passage}", 200)  # fmt: skip
    return (time.perf_counter() - started) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--peer", type=int, default=20, help="passages the peer reads")
    args = parser.parse_args()
    results = []
    per_passage = None
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix="deerin-graph-"))
        settings, videos = collection(root, size)
        per_passage = per_passage or peer_seconds_per_passage(settings, args.peer)
        started = time.perf_counter()
        graph = build_graph(settings, "bench", videos)
        seconds = time.perf_counter() - started
        results.append({"shots": size, "videos": len(videos), "seconds": round(seconds, 2),
                        "per_1000_shots_s": round(seconds / size * 1000, 2),
                        "nodes": len(graph.nodes), "edges": len(graph.edges),
                        "communities": len(graph.communities),
                        "peer_s": round(per_passage * size, 1)})  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
    (ROOT / "bench" / "results" / "graph_scale.json").write_text(json.dumps(results, indent=1))
    print(
        "| shots | videos | graph build s | per 1,000 shots | nodes | links | communities "
        "| peer: SmolLM2 reads every passage, s | peer / DEERIn |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['shots']:,} | {r['videos']:,} | {r['seconds']} | {r['per_1000_shots_s']} s | "
            f"{r['nodes']:,} | {r['edges']:,} | {r['communities']} | {r['peer_s']:,} | "
            f"{r['peer_s'] / max(r['seconds'], 1e-9):,.0f}x |"
        )


if __name__ == "__main__":
    main()
