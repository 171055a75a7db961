"""evalkit.toml: validation with file and field named, ${ENV} read only when used, overrides."""

from pathlib import Path

import pytest

from evalkit.config import (
    apply_endpoint_overrides,
    load_config,
    profile_config,
    resolve_endpoint,
)
from evalkit.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

GOOD = """
default_profile = "p"
[endpoints.pod]
kind = "ollama"
url = "${EVALKIT_TEST_POD}"
api_key = "${EVALKIT_TEST_KEY}"
[models.m]
endpoint = "pod"
[profiles.p]
candidates = ["m"]
judge = "j"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "evalkit.toml"
    path.write_text(text)
    return str(path)


def test_shipped_config_has_both_profiles() -> None:
    loaded = load_config(str(REPO / "evalkit.toml"))
    assert loaded.config.default_profile == "embedded"
    assert set(loaded.config.profiles) >= {"embedded", "big-brain"}
    assert loaded.config.profiles["big-brain"].candidates == ["gemma3:1b", "gemma3:27b"]
    assert loaded.config.endpoints["local"].url == "http://localhost:11434"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace('kind = "ollama"', 'kind = "ollama"\nconcurency = 2'),
            "endpoints.pod.concurency: unknown key",
        ),
        (
            GOOD.replace('endpoint = "pod"', 'endpoint = "nope"'),
            "models.m.endpoint: unknown endpoint 'nope'",
        ),
        (
            GOOD.replace('candidates = ["m"]', 'candidates = ["x"]'),
            "profiles.p.candidates: unknown model 'x'",
        ),
        (GOOD.replace('kind = "ollama"', 'kind = "vllm"'), "endpoints.pod.kind"),
        (GOOD + "\n[[", "not valid TOML"),
        (GOOD.replace('url = "${EVALKIT_TEST_POD}"', ""), "needs a url"),
        (
            GOOD.replace('kind = "ollama"', 'kind = "openai"').replace(
                'endpoint = "pod"', 'endpoint = "pod"\nnum_ctx = 8192'
            ),
            "models.m.num_ctx: endpoint 'pod' is an OpenAI-compatible server",
        ),
    ],
    ids=[
        "typo",
        "unknown-endpoint",
        "unknown-model",
        "bad-kind",
        "bad-toml",
        "no-url",
        "num-ctx-on-openai",
    ],
)
def test_bad_config_names_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert path in str(caught.value)
    assert expected in str(caught.value)


def test_env_is_read_only_when_endpoint_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALKIT_TEST_POD", raising=False)
    loaded = load_config(write(tmp_path, GOOD))  # loading does not need the variable
    with pytest.raises(ConfigError, match="environment variable EVALKIT_TEST_POD is not set"):
        resolve_endpoint(loaded, "pod")


def test_env_interpolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_TEST_POD", "https://pod.example/")
    monkeypatch.setenv("EVALKIT_TEST_KEY", "sk-test-very-secret")
    endpoint = resolve_endpoint(load_config(write(tmp_path, GOOD)), "pod")
    assert (endpoint.url, endpoint.api_key) == ("https://pod.example", "sk-test-very-secret")
    monkeypatch.setenv("EVALKIT_TEST_POD", "https://user:pa55word@pod.example/")
    without_key = GOOD.replace('api_key = "${EVALKIT_TEST_KEY}"', "")
    endpoint = resolve_endpoint(load_config(write(tmp_path, without_key)), "pod")
    assert endpoint.url == "https://user:pa55word@pod.example"


def test_endpoint_override_replaces_url_and_skips_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALKIT_TEST_POD", raising=False)
    monkeypatch.setenv("EVALKIT_TEST_KEY", "k" * 8)
    loaded = apply_endpoint_overrides(
        load_config(write(tmp_path, GOOD)), ["pod=http://127.0.0.1:9"]
    )
    assert resolve_endpoint(loaded, "pod").url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("override", "expected"),
    [("pod", "expected NAME=URL"), ("nope=http://x", "unknown endpoint (known: pod)")],
)
def test_bad_endpoint_override(tmp_path: Path, override: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        apply_endpoint_overrides(load_config(write(tmp_path, GOOD)), [override])


def test_unknown_profile_lists_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown profile 'q' \(known: p\)"):
        profile_config(load_config(write(tmp_path, GOOD)), "q")


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "absent.toml"))


def test_url_credentials_and_api_key_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_TEST_POD", "https://user:pa55word@pod.example")
    monkeypatch.setenv("EVALKIT_TEST_KEY", "sk-both-given")
    with pytest.raises(ConfigError, match="credentials in the url and an api_key"):
        resolve_endpoint(load_config(write(tmp_path, GOOD)), "pod")
