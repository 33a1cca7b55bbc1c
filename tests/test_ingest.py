"""End to end through the `deerin` command: a collection with bad files in it,
reruns, interruption, concurrent ingests, and an unwritable or full store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ffmpeg, make_cuts_video
from deerin.pipeline.graph import stage_graph
from deerin.pipeline.ingest import collection_lock
from deerin.pipeline.local_executor import WORKER_NAME
from deerin.settings import Settings

NO_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def deerin(
    store: Path, *args: str, prefix: list[str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real command line against ``store``."""
    cmd = [*(prefix or []), sys.executable, "-m", "deerin", "--data-dir", str(store), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def status(store: Path) -> dict:
    done = deerin(store, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def by_name(report: dict) -> dict[str, dict]:
    return {Path(v["path"]).name: v for v in report["videos"]}


def stage_events(stderr: str) -> list[dict]:
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [e for e in events if e.get("event") == "stage"]


@pytest.fixture(scope="module")
def messy_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as archives have them: good films, copies, sidecars and broken files."""
    root = tmp_path_factory.mktemp("collection")
    good = make_cuts_video(root / "reel one.mp4")
    odd = root / "Bänd 2 — ça" / "filmé à Paris.mkv"
    odd.parent.mkdir()
    make_cuts_video(odd, colours=("white", "black", "yellow", "purple"), audio=False)
    (root / "z copies").mkdir()  # walked after the original (folders are walked sorted)
    shutil.copy(good, root / "z copies" / "copy of reel one.mp4")  # an exact duplicate
    (root / "notes.txt").write_text("catalogue notes")
    (root / "empty.mov").write_bytes(b"")
    (root / "not really.mp4").write_text("this is text, not a film")
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(root / "audio only.mka"))
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x120:r=10:d=1",
        "-frames:v",
        "1",
        str(root / "still.mkv"),
    )
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    make_cuts_video(root / "broken.mkv", audio=False)  # mkv survives truncation better
    blob = (root / "broken.mkv").read_bytes()
    (root / "broken.mkv").write_bytes(blob[: int(len(blob) * 0.6)])
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x120:r=10:d=2",
        "-c:v",
        "mjpeg",
        str(root / "strange codec.avi"),
    )
    weird = (root / "strange codec.avi").read_bytes().replace(b"MJPG", b"QQQQ")
    (root / "strange codec.avi").write_bytes(weird)
    return root


@pytest.fixture(scope="module")
def ingested(messy_collection: Path, tmp_path_factory: pytest.TempPathFactory):
    store = tmp_path_factory.mktemp("store")
    done = deerin(
        store, "--log-json", "ingest", str(messy_collection), "-c", "messy", "-w", "2", "--no-proxy"
    )
    return store, done


def test_one_bad_file_never_stops_the_collection(ingested) -> None:
    store, done = ingested
    assert done.returncode == 1, done.stderr  # failures are reported, not fatal
    report = status(store)
    videos = by_name(report)
    assert videos["reel one.mp4"]["stages"]["shots"]["status"] == "done"
    assert videos["filmé à Paris.mkv"]["stages"]["keyframes"]["status"] == "done"
    shots = json.loads(
        next(store.glob("videos/*/*/shots.json"), None).read_text()  # any shot list
    )
    assert shots["shots"]


def test_bad_files_are_skipped_with_a_reason_naming_them(ingested) -> None:
    store, _ = ingested
    skipped = {Path(s["path"]).name: s["reason"] for s in status(store)["skipped"]}
    assert "not a media file" in skipped["notes.txt"]
    assert "empty" in skipped["empty.mov"]
    assert "not a media file" in skipped["not really.mp4"]
    sound = by_name(status(store))["audio only.mka"]  # a sound recording, not a failure
    assert sound["kind"] == "sound" and "audio only.mka" not in skipped
    assert sound["stages"]["shots"]["status"] == "skipped"
    assert sound["stages"]["tech"]["status"] == "done"
    assert "duplicate of" in skipped["copy of reel one.mp4"]
    assert "reel one.mp4" in skipped["copy of reel one.mp4"]
    assert "still.mkv" in skipped or "still.mkv" in by_name(status(store))


def test_unsupported_codec_fails_clearly(ingested) -> None:
    store, _ = ingested
    probe = by_name(status(store))["strange codec.avi"]["stages"]["probe"]
    assert probe["status"] == "failed"
    assert "QQQQ" in probe["detail"] and "not supported" in probe["detail"]
    shots = by_name(status(store))["strange codec.avi"]["stages"]["shots"]
    assert shots["status"] == "blocked"


def test_truncated_file_keeps_what_decodes(ingested) -> None:
    store, _ = ingested
    report = status(store)
    shots = by_name(report)["broken.mkv"]["stages"]["shots"]
    assert shots["status"] == "partial"
    assert "decod" in shots["detail"]
    assert by_name(report)["broken.mkv"]["stages"]["keyframes"]["status"] in ("done", "partial")
    # An MP4 cut in half loses its index (moov atom): nothing can decode, and it says so.
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert "not a media file" in skipped["truncated.mp4"]


def test_odd_names_export(ingested) -> None:
    store, _ = ingested
    done = deerin(store, "export", "filmé à Paris.mkv", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = done.stdout.strip().splitlines()
    assert len(rows) == 1 + 4  # header and four colour shots


def test_rerun_skips_finished_work(ingested, messy_collection: Path) -> None:
    store, _ = ingested
    manifest = next(store.glob("videos/*/*/stages/shots.json"))
    before = manifest.read_text()
    done = deerin(store, "--log-json", "ingest", str(messy_collection), "-c", "messy", "--no-proxy")
    # Failed stages are tried again (the user may have fixed something); nothing that
    # finished is done again.
    ended = {e["status"] for e in stage_events(done.stderr) if e["status"] != "running"}
    assert ended <= {"cached", "skipped", "failed", "blocked"}, ended
    assert "cached" in ended
    assert manifest.read_text() == before


def test_redo_forces_a_stage_and_what_reads_it(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "v.mp4")
    store = tmp_path / "store"
    assert deerin(store, "ingest", str(video), "--no-proxy").returncode == 0
    done = deerin(store, "--log-json", "ingest", str(video), "--no-proxy", "--redo", "shots")
    ended = {e["stage"]: e["status"] for e in stage_events(done.stderr) if e["status"] != "running"}
    assert ended["probe"] == "cached"
    assert ended["shots"] == "done" and ended["keyframes"] == "done"


def test_provenance_on_every_output(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "v.mp4")
    store = tmp_path / "store"
    assert deerin(store, "ingest", str(video), "--no-proxy").returncode == 0
    manifests = list(store.glob("videos/*/*/stages/*.json"))
    assert {m.stem for m in manifests} >= {"probe", "shots", "keyframes"}
    for path in manifests:
        manifest = json.loads(path.read_text())
        assert manifest["stage_version"] and manifest["method"]["name"]
        assert manifest["started"] <= manifest["finished"]
        assert manifest["software"]["deerin"]
        assert isinstance(manifest["params"], dict)


def _slow_collection(root: Path, count: int) -> Path:
    root.mkdir(exist_ok=True)
    for i in range(count):
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s=640x480:r=25:d=8,hue=h={i * 40}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(root / f"tape {i}.mp4"),
        )
    return root


def _wait_for(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["kill", "interrupt"])
def test_interrupted_ingest_resumes_without_losing_or_redoing(tmp_path: Path, how: str) -> None:
    folder = _slow_collection(tmp_path / "tapes", 3)
    store = tmp_path / "store"
    cmd = [
        sys.executable,
        "-m",
        "deerin",
        "--data-dir",
        str(store),
        "--log-json",
        "ingest",
        str(folder),
        "-w",
        "1",
        "--no-proxy",
    ]
    # A shell's background job ignores Ctrl-C, and a child inherits that: restore it.
    proc = subprocess.Popen(
        cmd,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for(lambda: len(list(store.glob("videos/*/*/stages/keyframes.json"))) >= 1)
    finished = {p: p.read_text() for p in store.glob("videos/*/*/stages/*.json")}
    os.killpg(proc.pid, signal.SIGKILL if how == "kill" else signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    if how == "interrupt":
        assert proc.returncode == 130, stderr
        assert "Finished work is kept" in stderr
    done = deerin(store, "--log-json", "ingest", str(folder), "--no-proxy")
    assert done.returncode == 0, done.stderr
    for path, text in finished.items():
        assert path.read_text() == text, f"{path} was redone"
    assert len(list(store.glob("videos/*/*/stages/keyframes.json"))) == 3
    assert not list(store.rglob(".tmp-*"))


QUICK = ("probe", "shots", "keyframes", "frames", "tags")  # stages for a short busy ingest


def _pool_workers(parent: int) -> set[int]:
    """The live process-pool workers of an ingest (they name themselves)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # gone meanwhile
        state, ppid = fields.split()[:2]
        if name.endswith(f"({WORKER_NAME}") and state != "Z" and int(ppid) == parent:
            found.add(int(stat.parent.name))
    return found


def test_a_worker_that_dies_is_retried_alone_and_fails_its_video_only_if_it_dies_again(
    tmp_path: Path,
) -> None:
    folder = _slow_collection(tmp_path / "tapes", 3)
    store = tmp_path / "store"
    skip = [f"--skip={stage}" for stage in stage_graph().names() if stage not in QUICK]
    cmd = [sys.executable, "-m", "deerin", "--data-dir", str(store), "--log-json", "ingest",
           str(folder), "-w", "2", "--no-proxy", *skip]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: list(store.glob("videos/*/*/stages/shots.json")))  # workers busy
    first = _pool_workers(proc.pid)
    assert len(first) == 2
    os.kill(min(first), signal.SIGKILL)  # like the kernel's out-of-memory killer
    _wait_for(lambda: _pool_workers(proc.pid) - first)  # a video is retried alone...
    (alone,) = _pool_workers(proc.pid) - first
    os.kill(alone, signal.SIGKILL)  # ...and dies again: that video fails, the rest go on
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    report = by_name(status(store))
    failed = {
        name: [s["detail"] for s in video["stages"].values() if s["status"] == "failed"]
        for name, video in report.items()
    }
    failed = {name: details for name, details in failed.items() if details}
    assert len(report) == 3 and len(failed) == 1, failed
    ((name, details),) = failed.items()
    assert len(details) == 1 and name in details[0] and "worker process died" in details[0]
    others = [video for other, video in report.items() if other != name]
    assert all(s["status"] in ("done", "skipped") for v in others for s in v["stages"].values())


def test_second_ingest_of_a_collection_refuses_or_waits(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "v.mp4")
    store = tmp_path / "store"
    held = Settings.from_values({"data_dir": store})
    with collection_lock(held, "reels", wait=False):
        refused = deerin(store, "ingest", str(video), "-c", "reels", "--no-proxy")
    assert refused.returncode == 2
    assert "is being ingested" in refused.stderr and "--wait" in refused.stderr

    release = threading.Event()

    def hold() -> None:
        with collection_lock(held, "reels", wait=False):
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.3)
    threading.Timer(1.0, release.set).start()
    waited = deerin(store, "ingest", str(video), "-c", "reels", "--no-proxy", "--wait")
    holder.join()
    assert waited.returncode == 0, waited.stderr


def _can_drop_privileges() -> bool:
    if shutil.which("setpriv") is None:
        return False
    probe = subprocess.run([*NO_DAC, "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture
def no_dac() -> list[str]:
    """Run a command as root without the power to ignore file permissions."""
    if os.geteuid() != 0:
        return []
    if not _can_drop_privileges():
        pytest.skip("setpriv cannot drop capabilities here")
    return NO_DAC


def test_unreadable_file_is_skipped_with_reason(tmp_path: Path, no_dac: list[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_cuts_video(folder / "fine.mp4")
    locked = make_cuts_video(folder / "locked.mp4", colours=("red", "blue"))
    locked.chmod(0)
    store = tmp_path / "store"
    done = deerin(store, "ingest", str(folder), "--no-proxy", prefix=no_dac)
    assert done.returncode == 0, done.stderr
    skipped = {Path(s["path"]).name: s["reason"] for s in status(store)["skipped"]}
    assert "cannot be read" in skipped["locked.mp4"]


def test_read_only_store_is_a_clear_error(tmp_path: Path, no_dac: list[str]) -> None:
    video = make_cuts_video(tmp_path / "v.mp4")
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o555)
    done = deerin(store, "ingest", str(video), "--no-proxy", prefix=no_dac)
    assert done.returncode == 2
    assert str(store) in done.stderr and "cannot be written" in done.stderr
    assert "Traceback" not in done.stderr


def test_full_disk_is_a_clear_error_and_leaves_no_partial_artefact(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a small tmpfs")
    video = make_cuts_video(tmp_path / "v.mp4", colours=("red", "green", "blue") * 6)
    mount = tmp_path / "small"
    mount.mkdir()
    script = (
        f"mount -t tmpfs -o size=256k tmpfs '{mount}' || exit 99; "
        f"'{sys.executable}' -m deerin --data-dir '{mount}/store' ingest '{video}' --no-proxy; "
        f"code=$?; find '{mount}' -name '.tmp-*' | head -1 > '{tmp_path}/leftover'; "
        f"for m in '{mount}'/store/videos/*/*/stages/*.json; do [ -e \"$m\" ] || continue; "
        f'python3 -c "import json,sys,os; m=json.load(open(sys.argv[1])); '
        f"d=os.path.dirname(os.path.dirname(sys.argv[1])); "
        f"sys.exit(0 if all(os.path.exists(os.path.join(d,o)) for o in m['outputs']) else 3)\" "
        f"\"$m\" || echo incomplete >> '{tmp_path}/leftover'; done; exit $code"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode == 99:
        pytest.skip("cannot mount a tmpfs in this sandbox")
    assert done.returncode == 2, done.stderr
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "leftover").read_text().strip() == ""


def test_moved_file_keeps_its_identity_and_its_work(tmp_path: Path) -> None:
    video = make_cuts_video(tmp_path / "reel.mp4")
    store = tmp_path / "store"
    assert deerin(store, "ingest", str(video), "-c", "reels", "--no-proxy").returncode == 0
    (before,) = status(store)["videos"]
    moved = tmp_path / "elsewhere" / "Reel 7 (restored).mp4"
    moved.parent.mkdir()
    video.rename(moved)
    done = deerin(store, "--log-json", "ingest", str(moved), "-c", "reels", "--no-proxy")
    ended = {e["stage"]: e["status"] for e in stage_events(done.stderr)}
    assert set(ended.values()) <= {"cached", "skipped"}, ended
    (after,) = status(store)["videos"]
    assert after["id"] == before["id"] and after["path"] == str(moved)


def test_csv_catalogue_metadata_reaches_the_catalogue(tmp_path: Path) -> None:
    make_cuts_video(tmp_path / "reel 1.mp4", colours=("red", "blue"))
    (tmp_path / "catalogue.csv").write_text(
        "path,title,date,identifier,rights,description\n"
        "reel 1.mp4,Whit Walk,1912,YFA-0042,Public domain,Procession through the town\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    done = deerin(store, "ingest", str(tmp_path / "catalogue.csv"), "-c", "yfa", "--no-proxy")
    assert done.returncode == 0, done.stderr
    (video,) = status(store)["videos"]
    assert video["metadata"]["title"] == "Whit Walk"
    assert video["metadata"]["identifier"] == "YFA-0042"
    assert video["stages"]["shots"]["status"] == "done"
