"""The circuit breaker's states, on a clock of tenths of a second: closed, open and holding,
half-open with one probe, and down (failing at once) until a probe is answered. The whole
path through litellm is proved in tests/behaviour/test_faults.py."""

from __future__ import annotations

import asyncio
import time

from evalkit.endpoints.breaker import Breaker
from evalkit.types import ErrorInfo

GONE = ErrorInfo(kind="APIConnectionError", message="refused from http://pod")
LATER = 60.0  # a deadline far away


def opened(threshold: int = 2, cooldown: float = 0.2) -> Breaker:
    breaker = Breaker(threshold, cooldown)
    for _ in range(threshold):
        breaker.settle(object(), GONE)
    return breaker


def admit(breaker: Breaker, request: object, deadline: float = LATER) -> asyncio.Task:
    return asyncio.ensure_future(breaker.admit(request, time.monotonic() + deadline))


def test_failed_requests_open_it_and_any_other_outcome_resets_the_count() -> None:
    breaker = Breaker(3, 1.0)
    for outcome in (GONE, GONE, None, GONE, GONE):
        breaker.settle(object(), outcome)
    assert breaker.state == "closed"  # never 3 in a row
    breaker.settle(object(), GONE)
    assert breaker.state == "open"


async def probe_and_held(breaker: Breaker) -> tuple[object, asyncio.Task]:
    """Two requests arrive at an open breaker: the one let through first is the probe; the
    other is returned still waiting."""
    tokens = [object(), object()]
    tasks = [admit(breaker, token) for token in tokens]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    [first] = done
    assert first.result() is None and breaker.state == "half_open"
    index = tasks.index(first)
    await asyncio.sleep(0.05)
    assert not tasks[1 - index].done()  # held while the probe is out
    return tokens[index], tasks[1 - index]


def test_an_open_breaker_holds_requests_then_a_probe_that_succeeds_lets_them_go() -> None:
    async def scenario() -> None:
        breaker = opened(cooldown=0.2)
        began = time.monotonic()
        probe, held = await probe_and_held(breaker)
        assert time.monotonic() - began >= 0.2 - 0.02  # after the cool-down
        breaker.settle(probe, None)
        assert await held is None and breaker.state == "closed"

    asyncio.run(scenario())


def test_a_failed_probe_fails_the_held_and_new_requests_at_once_until_the_next() -> None:
    async def scenario() -> None:
        breaker = opened(cooldown=0.2)
        probe, held = await probe_and_held(breaker)
        breaker.settle(probe, GONE)
        reason = await held
        assert reason is not None and "circuit breaker open since" in reason.message
        assert reason.message.startswith(GONE.message)
        began = time.monotonic()
        assert await breaker.admit(object(), time.monotonic() + LATER) is not None
        assert time.monotonic() - began < 0.05  # at once, not held
        await asyncio.sleep(0.2)
        late = object()
        assert await breaker.admit(late, time.monotonic() + LATER) is None  # the next probe
        breaker.settle(late, None)
        assert breaker.state == "closed"

    asyncio.run(scenario())


def test_a_held_request_waits_no_longer_than_its_deadline() -> None:
    async def scenario() -> None:
        breaker = opened(cooldown=5.0)
        began = time.monotonic()
        reason = await admit(breaker, object(), deadline=0.1)
        assert reason is not None and "endpoint down" in reason.message
        assert time.monotonic() - began < 1.0

    asyncio.run(scenario())


def test_a_probe_that_ends_without_an_outcome_lets_the_next_request_probe() -> None:
    async def scenario() -> None:
        breaker = opened(cooldown=0.1)
        probe, held = object(), object()
        assert await admit(breaker, probe) is None
        waiting = admit(breaker, held)
        await asyncio.sleep(0.05)
        breaker.release(probe)  # cancelled, say
        assert await waiting is None and breaker.state == "half_open"
        assert breaker.admits(held) and not breaker.admits(probe)

    asyncio.run(scenario())
