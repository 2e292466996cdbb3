"""The two endpoints of Rasa's HTTP API the retrain uses, in Rasa 3.6's wire format:
``GET /status`` → ``{"model_file", "model_id", "num_active_training_jobs"}`` (the file name only)
and ``PUT /model`` ``{"model_file": path}`` → 204, or 500 ``LoadingError`` if the file is missing.
The real server is exercised by tests/e2e/test_retrain.py; this one lets the job tests run in a
second."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class FakeRasa:
    def __init__(self, model: Path) -> None:
        self.model = model
        self.loads: list[str] = []
        self.refuse_loads = False
        self.app = Starlette(routes=[Route("/status", self.status), Route("/model", self.load, methods=["PUT"])])

    async def status(self, request: Request) -> JSONResponse:
        return JSONResponse({"model_file": self.model.name, "model_id": "fake", "num_active_training_jobs": 0})

    async def load(self, request: Request) -> Response:
        body = await request.json()
        path = Path(body.get("model_file") or "")
        self.loads.append(str(path))
        if self.refuse_loads or not path.is_file():
            return JSONResponse(
                {
                    "version": "3.6.21",
                    "status": "failure",
                    "message": "An unexpected error occurred.",
                    "reason": "LoadingError",
                    "code": 500,
                },
                status_code=500,
            )
        self.model = path
        return Response(status_code=204)
