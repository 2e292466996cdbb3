"""Rasa as the retrain's model server (servicedesk.learning.retrain.ModelServer): the gateway's
/status and PUT /model, blocking, with their failures as ModelServerUnavailable (the service desk
never sees httpx nor the gateway's exception)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from api.rasa.model_server import RasaModelServer
from servicedesk.learning.retrain import ModelServer, ModelServerUnavailable

RASA = "http://rasa.test:5005"


class FakeRasa:
    """GET /status and PUT /model in Rasa 3.6's format (tests/learning/fake_rasa_server.py)."""

    def __init__(self, model: str = "tthc-0123.tar.gz") -> None:
        self.model = model
        self.requests: list[httpx.Request] = []
        self.refuse = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": self.model, "model_id": "x", "num_active_training_jobs": 0})
        if request.url.path == "/model" and request.method == "PUT":
            if self.refuse:
                return httpx.Response(500, json={"status": "failure", "reason": "LoadingError", "code": 500})
            self.model = Path(json.loads(request.content)["model_file"]).name
            return httpx.Response(204)
        return httpx.Response(404)


def server(fake: FakeRasa, token: str | None = "tok") -> RasaModelServer:
    return RasaModelServer(RASA, token, transport=httpx.MockTransport(fake))


def test_it_is_the_retrains_model_server() -> None:
    model_server: ModelServer = server(FakeRasa())  # checked by mypy too
    assert model_server.address == RASA


def test_the_running_model_then_a_new_one() -> None:
    fake = FakeRasa()
    rasa = server(fake)
    assert rasa.running_model() == "tthc-0123.tar.gz"
    rasa.load_model(Path("/var/models/candidate-7.tar.gz"), timeout=300.0)
    assert rasa.running_model() == "candidate-7.tar.gz"
    status, load, _ = fake.requests
    assert (status.method, str(status.url)) == ("GET", f"{RASA}/status?token=tok")
    assert status.extensions["timeout"]["read"] == 10.0
    assert (load.method, str(load.url)) == ("PUT", f"{RASA}/model?token=tok")
    assert json.loads(load.content) == {"model_file": "/var/models/candidate-7.tar.gz"}
    assert load.extensions["timeout"]["read"] == 300.0


def test_a_refused_model_names_the_status() -> None:
    fake = FakeRasa()
    fake.refuse = True
    with pytest.raises(ModelServerUnavailable) as raised:
        server(fake).load_model(Path("/missing.tar.gz"), timeout=5)
    assert (raised.value.reason, raised.value.status_code) == ("HTTP 500", 500)


def test_an_unreachable_server() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    rasa = RasaModelServer(RASA, None, transport=httpx.MockTransport(refused))
    for call in (rasa.running_model, lambda: rasa.load_model(Path("/m.tar.gz"), 5)):
        with pytest.raises(ModelServerUnavailable) as raised:
            call()
        assert (raised.value.reason, raised.value.status_code) == ("ConnectError", None)


def test_a_status_without_a_model_is_a_failure() -> None:
    rasa = RasaModelServer(RASA, transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"model_id": "x"})))
    with pytest.raises(ModelServerUnavailable, match="no model_file"):
        rasa.running_model()
