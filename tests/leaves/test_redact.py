"""Secrets never leave: URLs lose credentials, known secret values are scrubbed."""

import pytest

from evalkit.redact import Secrets, redact_url


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
