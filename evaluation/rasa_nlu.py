"""Train the project's exact NLU pipeline (config.yml) on given examples and parse texts with it."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ROOT = Path(__file__).resolve().parent.parent
FALLBACK_INTENT = "nlu_fallback"
# Entity extractors whose output is learned from the training data (the gazetteer extractor is
# not; ATIS scoring keeps only learned predictions).
LEARNED_EXTRACTORS = {"CRFEntityExtractor", "DIETClassifier"}


@dataclass
class Parsed:
    intent: str  # the classifier's best intent (what FallbackClassifier would replace)
    confidence: float
    entities: list[dict]
    fallback: bool  # the pipeline answered nlu_fallback (low confidence or ambiguity)


@dataclass
class TrainedModel:
    agent: Agent
    seconds: float

    def parse(self, texts: Sequence[str]) -> list[Parsed]:
        async def _all() -> list[dict]:
            return [await self.agent.parse_message(text) for text in texts]

        results = asyncio.run(_all())
        return [_parsed(r) for r in results]


def _parsed(result: dict) -> Parsed:
    ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    best = ranking[0] if ranking else (result.get("intent") or {})
    return Parsed(
        intent=best.get("name") or "",
        confidence=float(best.get("confidence") or 0.0),
        entities=result.get("entities") or [],
        fallback=(result.get("intent") or {}).get("name") == FALLBACK_INTENT,
    )


def train(examples: Sequence[Message], workdir: Path, config: Path = ROOT / "config.yml") -> TrainedModel:
    """Trains the NLU part of ``config`` on ``examples``; the model lives in ``workdir``."""
    data_file = workdir / "train.yml"
    data_file.write_text(TrainingData(training_examples=list(examples)).nlu_as_yaml(), encoding="utf-8")
    started = time.monotonic()
    model = train_nlu(config=str(config), nlu_data=str(data_file), output=str(workdir / "models"))
    seconds = time.monotonic() - started
    if not model:
        raise RuntimeError("NLU training produced no model")
    return TrainedModel(Agent.load(model), seconds)


def quiet() -> None:
    for name in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)


def temporary_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="tthc-nlu-eval-")
