"""The probe stage: the first stage of every video, recording what the file is."""

from __future__ import annotations

from deerin.index.artefacts import atomic_write_json
from deerin.media.probe import probe
from deerin.pipeline.stage import Stage, StageContext, StageOutput


class ProbeStage(Stage):
    """Describe the file (streams, timing, geometry); raises NotAVideoError for non-videos."""

    name = "probe"
    version = "1"
    produces = ("probe.json",)

    def run(self, ctx: StageContext) -> StageOutput:
        info = probe(ctx.source)
        atomic_write_json(ctx.staging / "probe.json", {"media": info.to_dict()})
        summary = {
            "duration": f"{info.duration:.1f}s",
            "video": f"{info.video_codec} {info.width}x{info.height} {info.fps:.3g}fps",
        }
        return StageOutput(method={"name": "ffprobe"}, summary=summary)
