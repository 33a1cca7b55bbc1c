"""The probe stage: the first stage of every file, recording what it is."""

from __future__ import annotations

from deerin.index.schemas import MediaInfo, Probe
from deerin.media.probe import probe
from deerin.plugins.stage import Stage, StageContext, StageOutput


class ProbeStage(Stage):
    """Describe the file (streams, timing, geometry); raises NotMediaError for non-media."""

    name = "probe"
    version = "1"
    produces = (Probe.file,)

    def run(self, ctx: StageContext) -> StageOutput:
        info = probe(ctx.source)
        ctx.write(Probe, {"media": info})
        return StageOutput(method={"name": "ffprobe"}, summary=_summary(info))


def _summary(info: MediaInfo) -> dict[str, str]:
    """A line for `deerin status`: the picture, or the sound of a recording without one."""
    summary = {"duration": f"{info.duration:.1f}s"}
    if info.has_picture:
        summary["video"] = f"{info.video_codec} {info.width}x{info.height} {info.fps:.3g}fps"
    elif info.audio:
        sound = info.audio[0]
        summary["sound"] = f"{sound.codec} {sound.channels}ch {sound.sample_rate} Hz"
    return summary
