"""Keep secrets out of run files, reports, logs and error messages.

Two tools: `redact_url` drops credentials from a URL before it is shown or stored, and
`Secrets` remembers every secret value evalkit has seen (API keys, URL user-info, token
query parameters) so `Secrets.scrub` can remove them from free text such as an error
message that a library built from a URL.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_QUERY = re.compile(r"(key|token|secret|password|passwd|auth|sig|signature)", re.I)


def redact_url(url: str | None) -> str | None:
    """The URL without user-info and with secret-looking query values masked."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{MASK}@{host}"
    query = urlencode(
        [(k, MASK if _SECRET_QUERY.search(k) else v) for k, v in parse_qsl(parts.query)],
        safe="*",
    )
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def url_secrets(url: str | None) -> list[str]:
    """The secret parts of a URL: password, user name with a password, token query values."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [p for p in (parts.password, parts.username if parts.password else None) if p]
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY.search(k) and v]
    return found


class Secrets:
    """A set of secret strings and a scrubber that masks them in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, *values: str | None) -> None:
        """Remember secret values; short ones (under 4 characters) would mask too much."""
        self._values.update(v for v in values if v and len(v) >= 4)
        if self._values:
            _scrub_log_records(self)

    def add_url(self, url: str | None) -> None:
        """Remember the secret parts of a URL."""
        self.add(*url_secrets(url))

    def scrub(self, text: str) -> str:
        """The text with every known secret replaced by ***, longest first."""
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


_scrubbing = False


def _scrub_log_records(secrets: Secrets) -> None:
    """Scrub every log record, of any library, as it is made. Libraries log URLs with their
    credentials (httpx logs each request's URL), and a filter on loggers would miss child
    loggers and handlers we do not own, so the record factory itself does it."""
    global _scrubbing
    if _scrubbing:
        return
    _scrubbing = True
    make = logging.getLogRecordFactory()

    def scrubbed(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        message = record.getMessage()
        clean = secrets.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(scrubbed)


SECRETS = Secrets()
"""The process-wide registry: config loading adds to it, every writer of text scrubs with it."""
