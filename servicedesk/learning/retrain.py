"""Retrain from the console: train a candidate, score it against the running model, activate it
only if it is not worse.

Stages (progress 0–100): chuẩn bị dữ liệu (ask the Rasa server which model it runs, copy the
learned file) → huấn luyện (``rasa train``; progress from its "Finished training component" lines)
→ đánh giá (``evaluation.compare`` scores both models on tests/nlu/heldout.yml) → so sánh
(candidate macro-F1 >= current macro-F1, tolerance 0) → kích hoạt (``PUT /model`` on the Rasa
server, then ``GET /status`` must name the candidate).

The Rasa server is reached through ``RetrainConfig.model_server``, a ``ModelServer``: this layer
never calls Rasa's HTTP API itself; the API process gives it its Rasa gateway
(api/rasa/model_server.py).

One job at a time per database, whichever API worker is asked: the worker that starts a job holds
the database's retrain lock (``RetrainLock``: a PostgreSQL advisory lock on a connection of its
own, or an flock beside a SQLite file) until the job ends. The operating system or the database
drops the lock when the process dies, so the lock also tells the living from the dead: a job left
queued/running while nobody holds the lock belongs to a process that is gone (API restarted) and is
marked failed by ``recover_stale``; a job another worker is running is never touched. A job runs in
a thread of its API process, so it survives the page being closed. Commands and paths come from ``RetrainConfig`` (built by
api/learning/runtime.py from core.paths and training.py), so tests run the same code with a fake trainer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from core.audit.actor import Actor
from core.audit.service import record as audit
from core.db import session_scope, utcnow
from core.errors import ConflictError
from servicedesk.learning import training_file
from servicedesk.learning.models import ACTIVE_JOB_STATUSES, RetrainJob, TrainedModel

log = logging.getLogger(__name__)

STAGE_LABELS = {
    "queued": "Đang chờ",
    "prepare": "Chuẩn bị dữ liệu",
    "train": "Huấn luyện",
    "evaluate": "Đánh giá",
    "compare": "So sánh",
    "activate": "Kích hoạt",
    "done": "Hoàn tất",
}
STATUS_LABELS = {
    "queued": "Đang chờ",
    "running": "Đang chạy",
    "succeeded": "Đã kích hoạt",
    "rejected": "Không kích hoạt (kém hơn)",
    "failed": "Thất bại",
}
_RANGES = {"prepare": (0, 10), "train": (10, 70), "evaluate": (70, 90), "compare": (90, 95), "activate": (95, 100)}
LOG_TAIL_LINES = 40
# Identifies this API process in the jobs it runs.
RUNNER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

_FINISHED_COMPONENT = re.compile(r"Finished training component '([^']+)'")
_STARTED_COMPONENT = re.compile(r"Starting to train component '([^']+)'")
_PROGRESS = re.compile(r"^PROGRESS (\d+)/(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Rasa's own log lines (timestamp + level) and our progress lines; Python warnings and their
# source lines are noise for an editor (and may quote training examples).
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(INFO|WARNING|ERROR|CRITICAL)\s")
_START_LOCK = threading.Lock()
# The PostgreSQL advisory lock key of the retrain (one per database; a fixed 63-bit number).
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"tthc:learning:retrain").digest()[:8], "big") >> 1


class RetrainConflict(ConflictError):
    """A retrain is already queued or running."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"Đang có một lượt huấn luyện lại (#{job_id}); chờ lượt đó xong rồi thử lại.")
        self.job_id = job_id


class RetrainFailure(Exception):
    """A stage failed; the message (Vietnamese) is shown to the editor."""


class ModelServerUnavailable(Exception):
    """The server that runs the model did not answer, refused, or answered something unreadable.

    ``reason`` names the failure for the job's log (``ConnectError``, ``HTTP 500``, ...), never more;
    ``status_code`` is the server's HTTP status when it answered with a refusal."""

    def __init__(self, reason: str, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class ModelServer(Protocol):
    """What the retrain needs of the server that runs the model (Rasa). Both calls block (the job
    runs in a thread of its own) and raise ModelServerUnavailable."""

    @property
    def address(self) -> str:
        """Where the server is, for the editor's messages (no credentials in it)."""
        ...

    def running_model(self) -> str:
        """The file name of the model the server runs (Rasa reports the name, not the path)."""
        ...

    def load_model(self, model_file: Path, timeout: float) -> None:
        """Makes the server load ``model_file`` and run it."""
        ...


@dataclass(frozen=True)
class RetrainConfig:
    data_dir: Path  # candidates, job work folders and the active-model pointer live here
    learned_path: Path
    model_server: ModelServer  # the Rasa server whose model is replaced
    cwd: Path
    env: dict[str, str]
    # (data files, output folder, model name) -> argv of `rasa train`
    train_command: Callable[[list[Path], Path, str], list[str]]
    # (models, JSON output file) -> argv of `python -m evaluation.compare`
    compare_command: Callable[[list[Path], Path], list[str]]
    # copy of the learned file -> the data files to train on
    data_paths: Callable[[Path], list[Path]]
    # hash of the model inputs other than learned examples (recorded in the active-model pointer)
    base_hash: Callable[[], str]
    write_pointer: Callable[[Path, str], None]
    model_dirs: tuple[Path, ...] = ()  # where the running model's file may be found by name
    components_estimate: int = 6  # until a finished job tells how many components train
    train_timeout: float = 1800.0
    evaluate_timeout: float = 900.0
    activate_timeout: float = 300.0

    @property
    def candidates_dir(self) -> Path:
        return self.data_dir / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _scaled(stage: str, fraction: float) -> int:
    low, high = _RANGES[stage]
    return int(low + (high - low) * max(0.0, min(1.0, fraction)))


class _Tail:
    """The last lines worth showing, plus the raw tail kept for failures."""

    def __init__(self) -> None:
        self.kept: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.raw: deque[str] = deque(maxlen=LOG_TAIL_LINES)

    def add(self, line: str) -> None:
        line = _ANSI.sub("", line).rstrip()
        if not line.strip():
            return
        self.raw.append(line[:500])
        if _LOG_LINE.match(line) or line.startswith("PROGRESS") or "Your Rasa model is trained" in line:
            self.kept.append(line[:500])

    def note(self, line: str) -> None:
        self.kept.append(line)
        self.raw.append(line)

    def text(self, failed: bool = False) -> str:
        return "\n".join(self.raw if failed else self.kept)


class HeldLock(Protocol):
    def release(self) -> None: ...


class _AdvisoryHeld:
    """A PostgreSQL session-level advisory lock, held by a connection kept out of the pool."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def release(self) -> None:
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self._connection.commit()
        except Exception:  # noqa: BLE001 - closing the session below releases the lock anyway
            self._connection.invalidate()
        finally:
            self._connection.close()


class _FileHeld:
    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def release(self) -> None:
        try:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        finally:
            self._handle.close()


class RetrainLock:
    """The database's one retrain lock, across threads, API workers and hosts.

    PostgreSQL: ``pg_try_advisory_lock`` on a connection that stays checked out for the whole job;
    the server releases it when that session ends (the process died, the connection broke).
    SQLite (one host): an flock on a file in ``data_dir/locks``, released by the kernel when the
    process dies; each ``try_hold`` opens the file anew, so two threads of one process exclude
    each other too."""

    def __init__(self, factory: sessionmaker[Session], data_dir: Path) -> None:
        self._factory = factory
        self._data_dir = data_dir

    def _engine(self) -> Engine:
        bind = self._factory.kw.get("bind")
        if isinstance(bind, Engine):
            return bind
        if isinstance(bind, Connection):
            return bind.engine
        with self._factory() as session:
            found = session.get_bind()
            return found if isinstance(found, Engine) else found.engine

    def try_hold(self) -> HeldLock | None:
        """The lock if nobody holds it, else None (never waits)."""
        engine = self._engine()
        if engine.dialect.name == "postgresql":
            connection = engine.connect()
            try:
                got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
                connection.commit()  # the lock is the session's: no transaction stays open for hours
            except BaseException:
                connection.close()
                raise
            if not got:
                connection.close()
                return None
            return _AdvisoryHeld(connection)
        locks = self._data_dir / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        database = hashlib.sha1(str(engine.url).encode()).hexdigest()[:12]
        handle = (locks / f"retrain-{database}.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        except BaseException:
            handle.close()
            raise
        return _FileHeld(handle)


class RetrainService:
    def __init__(self, config: RetrainConfig, factory: sessionmaker[Session]) -> None:
        self.config = config
        self.factory = factory
        self.lock = RetrainLock(factory, config.data_dir)
        self._processes: dict[int, subprocess.Popen[str]] = {}
        self._threads: dict[int, threading.Thread] = {}

    # --- queries ----------------------------------------------------------------------------
    def jobs(self, limit: int = 20) -> list[RetrainJob]:
        with session_scope(self.factory) as session:
            return list(session.scalars(select(RetrainJob).order_by(RetrainJob.id.desc()).limit(limit)))

    def job(self, job_id: int) -> RetrainJob | None:
        with session_scope(self.factory) as session:
            return session.get(RetrainJob, job_id)

    def models(self, limit: int = 20) -> list[TrainedModel]:
        with session_scope(self.factory) as session:
            return list(session.scalars(select(TrainedModel).order_by(TrainedModel.id.desc()).limit(limit)))

    # --- lifecycle --------------------------------------------------------------------------
    def recover_stale(self) -> int:
        """Fail the jobs another (gone) API process left queued or running. Nothing is touched
        while the retrain lock is held: the job of a live worker is not stale."""
        held = self.lock.try_hold()
        if held is None:
            return 0
        try:
            return self._fail_abandoned()
        finally:
            held.release()

    def _fail_abandoned(self) -> int:
        """With the retrain lock held: an active job of another process has nobody running it."""
        with session_scope(self.factory) as session:
            stale = session.scalars(
                select(RetrainJob).where(
                    RetrainJob.status.in_(ACTIVE_JOB_STATUSES),
                    (RetrainJob.runner_id.is_(None)) | (RetrainJob.runner_id != RUNNER_ID),
                )
            ).all()
            for job in stale:
                job.status = "failed"
                job.message = (
                    "Máy chủ API đã khởi động lại trong khi lượt huấn luyện đang chạy nên lượt này bị dừng; "
                    "mô hình đang chạy không thay đổi. Hãy bấm huấn luyện lại."
                )
                job.finished_at = utcnow()
            return len(stale)

    def start(self, actor: Actor, *, background: bool = True) -> int:
        """Queue a retrain and run it (in a thread unless ``background`` is False). The retrain
        lock is taken here and released when the job ends: RetrainConflict if another thread or
        worker holds it."""
        with _START_LOCK:
            held = self.lock.try_hold()
            if held is None:
                raise RetrainConflict(self._active_job_id() or 0)
            try:
                self._fail_abandoned()
                job_id = self._queue(actor)
            except BaseException:
                held.release()
                raise
        if background:
            thread = threading.Thread(
                target=self._run_holding, args=(job_id, held), name=f"retrain-{job_id}", daemon=True
            )
            self._threads[job_id] = thread
            thread.start()
        else:
            self._run_holding(job_id, held)
        return job_id

    def _active_job_id(self) -> int | None:
        with session_scope(self.factory) as session:
            return session.scalars(
                select(RetrainJob.id).where(RetrainJob.status.in_(ACTIVE_JOB_STATUSES)).order_by(RetrainJob.id)
            ).first()

    def _queue(self, actor: Actor) -> int:
        with session_scope(self.factory) as session:
            running = session.scalars(select(RetrainJob.id).where(RetrainJob.status.in_(ACTIVE_JOB_STATUSES))).first()
            if running is not None:  # this process's own job (it holds no lock any more): a bug, refuse
                raise RetrainConflict(running)
            job = RetrainJob(
                status="queued", stage="queued", progress=0, started_by=actor.username, runner_id=RUNNER_ID, log_tail=""
            )
            session.add(job)
            session.flush()
            audit(
                session,
                actor=actor,
                action="learning.retrain.start",
                entity_type="retrain_job",
                entity_id=str(job.id),
                before=None,
                after={"status": "queued"},
            )
            return job.id

    def _run_holding(self, job_id: int, held: HeldLock) -> None:
        try:
            self.run(job_id)
        finally:
            held.release()

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    def shutdown(self) -> None:
        """Stop running subprocesses (the API is stopping); their jobs are failed at next start."""
        for process in list(self._processes.values()):
            if process.poll() is None:
                process.terminate()

    # --- the job ----------------------------------------------------------------------------
    def run(self, job_id: int) -> None:
        tail = _Tail()
        try:
            self._run(job_id, tail)
        except RetrainFailure as failure:
            tail.note(f"THẤT BẠI: {failure}")
            self._finish(job_id, "failed", str(failure), tail.text(failed=True))
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a job must always end with a status
            log.exception("retrain job %s crashed", job_id)
            tail.note(f"Lỗi: {type(error).__name__}: {error}")
            self._finish(
                job_id,
                "failed",
                f"Lỗi không mong đợi ({type(error).__name__}); xem nhật ký bên dưới.",
                tail.text(failed=True),
            )
        finally:
            self._processes.pop(job_id, None)
            self._threads.pop(job_id, None)

    def _run(self, job_id: int, tail: _Tail) -> None:
        cfg = self.config
        self._update(job_id, status="running", stage="prepare", progress=0, started_at=utcnow(), runner_id=RUNNER_ID)
        workdir = cfg.data_dir / "retrain" / f"job-{job_id}"
        workdir.mkdir(parents=True, exist_ok=True)
        current = self._current_model()
        tail.note(f"Mô hình đang chạy: {current.name}")
        learned_copy = workdir / "learned.yml"
        examples = training_file.snapshot(cfg.learned_path, learned_copy)
        base = cfg.base_hash()
        tail.note(f"Ví dụ đã học: {examples}")
        self._update(
            job_id,
            progress=_scaled("prepare", 1.0),
            learned_examples=examples,
            base_hash=base,
            current_path=str(current),
            log_tail=tail.text(),
        )

        candidate = self._train(job_id, workdir, cfg.data_paths(learned_copy), tail)
        candidate_scores, current_scores = self._evaluate(job_id, workdir, candidate, current, tail)

        self._update(
            job_id,
            stage="compare",
            progress=_scaled("compare", 0.0),
            candidate_scores=candidate_scores,
            current_scores=current_scores,
        )
        self._register(current, current_scores, job_id=None)
        self._register(candidate, candidate_scores, job_id=job_id)
        new, old = candidate_scores["macro_f1"], current_scores["macro_f1"]
        if new < old:
            cfg.write_pointer(current, base)
            message = (
                f"Mô hình mới kém hơn trên bộ kiểm thử (macro-F1 {new:.4f} < {old:.4f}); giữ nguyên mô hình đang chạy."
            )
            tail.note(message)
            self._finish(job_id, "rejected", message, tail.text())
            return

        self._update(job_id, stage="activate", progress=_scaled("activate", 0.0), log_tail=tail.text())
        self._activate(candidate)
        with session_scope(self.factory) as session:
            job = session.get(RetrainJob, job_id)
            assert job is not None
            session.execute(update(TrainedModel).where(TrainedModel.active.is_(True)).values(active=False))
            row = session.scalars(select(TrainedModel).where(TrainedModel.path == str(candidate))).one()
            row.active = True
            row.activated_at = utcnow()
            audit(
                session,
                actor=Actor(job.started_by),  # the editor who started it (the role is not kept)
                action="learning.model.activate",
                entity_type="model",
                entity_id=candidate.name,
                before={"model": current.name, "macro_f1": old, "accuracy": current_scores.get("accuracy")},
                after={"model": candidate.name, "macro_f1": new, "accuracy": candidate_scores.get("accuracy")},
            )
        cfg.write_pointer(candidate, base)
        message = f"Đã kích hoạt mô hình mới (macro-F1 {new:.4f} ≥ {old:.4f} của mô hình cũ)."
        tail.note(message)
        self._finish(job_id, "succeeded", message, tail.text(), activated=True)

    # --- stages -----------------------------------------------------------------------------
    def _current_model(self) -> Path:
        """The file of the model the Rasa server runs now (it reports only the file name)."""
        server = self.config.model_server
        try:
            name = server.running_model()
        except ModelServerUnavailable as error:
            raise RetrainFailure(
                f"Không hỏi được máy chủ Rasa ({server.address}) đang chạy mô hình nào ({error.reason}); chưa huấn luyện."
            ) from error
        with session_scope(self.factory) as session:
            known = session.scalars(
                select(TrainedModel).order_by(TrainedModel.active.desc(), TrainedModel.id.desc())
            ).all()
        for row in known:
            if Path(row.path).name == name and Path(row.path).is_file():
                return Path(row.path)
        for folder in (self.config.candidates_dir, *self.config.model_dirs):
            if (folder / name).is_file():
                return folder / name
        raise RetrainFailure(
            f"Không tìm thấy tệp của mô hình đang chạy ({name}) nên không thể so sánh; chưa huấn luyện."
        )

    def _train(self, job_id: int, workdir: Path, data: list[Path], tail: _Tail) -> Path:
        cfg = self.config
        self._update(job_id, stage="train", progress=_scaled("train", 0.0))
        total = self._components_estimate()
        out = workdir / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        name = f"candidate-{job_id}-{utcnow():%Y%m%d%H%M%S}"
        state = {"done": 0}

        def on_line(line: str) -> None:
            tail.add(line)
            if _FINISHED_COMPONENT.search(line):
                state["done"] += 1
                shown = max(total, state["done"])
                self._update(
                    job_id,
                    components_done=state["done"],
                    components_total=shown,
                    progress=_scaled("train", state["done"] / shown),
                    log_tail=tail.text(),
                )
            elif _STARTED_COMPONENT.search(line) or "Started validating" in line:
                self._update(job_id, log_tail=tail.text())

        self._update(job_id, components_total=total)
        code = self._stream(job_id, cfg.train_command(data, out, name), cfg.train_timeout, on_line)
        if code != 0:
            raise RetrainFailure(f"rasa train dừng với mã {code}; mô hình đang chạy không thay đổi.")
        produced = sorted(out.glob("*.tar.gz"))
        if not produced:
            raise RetrainFailure("rasa train không tạo ra tệp mô hình; mô hình đang chạy không thay đổi.")
        cfg.candidates_dir.mkdir(parents=True, exist_ok=True)
        candidate = cfg.candidates_dir / f"{name}.tar.gz"
        shutil.move(produced[0], candidate)
        shutil.rmtree(out, ignore_errors=True)
        self._update(
            job_id,
            candidate_path=str(candidate),
            components_done=state["done"],
            components_total=state["done"] or total,
            progress=_scaled("train", 1.0),
            log_tail=tail.text(),
        )
        return candidate

    def _evaluate(
        self, job_id: int, workdir: Path, candidate: Path, current: Path, tail: _Tail
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._update(job_id, stage="evaluate", progress=_scaled("evaluate", 0.0))
        out = workdir / "scores.json"
        out.unlink(missing_ok=True)

        def on_line(line: str) -> None:
            tail.add(line)
            match = _PROGRESS.match(line.strip())
            if match:
                done, total = int(match[1]), int(match[2]) or 1
                self._update(job_id, progress=_scaled("evaluate", done / total), log_tail=tail.text())

        code = self._stream(
            job_id, self.config.compare_command([candidate, current], out), self.config.evaluate_timeout, on_line
        )
        if code != 0 or not out.exists():
            raise RetrainFailure(f"Đánh giá trên bộ kiểm thử thất bại (mã {code}); mô hình đang chạy không thay đổi.")
        try:
            results = json.loads(out.read_text(encoding="utf-8"))
            candidate_scores, current_scores = results[0], results[1]
            float(candidate_scores["macro_f1"]), float(current_scores["macro_f1"])
        except (ValueError, IndexError, KeyError, TypeError) as error:
            raise RetrainFailure("Kết quả đánh giá không đọc được; mô hình đang chạy không thay đổi.") from error
        return candidate_scores, current_scores

    def _activate(self, candidate: Path) -> None:
        server = self.config.model_server
        try:
            server.load_model(candidate, self.config.activate_timeout)
        except ModelServerUnavailable as error:
            if error.status_code is not None:
                raise RetrainFailure(
                    f"Máy chủ Rasa từ chối tải mô hình mới (HTTP {error.status_code}); mô hình cũ vẫn chạy."
                ) from error
            raise RetrainFailure(
                f"Không gửi được mô hình mới tới máy chủ Rasa ({error.reason}); mô hình cũ vẫn chạy."
            ) from error
        try:
            running = server.running_model()
        except ModelServerUnavailable as error:
            raise RetrainFailure("Không kiểm tra được mô hình sau khi tải; xem trạng thái máy chủ Rasa.") from error
        if running != candidate.name:
            raise RetrainFailure(f"Máy chủ Rasa vẫn chạy {running} sau khi tải mô hình mới.")

    # --- helpers ----------------------------------------------------------------------------
    def _stream(self, job_id: int, argv: list[str], timeout: float, on_line: Callable[[str], None]) -> int:
        """Run ``argv`` and feed its output lines to ``on_line``; killed after ``timeout`` s."""
        process = subprocess.Popen(
            argv,
            cwd=self.config.cwd,
            env=self.config.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        self._processes[job_id] = process
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, _kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line)
            code = process.wait()
        finally:
            timer.cancel()
            self._processes.pop(job_id, None)
        if timed_out.is_set():
            raise RetrainFailure(
                f"Quá thời gian cho phép ({timeout:.0f} s) nên đã dừng; mô hình đang chạy không thay đổi."
            )
        return code

    def _components_estimate(self) -> int:
        with session_scope(self.factory) as session:
            last = session.scalars(
                select(RetrainJob.components_total)
                .where(RetrainJob.candidate_path.is_not(None), RetrainJob.components_total.is_not(None))
                .order_by(RetrainJob.id.desc())
            ).first()
        return int(last) if last else self.config.components_estimate

    def _register(self, path: Path, scores: dict[str, Any], *, job_id: int | None) -> None:
        with session_scope(self.factory) as session:
            row = session.scalars(select(TrainedModel).where(TrainedModel.path == str(path))).first()
            if row is None:
                row = TrainedModel(path=str(path), sha256=_sha256(path), job_id=job_id)
                # The model the server ran before any console retrain counts as the active one.
                row.active = (
                    job_id is None
                    and session.scalars(select(TrainedModel.id).where(TrainedModel.active.is_(True))).first() is None
                )
                session.add(row)
            row.accuracy = float(scores.get("accuracy") or 0.0)
            row.macro_f1 = float(scores["macro_f1"])
            row.scores = scores

    def _update(self, job_id: int, **values: Any) -> None:
        with session_scope(self.factory) as session:
            session.execute(update(RetrainJob).where(RetrainJob.id == job_id).values(**values))

    def _finish(self, job_id: int, status: str, message: str, log_tail: str, *, activated: bool = False) -> None:
        values: dict[str, Any] = {
            "status": status,
            "message": message,
            "log_tail": log_tail,
            "finished_at": utcnow(),
            "activated": activated,
        }
        if status in ("succeeded", "rejected"):
            values.update(stage="done", progress=100)
        self._update(job_id, **values)
