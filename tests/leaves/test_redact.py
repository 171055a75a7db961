"""Secrets never leave, by structure: URLs lose credentials, the credentials travel in a
header, known secret values and secret-shaped text are scrubbed from free text, and log
records are scrubbed only while a run holds its secrets."""

import base64
import logging

import pytest

from evalkit.redact import Secrets, redact_url, scrub_text, server_auth


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@pod.example:8443/x", "https://***@pod.example:8443/x"),
        ("https://pod.example/?token=abc&lang=en", "https://pod.example/?token=***&lang=en"),
        ("http://localhost:11434", "http://localhost:11434"),
        (None, None),
    ],
)
def test_redact_url(url: str | None, shown: str | None) -> None:
    assert redact_url(url) == shown


def test_scrub_masks_every_known_secret_longest_first() -> None:
    secrets = Secrets()
    secrets.add("abcd", "abcdefgh", None, "ab")  # too-short values are not masked
    secrets.add_url("https://me:s3cr3tpass@host/?api_key=KEY123456")
    text = "abcdefgh s3cr3tpass KEY123456 ab"
    assert secrets.scrub(text) == "*** *** *** ab"


def test_a_url_user_name_alone_is_not_a_secret() -> None:
    secrets = Secrets()
    secrets.add_url("https://gemma:PASSWORD-1@pod.example")
    secrets.add_url("https://gemma@other.example")
    text = "gemma3:1b failed: PASSWORD-1 refused"
    assert secrets.scrub(text) == "gemma3:1b failed: *** refused"


def test_a_password_is_masked_in_every_form_it_travels_in() -> None:
    secrets = Secrets()
    secrets.add_url("https://gemma:p%40ss-word@pod.example")
    basic = base64.b64encode(b"gemma:p@ss-word").decode()
    assert server_auth("https://gemma:p%40ss-word@pod.example/x?a=1") == (
        "https://pod.example/x?a=1",
        {"Authorization": f"Basic {basic}"},
    )
    assert secrets.scrub(f"p%40ss-word p@ss-word sent {basic}") == "*** *** sent ***"


def test_a_url_without_credentials_has_no_auth_header() -> None:
    assert server_auth("http://127.0.0.1:11434") == ("http://127.0.0.1:11434", {})


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (
            "POST https://gemma:pw@pod.example/api/chat: 500",
            "POST https://***@pod.example/api/chat: 500",
        ),
        ("GET http://h/api?token=abc&lang=en failed", "GET http://h/api?token=***&lang=en failed"),
        (
            "{'authorization': 'Basic Z2VtbWE6cHc=', 'host': 'h'}",
            "{'authorization': '***', 'host': 'h'}",
        ),
        ("Authorization: Bearer abc.def-123", "Authorization: ***"),
        ("sent bearer abc123 twice", "sent bearer *** twice"),
        ('{"api_key": "k-123", "model": "m"}', '{"api_key": "***", "model": "m"}'),
        ("password=hunter22 user=gemma", "password=*** user=gemma"),
        ("gemma3:1b scored 4 of 5 on t001", "gemma3:1b scored 4 of 5 on t001"),
        ("max_tokens: 1024, num_ctx: 8192", "max_tokens: 1024, num_ctx: 8192"),
    ],
)
def test_scrub_text_masks_secrets_by_where_they_sit(text: str, scrubbed: str) -> None:
    assert scrub_text(text) == scrubbed


def test_the_secrets_of_one_run_are_not_another_runs() -> None:
    first, second = Secrets(), Secrets()
    first.add("first-run-secret")
    assert second.scrub("first-run-secret") == "first-run-secret"


def test_log_records_are_scrubbed_only_while_the_run_holds_its_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    log = logging.getLogger("some.library.http")
    secrets = Secrets()
    secrets.add("pw-in-a-log")
    with secrets.scrubbing_logs():
        log.info("sent %s", "pw-in-a-log")
        try:
            raise RuntimeError("refused pw-in-a-log")
        except RuntimeError:
            log.exception("request failed")
    log.info("after the run: %s", "pw-in-a-log")
    assert [r.getMessage() for r in caplog.records] == [
        "sent ***",
        "request failed",
        "after the run: pw-in-a-log",
    ]
    assert "RuntimeError: refused ***" in caplog.text
    assert caplog.text.count("pw-in-a-log") == 1  # only the line logged after the run
