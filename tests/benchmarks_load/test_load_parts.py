"""The pure parts of the load benchmark (benchmarks/load*.py): the traffic mix, the percentile and
step logic, the Zalo reply matching. No stack and no timing: the benchmark itself is `make bench-load`."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest

from api.chat.service import apology
from benchmarks import load
from benchmarks.load_mix import KIND_WEIGHTS, PROCEDURES, WEB, ZALO, Mix, demo_dossiers, has_diacritics
from benchmarks.load_stats import Sample, StepResult, next_concurrency, percentile, sustained
from core.settings import get_settings


def citizens(count: int, seed: int = 14) -> list:
    return list(itertools.islice(Mix(seed=seed), count))


def test_the_mix_is_deterministic_for_a_seed() -> None:
    assert citizens(200) == citizens(200)
    assert citizens(200) != citizens(200, seed=15)


def test_the_mix_has_every_kind_both_channels_and_both_spellings() -> None:
    crowd = citizens(2000)
    for kind, weight in KIND_WEIGHTS.items():
        share = sum(c.kind == kind for c in crowd) / len(crowd)
        assert abs(share - weight) < 0.05, kind
    zalo = sum(c.channel == ZALO for c in crowd) / len(crowd)
    assert 0.2 < zalo < 0.3
    assert {c.channel for c in crowd} == {WEB, ZALO}
    messages = [m for c in crowd for m in c.messages]
    with_marks = sum(has_diacritics(m) for m in messages) / len(messages)
    assert 0.3 < with_marks < 0.7
    assert all(1 <= len(c.messages) <= 4 for c in crowd)


def test_each_citizen_is_its_own_conversation() -> None:
    crowd = citizens(500)
    assert len({c.web_sender(7) for c in crowd}) == 500
    assert len({c.zalo_user(7) for c in crowd}) == 500
    assert all(c.web_sender(7).startswith("web-") for c in crowd)
    assert all(c.zalo_user(7).isdigit() for c in crowd)
    assert crowd[0].web_sender(7) != crowd[0].web_sender(8)  # runs do not share conversations


def test_follow_ups_stay_on_the_procedure_of_the_conversation() -> None:
    names = [name for pair in PROCEDURES for name in pair]
    for citizen in citizens(300):
        if citizen.kind == "procedure":
            first, follow_up = citizen.messages[:2]
            assert any(name in first for name in names)
            assert not any(name in follow_up for name in names)  # the assistant must remember it


def test_dossier_lookups_use_the_demo_dossiers_and_their_digits() -> None:
    dossiers = {d.code: d.last_four for d in demo_dossiers()}
    assert len(dossiers) == 8 and all(code.startswith("000.00.01.DEMO-") for code in dossiers)
    lookups = [c for c in citizens(300) if c.kind == "dossier"]
    assert lookups
    for citizen in lookups:
        code = next(code for code in dossiers if any(code in m for m in citizen.messages))
        assert dossiers[code] in citizen.messages  # the last four digits of its phone, alone


def test_percentile_is_nearest_rank() -> None:
    samples = list(range(1, 101))
    assert percentile(samples, 0.5) == 51  # index round(49.5) = 50 (round half to even)
    assert percentile(samples, 0.95) == 95
    assert percentile(samples, 0.99) == 99
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.95) != percentile([], 0.95)  # NaN


def step(concurrency: int, latencies: list[float], seconds: float = 10.0, **bad: int) -> StepResult:
    samples = [Sample(WEB, "procedure", ms, ok=True) for ms in latencies]
    samples += [Sample(WEB, "procedure", 5.0, ok=False, error="timeout") for _ in range(bad.get("errors", 0))]
    samples += [Sample(ZALO, "dossier", 5.0, ok=True, apology=True) for _ in range(bad.get("apologies", 0))]
    return StepResult(concurrency, seconds, samples, {"rasa": 1.0, "api": 1.0, load.LOAD_GENERATOR: 5.0})


def test_a_step_passes_only_within_the_limit_without_errors_or_apologies() -> None:
    assert step(1, [100.0] * 100).passes()
    assert not step(1, [100.0] * 90 + [400.0] * 10).passes()
    assert not step(1, [100.0] * 100, errors=1).passes()
    assert not step(1, [100.0] * 100, apologies=1).passes()
    assert not step(1, []).passes()


def test_rate_and_cpu_count_answered_messages_and_leave_the_load_generator_out() -> None:
    result = step(4, [50.0] * 98, seconds=10.0, errors=2)
    assert result.rate == pytest.approx(9.8)
    assert result.stack_cpu_seconds == pytest.approx(2.0)
    assert result.cpu_per_message == pytest.approx(2.0 / 98)
    summary = result.summary()
    assert summary["errors"] == 2 and summary["error_kinds"] == {"timeout": 2}


def test_other_work_on_the_machine_is_reported_as_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "CORES", 2)
    quiet, noisy = step(4, [50.0] * 10), step(4, [50.0] * 10)  # 10 s each; stack + load generator: 7 s
    quiet.machine_busy_seconds, noisy.machine_busy_seconds = 7.5, 17.0
    assert quiet.other_cpu_seconds == pytest.approx(0.5) and noisy.other_cpu_seconds == pytest.approx(10.0)
    embedded = load.CONFIGURATIONS["embedded"]
    assert load._noise_warning(load.ConfigurationResult(embedded, steps=[quiet])) is None  # 2.5 % of 2 cores
    assert "50 %" in (load._noise_warning(load.ConfigurationResult(embedded, steps=[noisy])) or "")


def test_rising_stops_after_a_failed_step_and_sustained_is_the_best_passing_one() -> None:
    levels = [1, 2, 4, 8]
    steps = [step(1, [50.0] * 10), step(2, [80.0] * 30)]
    assert next_concurrency(levels, []) == 1
    assert next_concurrency(levels, steps) == 4
    steps.append(step(4, [500.0] * 60))
    assert next_concurrency(levels, steps) is None
    assert sustained(steps) is steps[1]
    assert next_concurrency(levels, [step(c, [1.0]) for c in levels]) is None
    assert sustained([step(1, [900.0])]) is None


def test_the_apology_mark_is_in_the_apology_citizens_read() -> None:
    assert load.APOLOGY_MARK in (apology(get_settings()).text or "")


def test_a_zalo_reply_wakes_the_citizen_who_waits_for_it() -> None:
    async def scenario() -> tuple[str, str]:
        replies = load.ZaloReplies()
        replies.bind(asyncio.get_running_loop())
        mine = replies.expect("111")
        other = replies.expect("222")

        def fake_zalo_sends() -> None:  # the fake Zalo API appends from its own thread
            replies.append({"recipient": {"user_id": "222"}, "message": {"text": "b"}})
            replies.append({"recipient": {"user_id": "111"}, "message": {"text": "a"}})
            replies.append({"recipient": {"user_id": "111"}, "message": {"text": "a, continued"}})

        thread = threading.Thread(target=fake_zalo_sends)
        thread.start()
        (_, first), (_, theirs) = await asyncio.wait_for(asyncio.gather(mine, other), 5)
        thread.join()
        await asyncio.wait_for(replies.settle("111"), 5)
        assert replies.delivered == 3 and len(replies) == 0  # nothing kept
        return first["text"], theirs["text"]

    assert asyncio.run(scenario()) == ("a", "b")


def test_quick_run_is_short_and_bounded() -> None:
    args = load.parse_args(["--quick"])
    assert args.levels == load.QUICK_LEVELS and args.step_seconds == 5.0 and args.bound_minutes <= 5
    full = load.parse_args([])
    assert full.levels == load.LEVELS and full.bound_minutes <= 12
    assert [c.name for c in full.configurations] == ["embedded", "production-1", "production-2"]
    with pytest.raises(SystemExit):
        load.parse_args(["--configs", "cloud"])
