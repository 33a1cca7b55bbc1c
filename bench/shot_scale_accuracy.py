"""Shot scale accuracy of the face-size rule on hand-labelled frames.

The labels (bench/labels/shot_scale.json, how they were made is written there) name
analysis frames of the shared test media and a few scikit-image photos. Each frame is
grabbed as the frames stage grabs it (display aspect, at most ``analysis_size`` pixels),
YuNet finds its faces, and the rule labels it as a one-frame shot. The rule abstains
(scale null) where it finds no face; it is scored on the frames it answers, and its
abstentions are counted. The baseline, on the same frames, always answers the most
common label of the set.

    .venv/bin/python bench/shot_scale_accuracy.py      # about 30 seconds on 2 cores

Prints Markdown and writes bench/results/shot_scale_accuracy.json.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from PIL import Image
from skimage import data

from deerin.enrich.faces.detect import FaceModel
from deerin.enrich.faces.stage import face_record
from deerin.enrich.frames import AnalysisFrame
from deerin.enrich.shot_scale import SCALES, from_faces
from deerin.index.schemas import Face, Shot
from deerin.media.frames import frames_at
from deerin.media.probe import probe
from deerin.models.backends import open_model
from deerin.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
LABELS = ROOT / "bench" / "labels" / "shot_scale.json"
RESULTS = ROOT / "bench" / "results"
ANIMATION = ("popeye/", "film/big_buck_bunny", "film/sintel")


def pictures(items: list[dict], size: int) -> list[Image.Image]:
    """Each labelled frame as the frames stage would show it to the models."""
    grabbed: dict[tuple[str, float], Image.Image] = {}
    for file in sorted({item["file"] for item in items if "file" in item}):
        times = [item["time"] for item in items if item.get("file") == file]
        for grab in frames_at(MEDIA / file, times, probe(MEDIA / file)):
            grabbed[(file, grab.requested)] = grab.image.convert("RGB")
    result = []
    for item in items:
        if "file" in item:
            picture = grabbed[(item["file"], item["time"])]
        else:
            picture = Image.fromarray(getattr(data, item["skimage"])()).convert("RGB")
        picture.thumbnail((size, size))
        result.append(picture)
    return result


def predict(model: FaceModel, picture: Image.Image, name: str) -> dict:
    frame = AnalysisFrame(0, 0.0, 0, "middle", Path(name))
    faces = [
        face_record(frame, n, face, picture.size) for n, face in enumerate(model.detect(picture))
    ]
    shot = Shot(index=0, start_frame=0, end_frame=1, start_time=0.0, end_time=1.0,
                last_frame_time=0.0, transition_in=None)  # fmt: skip
    return from_faces(shot, [frame], [Face.model_validate(face) for face in faces])


def score(rows: list[dict]) -> dict:
    answered = [r for r in rows if r["predicted"] is not None]
    right = sum(r["predicted"] == r["label"] for r in answered)
    near = sum(abs(SCALES.index(r["predicted"]) - SCALES.index(r["label"])) <= 1 for r in answered)
    return {
        "frames": len(rows),
        "answered": len(answered),
        "abstained": len(rows) - len(answered),
        "accuracy_answered": right / len(answered) if answered else None,
        "within_one_step_answered": near / len(answered) if answered else None,
        "accuracy_all": right / len(rows) if rows else None,
    }


def main() -> None:
    settings = Settings.from_values({"run.workers": 1})
    items = json.loads(LABELS.read_text())["frames"]
    model = open_model("faces", settings)
    rows = []
    for item, picture in zip(items, pictures(items, settings.frames.analysis_size), strict=True):
        name = item.get("file", item.get("skimage"))
        predicted = predict(model, picture, name)
        rows.append(
            {
                "frame": f"{name}@{item['time']}" if "time" in item else name,
                "label": item["scale"],
                "predicted": predicted["scale"],
                "basis": predicted["basis"],
                "animation": name.startswith(ANIMATION),
            }
        )
    common = Counter(r["label"] for r in rows).most_common(1)[0][0]
    results = {
        "rule": score(rows),
        "rule_live_action_and_photos": score([r for r in rows if not r["animation"]]),
        "rule_animation": score([r for r in rows if r["animation"]]),
        "baseline_most_common": {
            "label": common,
            **score([{**r, "predicted": common} for r in rows]),
        },
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "shot_scale_accuracy.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(results: dict) -> str:
    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [
        "| method | frames | answered | abstained | accuracy (answered) | within one step "
        "| accuracy (all) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, title in (
        ("rule", "face-size rule (DEERIn default)"),
        ("rule_live_action_and_photos", "  … live action and photos"),
        ("rule_animation", "  … animation"),
        ("baseline_most_common", f"always {results['baseline_most_common']['label']} (baseline)"),
    ):
        row = results[key]
        lines.append(
            f"| {title} | {row['frames']} | {row['answered']} | {row['abstained']} | "
            f"{cell(row['accuracy_answered'])} | {cell(row['within_one_step_answered'])} | "
            f"{cell(row['accuracy_all'])} |"
        )
    lines += ["", "| frame | label | rule | basis |", "|---|---|---|---|"]
    lines += [
        f"| {r['frame']} | {r['label']} | {r['predicted'] or '–'} | {r['basis']} |"
        for r in results["rows"]
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
