"""The retry policy: which failures are retried, and how long it waits."""

import httpx
import pytest

from evalkit.endpoints.retry import MAX_WAIT, backoff, is_transient, retry_after


class StatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status
        self.headers = headers or {}


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (StatusError(429), True),
        (StatusError(500), True),
        (StatusError(502), True),
        (StatusError(503), True),
        (StatusError(504), True),
        (StatusError(520), True),
        (StatusError(522), True),
        (StatusError(524), True),
        (StatusError(400), False),
        (StatusError(401), False),
        (StatusError(404), False),
        (StatusError(422), False),
        (httpx.ConnectError("refused"), True),
        (httpx.RemoteProtocolError("dropped"), True),
        (httpx.ReadTimeout("slow"), True),
        (TimeoutError(), True),
        (ValueError("bug"), False),
    ],
    ids=lambda v: (
        v if isinstance(v, bool) else type(v).__name__ + str(getattr(v, "status_code", ""))
    ),
)
def test_only_transient_failures_are_retried(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_retry_after_seconds_is_honoured_and_capped() -> None:
    assert backoff(1, StatusError(503, {"retry-after": "3"})) == 3.0
    assert backoff(1, StatusError(503, {"Retry-After": "9999"})) == MAX_WAIT
    assert retry_after(StatusError(503)) is None


def test_backoff_grows_with_jitter_and_is_bounded() -> None:
    for attempt in range(1, 12):
        ceiling = min(MAX_WAIT, 0.5 * 2 ** (attempt - 1))
        waits = {backoff(attempt, None) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered, so clients do not retry in lockstep
