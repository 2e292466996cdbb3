"""Intent classifier for Vietnamese, fast to train on a CPU.

Features: TF-IDF (sublinear) word uni/bigrams and within-word character 2–5-grams over the
tokenizer's folded lemmas, after replacing recognised mentions (procedures, units, dossier
codes, phones) by their type. Masking lets the classifier learn "a dossier code alone" (inform)
from "look up dossier <code>" (check_dossier_status) and keeps the hundreds of procedure and
place names from drowning the words that carry the intent. Model: a linear SVM; confidences are
a softmax over its decision scores, so the ranking is the SVM's own.

Measured against Rasa's CountVectors + LogisticRegressionClassifier on this project's data:
see docs/nlu.md.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from bot.gazetteer import Gazetteer, find_mentions, load_gazetteer

_MODEL_FILE = "intent_classifier.pkl"


def masked_lemmas(text: str, tokens: list[Token], gazetteer: Gazetteer) -> str:
    """The tokenizer's folded lemmas, with each recognised mention replaced by its type."""
    mentions = find_mentions(text, gazetteer)
    words: list[str] = []
    emitted: set[int] = set()
    for token in tokens:
        inside = next((i for i, m in enumerate(mentions) if token.start < m.end and m.start < token.end), None)
        if inside is None:
            words.append(token.lemma)
        elif inside not in emitted:
            emitted.add(inside)
            words.append(f"ent{mentions[inside].entity.replace('_', '')}")
    return " ".join(words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class VietnameseIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            # Character n-grams across word boundaries ("lau_khong" vs "khong"); [] to disable.
            "phrase_char_ngrams": [3, 6],
            "C": 3.0,
            # Softmax temperature on SVM scores: higher makes confidences sharper.
            "confidence_scale": 3.0,
            "ranking_length": 10,
            "mask_entities": True,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: tuple[FeatureUnion, LinearSVC] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._gazetteer = load_gazetteer() if config.get("mask_entities", True) else Gazetteer()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseIntentClassifier:
        return cls(config, model_storage, resource)

    def _features_text(self, message: Message) -> str:
        return masked_lemmas(message.get(TEXT), message.get(TOKENS_NAMES[TEXT]) or [], self._gazetteer)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            return self._resource
        texts = [self._features_text(m) for m in examples]
        labels = [m.get(INTENT) for m in examples]
        vectorizers = [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=tuple(self._config["word_ngrams"]), token_pattern=r"\S+", sublinear_tf=True
                ),
            ),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self._config["char_ngrams"]), sublinear_tf=True),
            ),
        ]
        if self._config.get("phrase_char_ngrams"):
            phrase_range = tuple(self._config["phrase_char_ngrams"])
            vectorizers.append(
                ("phrases", TfidfVectorizer(analyzer="char", ngram_range=phrase_range, sublinear_tf=True))
            )
        features = FeatureUnion(vectorizers)
        classifier = LinearSVC(C=self._config["C"], class_weight="balanced")
        classifier.fit(features.fit_transform(texts), labels)
        self._model = (features, classifier)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VietnameseIntentClassifier:
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / _MODEL_FILE).read_bytes())  # our own artefact
        except (ValueError, FileNotFoundError):
            pass
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or self._model is None:
                continue
            features, classifier = self._model
            scores = classifier.decision_function(features.transform([self._features_text(message)]))[0]
            scaled = np.exp(self._config["confidence_scale"] * (scores - scores.max()))
            probabilities = scaled / scaled.sum()
            order = np.argsort(-probabilities)
            ranking = [
                {"name": str(classifier.classes_[i]), "confidence": float(probabilities[i])}
                for i in order[: self._config["ranking_length"]]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
