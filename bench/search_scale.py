"""Search at scale: latency of each kind of query at 10k, 100k and 1M shots, with peers.

A synthetic collection in the search index's real tables, written and indexed by the
real code (:class:`deerin.index.search_index.SearchIndex`, the retrieve module's table
specs): N shots with 1280-d image vectors (EfficientNet-Lite0's size) and N passages of
8 to 30 words with 384-d text vectors (MiniLM's), each with the facets filters use.
Vectors are clustered the way embeddings are (a 2,000-centre mixture in 64 latent
dimensions, projected to the full size, plus noise); words follow a Zipf law over a
20,000-word vocabulary.

Measured for each size, 100 queries each (after 5 warm-up queries):
  picture          image vector → shots (what a picture or "more like this" query runs)
  picture+filter   the same, prefiltered by a year range and a shot scale
  picture+person   the same, prefiltered by a person (a label-list column)
  meaning          text vector → passages
  meaning+filter   the same, prefiltered by source and language
  words            two words, BM25, through the Searcher (grammar, fusion, facets)
  phrase           an exact two-word phrase, through the Searcher
  words+filter     two words and year:1950..1969, through the Searcher
Peers, on the same data in the same run: exact search with numpy (a matrix product,
the filter as a mask) and SQLite FTS5 (bm25 ranking; the phrase as a quoted MATCH).
Also: recall@10 of the ANN index against exact search, index build time and the build
process's peak memory (it runs in a child process).

    .venv/bin/python bench/search_scale.py                      # 10k and 100k, ~4 minutes
    .venv/bin/python bench/search_scale.py --sizes 1000000      # 1M, about 25 minutes
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa

from deerin.index.search_index import STATE, SearchIndex
from deerin.retrieve.build import FORMAT
from deerin.retrieve.query import Query, parse
from deerin.retrieve.search import Searcher
from deerin.retrieve.units import SPECS, arrow_table
from deerin.settings import Settings

IMAGE_DIM, TEXT_DIM, LATENT = 1280, 384, 64
VOCABULARY = 20_000
CHUNK = 100_000
QUERIES = 100
SCALES = ("ECS", "CS", "MS", "FS", "LS")


def settings_for(root: Path) -> Settings:
    return Settings.from_values({"data_dir": root})


def vectors(kind: str, start: int, count: int) -> np.ndarray:
    """Rows ``start…start+count`` of the synthetic vectors (same numbers in every process)."""
    dim = IMAGE_DIM if kind == "shots" else TEXT_DIM
    model = np.random.default_rng(1 if kind == "shots" else 2)
    centres = model.normal(size=(2000, LATENT)).astype(np.float32)
    projection = model.normal(size=(LATENT, dim)).astype(np.float32) / 8
    rng = np.random.default_rng([start, dim])
    latent = centres[rng.integers(0, 2000, count)] + 0.5 * rng.normal(size=(count, LATENT))
    rows = latent.astype(np.float32) @ projection
    rows += 0.05 * rng.normal(size=rows.shape).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def words(start: int, count: int) -> list[str]:
    rng = np.random.default_rng([start, 7])
    ranks = np.minimum(rng.zipf(1.3, size=(count, 30)), VOCABULARY) - 1
    lengths = rng.integers(8, 31, count)
    return [" ".join(f"w{r}" for r in row[:n]) for row, n in zip(ranks, lengths, strict=True)]


def facets(start: int, count: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([start, 9])
    return {
        "video": (np.arange(start, start + count) // 500),
        "year": rng.integers(1900, 2000, count),
        "scale": rng.integers(0, 5, count),
        "person": rng.integers(0, 2000, count),
        "lang": rng.integers(0, 3, count),
        "source": rng.integers(0, 3, count),
    }


def rows_for(kind: str, start: int, count: int) -> pa.Table:
    f = facets(start, count)
    texts = words(start, count)
    matrix = vectors(kind, start, count)
    langs = ("en", "fr", "de")
    sources = ("speech", "subtitles", "text")
    rows = []
    for i in range(count):
        video = f"v{f['video'][i]:06d}"
        row = {
            "video_id": video, "file": f"{video}.mp4", "media": "film",
            "year": int(f["year"][i]), "date": str(f["year"][i]), "identifier": video,
            "rights": "", "length": 600.0, "langs": [langs[f["lang"][i]]], "places": [],
            "start": float(i % 500) * 2, "end": float(i % 500) * 2 + 2,
            "people": [f"p{f['person'][i]:04d}"], "scale": SCALES[f["scale"][i]],
            "thumb": "", "shot": i % 500, "vector": matrix[i],
        }  # fmt: skip
        if kind == "shots":
            row |= {"tags": texts[i][:60], "text": "", "caption": "", "has_faces": True,
                    "has_text": False, "has_speech": True}  # fmt: skip
        else:
            row |= {"source": sources[f["source"][i]], "text": texts[i], "words": "",
                    "lang": langs[f["lang"][i]]}  # fmt: skip
        rows.append(row)
    dims = {kind: IMAGE_DIM if kind == "shots" else TEXT_DIM}
    return arrow_table(kind, rows, dims)


def build(root: Path, size: int, queue: multiprocessing.Queue) -> None:
    """In a child process: write and index both tables; report the seconds taken."""
    settings = settings_for(root)
    index = SearchIndex.open(settings, "bench", create=True)
    started = time.perf_counter()
    for kind in ("shots", "passages"):
        for start in range(0, size, CHUNK):
            index.replace_rows(kind, [], rows_for(kind, start, min(CHUNK, size - start)))
    written = time.perf_counter() - started
    for kind in ("shots", "passages"):
        index.build_indexes(SPECS[kind], settings.search.ann_threshold)
    specials = {"~format": FORMAT}
    index.replace_rows(
        STATE, [], pa.table({"video_id": list(specials), "stamp": list(specials.values())})
    )
    queue.put((written, time.perf_counter() - started - written))


def peak_memory(pid: int, queue: multiprocessing.Queue) -> float:
    """The build process's largest resident set (GiB), sampled twice a second until it
    reports (what ``top`` would show, memory-mapped index files included)."""
    process, peak = psutil.Process(pid), 0
    while queue.empty():
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss)
        time.sleep(0.5)
    return peak / 2**30


def sqlite_peer(root: Path, size: int) -> sqlite3.Connection:
    db = sqlite3.connect(root / "fts.sqlite")
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(text, year UNINDEXED)")
    for start in range(0, size, CHUNK):
        count = min(CHUNK, size - start)
        years = facets(start, count)["year"]
        db.executemany(
            "INSERT INTO passages VALUES (?, ?)",
            zip(words(start, count), (int(y) for y in years), strict=True),
        )
    db.commit()
    return db


def timed(run, queries) -> tuple[float, float, list]:
    for query in queries[:5]:
        run(query)
    laps, answers = [], []
    for query in queries:
        started = time.perf_counter()
        answers.append(run(query))
        laps.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(laps, 50)), float(np.percentile(laps, 95)), answers


def exact(matrix: np.ndarray, vector: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
    scores = matrix @ vector
    if mask is not None:
        scores = np.where(mask, scores, -2.0)
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def measure(size: int) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "collections" / "bench").mkdir(parents=True)
        queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(target=build, args=(root, size, queue))
        child.start()
        peak = peak_memory(child.pid, queue)
        written, indexed = queue.get()
        child.join()
        lines.append(f"| {size:,} | build | write {written:.0f} s, indexes {indexed:.0f} s; "
                     f"peak memory {peak:.1f} GiB | | |")  # fmt: skip
        settings = settings_for(root)
        index = SearchIndex.open(settings, "bench")
        shots = np.concatenate(
            [vectors("shots", s, min(CHUNK, size - s)) for s in range(0, size, CHUNK)]
        )
        texts = np.concatenate(
            [vectors("passages", s, min(CHUNK, size - s)) for s in range(0, size, CHUNK)]
        )
        f = {k: np.concatenate([facets(s, min(CHUNK, size - s))[k] for s in range(0, size, CHUNK)])
             for k in ("year", "scale", "person", "lang", "source")}  # fmt: skip
        rng = np.random.default_rng(5)
        picks = rng.integers(0, size, QUERIES)
        image_queries = [
            shots[i] + 0.02 * rng.normal(size=IMAGE_DIM).astype(np.float32) for i in picks
        ]
        text_queries = [
            texts[i] + 0.02 * rng.normal(size=TEXT_DIM).astype(np.float32) for i in picks
        ]
        k = settings.search.candidates
        cols = ["video_id", "shot"]

        def lance(table, where):
            return lambda q: index.vector_search(table, q, "vector", where, k, cols)

        vector_cases = [
            ("picture", "shots", None, None, image_queries, shots),
            ("picture+filter", "shots", "year >= 1950 AND year <= 1969 AND scale = 'CS'",
             (f["year"] >= 1950) & (f["year"] <= 1969) & (f["scale"] == 1), image_queries, shots),
            ("picture+person", "shots", "array_has_any(people, ['p0007'])",
             f["person"] == 7, image_queries, shots),
            ("meaning", "passages", None, None, text_queries, texts),
            ("meaning+filter", "passages", "source = 'speech' AND lang = 'en'",
             (f["source"] == 0) & (f["lang"] == 0), text_queries, texts),
        ]  # fmt: skip
        for name, table, where, mask, queries, matrix in vector_cases:
            p50, p95, _ = timed(lance(table, where), queries)
            n50, n95, _ = timed(lambda q, m=matrix, w=mask: exact(m, q, w, k), queries)
            lines.append(f"| {size:,} | {name} | {p50:.1f} / {p95:.1f} | numpy exact {n50:.1f} / "
                         f"{n95:.1f} | {n95 / p95:.1f}x |")  # fmt: skip
        recall = []
        for q in image_queries:
            found = index.vector_search("shots", q, "vector", None, 10, cols)
            truth = exact(shots, q, None, 10)
            ids = {int(r["video_id"][1:]) * 500 + r["shot"] for r in found}
            recall.append(len(ids & {int(t) for t in truth}) / 10)
        lines.append(
            f"| {size:,} | ANN recall@10 (picture) | {np.mean(recall):.3f} | exact 1.000 | |"
        )
        searcher = Searcher(settings, ["bench"])
        fts = sqlite_peer(root, size)
        sample = words(10**9, QUERIES)
        pairs = [s.split()[3:5] for s in sample]
        word_cases = [
            ("words", [f"{a} {b}" for a, b in pairs], "{a} AND {b}", ""),
            ("phrase", [f'"{a} {b}"' for a, b in pairs], '"{a} {b}"', ""),
            ("words+filter", [f"{a} {b} year:1950..1969" for a, b in pairs], "{a} AND {b}",
             " AND year BETWEEN 1950 AND 1969"),
        ]  # fmt: skip
        for name, texts_, match, extra in word_cases:
            p50, p95, answers = timed(
                lambda t: searcher.search(parse(t, Query(modes=("words",))), limit=20), texts_
            )
            sql = (
                f"SELECT rowid FROM passages WHERE passages MATCH ?{extra} "
                f"ORDER BY bm25(passages) LIMIT {k}"
            )
            s50, s95, _ = timed(
                lambda p, sql=sql, match=match: fts.execute(
                    sql, (match.format(a=p[0], b=p[1]),)
                ).fetchall(),
                pairs,
            )
            hits = np.mean([len(a.hits) for a in answers])
            lines.append(f"| {size:,} | {name} (mean {hits:.0f} hits) | {p50:.1f} / {p95:.1f} | "
                         f"SQLite FTS5 {s50:.1f} / {s95:.1f} | {s95 / p95:.1f}x |")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="shot counts, comma-separated")
    args = parser.parse_args()
    print("| shots | query | DEERIn p50 / p95 ms | peer p50 / p95 ms | peer p95 / ours |")
    print("|---:|---|---|---|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for line in measure(size):
            print(line, flush=True)


if __name__ == "__main__":
    main()
