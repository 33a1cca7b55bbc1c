"""Collection steps run once over a collection, skip when nothing changed, never sink it."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import make_cuts_video
from deerin.errors import DeerinError
from deerin.index import artefacts
from deerin.index.catalogue import open_catalogue
from deerin.index.schemas import Frames
from deerin.index.store import CollectionFolder, atomic_write_json, read_json
from deerin.pipeline.collection import run_collection_steps
from deerin.pipeline.ingest import ingest
from deerin.pipeline.progress import JsonReporter
from deerin.plugins.stage import StageOutput
from deerin.plugins.step import CollectionContext, CollectionStep
from deerin.settings import Settings

STAGES = ("probe", "shots", "frames")


class FrameCount(CollectionStep):
    """Counts analysis frames over the collection: the smallest real collection-wide work."""

    name = "frame_count"
    version = "1"
    requires = ("frames",)

    def run(self, ctx: CollectionContext) -> StageOutput:
        total = sum(
            len(artefacts.read(ctx.video_folder(v.id), Frames).frames)
            for v in ctx.finished("frames")
        )
        atomic_write_json(ctx.folder / "frame_count.json", {"frames": total})
        return StageOutput(method={"name": "count"}, summary={"frames": total})


class Broken(CollectionStep):
    name = "broken"
    version = "1"

    def run(self, ctx: CollectionContext) -> StageOutput:
        raise DeerinError("cannot group these", path=ctx.folder, hint="try again")


def test_steps_run_skip_and_report_failures(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_cuts_video(folder / "a.mkv", ("red", "blue"), seconds=1.0, audio=False)
    settings = Settings.from_values(
        {"data_dir": tmp_path / "store", "run.workers": 1, "frames.sample_seconds": 1.0}
    )
    report = ingest([folder], "c", settings, JsonReporter(io.StringIO()), stages=STAGES)
    assert report.ok
    catalogue = open_catalogue(settings)
    steps = [FrameCount(settings), Broken(settings)]
    first = run_collection_steps("c", settings, catalogue, steps)
    assert [(r.step, r.status) for r in first] == [("frame_count", "done"), ("broken", "failed")]
    assert "cannot group these" in first[1].detail
    counted = read_json(settings.data_dir / "collections" / "c" / "frame_count.json")["frames"]
    assert counted >= 2
    manifest = CollectionFolder.for_collection(settings.data_dir, "c").step_manifest("frame_count")
    assert manifest["summary"] == {"frames": counted} and manifest["videos"] == report.videos
    again = run_collection_steps("c", settings, catalogue, steps[:1])
    assert again[0].status == "cached"
    forced = run_collection_steps("c", settings, catalogue, steps[:1], frozenset({"all"}))
    assert forced[0].status == "done"
    make_cuts_video(folder / "b.mkv", ("green", "white"), seconds=1.0, audio=False)
    ingest([folder], "c", settings, JsonReporter(io.StringIO()), stages=STAGES)
    grown = run_collection_steps("c", settings, catalogue, steps[:1])
    assert grown[0].status == "done"  # a new video changes the inputs
    assert read_json(settings.data_dir / "collections" / "c" / "frame_count.json")["frames"] > (
        counted
    )
