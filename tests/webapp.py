"""Fixtures of the web app's tests: an archive ingested from ../shared/media (and two
synthetic films with a face), a real `deerin serve` on a free port, and headless
Chromium driven by Playwright.

``tests/conftest.py`` registers this module as a plugin, so its fixtures are one
instance per session for every test module (importing them into a module would make
a second archive, and a second Playwright, per module). The archive is ingested once
into a template store; ``server`` serves a private copy of it per module.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import ImageOps

from conftest import ROOT
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.settings import Settings
from test_faces import astronaut, still_video

CHROMIUM = os.environ.get("DEERIN_CHROMIUM", "/usr/bin/chromium")
# Chromium on a machine with no network and no screen: no background connections, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
# Every run saves what the pages look like (look at them); the README's pictures are
# refreshed with DEERIN_SCREENSHOTS=docs/img/web (see docs/web.md).
SCREENSHOTS = Path(os.environ.get("DEERIN_SCREENSHOTS", ROOT / "build" / "screenshots"))
COLLECTION = "shared"
SHARED_FILES = (
    "speech/manifesto.mp4",  # speech, with .srt/.vtt beside it
    "speech/manifesto.srt",
    "speech/jfk.flac",  # a sound recording
    "film/chaplin.mp4",
    "popeye/mkv_pgs_Title_T00-1.mkv",  # HEVC: the browser plays its proxy
)
SETTINGS = {
    "run.workers": 2,
    "models.speech": "whisper-tiny.en",
    "proxy.height": 240,
    "run.skip_stages": ["captions"],  # a picture-describing model: minutes on a CPU
}


@dataclass(frozen=True)
class Archive:
    """The ingested template store and the media it was made from."""

    root: Path
    media: Path

    @property
    def store(self) -> Path:
        return self.root / "store"


def settings_for(store: Path, **more: object) -> Settings:
    return Settings.from_values({"data_dir": store, **SETTINGS, **more})


@pytest.fixture(scope="session")
def archive(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """The shared footage (and two films showing one face) ingested with the real models."""
    root = tmp_path_factory.mktemp("webapp")
    media = root / "media"
    media.mkdir()
    for name in SHARED_FILES:
        os.symlink(shared_media / name, media / Path(name).name)
    face = astronaut()
    still_video(media / "portrait_a.mkv", [(face, 2.0), (ImageOps.mirror(face), 2.0)])
    still_video(media / "portrait_b.mkv", [(face.rotate(3), 2.0)])
    report = ingest([media], COLLECTION, settings_for(root / "store"), JsonReporter(io.StringIO()))
    assert report.ok, (report.failed, report.steps)
    return Archive(root, media)


@dataclass(frozen=True)
class Server:
    """A running `deerin serve` and its address."""

    url: str
    store: Path
    process: subprocess.Popen

    def get(self, path: str, **options: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=60, **options)  # type: ignore[arg-type]

    def post(self, path: str, **options: object) -> httpx.Response:
        return httpx.post(self.url + path, timeout=120, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(store: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """`deerin serve` on a free port of this machine, ready to answer."""
    port = free_port()
    command = [sys.executable, "-m", "deerin.cli.main", "--data-dir", str(store)]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), *args],
        # The tests' own DEERIN_SCREENSHOTS is no setting: the server would refuse it.
        env={**{k: v for k, v in os.environ.items() if k != "DEERIN_SCREENSHOTS"}, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"deerin serve stopped: {process.stdout.read()}")  # type: ignore[union-attr]
        try:
            if httpx.get(url + "/api/collections", timeout=2).status_code == 200:
                return Server(url, store, process)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("deerin serve did not answer within 60 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def private_store(archive: Archive, into: Path) -> Path:
    """A copy of the ingested store that a test may change (the media stay shared)."""
    shutil.copytree(archive.store, into / "store", symlinks=True)
    return into / "store"


@pytest.fixture(scope="module")
def server(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`deerin serve` on a private copy of the archive, for one test module."""
    store = private_store(archive, tmp_path_factory.mktemp("served"))
    running = start_server(store)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's, installed by scripts/setup.sh) under Playwright."""
    if not Path(CHROMIUM).exists():
        why = f"Chromium not found at {CHROMIUM}: run scripts/setup.sh"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--enable-unsafe-swiftshader"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser tab (1440x900, a laptop) that fails the test on a script error."""
    # The tests' own waits evaluate strings, which the pages' Content-Security-Policy
    # forbids; test_web_pages checks the pages under that policy.
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def screenshot(tab: object, name: str) -> Path:
    """Save what the page shows under SCREENSHOTS (build/screenshots/ unless told)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
    return path
