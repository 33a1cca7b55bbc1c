"""Technical checks: how exactly events are timed, and how fast, on tapes whose truth is known.

Tapes:
  demo tape     deerin.media.synth (63 s, MPEG-2 in Matroska, PCM): bars and 1 kHz tone,
                black, a fade through black, speech with silences between.
  long SD tape  built here (10 min, PAL DVD MPEG-2 + AC-3 in MPEG-PS, which starts at a
                non-zero time like real DVD rips): programmes of moving test patterns over
                pink noise and a chord, with SMPTE, EBU and HD bars under 1 kHz tone,
                black of 0.48 to 5 s, frozen pictures of 4 and 10 s, silences inside
                programmes, and a 440 Hz tone over pictures. Its truth is its plan.

Per kind: precision and recall of events (a found event matches a true one, one to one,
when their intersection over union is at least 0.5) and the mean error of matched
boundaries. Silence on the demo tape is scored against the stretches between audible
sounds (espeak's quiet lead-in and tail are neither speech nor digital silence).

Speed: seconds of video per second of the tech stage with ffmpeg on one thread, wall
clock and CPU (ours plus ffmpeg's). Peer, same run, same file: plain ffmpeg with
blackdetect and silencedetect only (the usual QC one-liner), same thresholds; its black
and silence events are scored too. "deerin tech stage, no lowres" decodes at full size.

    .venv/bin/python bench/tech_accuracy.py      # about 3 minutes on 2 cores (tape built once)

Prints Markdown tables and writes bench/results/tech_accuracy.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deerin.enrich.technical import stage as tech
from deerin.enrich.technical.ffmpeg_log import parse
from deerin.media.probe import probe
from deerin.media.synth import build_demo_tape
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LONG_TAPE = RESULTS / "tech_long_tape.mpg"
KINDS = ("black", "bars", "frozen", "silence", "tone")
SIZE = "s=720x576:r=25"
QUARTER = "s=180x144:r=25"
UPSCALE = "scale=720:576:flags=bilinear"
Span = tuple[float, float]

# The long tape's pictures: (kind, seconds, lavfi source). Programmes move all the time.
PICTURES: tuple[tuple[str, float, str], ...] = (
    ("bars", 30.0, f"smptebars={SIZE}"),
    ("black", 5.0, f"color=c=black:{SIZE}"),
    ("programme", 60.0, f"testsrc2={SIZE}"),
    ("black", 1.0, f"color=c=black:{SIZE}"),
    ("programme", 60.0, f"gradients={QUARTER}:speed=0.02:seed=1,{UPSCALE}"),
    ("frozen", 4.0, f"testsrc2={SIZE},trim=end_frame=1,tpad=stop_mode=clone:stop_duration=4"),
    ("programme", 80.0, f"mandelbrot={QUARTER}:maxiter=60,{UPSCALE}"),
    ("black", 0.48, f"color=c=black:{SIZE}"),
    ("programme", 75.0, f"testsrc2={SIZE},hue=h=90"),
    ("bars", 20.0, f"pal75bars={SIZE}"),
    ("black", 2.0, f"color=c=black:{SIZE}"),
    ("programme", 120.0, f"gradients={QUARTER}:type=radial:speed=0.015:seed=2,{UPSCALE}"),
    (
        "frozen",
        10.0,
        f"gradients={QUARTER}:seed=3,{UPSCALE},trim=end_frame=1,"
        "tpad=stop_mode=clone:stop_duration=10",
    ),
    ("programme", 80.0, f"testsrc2={SIZE},negate"),
    ("bars", 10.0, "smptehdbars=s=1280x720:r=25,scale=720:576"),
    ("programme", 40.52, f"mandelbrot={QUARTER}:maxiter=60:start_scale=2,{UPSCALE}"),
    ("black", 2.0, f"color=c=black:{SIZE}"),
)
CHORD = "aevalsrc=" + "+".join(f"0.05*sin(2*PI*{hz}*t)" for hz in (261.6, 329.6, 392.0))
# Sounds laid over pink noise: (kind, start, seconds, lavfi source or None for silence).
SOUNDS: tuple[tuple[str, float, float, str | None], ...] = (
    ("tone", 0.0, 30.0, "sine=frequency=1000"),  # under the SMPTE bars, -18 dBFS
    ("silence", 30.0, 5.0, None),  # under the first black
    ("silence", 190.0, 3.0, None),  # a pause inside a programme
    ("chord", 250.0, 60.0, CHORD),
    ("tone", 320.48, 20.0, "sine=frequency=1000"),  # under the EBU bars
    ("silence", 340.48, 2.0, None),  # under the black after them
    ("tone", 400.0, 8.0, "sine=frequency=440,volume=-2dB"),  # over pictures
    ("silence", 480.0, 1.5, None),
    ("silence", 597.0, 2.0, None),  # under the last black
)


@dataclass(frozen=True)
class Score:
    true: int
    found: int
    matched: int
    precision: float
    recall: float
    boundary_error: float | None  # seconds, mean over matched starts and ends


@dataclass(frozen=True)
class Speed:
    method: str
    tape: str
    duration: float
    wall: float
    cpu: float

    @property
    def realtime(self) -> float:
        return self.duration / self.wall

    @property
    def realtime_cpu(self) -> float:
        return self.duration / self.cpu


def _iou(a: Span, b: Span) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def score(found: list[Span], truth: list[Span]) -> Score:
    """One-to-one matching at IoU >= 0.5, best pairs first."""
    pairs = sorted(
        ((_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
        reverse=True,
    )
    used_f: set[int] = set()
    used_t: set[int] = set()
    errors: list[float] = []
    for iou, i, j in pairs:
        if iou < 0.5 or i in used_f or j in used_t:
            continue
        used_f.add(i)
        used_t.add(j)
        errors += [abs(found[i][0] - truth[j][0]), abs(found[i][1] - truth[j][1])]
    matched = len(used_t)
    return Score(
        true=len(truth),
        found=len(found),
        matched=matched,
        precision=matched / len(found) if found else 1.0,
        recall=matched / len(truth) if truth else 1.0,
        boundary_error=round(sum(errors) / len(errors), 3) if errors else None,
    )


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``work``; its result, wall seconds, and CPU seconds of this process and children."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(
        (a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime)
        for a, b in zip(after, before, strict=True)
    )
    return result, wall, cpu


def long_tape_truth() -> tuple[float, dict[str, list[Span]]]:
    """The long tape's duration and its true spans per kind, from the plan."""
    truth: dict[str, list[Span]] = {kind: [] for kind in KINDS}
    position = 0.0
    for kind, seconds, _ in PICTURES:
        if kind in truth:
            truth[kind].append((round(position, 3), round(position + seconds, 3)))
        position += seconds
    for kind, start, seconds, _ in SOUNDS:
        if kind in truth:
            truth[kind].append((start, start + seconds))
    return round(position, 3), {kind: sorted(spans) for kind, spans in truth.items()}


def build_long_tape(path: Path) -> None:
    """The 10-minute PAL DVD tape of the plan, unless one of this plan is already there."""
    plan = json.dumps([PICTURES, SOUNDS])
    stamp = path.with_suffix(".plan.json")
    if path.exists() and stamp.exists() and stamp.read_text() == plan:
        return
    duration, _ = long_tape_truth()
    inputs, chains = [], []
    for i, (_, seconds, source) in enumerate(PICTURES):
        inputs += ["-f", "lavfi", "-i", source]
        frames = round(seconds * 25)
        chains.append(f"[{i}:v]trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p,"
                      f"setsar=16/15[v{i}]")  # fmt: skip
    concat = "".join(f"[v{i}]" for i in range(len(PICTURES)))
    chains.append(f"{concat}concat=n={len(PICTURES)}:v=1:a=0[vout]")
    base = len(PICTURES)
    inputs += ["-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.1:seed=1:d={duration}"]
    quiet = "+".join(f"between(t,{s},{s + d})" for _, s, d, _ in SOUNDS)
    chains.append(f"[{base}:a]volume=0:enable='{quiet}'[noise]")
    overlays = ["[noise]"]
    for n, (_, start, seconds, source) in enumerate(s for s in SOUNDS if s[3]):
        inputs += ["-f", "lavfi", "-i", f"{source},atrim=duration={seconds}"]
        chains.append(f"[{base + 1 + n}:a]aresample=48000,adelay={round(start * 1000)}:all=1[s{n}]")
        overlays.append(f"[s{n}]")
    chains.append(
        f"{''.join(overlays)}amix=inputs={len(overlays)}:normalize=0:duration=first,"
        f"aformat=sample_rates=48000:channel_layouts=stereo[aout]"
    )
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        made = Path(scratch) / path.name
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", ";".join(chains),
             "-map", "[vout]", "-map", "[aout]", "-target", "pal-dvd", "-aspect", "4:3",
             str(made)],
            check=True,
        )  # fmt: skip
        made.replace(path)
    stamp.write_text(plan)


def run_stage(path: Path, settings: Settings) -> tuple[dict[str, list[Span]], float, float]:
    """The tech stage's events per kind, wall and CPU seconds, ffmpeg on one thread."""
    info = probe(path)
    result, wall, cpu = timed(lambda: tech.run_checks(path, info, settings, threads=1))
    events = tech.build_events(result, settings)
    spans = {kind: [(e["start"], e["end"]) for e in events if e["kind"] == kind] for kind in KINDS}
    return spans, wall, cpu


def run_peer(path: Path, settings: Settings) -> tuple[dict[str, list[Span]], float, float]:
    """Plain ffmpeg blackdetect + silencedetect at the stage's thresholds, full-size decode."""
    info = probe(path)
    command = [
        "ffmpeg", "-nostdin", "-nostats", "-loglevel", "level+info", "-threads", "1",
        "-i", f"file:{path}",
        "-vf", f"blackdetect=d={settings.tech.black_seconds}:pix_th={settings.tech.black_pixel}",
        "-af", f"silencedetect=n={settings.tech.silence_db}dB:d={settings.tech.silence_seconds}",
        "-f", "null", "-",
    ]  # fmt: skip
    done, wall, cpu = timed(lambda: subprocess.run(command, capture_output=True, text=True))
    log = parse(done.stderr.splitlines())
    shift = _file_start(path) - info.start_time  # ffmpeg's 0 is the file's start, ours the video's
    spans = {
        kind: [
            (start + shift, (info.duration if end is None else end + shift)) for start, end in found
        ]
        for kind, found in (("black", log.black), ("silence", log.silence))
    }
    return spans, wall, cpu


def _file_start(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip() or 0)


def demo_truth(scratch: Path) -> tuple[Path, float, dict[str, list[Span]]]:
    tape = build_demo_tape(scratch / "demo_tape.mkv")
    sounds = sorted(
        [(t.start, t.end) for t in tape.tone] + [(s.start, s.end) for s in tape.sentences]
    )
    gaps, position = [], 0.0
    for start, end in sounds:
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    gaps.append((position, tape.duration))
    truth = {
        "black": [(i.start, i.end) for i in tape.black],
        "bars": [(i.start, i.end) for i in tape.bars],
        "frozen": [(s.start_time, s.end_time) for s in tape.segments if s.kind == "slate"],
        "silence": gaps,
        "tone": [(i.start, i.end) for i in tape.tone],
    }
    return tape.path, tape.duration, truth


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_values({"data_dir": RESULTS / "tech-store", "run.workers": 1})
    with tempfile.TemporaryDirectory() as scratch:
        demo_path, demo_duration, demo = demo_truth(Path(scratch))
        started = time.perf_counter()
        build_long_tape(LONG_TAPE)
        print(f"long tape ready in {time.perf_counter() - started:.0f} s")
        long_duration, long_truth = long_tape_truth()
        tapes = [
            ("demo tape", demo_path, demo_duration, demo),
            ("long SD tape", LONG_TAPE, long_duration, long_truth),
        ]
        scores: dict[str, dict[str, dict[str, Any]]] = {}
        speeds: list[Speed] = []
        for name, path, duration, truth in tapes:
            spans, wall, cpu = run_stage(path, settings)
            speeds.append(Speed("deerin tech stage", name, duration, wall, cpu))
            scores[f"deerin / {name}"] = {k: asdict(score(spans[k], truth[k])) for k in KINDS}
            peer, wall, cpu = run_peer(path, settings)
            speeds.append(Speed("ffmpeg blackdetect+silencedetect", name, duration, wall, cpu))
            scores[f"ffmpeg peer / {name}"] = {
                k: asdict(score(peer[k], truth[k])) for k in ("black", "silence")
            }
        lowres, tech.LOWRES_CODECS = tech.LOWRES_CODECS, frozenset()
        _, wall, cpu = run_stage(LONG_TAPE, settings)
        tech.LOWRES_CODECS = lowres
        speeds.append(
            Speed("deerin tech stage, no lowres", "long SD tape", long_duration, wall, cpu)
        )
    report = {
        "scores": scores,
        "speeds": [
            asdict(s) | {"realtime": s.realtime, "realtime_cpu": s.realtime_cpu} for s in speeds
        ],
    }
    (RESULTS / "tech_accuracy.json").write_text(json.dumps(report, indent=2))
    print_tables(scores, speeds)


def print_tables(scores: dict[str, dict[str, dict[str, Any]]], speeds: list[Speed]) -> None:
    print("\n| method / tape | kind | true | found | precision | recall | boundary error (s) |")
    print("|---|---|---|---|---|---|---|")
    for name, kinds in scores.items():
        for kind, s in kinds.items():
            error = "–" if s["boundary_error"] is None else f"{s['boundary_error']:.3f}"
            print(f"| {name} | {kind} | {s['true']} | {s['found']} | {s['precision']:.2f} "
                  f"| {s['recall']:.2f} | {error} |")  # fmt: skip
    print("\n| method | tape | video (s) | wall (s) | x real time | CPU (s) | x on one core |")
    print("|---|---|---|---|---|---|---|")
    for s in speeds:
        print(f"| {s.method} | {s.tape} | {s.duration:.1f} | {s.wall:.2f} | {s.realtime:.0f} "
              f"| {s.cpu:.2f} | {s.realtime_cpu:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
