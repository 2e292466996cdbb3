"""A measured performance fix for the Rasa 3.6.21 runtime, installed when our components load.

Rasa checks every action-server reply with ``jsonschema.validate(result, schema)``, which builds
a new validator (and re-checks the schema) on every call: about 10 ms per custom action on this
machine, the largest single cost of a turn that needs the knowledge store. The same schema,
compiled once, gives the same verdict and the same best-matching error in about 0.3 ms
(measured by benchmarks/turns.py --breakdown; see docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _INSTALLED = True
