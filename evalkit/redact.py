"""Keep secrets out of run files, reports, logs and error messages, by structure.

Secrets live in known places: a URL's password and its token-like query values, an API
key, an ``Authorization`` header. They are removed there, and only there:

- `redact_url` drops a URL's user-info and masks its secret-looking query values before the
  URL is shown or stored (manifests, health lines, error messages).
- `server_auth` splits a URL's credentials off into a Basic ``Authorization`` header, so
  the URL handed to an HTTP library (and quoted in its errors and logs) carries none.
- `scrub_text` masks, in free text such as an error message, what looks like a secret by
  its shape: the user-info of a URL, secret query values, ``Authorization``/``Bearer``
  values, ``api_key=...``.
- A `Secrets` holds the secret values of one run (the pool of endpoints makes it) and
  `Secrets.scrub` masks them, in every form they travel in, in error messages and health
  details as those are built, and in every log record while `Secrets.scrubbing_logs` is
  in force.

Nothing here rewrites record keys, answers or verdicts: a user name that is also the start
of a candidate's name (``gemma`` of ``https://gemma:PW@host`` and ``gemma3:1b``) is not a
secret, and only text that may carry a secret is ever scrubbed.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_NAME = r"(?:key|token|secret|password|passwd|auth|sig|signature)"
_SECRET_QUERY = re.compile(_SECRET_NAME, re.I)
_VALUE = r"[^\s'\",}]+"
_SHAPES = [  # (pattern, replacement): secrets recognised by where they sit in text
    (re.compile(r"(?<=://)[^\s/@'\"<>]+(?=@)"), MASK),  # the user-info of a URL
    (re.compile(rf"([?&][\w.-]*{_SECRET_NAME}[\w.-]*=)[^&\s#'\"<>]+", re.I), rf"\1{MASK}"),
    (
        re.compile(
            rf"(authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|token)\s+)?{_VALUE}", re.I
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"\b(bearer\s+)[\w.~+/=-]+", re.I), rf"\1{MASK}"),
    (
        re.compile(rf"((?:api[_-]?key|passw(?:or)?d|secret)['\"]?\s*[:=]\s*['\"]?){_VALUE}", re.I),
        rf"\1{MASK}",
    ),
]
_MIN_SECRET = 4
"""Shorter values are not masked as free text: they would mask too much."""


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


class ServerAuth(NamedTuple):
    """A server URL with its credentials taken out, and the header that carries them."""

    url: str
    """The URL without user-info."""
    headers: dict[str, str]
    """``{"Authorization": "Basic ..."}`` when the URL had credentials, else empty."""


def server_auth(url: str) -> ServerAuth:
    """Split a URL's user-info off into a Basic ``Authorization`` header."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return ServerAuth(url, {})
    host = parts.netloc.rpartition("@")[2]
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return ServerAuth(bare, {"Authorization": f"Basic {_basic(url)}"})


def _basic(url: str) -> str:
    """The Basic credentials of a URL's user-info, as an HTTP client sends them."""
    parts = urlsplit(url)
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return base64.b64encode(pair.encode()).decode()


def url_secrets(url: str | None) -> list[str]:
    """The secret values of a URL, in every form they travel in: the password (as written
    and decoded), the Basic header value made of user and password, and secret-looking
    query values. The user name alone is not a secret."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [parts.password, unquote(parts.password), _basic(url)] if parts.password else []
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY.search(k) and v]
    return found


def scrub_text(text: str) -> str:
    """Free text with everything that looks like a secret by its place masked: a URL's
    user-info, secret query values, Authorization and Bearer values, api_key=..."""
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


class Secrets:
    """The secret values of one run, and the scrubber that takes them out of free text."""

    def __init__(self) -> None:
        self._values: tuple[str, ...] = ()
        """Longest first; replaced whole, never changed in place, so a log record made on
        another thread while an endpoint is added scrubs with one list or the other."""

    def add(self, *values: str | None) -> None:
        """Remember secret values (under 4 characters they are left: too much would go)."""
        new = {v for v in values if v and len(v) >= _MIN_SECRET}
        self._values = tuple(sorted(new.union(self._values), key=len, reverse=True))

    def add_url(self, url: str | None) -> None:
        """Remember the secret parts of a URL (see `url_secrets`)."""
        self.add(*url_secrets(url))

    def scrub(self, text: str) -> str:
        """The text with every known secret, longest first, and everything shaped like a
        secret (see `scrub_text`) replaced by ***."""
        for value in self._values:
            text = text.replace(value, MASK)
        return scrub_text(text)

    @contextmanager
    def scrubbing_logs(self) -> Iterator[None]:
        """Scrub every log record made inside this block, of any library, as it is made.

        Libraries log URLs and headers (httpx logs each request's URL, litellm its requests
        and failures). A filter on loggers misses records of their child loggers and
        handlers evalkit does not own, so the record factory itself is wrapped, for the
        block only: the secrets of one run never scrub another's logs."""
        make = logging.getLogRecordFactory()
        active = True

        def scrubbed(*args: object, **kwargs: object) -> logging.LogRecord:
            record = make(*args, **kwargs)
            if active:
                _scrub_record(record, self)
            return record

        logging.setLogRecordFactory(scrubbed)
        try:
            yield
        finally:
            active = False  # a factory wrapped around ours later still passes through
            if logging.getLogRecordFactory() is scrubbed:
                logging.setLogRecordFactory(make)


def _scrub_record(record: logging.LogRecord, secrets: Secrets) -> None:
    """Replace a record's message, and its traceback text, by their scrubbed forms."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string: logging reports it itself
        return
    clean = secrets.scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = secrets.scrub(logging.Formatter().formatException(record.exc_info))
