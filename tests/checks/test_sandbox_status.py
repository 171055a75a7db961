"""Whether a sandbox works, and what a user is told when it does not."""

from __future__ import annotations

import shutil

import pytest

from evalkit.checks import BwrapSandbox, SandboxUnavailable, find_sandbox, sandbox_status, sandboxes
from evalkit.errors import ConfigError


def test_a_working_bwrap_reports_so_and_is_found(bwrap: BwrapSandbox) -> None:
    status = sandbox_status("bwrap")
    assert status.works is True and status.advice is None
    assert status.detail.startswith("a check ran in ")
    assert isinstance(find_sandbox("bwrap"), BwrapSandbox)


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)


@pytest.mark.usefixtures("nothing_installed")
@pytest.mark.parametrize(
    ("platform", "words"),
    [
        ("linux", ["apt-get install bubblewrap", "podman or docker", "--checks skip"]),
        ("darwin", ["does not exist on macOS", "podman or docker", "--checks skip"]),
        ("win32", ["only on Linux", "podman or docker", "--checks skip"]),
    ],
)
def test_a_missing_bwrap_says_what_to_do_on_each_system(
    monkeypatch: pytest.MonkeyPatch, platform: str, words: list[str]
) -> None:
    monkeypatch.setattr(sandboxes.sys, "platform", platform)
    status = sandbox_status("bwrap")
    assert status.works is False
    assert status.advice is not None and all(word in status.advice for word in words)


@pytest.mark.usefixtures("nothing_installed")
def test_find_sandbox_refuses_with_a_config_error_that_carries_the_advice() -> None:
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap") as raised:
        find_sandbox("bwrap")
    assert isinstance(raised.value, ConfigError)


@pytest.mark.usefixtures("nothing_installed")
def test_a_missing_container_engine_is_reported() -> None:
    status = sandbox_status("docker")
    assert (status.works, status.detail) == (False, "docker is not installed (not on PATH)")


def test_a_bwrap_that_cannot_make_namespaces_points_at_user_namespaces(tmp_path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    sandbox = BwrapSandbox(bwrap=str(fake))
    run = sandbox.run("", sandboxes.PROBE, 5)
    assert run.started is False
    assert "namespace" in sandboxes._advice("bwrap", run.output)
    assert "unprivileged user namespaces" in sandboxes._advice("bwrap", run.output)


def test_an_unknown_sandbox_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown sandbox 'firejail'"):
        sandbox_status("firejail")
