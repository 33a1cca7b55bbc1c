"""Tags and embeddings: the bundled EfficientNet on real photos, the stage on the demo
tape, and the CLIP/SigLIP code path on tiny random models built here (no download)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from deerin.enrich.tags.backend import TOP_K, TagBackend
from deerin.enrich.tags.shared import imagenet_labels
from deerin.enrich.tags.stage import TagsStage
from deerin.index.schemas import Tags
from deerin.index.store import VideoFolder, read_json
from deerin.media.synth import DemoTape
from deerin.models.backends import open_model
from deerin.models.bundled import BUNDLED
from deerin.models.weights import BundledFile, ModelError
from deerin.pipeline.runner import VideoJob, process_video
from deerin.settings import Settings

STAGES = ("probe", "shots", "frames", "tags")
CATS = {"Egyptian cat", "tabby", "tiger cat"}  # ImageNet's domestic cats


def ignore(event: object) -> None:
    """Progress events are not under test here."""


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def jpeg_copy(image: Image.Image, scale: float, quality: int) -> Image.Image:
    """The picture as a later generation of the same film might hold it."""
    smaller = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    smaller.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def open_backend(settings: Settings) -> TagBackend:
    return open_model("tags", settings)


@pytest.fixture(scope="module")
def bundled() -> TagBackend:
    return open_backend(Settings.from_values({"run.workers": 1}))


@pytest.fixture(scope="module")
def tagged(demo_tape: DemoTape, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo tape run through frames and tags once, sampled every 4 s."""
    settings = Settings.from_values(
        {
            "data_dir": tmp_path_factory.mktemp("tags") / "store",
            "run.workers": 1,
            "frames.sample_seconds": 4.0,
        }
    )
    result = process_video(VideoJob("demo", str(demo_tape.path), settings, STAGES), ignore)
    assert result.outcomes["tags"].status == "done", result.outcomes["tags"].detail
    return settings


def test_labels_are_the_thousand_imagenet_classes_in_order() -> None:
    labels = imagenet_labels()
    assert len(labels) == len(set(labels)) == 1000
    assert (labels[0], labels[285], labels[967], labels[999]) == (
        "tench",
        "Egyptian cat",
        "espresso",
        "toilet tissue",
    )


def test_bundled_weights_are_checked_by_sha256(tmp_path: Path) -> None:
    real = BUNDLED["efficientnet-lite0"].files[0]
    assert real.verified().stat().st_size > 10_000_000
    changed = BundledFile(real.package, real.distribution, real.relative, "0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        changed.verified()
    missing = BundledFile(real.package, real.distribution, "models/gone.pth", real.sha256)
    with pytest.raises(ModelError, match="not found"):
        missing.verified()


def test_photos_get_their_imagenet_labels(bundled: TagBackend) -> None:
    tags = bundled.tags([photo("chelsea"), photo("coffee"), photo("rocket")])
    top = [labels[0][0] for labels in tags]
    assert top[0] in CATS
    assert top[1] == "espresso"
    assert top[2] in {"missile", "projectile"}
    for labels in tags:
        scores = [score for _, score in labels]
        assert len(labels) == TOP_K and scores == sorted(scores, reverse=True)
        assert 0.0 < sum(scores) <= 1.0001


def test_embeddings_find_copies_and_tell_pictures_apart(bundled: TagBackend) -> None:
    cat = photo("chelsea")
    vectors = bundled.embed([cat, jpeg_copy(cat, 0.75, 75), photo("coffee"), photo("rocket")])
    assert vectors.shape == (4, bundled.dim) == (4, 1280)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.9
    assert similarity[0, 2] < 0.5 and similarity[0, 3] < 0.5


def test_label_prototypes_lead_from_a_word_to_the_picture(bundled: TagBackend) -> None:
    pictures = bundled.embed([photo("chelsea"), photo("coffee"), photo("rocket")])
    prototypes = bundled.label_embeddings()
    assert prototypes.shape == (1000, 1280)
    for label, expected in (("Egyptian cat", 0), ("espresso", 1), ("missile", 2)):
        assert int(np.argmax(pictures @ prototypes[bundled.labels.index(label)])) == expected
    with pytest.raises(ModelError, match="cannot embed text"):
        bundled.embed_text(["a cat"])


def test_tags_stage_on_the_demo_tape(tagged: Settings) -> None:
    folder = VideoFolder.for_video(tagged.data_dir, "demo")
    frames = read_json(folder.path("frames.json"))["frames"]
    document = read_json(folder.path("tags.json"))
    vectors = np.load(folder.path(str(Tags.vectors)))
    assert document["model"] == {"name": "efficientnet-lite0", "backend": "torch"}
    assert document["errors"] == [] and document["dim"] == 1280
    assert [(f["frame"], f["time"], f["shot"]) for f in document["frames"]] == [
        (f["index"], f["time"], f["shot"]) for f in frames
    ]
    assert vectors.shape == (len(frames), 1280) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert all(len(f["tags"]) == TOP_K for f in document["frames"])
    manifest = folder.read_manifest("tags")
    assert manifest["method"]["weights"] == BUNDLED["efficientnet-lite0"].files[0].sha256
    assert manifest["params"] == {"model": "efficientnet-lite0"}


def test_embeddings_group_the_demo_tapes_black_frames(
    tagged: Settings, demo_tape: DemoTape
) -> None:
    folder = VideoFolder.for_video(tagged.data_dir, "demo")
    times = [f["time"] for f in read_json(folder.path("frames.json"))["frames"]]
    vectors = np.load(folder.path(str(Tags.vectors)))

    def within(spans: tuple) -> list[int]:
        return [i for i, t in enumerate(times) if any(s.start <= t < s.end for s in spans)]

    black, bars = within(demo_tape.black), within(demo_tape.bars)
    assert len(black) >= 3 and bars
    alike = vectors[black] @ vectors[black].T
    assert alike.min() > 0.95
    assert (vectors[black] @ vectors[bars].T).max() < 0.8


def test_a_damaged_frame_is_recorded_and_the_others_tagged(
    tagged: Settings, demo_tape: DemoTape, tmp_path: Path
) -> None:
    settings = tagged.merged({"data_dir": tmp_path / "store"})
    shutil.copytree(tagged.data_dir, settings.data_dir)
    folder = VideoFolder.for_video(settings.data_dir, "demo")
    frames = read_json(folder.path("frames.json"))["frames"]
    folder.path(frames[2]["file"]).write_bytes(b"not a jpeg")
    job = VideoJob("demo", str(demo_tape.path), settings, STAGES, frozenset({"tags"}))
    outcome = process_video(job, ignore).outcomes["tags"]
    assert outcome.status == "partial"
    assert outcome.detail.startswith(f"1 of {len(frames)} frames failed")
    document = read_json(folder.path("tags.json"))
    assert [e["frame"] for e in document["errors"]] == [frames[2]["index"]]
    tagged_frames = [f["frame"] for f in document["frames"]]
    assert tagged_frames == [f["index"] for f in frames if f is not frames[2]]
    assert np.load(folder.path(str(Tags.vectors))).shape == (len(frames) - 1, 1280)


def test_a_model_that_is_not_here_is_a_clear_error(
    tagged: Settings, demo_tape: DemoTape, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="no such file or folder"):
        open_backend(Settings.from_values({"models.tags": str(tmp_path / "no-such-clip")}))
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        open_backend(Settings.from_values({"models.tags": "deerin-tests/never-downloaded-clip"}))
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(ModelError, match="cannot be loaded"):
        open_backend(Settings.from_values({"models.tags": str(tmp_path / "not-a-model")}))
    # In a run, the stage fails with that message and the stages before it stay done.
    missing = str(tmp_path / "no-such-clip")
    settings = tagged.merged({"data_dir": tmp_path / "store", "models.tags": missing})
    shutil.copytree(tagged.data_dir, settings.data_dir)
    outcomes = process_video(VideoJob("demo", str(demo_tape.path), settings, STAGES), ignore)
    assert outcomes.outcomes["frames"].status == "cached"
    assert outcomes.outcomes["tags"].status == "failed"
    assert "no such file or folder" in outcomes.outcomes["tags"].detail


def tiny_image_text_model(folder: Path, kind: str) -> Path:
    """A randomly initialised CLIP or SigLIP, small enough to build in a test, saved like a
    downloaded model: a config, weights, and a processor with a word-level tokenizer."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
        PreTrainedTokenizerFast,
        SiglipConfig,
        SiglipModel,
    )

    words = sorted({w for label in [*imagenet_labels(), "a photo of"] for w in label.split()})
    vocab = {"[PAD]": 0, "[UNK]": 1, "[BOS]": 2, "[EOS]": 3}
    vocab |= {word: n for n, word in enumerate(words, start=len(vocab))}
    words_only = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    words_only.pre_tokenizer = pre_tokenizers.Whitespace()
    words_only.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", special_tokens=[("[BOS]", 2), ("[EOS]", 3)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=words_only,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="[BOS]",
        eos_token="[EOS]",
        model_max_length=16,
    )
    small = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1}
    small["num_attention_heads"] = 2
    text = {**small, "vocab_size": len(vocab), "max_position_embeddings": 16}
    text |= {"pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3}
    vision = {**small, "image_size": 32, "patch_size": 8}
    torch.manual_seed(0)
    if kind == "clip":
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
    else:
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
    model.save_pretrained(folder)
    pictures = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=pictures, tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.mark.parametrize(("kind", "dim"), [("clip", 16), ("siglip", 32)])
def test_clip_and_siglip_run_from_a_local_folder(
    kind: str, dim: int, tagged: Settings, demo_tape: DemoTape, tmp_path: Path
) -> None:
    model = tiny_image_text_model(tmp_path / f"tiny-{kind}", kind)
    backend = open_backend(Settings.from_values({"run.workers": 1, "models.tags": str(model)}))
    assert backend.dim == dim and backend.kind == "transformers"
    vectors, tags = backend.analyse([photo("chelsea"), photo("coffee")], TOP_K)
    assert vectors.shape == (2, dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for labels in tags:
        scores = [score for _, score in labels]
        assert len(labels) == TOP_K and scores == sorted(scores, reverse=True)
        assert {label for label, _ in labels} <= set(imagenet_labels())
        assert all(0.0 <= score <= 1.0 for score in scores)
    text = backend.embed_text(["a photo of a tench", "a photo of a goldfish"])
    assert text.shape == (2, dim) and not np.allclose(text[0], text[1])
    assert backend.label_embeddings().shape == (1000, dim)

    settings = tagged.merged({"data_dir": tmp_path / "store", "models.tags": str(model)})
    shutil.copytree(tagged.data_dir, settings.data_dir)
    outcome = process_video(VideoJob("demo", str(demo_tape.path), settings, STAGES), ignore)
    assert outcome.outcomes["tags"].status == "done", outcome.outcomes["tags"].detail
    folder = VideoFolder.for_video(settings.data_dir, "demo")
    document = read_json(folder.path("tags.json"))
    assert document["model"] == {"name": f"tiny-{kind}", "backend": "transformers"}
    assert np.load(folder.path(str(Tags.vectors))).shape == (len(document["frames"]), dim)
    assert folder.read_manifest("tags")["params"] == {"model": str(model)}


def test_the_stage_runs_after_frames() -> None:
    from deerin.pipeline.graph import stage_graph

    names = stage_graph().names()
    assert names.index("tags") > names.index("frames")
    assert TagsStage.requires == ("frames",)
