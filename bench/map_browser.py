"""The map page in headless Chromium: time to the first drawn map, frame times while
zooming and panning, and the page's memory, at 100k and 1M shots.

Serves a synthetic collection made by ``bench/map_scale.py --keep DIR`` with a real
`deerin serve`, opens ``/map`` in Debian's Chromium (driven by Playwright) and reads the
page's own hooks (``window.deerinMap``: ``ready`` resolves with the time the first frame
with every shot was drawn, ``frameTimes`` holds recent frame durations). The peer, in the
same page and browser: the same shots drawn the classic way, one ``fillRect`` per shot on
a 2-D canvas, from the same layout file.

    .venv/bin/python bench/map_scale.py --sizes 100000,1000000 --keep /tmp/mapbench
    .venv/bin/python bench/map_browser.py --keep /tmp/mapbench --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--ignore-gpu-blocklist"]
VIEW = {"width": 1280, "height": 800}

PEER = """async (url) => {
  const started = performance.now();
  const xy = new Float32Array(await (await fetch(url)).arrayBuffer());
  const canvas = document.createElement("canvas");
  canvas.width = 1280; canvas.height = 800;
  document.body.append(canvas);
  const context = canvas.getContext("2d");
  context.fillStyle = "#4477aa";
  for (let i = 0; i < xy.length; i += 2) context.fillRect(xy[i] * 800 + 240, xy[i + 1] * 800, 2, 2);
  context.getImageData(0, 0, 1, 1);  // wait for the drawing to finish
  const drawn = performance.now() - started;
  canvas.remove();
  return drawn;
}"""

MOVE = """async () => {
  const map = window.deerinMap;
  map.frameTimes.length = 0;
  const frames = [];
  let last = performance.now();
  for (let step = 0; step < 120; step++) {
    if (step < 60) map.zoomTo(0.5, 0.5, 1 + step * 0.5);
    else map.pan(7, 4);
    await new Promise((done) => requestAnimationFrame(done));
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  return {frames, own: map.frameTimes.slice()};
}"""


def serve(store: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "deerin.cli.main", "--data-dir", str(store), "serve",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/api/collections", timeout=2)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("deerin serve did not start")


def chromium_pids() -> set[int]:
    return {p.pid for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or "")}


def browser_memory(before: set[int]) -> float:
    """Resident memory of the Chromium processes started since ``before`` (GiB)."""
    total = 0
    for pid in chromium_pids() - before:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total / 2**30


def measure(store: Path, size: int) -> list[str]:
    server, url = serve(store)
    try:
        httpx.get(f"{url}/api/map/bench/meta.json", timeout=600)  # the server reads the map
        with sync_playwright() as driver:
            before = chromium_pids()
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport=VIEW)
            page.goto(f"{url}/map?collection=bench")
            first = page.evaluate("() => window.deerinMap.ready")
            renderer = page.evaluate("() => window.deerinMap.renderer")
            moved = page.evaluate(MOVE)
            heap = page.evaluate("() => performance.memory.usedJSHeapSize") / 2**20
            version = page.evaluate("() => fetch('/api/map/bench/meta.json').then(r => r.json())")
            layout = f"{url}/api/map/bench/layout/image.bin?v={version['version']}"
            peer = page.evaluate(PEER, layout)
            memory = browser_memory(before)
            browser.close()
    finally:
        server.terminate()
    frames = sorted(moved["frames"])
    p50, p95 = statistics.median(frames), frames[int(len(frames) * 0.95) - 1]
    return [
        f"| {size:,} | first drawn map | {first / 1000:.2f} s | {peer / 1000:.2f} s "
        f"(2-D canvas, dots only) | {renderer} |",
        f"| {size:,} | frame while zooming and panning, p50 / p95 | {p50:.0f} / {p95:.0f} ms "
        f"| — | JS heap {heap:.0f} MiB, browser {memory:.1f} GiB resident |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="map_scale.py's --keep folder")
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    os.environ.setdefault("DEERIN_RUN_WORKERS", "1")
    print("| shots | what | DEERIn map page | peer | notes |\n|---:|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for line in measure(args.keep / str(size), size):
            print(line, flush=True)


if __name__ == "__main__":
    main()
