"""The command-line half of training: ``python -m cli train`` and the model ``python -m cli run``
starts. The library half (input hash, `rasa train`, model cache, active model) is
servicedesk/learning/training.py; here its errors become an exit code and a readable message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from core.paths import RasaEnvironmentMissing, data_dir
from core.settings import get_settings
from servicedesk.learning import training

console = Console()


@contextmanager
def exit_on_rasa_error() -> Iterator[None]:
    """A failed `rasa train` or a missing Rasa environment ends the command with status 1 and the
    reason, not a traceback."""
    try:
        yield
    except (training.TrainingFailed, RasaEnvironmentMissing) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(code=1) from error


def model_for_run() -> Path:
    """A model activated from the console's retrain wins while the other training inputs are
    unchanged; otherwise the model for the current inputs, trained first if it is not cached."""
    with exit_on_rasa_error():
        return training.active_model(
            data_dir(), get_settings().learned_nlu_file, log=console.print
        ) or training.ensure_model(log=console.print)


def train_command(force: bool = typer.Option(False, help="Train even if a model for these inputs exists.")) -> None:
    """Train the Rasa model if the training data, domain, config or components changed."""
    with exit_on_rasa_error():
        path = training.ensure_model(force=force, log=console.print)
    console.print(str(path))
