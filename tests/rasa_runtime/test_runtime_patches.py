"""The compiled action-reply validator decides exactly as Rasa's own jsonschema.validate."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

import bot.components  # noqa: F401 - installs the patch

VALID = {
    "events": [{"event": "slot", "name": "procedure_code", "value": "1.001193"}],
    "responses": [{"text": "Xin chào"}],
}
INVALID = [{"events": "not a list"}, {"events": [{"name": "x"}]}, {"responses": [{"text": 3}], "events": []}]


def test_valid_reply_passes() -> None:
    action = RemoteAction("action_procedure_answer", None)
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("reply", INVALID)
def test_invalid_replies_fail_like_rasa(reply: dict) -> None:
    action = RemoteAction("action_procedure_answer", None)
    try:
        validate(reply, RemoteAction.action_response_format_spec())
        expected = None
    except ValidationError as error:
        expected = error
    if expected is None:
        assert action._validate_action_result(reply) is True
        return
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result(reply)
    assert raised.value.path == expected.path and raised.value.validator == expected.validator
    assert "Failed to validate Action server response" in raised.value.message
