"""Vietnamese word-segmenting tokenizer for Rasa 3.6 (see bot/segmentation.py for the method)."""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.segmentation import learn_lexicon, segment

_LEXICON_FILE = "folded_lexicon.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class VietnameseTokenizer(Tokenizer):
    """Tokens keep the citizen's exact text and offsets; ``lemma`` is the normalised, folded
    word ("đk" → "dang_ky", "Hoà" → "hoa"), which the featurizers use (``use_lemma``), so that
    text with and without diacritics gets the same features."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Segment diacritic text with underthesea; off gives syllable tokens (for comparison).
            "use_underthesea": True,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._lexicon = lexicon
        self._use_underthesea = bool(config.get("use_underthesea", True))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.training_examples if m.get(TEXT)]
        self._lexicon = learn_lexicon(texts) if self._use_underthesea else frozenset()
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _LEXICON_FILE).write_text(json.dumps(sorted(self._lexicon), ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VietnameseTokenizer:
        lexicon: frozenset[str] = frozenset()
        try:
            with model_storage.read_from(resource) as directory:
                lexicon = frozenset(json.loads((directory / _LEXICON_FILE).read_text()))
        except (ValueError, FileNotFoundError):
            pass  # a model trained without the lexicon still tokenizes, word by word
        return cls(config, model_storage, resource, lexicon)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        words = segment(text, self._lexicon, self._use_underthesea)
        if not words:
            # Rasa expects at least one token; an emoji-only message becomes one opaque token.
            return [Token(text, 0, len(text), lemma=text.lower())] if text else []
        tokens = [Token(w.text, w.start, w.end, data={"norm": w.norm}, lemma=w.folded) for w in words]
        return self._apply_token_pattern(tokens)
