"""Fixtures for the checks tests: the real bubblewrap sandbox, with small limits so the
attacks finish fast. Without bwrap the sandbox tests skip, except in CI (CI=true), where a
missing bwrap is a failure: .ci/run installs the Debian package `bubblewrap`."""

from __future__ import annotations

import os
import shutil

import pytest

from evalkit.checks import BwrapSandbox, Limits

TEST_LIMITS = Limits(memory_mb=256, processes=16, output_bytes=16_000)
"""Small enough that every attack hits its limit within a second or two."""


@pytest.fixture
def bwrap() -> BwrapSandbox:
    """The real bwrap sandbox with TEST_LIMITS."""
    if shutil.which("bwrap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "bwrap is not installed; in CI that is a failure (apt-get install bubblewrap)"
            )
        pytest.skip("bwrap is not installed (apt-get install bubblewrap)")
    return BwrapSandbox(TEST_LIMITS)
