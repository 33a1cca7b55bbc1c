"""The web app under load: 20 clients on loopback for 60 s, each request timed by kind.

A real `deerin serve` (uvicorn, one process, as a user runs it) over an ingested store;
20 concurrent clients (asyncio + httpx, in another process) loop for --seconds, each
request drawn from a mix of what people do: open a page, list the collection, open a
video's parts, search, fetch a thumbnail, and read the film in 256 KB byte ranges as a
player does. Reported per kind: count, p50 and p95 ms, errors. Peers in the same run:
a static file from the same server (the floor of any request) and the same searches
called in-process through the Searcher (the floor of a search).

With --videos N it also writes a synthetic collection of N videos (ten shots each) into
the store's search index, so the collection page's list is measured at that size; it
is removed again at the end.

    .venv/bin/python bench/web_load.py --data-dir deerin-data                # the demo
    .venv/bin/python bench/web_load.py --data-dir STORE --videos 10000       # + 10,000 videos
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

from deerin.index.search_index import STATE, SearchIndex
from deerin.index.store import CollectionFolder
from deerin.retrieve.build import FORMAT
from deerin.retrieve.query import Query, parse
from deerin.retrieve.search import Searcher
from deerin.retrieve.units import SPECS, arrow_table
from deerin.settings import Settings

WORDS = (
    "archive", "tape", "europe", "powers", "night", "ship", "country", "spectre", "party",
    "communism", "opposition", "americans", "freedom", "sonnet", "beauty", "summer", "sea",
    "harbour", "light", "morning", "city", "river", "cartoon", "sailor", "island", "bird",
    "face", "music", "silence", "speech", "history", "people", "power", "world", "time",
)  # fmt: skip
QUERIES = 2000  # distinct two-word queries: a query's vector is cached, as a user pages


def queries(seed: int) -> list[str]:
    """Distinct two-word searches (one in ten an exact phrase), in a seeded order."""
    rng = random.Random(seed)
    pairs = [(a, b) for a in WORDS for b in WORDS if a != b]
    rng.shuffle(pairs)
    return [f'"{a} {b}"' if n % 10 == 0 else f"{a} {b}" for n, (a, b) in enumerate(pairs)]


RANGE = 256 * 1024
SYNTHETIC = "synthetic"


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "deerin.cli.main", "--data-dir", str(data_dir)]
    process = subprocess.Popen([*command, "serve", "--port", str(port)], stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/collections", timeout=1).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("deerin serve did not start")


def synthetic_collection(settings: Settings, videos: int) -> None:
    """``videos`` videos of ten shots each in the videos table of collection 'synthetic'."""
    rng = np.random.default_rng(7)
    rows = [
        {
            "video_id": f"{n:020x}", "file": f"reel_{n:05d}.mp4", "media": "film",
            "year": int(1930 + n % 70), "date": f"{1930 + n % 70}", "identifier": f"ID-{n}",
            "rights": "public domain", "length": float(rng.uniform(60, 5400)),
            "langs": ["en"], "places": [], "path": f"/archive/reel_{n:05d}.mp4",
            "duration": float(rng.uniform(60, 5400)), "title": f"Reel {n}", "metadata": "{}",
            "shots": 10, "thumb": "", "has_speech": bool(n % 2), "has_text": bool(n % 3),
            "faces": int(n % 5), "people": [], "problems": int(n % 7), "generated_title": "",
        }
        for n in range(videos)
    ]  # fmt: skip
    index = SearchIndex.open(settings, SYNTHETIC, create=True)
    index.put_table("videos", arrow_table("videos", rows, {}))
    index.build_indexes(SPECS["videos"], settings.search.ann_threshold)
    index.put_table(STATE, pa.table({"video_id": ["~format"], "stamp": [FORMAT]}))
    (settings.data_dir / "collections" / SYNTHETIC).mkdir(parents=True, exist_ok=True)


def targets(collection_videos: list[dict], big: bool) -> dict[str, list[str]]:
    """The URLs of each kind of request."""
    films = [v for v in collection_videos if v["media"] == "film"]
    ids = [v["id"] for v in collection_videos]
    thumbs = [f"/api/thumbnail/{v['poster']}" for v in films if v["poster"]]
    found = {
        "static file (peer)": ["/static/style.css"],
        "page": ["/", "/search", "/people", *[f"/video/{i}" for i in ids]],
        "collection list": ["/api/videos?limit=48", "/api/videos?sort=duration&order=desc"],
        "video parts": [
            f"/api/videos/{i}{part}" for i in ids for part in ("", "/shots", "/transcript")
        ],
        "search": [f"/api/search?q={q}" for q in queries(1)[:QUERIES]],
        "thumbnail": thumbs,
        "video range": [f"/media/{v['id']}" for v in films],
    }
    if big:
        found["collection list (10k)"] = [
            f"/api/videos?collection={SYNTHETIC}&offset={o}&sort={s}"
            for o in (0, 480, 4800)
            for s in ("title", "duration")
        ]
    return {kind: urls for kind, urls in found.items() if urls}


async def client(
    http: httpx.AsyncClient, urls: dict[str, list[str]], sizes: dict[str, int], until: float,
    timings: dict[str, list[float]], errors: dict[str, int], rng: random.Random,
) -> None:  # fmt: skip
    kinds = list(urls)
    while time.monotonic() < until:
        kind = rng.choice(kinds)
        url = rng.choice(urls[kind])
        headers = {}
        if kind == "video range":
            start = rng.randrange(0, max(1, sizes[url] - RANGE))
            headers["Range"] = f"bytes={start}-{start + RANGE - 1}"
        began = time.perf_counter()
        try:
            answer = await http.get(url, headers=headers)
            await answer.aread()
            ok = answer.status_code in (200, 206)
        except httpx.HTTPError:
            ok = False
        timings[kind].append((time.perf_counter() - began) * 1000)
        if not ok:
            errors[kind] += 1


async def load(base: str, urls: dict[str, list[str]], clients: int, seconds: float):  # type: ignore[no-untyped-def]
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        sizes = {}
        for url in urls.get("video range", []):
            head = await http.get(url, headers={"Range": "bytes=0-0"})
            sizes[url] = int(head.headers["content-range"].rsplit("/", 1)[1])
        await http.get("/api/search?q=warm")  # a server's first search loads the text model
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                client(http, urls, sizes, until, timings, errors, random.Random(n))
                for n in range(clients)
            )
        )
    return timings, errors


def in_process(settings: Settings, collections: list[str]) -> tuple[float, float]:
    """The same kind of searches, one at a time, through the Searcher (no HTTP)."""
    searcher = Searcher(settings, collections)
    searcher.search(parse("warm", Query()), limit=20)  # models and tables opened
    took = []
    for text in queries(2)[:70]:
        began = time.perf_counter()
        searcher.search(parse(text, Query()), limit=20)
        took.append((time.perf_counter() - began) * 1000)
    return percentiles(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--videos", type=int, default=0, help="add a synthetic collection")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    settings = Settings.from_values({"data_dir": args.data_dir})
    base = f"http://127.0.0.1:{args.port}"
    real = [c.name for c in CollectionFolder.chosen(args.data_dir, None)]
    if args.videos:
        synthetic_collection(settings, args.videos)
    server = start_server(args.data_dir, args.port)
    try:
        listed = []
        for name in real:
            page = httpx.get(f"{base}/api/videos?collection={name}&limit=500", timeout=60)
            listed += page.json()["videos"]
        urls = targets(listed, bool(args.videos))
        urls["search"] = [f"{u}&collection={c}" for u in urls["search"] for c in real][:QUERIES]
        timings, errors = asyncio.run(load(base, urls, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait()
        if args.videos:
            shutil.rmtree(args.data_dir / "index" / SYNTHETIC, ignore_errors=True)
            shutil.rmtree(args.data_dir / "collections" / SYNTHETIC, ignore_errors=True)
    search_p50, search_p95 = in_process(settings, real)
    print(f"{args.clients} clients, {args.seconds:.0f} s, {len(listed)} videos served")
    print("| request | count | p50 ms | p95 ms | errors |")
    print("|---|---|---|---|---|")
    for kind, values in timings.items():
        p50, p95 = percentiles(values)
        print(f"| {kind} | {len(values)} | {p50:.1f} | {p95:.1f} | {errors[kind]} |")
    print(
        f"| search in-process (peer, one client) | 70 | {search_p50:.1f} | {search_p95:.1f} | 0 |"
    )


if __name__ == "__main__":
    main()
