"""Enrichment as a plugin: its stages, its collection steps and its model backends.

This is the one place a built-in stage, collection step or model backend is
registered; a plugin of anyone's registers its own the same way (see
:mod:`deerin.plugins`). The order here is only a tie-break: the pipeline runs stages in
the order their declared inputs call for. Imports happen inside the hooks, so loading
the plugin costs nothing until its stages are wanted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deerin.models.backends import Backend
    from deerin.plugins.stage import Stage
    from deerin.plugins.step import CollectionStep


def stages() -> list[type[Stage]]:
    from deerin.enrich.audio_events import AudioStage
    from deerin.enrich.captions import CaptionsStage
    from deerin.enrich.duplicates.hashes import HashesStage
    from deerin.enrich.entities.stage import EntitiesStage
    from deerin.enrich.faces.stage import FacesStage
    from deerin.enrich.frames import FramesStage
    from deerin.enrich.keyframes import KeyframesStage
    from deerin.enrich.probe import ProbeStage
    from deerin.enrich.proxy import ProxyStage
    from deerin.enrich.shot_scale import ShotScaleStage
    from deerin.enrich.shots.stage import ShotsStage
    from deerin.enrich.speech.stage import TranscriptStage
    from deerin.enrich.subtitles.stage import SubtitlesStage
    from deerin.enrich.summary import SummaryStage
    from deerin.enrich.tags.stage import TagsStage
    from deerin.enrich.technical.stage import TechStage
    from deerin.enrich.text.stage import TextStage
    from deerin.enrich.text_embeddings import TextEmbeddingsStage

    return [
        ProbeStage,
        ShotsStage,
        KeyframesStage,
        ProxyStage,
        FramesStage,
        TagsStage,
        FacesStage,
        ShotScaleStage,
        TextStage,
        SubtitlesStage,
        TechStage,
        HashesStage,
        CaptionsStage,
        AudioStage,
        TranscriptStage,
        EntitiesStage,
        TextEmbeddingsStage,
        SummaryStage,
    ]


def collection_steps() -> list[type[CollectionStep]]:
    from deerin.enrich.duplicates.groups import DuplicatesStep
    from deerin.enrich.faces.people import PeopleStep

    return [PeopleStep, DuplicatesStep]


def model_backends() -> list[Backend]:
    from deerin.enrich.entities.ner import open_spacy
    from deerin.enrich.faces.detect import FaceModel
    from deerin.enrich.shot_scale import ScaleClassifier
    from deerin.enrich.shots.pyscenedetect import open_pyscenedetect
    from deerin.enrich.shots.transnet import open_transnet
    from deerin.enrich.speech.models import open_whisper
    from deerin.enrich.tags.efficientnet import EfficientNetLite0
    from deerin.enrich.tags.transformers_backend import ImageTextBackend
    from deerin.enrich.text.ocr import open_reader
    from deerin.enrich.text_embeddings import open_sentence_transformer
    from deerin.models.backends import Backend

    return [
        Backend("shots", "rules", open_pyscenedetect),
        Backend("shots", "torch", open_transnet),
        Backend("tags", "torch", EfficientNetLite0),
        Backend("tags", "transformers", ImageTextBackend),
        Backend("faces", "opencv-dnn", FaceModel.open),
        Backend("ocr", "onnxruntime", open_reader),
        Backend("shot_scale", "transformers", ScaleClassifier),
        Backend("speech", "faster-whisper", open_whisper),
        Backend("entities", "spacy", open_spacy),
        Backend("text_embeddings", "sentence-transformers", open_sentence_transformer),
    ]
