"""The proxy stage: a browser-playable copy of films a browser cannot play as they are.

The encoding itself (timing kept exact, progress, a damaged source) is
:mod:`deerin.media.proxy`; this stage decides when a proxy is needed and records it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deerin.errors import DeerinError
from deerin.index.schemas import MediaInfo
from deerin.media.proxy import (
    ENCODER,
    PRESET,
    made_duration,
    proxy_command,
    require_x264,
    run_ffmpeg,
    shortfall,
)
from deerin.models.device import cpu_threads
from deerin.plugins.stage import Stage, StageContext, StageOutput


class ProxyStage(Stage):
    """Encode a browser-playable proxy for videos a browser cannot play as they are."""

    name = "proxy"
    version = "1"
    requires = ("probe",)
    produces = ("proxy.mp4",)

    def params(self) -> dict[str, Any]:
        return {"height": self.settings.proxy.height, "crf": self.settings.proxy.crf}

    def wanted(self, info: MediaInfo, source: Path) -> bool:
        return self.settings.proxy.enabled and info.has_picture and not info.browser_playable

    def run(self, ctx: StageContext) -> StageOutput:
        version = require_x264()
        info = ctx.media_info()
        target = ctx.staging / "proxy.mp4"
        threads = cpu_threads(self.settings)
        command = proxy_command(
            ctx.source, target, info, self.settings.proxy.height, self.settings.proxy.crf, threads
        )
        expected_frames = info.frame_count or max(1, round(info.duration * info.fps))
        returncode, errors = run_ffmpeg(command, expected_frames, ctx.report)
        made = made_duration(target)
        if made is None:
            raise DeerinError(
                f"ffmpeg could not make a proxy (exit {returncode}): {errors or 'no message'}",
                path=ctx.source,
                hint="check that the file plays; re-copy or re-encode it if damaged",
            )
        method = {
            "name": "ffmpeg",
            "version": version,
            "encoder": f"{ENCODER} {PRESET}",
            "deinterlace": info.interlaced,
        }
        summary = {"duration": f"{made:.1f}s"}
        return StageOutput(method, summary, shortfall(returncode, errors, made, info.duration))
