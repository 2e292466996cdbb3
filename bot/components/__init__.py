"""Custom Rasa graph components. Only the Rasa runtime imports this package."""

from bot.runtime_patches import install as _install_runtime_patches

_install_runtime_patches()
