"""The retrain service of this API process, wired to the real Rasa environment (core.paths)."""

from __future__ import annotations

from pathlib import Path

from api.rasa.model_server import RasaModelServer
from core.db import get_sessionmaker
from core.paths import ROOT, RasaEnvironmentMissing, cache_dir, rasa_env, rasa_venv
from core.settings import get_settings
from servicedesk.learning import training
from servicedesk.learning.retrain import RetrainConfig, RetrainService


def _compare_command(models: list[Path], out: Path) -> list[str]:
    return [
        str(rasa_venv() / "bin" / "python"),
        "-m",
        "evaluation.compare",
        *[str(m) for m in models],
        "--out",
        str(out),
    ]


def build_config(
    *,
    data_dir: Path | None = None,
    learned: Path | None = None,
    rasa_url: str | None = None,
    rasa_token: str | None = None,
    extra_model_dirs: tuple[Path, ...] = (),
) -> RetrainConfig:
    """The real retrain (``rasa train``, ``evaluation.compare``, the active-model pointer) for this
    process's settings; the end-to-end test points it elsewhere with the arguments."""
    settings = get_settings()
    learned = learned or settings.learned_nlu_file
    data_dir = (data_dir or settings.data_dir).resolve()
    return RetrainConfig(
        data_dir=data_dir,
        learned_path=learned,
        # Rasa through its gateway (api/rasa): /status and PUT /model, with the API token.
        model_server=RasaModelServer(rasa_url or settings.rasa_url_list, rasa_token or settings.rasa_token),
        cwd=ROOT,
        env=rasa_env(),
        train_command=training.train_command,
        compare_command=_compare_command,
        data_paths=lambda copy: training.training_data_paths(learned, copy),
        base_hash=lambda: training.base_hash(learned),
        write_pointer=lambda model, base: training.write_active_model(data_dir, model, base),
        model_dirs=(cache_dir() / "models", *extra_model_dirs),
    )


def build_retrain_service() -> RetrainService:
    """The process's one retrain service (built by the lifespan, held by ``api.deps.AppContext``)."""
    return RetrainService(build_config(), get_sessionmaker())


def rasa_available() -> bool:
    """Whether this process can start `rasa train` (TTHC_RASA_VENV set, as `make` does)."""
    try:
        return (rasa_venv() / "bin" / "rasa").exists()
    except RasaEnvironmentMissing:
        return False


def on_startup(service: RetrainService) -> None:
    """Fail the retrain jobs a previous API process left running (call from the app lifespan)."""
    service.recover_stale()


def on_shutdown(service: RetrainService) -> None:
    """Stop a running `rasa train` / evaluation with the API (its job is failed at next start)."""
    service.shutdown()
