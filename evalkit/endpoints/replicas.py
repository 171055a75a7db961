"""Several servers serving the same models, used as one endpoint: `replicas = [url, ...]`.

Each request goes to the replica with the fewest requests in flight, counted across every
model and role on the endpoint; the endpoint holds `concurrency` slots per replica, so
every replica's slots stay full. A replica whose request failed with a connection error
or a server error is left out for `COOLDOWN_SECONDS` (unless all are), so the retry goes
to another one.

Why not litellm's Router (tried first, least-busy strategy): it balances each model group
on its own, and a candidate and a judge on the same pods are two groups, so each could
pile onto the same replica while another idled (measured: two replicas gave 1.40 times
the throughput of one, against 1.8 wanted); and its in-flight counting registers litellm
callbacks, which turn litellm's per-call cost and logging work back on for every call
(evalkit.endpoints.litellm_tuning). The endpoint already owns the slots, so it picks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from evalkit.endpoints.retry import is_connection_failure, status_of

COOLDOWN_SECONDS = 5.0
"""How long a replica that failed is left out of rotation."""


class Replicas:
    """The replica URLs of one endpoint and what each has in flight."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.in_flight = [0] * len(urls)
        """Requests sent to each replica and not yet answered."""
        self.sent = [0] * len(urls)
        """Requests sent to each replica in all."""
        self._cooling_until = [0.0] * len(urls)
        self._serving = list(range(len(urls)))
        """Replicas in rotation: all but those left out."""

    def leave_out(self, url: str) -> None:
        """Take a replica out of rotation for good (while any other remains in it)."""
        index = self.urls.index(url)
        if index in self._serving:
            self._serving.remove(index)

    @contextmanager
    def pick(self) -> Iterator[str]:
        """The URL of the least busy replica that is not cooling down, held for one
        request; a connection failure or a 5xx there cools it down."""
        now = time.monotonic()
        serving = self._serving or range(len(self.urls))
        ready = [i for i in serving if self._cooling_until[i] <= now]
        index = min(ready or serving, key=lambda i: self.in_flight[i])
        self.in_flight[index] += 1
        self.sent[index] += 1
        try:
            yield self.urls[index]
        except Exception as exc:
            status = status_of(exc)
            if is_connection_failure(exc) or (status is not None and status >= 500):
                self._cooling_until[index] = time.monotonic() + COOLDOWN_SECONDS
            raise
        finally:
            self.in_flight[index] -= 1
