"""The circuit breaker of one endpoint: stop sending requests to a server that is gone, and
find out when it is back.

Closed, the usual state: requests go through. A request that fails for good, after its own
retries, because the server is gone (a refused or dropped connection, or a 404) counts;
`threshold` such requests in a row open the breaker, and any other outcome resets the count.

Open: no request is sent. For the first `cooldown` seconds, new requests and the retries of
those in flight wait, so an outage shorter than that costs only the requests that found it.
Then one request goes through as a probe (half-open) while the others keep waiting. If the
server answers it in any way, the breaker closes and the waiting requests go on. If the
server is still gone, the endpoint is taken as down: the waiting requests and every new one
fail at once, `unavailable` with the reason (so a dead endpoint costs seconds, not a wait per
request), and after each further cool-down the next request goes through as a probe, until
one is answered and the endpoint serves again.

A request never waits past its own deadline: then it fails `unavailable` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Literal

from evalkit.types import ErrorInfo

State = Literal["closed", "open", "half_open"]


class Breaker:
    """One endpoint's breaker. Requests are told apart by a token each brings (any object
    that lives as long as the request)."""

    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        """Requests in a row that found the server gone before the breaker opens."""
        self.cooldown = cooldown
        """Seconds from opening (or a failed probe) to the next probe."""
        self.state: State = "closed"
        self._failures = 0
        self._holding = True
        """Whether requests wait while open: until a probe finds the server still gone."""
        self._probe_at = 0.0
        self._probe: object | None = None
        self._reason: ErrorInfo | None = None
        self._since = ""
        """When the breaker last opened from closed (wall clock, for the reason)."""
        self._changed = asyncio.Event()

    async def admit(self, request: object, until: float) -> ErrorInfo | None:
        """Wait until `request` may make an attempt (None), or return why it may not: the
        endpoint is taken as down, or the request's deadline (monotonic `until`) came while
        it waited."""
        while self.state != "closed" and self._probe is not request:
            now = time.monotonic()
            if self.state == "open" and now >= self._probe_at:
                self.state, self._probe = "half_open", request
                return None
            if not self._holding or now >= until:
                return self._reason
            wake = self._probe_at if self.state == "open" else until
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(wake, until) - now)
        return None

    def admits(self, request: object) -> bool:
        """Whether `request` may make its attempt now (checked again once it has a slot)."""
        return self.state == "closed" or self._probe is request

    def settle(self, request: object, gone: ErrorInfo | None) -> None:
        """Count the outcome of a request that made attempts: `gone` is the reason when it
        failed because the server is gone; None for an answer or a failure of another kind
        (the server is there)."""
        was_probe = self._probe is request
        if was_probe:
            self._probe = None
        if gone is None:
            self._failures = 0
            if self.state != "closed":
                self.state, self._holding, self._reason = "closed", True, None
                self._notify()
        elif self.state == "closed":
            self._failures += 1
            if self._failures >= self.threshold:
                self._since = datetime.now(UTC).strftime("%H:%M:%S UTC")
                self._open(gone, holding=True)
        elif was_probe:
            self._open(gone, holding=False)

    def release(self, request: object) -> None:
        """A request is over. A probe that ended without an outcome (cancelled, say) lets
        the next request probe at once."""
        if self._probe is request:
            self._probe = None
            self.state, self._probe_at = "open", time.monotonic()
            self._notify()

    def _open(self, gone: ErrorInfo, *, holding: bool) -> None:
        self.state, self._holding = "open", holding
        self._probe_at = time.monotonic() + self.cooldown
        note = (
            f"circuit breaker open since {self._since}, after {self.threshold} requests in a"
            f" row failed; one request is tried again every {self.cooldown:g} s"
        )
        self._reason = ErrorInfo(
            kind="EndpointDown",
            message=f"{gone.message}: endpoint down ({note})",
            status_code=gone.status_code,
        )
        self._notify()

    def _notify(self) -> None:
        """Wake every waiting request to look at the new state."""
        self._changed.set()
        self._changed = asyncio.Event()
