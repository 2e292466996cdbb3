"""Several Rasa replicas behind the gateway: rendezvous routing of senders, failover to a sender's
next replica when its own cannot be reached, and the calls that go to every replica."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from api.rasa import gateway as gateway_module
from api.rasa.gateway import RasaGateway, RasaStatus, RasaUnavailable, rendezvous_order
from core.settings import Settings

T = TypeVar("T")
REPLICAS = ["http://rasa-a.test:5005", "http://rasa-b.test:5006", "http://rasa-c.test:5007"]
SENDERS = [f"web-{i:05d}-sender" for i in range(10_000)]
Handler = Callable[[httpx.Request], httpx.Response]


def base(request: httpx.Request) -> str:
    return f"{request.url.scheme}://{request.url.host}:{request.url.port}"


class Replicas:
    """Fake replicas: each URL answers like Rasa unless listed in ``failing`` (url -> exception)."""

    def __init__(self, failing: dict[str, type[httpx.HTTPError]] | None = None) -> None:
        self.failing = failing or {}
        self.requests: list[httpx.Request] = []
        self.models = dict.fromkeys(REPLICAS, "m.tar.gz")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        error = self.failing.get(base(request))
        if error is not None:
            raise error("replica failure", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": self.models[base(request)], "model_id": "x"})
        if request.url.path == "/model":
            return httpx.Response(204)
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"sender_id": "s", "events": []})
        return httpx.Response(200, json=[{"recipient_id": "s", "text": base(request)}])

    @property
    def hosts(self) -> list[str]:
        return [base(r) for r in self.requests]


def run(replicas: Replicas, call: Callable[[RasaGateway], Coroutine[Any, Any, T]], urls: list[str] = REPLICAS) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(replicas)) as client:
            return await call(RasaGateway(client, urls=urls, token="t"))

    return asyncio.run(go())


def send(sender: str) -> Callable[[RasaGateway], Coroutine[Any, Any, Any]]:
    return lambda rasa: rasa.send(sender, "khai sinh", metadata={})


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 3])
def test_senders_spread_evenly_over_the_replicas(count: int) -> None:
    urls = REPLICAS[:count]
    owners = Counter(rendezvous_order(urls, sender)[0] for sender in SENDERS)
    share = len(SENDERS) / count
    assert set(owners) == set(urls)
    # 10,000 senders: a fair split is within a few percent of the even share.
    assert all(abs(n - share) < 0.05 * share for n in owners.values()), owners


def test_a_sender_always_goes_to_the_same_replica_whatever_the_list_order() -> None:
    for sender in SENDERS[:500]:
        first = rendezvous_order(REPLICAS, sender)[0]
        assert rendezvous_order(list(reversed(REPLICAS)), sender)[0] == first
        assert rendezvous_order(REPLICAS, sender)[0] == first


def test_removing_a_replica_moves_only_its_own_senders() -> None:
    before = {s: rendezvous_order(REPLICAS, s)[0] for s in SENDERS}
    removed = REPLICAS[1]
    after = {s: rendezvous_order([u for u in REPLICAS if u != removed], s)[0] for s in SENDERS}
    moved = {s for s in SENDERS if before[s] != after[s]}
    assert moved == {s for s in SENDERS if before[s] == removed}
    # ... and each of them goes to its second choice, the replica failover sends it to.
    assert all(after[s] == rendezvous_order(REPLICAS, s)[1] for s in moved)


def test_each_conversation_call_goes_to_the_senders_replica() -> None:
    replicas = Replicas()
    sender = SENDERS[7]
    own = rendezvous_order(REPLICAS, sender)[0]

    async def calls(rasa: RasaGateway) -> None:
        await rasa.send(sender, "xin chào", metadata={})
        await rasa.tracker(sender)
        await rasa.append_events(sender, [{"event": "pause"}])

    run(replicas, calls)
    assert replicas.hosts == [own, own, own]


def test_the_gateway_from_the_settings_uses_every_replica() -> None:
    settings = Settings(rasa_urls=",".join(REPLICAS) + ",", rasa_token="t")

    async def go() -> list[str]:
        async with httpx.AsyncClient() as client:
            return RasaGateway.from_settings(settings, client).urls

    assert asyncio.run(go()) == REPLICAS


# --- failover --------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError])
def test_an_unreachable_replica_sends_its_senders_to_their_next_replica(error: type[httpx.HTTPError]) -> None:
    sender = SENDERS[3]
    first, second, third = rendezvous_order(REPLICAS, sender)
    replicas = Replicas({first: error})
    answer = run(replicas, send(sender))
    assert answer[0]["text"] == second
    assert replicas.hosts == [first, second]
    # Marked down: the next call goes straight to the second replica, and so do other senders
    # of the dead replica; the senders of the live replicas do not move.
    replicas.requests.clear()
    run(replicas, send(sender))
    assert replicas.hosts == [second]
    other = next(s for s in SENDERS if rendezvous_order(REPLICAS, s)[0] == third)
    replicas.requests.clear()
    run(replicas, send(other))
    assert replicas.hosts == [third]


def test_a_replica_marked_down_is_tried_again_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    sender = SENDERS[11]
    first, second, _ = rendezvous_order(REPLICAS, sender)
    replicas = Replicas({first: httpx.ConnectError})
    run(replicas, send(sender))
    assert gateway_module.is_down(first)
    now = gateway_module.time.monotonic()
    monkeypatch.setattr(gateway_module.time, "monotonic", lambda: now + gateway_module.DOWN_SECONDS + 1)
    replicas.failing.clear()
    replicas.requests.clear()
    run(replicas, send(sender))
    assert replicas.hosts == [first]


def test_when_every_replica_is_down_the_call_fails_after_trying_each_once() -> None:
    replicas = Replicas(dict.fromkeys(REPLICAS, httpx.ConnectError))
    with pytest.raises(RasaUnavailable) as raised:
        run(replicas, send(SENDERS[0]))
    assert raised.value.reason == "ConnectError"
    assert replicas.hosts == rendezvous_order(REPLICAS, SENDERS[0])
    # All marked down: still tried (they may be back), in the sender's order.
    replicas.failing.clear()
    replicas.requests.clear()
    run(replicas, send(SENDERS[0]))
    assert replicas.hosts == rendezvous_order(REPLICAS, SENDERS[0])[:1]


def test_a_read_timeout_of_a_message_is_never_sent_again() -> None:
    # Rasa received the message and may have processed it (actions run, events written): sending
    # it to another replica could answer twice or book a handoff twice. The citizen gets the apology.
    sender = SENDERS[5]
    first = rendezvous_order(REPLICAS, sender)[0]
    replicas = Replicas({first: httpx.ReadTimeout})
    with pytest.raises(RasaUnavailable) as raised:
        run(replicas, send(sender))
    assert raised.value.reason == "ReadTimeout"
    assert replicas.hosts == [first]
    assert not gateway_module.is_down(first)


def test_an_error_status_is_no_reason_to_fail_over() -> None:
    sender = SENDERS[9]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"status": "failure"})

    requests: list[httpx.Request] = []

    async def go() -> None:
        def recording(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return answer(request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as client:
            await RasaGateway(client, urls=REPLICAS).send(sender, "x", metadata={})

    with pytest.raises(RasaUnavailable) as raised:
        asyncio.run(go())
    assert raised.value.status_code == 500 and len(requests) == 1


# --- every replica ---------------------------------------------------------------------------


def test_status_all_reports_each_replica() -> None:
    replicas = Replicas({REPLICAS[1]: httpx.ConnectError})
    answers = run(replicas, lambda rasa: rasa.status_all())
    assert list(answers) == REPLICAS
    assert answers[REPLICAS[0]] == RasaStatus("m.tar.gz", "x")
    assert isinstance(answers[REPLICAS[1]], RasaUnavailable)
    assert answers[REPLICAS[1]].reason == "ConnectError"  # type: ignore[union-attr]
    assert sorted(replicas.hosts) == sorted(REPLICAS)  # no failover: each asked once


def test_status_needs_every_replica_on_the_same_model() -> None:
    replicas = Replicas()
    assert run(replicas, lambda rasa: rasa.status()) == RasaStatus("m.tar.gz", "x")
    replicas.models[REPLICAS[2]] = "old.tar.gz"
    with pytest.raises(RasaUnavailable, match="different models"):
        run(replicas, lambda rasa: rasa.status())
    replicas.failing[REPLICAS[0]] = httpx.ConnectError
    with pytest.raises(RasaUnavailable, match="ConnectError"):
        run(replicas, lambda rasa: rasa.status())


def test_a_model_is_loaded_on_every_replica_one_after_the_other() -> None:
    replicas = Replicas()
    run(replicas, lambda rasa: rasa.load_model("/m/new.tar.gz", timeout=60))
    assert replicas.hosts == REPLICAS
    assert all(r.method == "PUT" and r.url.params["token"] == "t" for r in replicas.requests)


def test_a_failed_model_load_still_asks_the_other_replicas_and_fails() -> None:
    replicas = Replicas({REPLICAS[0]: httpx.ConnectError})
    with pytest.raises(RasaUnavailable, match="ConnectError"):
        run(replicas, lambda rasa: rasa.load_model("/m/new.tar.gz", timeout=60))
    assert replicas.hosts == REPLICAS


# --- metrics ---------------------------------------------------------------------------------


def test_each_call_is_reported_per_replica_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, bool]] = []

    def observe(replica: str, call: str, seconds: float, ok: bool) -> None:
        assert seconds >= 0
        seen.append((replica, call, ok))

    monkeypatch.setattr(gateway_module, "observe_rasa_call", observe)
    sender = SENDERS[1]
    first, second, _ = rendezvous_order(REPLICAS, sender)
    names = {url: f"rasa-{i}" for i, url in enumerate(REPLICAS, start=1)}
    run(Replicas({first: httpx.ConnectError}), send(sender))
    assert seen == [(names[first], "send", False), (names[second], "send", True)]
    assert not any("rasa-" not in replica or "://" in replica for replica, _, _ in seen)


def test_a_broken_metrics_observer_never_breaks_a_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(replica: str, call: str, seconds: float, ok: bool) -> None:
        raise RuntimeError("metrics down")

    monkeypatch.setattr(gateway_module, "observe_rasa_call", broken)
    assert run(Replicas(), send(SENDERS[2]))
