"""Custom Rasa graph components. Only the Rasa runtime imports this package."""

from bot.model_swap import install as _keep_conversations_on_model_swap
from bot.runtime_patches import install as _install_runtime_patches

_install_runtime_patches()
_keep_conversations_on_model_swap()
