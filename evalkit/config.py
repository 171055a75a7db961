"""evalkit.toml: endpoints are servers, models live on endpoints, profiles name who answers
and who judges.

Layers, later wins: the file, then EVALKIT_* environment variables (applied by the CLI as
flag defaults), then command-line flags. `${VAR}` in an endpoint's url or api_key is read
from the environment only when that endpoint is used, so a profile that does not touch the
GPU pod runs without BIG_BRAIN_URL set.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, model_validator

from evalkit.errors import ConfigError, describe_validation
from evalkit.types import Schema, Strict

CONFIG_NAME = "evalkit.toml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class EndpointConfig(Strict):
    """A server that serves models: an Ollama instance, the embedded model, an API."""

    kind: Literal["ollama", "embedded", "openai"]
    """ollama (the /api/chat protocol), embedded (in-process llama.cpp) or openai."""
    url: str | None = None
    """Base URL, e.g. http://localhost:11434; ${VAR} is read from the environment. A
    user:password@ in it is sent as Basic authorization, never as part of the URL."""
    replicas: list[str] = Field(default_factory=list)
    """Instead of `url`: several servers serving the same models (e.g. GPU pods), used as
    one endpoint. Each request goes to the one with the fewest in flight (see
    evalkit.endpoints.replicas); `concurrency` is per server. ${VAR} allowed in each."""
    api_key: str | None = None
    """Bearer token for proxies that need one; ${VAR} allowed. Never written anywhere."""
    concurrency: int = Field(default=2, ge=1, le=256)
    """Requests in flight to this server, all models and roles together."""
    timeout: float = Field(default=120.0, gt=0)
    """Seconds for one attempt."""
    retries: int = Field(default=4, ge=0, le=20)
    """Attempts after the first, for transient failures only."""
    deadline: float = Field(default=900.0, gt=0)
    """Seconds one request may take in all, retries and back-off included."""
    backoff: float = Field(default=0.5, gt=0, le=60)
    """Seconds of the first back-off; it doubles per attempt, with jitter, up to 30 s."""
    stream: bool = False
    """Stream responses, so a slow answer keeps a proxy's connection alive."""
    notes: str | None = None
    """Free text for reports, e.g. the hardware behind the endpoint."""
    breaker_threshold: int = Field(default=3, ge=1, le=1000)
    """Requests in a row that fail, each after its retries, because the server is gone (a
    refused or dropped connection, a 404) before the circuit breaker opens."""
    breaker_cooldown: float = Field(default=30.0, gt=0, le=3600)
    """Seconds an open circuit breaker holds requests before one goes through as a probe;
    while the server stays gone, a probe goes after every such wait."""

    @model_validator(mode="after")
    def _url_needed(self) -> EndpointConfig:
        if self.url and self.replicas:
            raise ValueError("give url (one server) or replicas (several), not both")
        if self.kind != "embedded" and not (self.url or self.replicas):
            raise ValueError(f"an endpoint of kind {self.kind!r} needs a url (or replicas)")
        return self


class ModelConfig(Strict):
    """A model served by an endpoint, with its sampling settings."""

    endpoint: str
    """The endpoint's name in [endpoints]."""
    model: str | None = None
    """The model's name on the server; defaults to this table's name. On an endpoint of
    kind embedded, one of evalkit.endpoints.embedded.CATALOGUE: smollm2-135m-instruct,
    gemma3-270m."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature."""
    seed: int | None = None
    """Sampling seed, for repeatable answers where the server honours it."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Most tokens to generate."""
    num_ctx: int | None = Field(default=None, ge=256)
    """Context window; fixed per model, since Ollama reloads a model when it changes."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling."""
    notes: str | None = None
    """Free text for reports, e.g. parameter count or hardware."""

    def params(self) -> dict[str, float | int | None]:
        """The sampling settings that are set."""
        values = {
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "num_ctx": self.num_ctx,
            "top_p": self.top_p,
        }
        return {k: v for k, v in values.items() if v is not None}


class ProfileConfig(Strict):
    """Who answers and who judges."""

    candidates: list[str] = Field(min_length=1)
    """Models under test, by name in [models]."""
    judge: str
    """A judge: judges/<name>.toml, a path to a judge file, or a plugin name."""


class Config(Strict):
    """The whole evalkit.toml."""

    default_profile: str = "embedded"
    """The profile used when --profile is not given."""
    endpoints: dict[str, EndpointConfig] = Field(default_factory=dict)
    """Servers by name."""
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    """Models by name."""
    profiles: dict[str, ProfileConfig] = Field(default_factory=dict)
    """Profiles by name."""
    sandbox: Literal["bwrap", "podman", "docker"] = "bwrap"
    """Where suites' python checks run: bubblewrap (Linux), or a podman or docker
    container. Answer code never runs on the host."""
    pass_threshold: int | None = Field(default=None, ge=1, le=5)
    """The score at or above which one sample passes, for pass^k and pass@k (`run
    --samples`); recorded in the run's manifest. Unset: 4."""
    cache: str | None = Field(default=None, min_length=1)
    """The cache across runs: its SQLite file (relative to this file's folder; a folder
    holds `cache.sqlite3`), or "off". Default: cache.sqlite3 in the user's cache folder
    ($XDG_CACHE_HOME/evalkit, else ~/.cache/evalkit). EVALKIT_CACHE overrides it."""

    @model_validator(mode="after")
    def _references_exist(self) -> Config:
        for name, model in self.models.items():
            if model.endpoint not in self.endpoints:
                raise ValueError(
                    f"models.{name}.endpoint: unknown endpoint {model.endpoint!r}"
                    f" (known: {', '.join(sorted(self.endpoints)) or 'none'})"
                )
        for name, profile in self.profiles.items():
            for candidate in profile.candidates:
                if candidate not in self.models:
                    raise ValueError(
                        f"profiles.{name}.candidates: unknown model {candidate!r}"
                        f" (known: {', '.join(sorted(self.models)) or 'none'})"
                    )
        return self

    @model_validator(mode="after")
    def _num_ctx_is_ollamas(self) -> Config:
        """num_ctx is Ollama's: an OpenAI-compatible server is never sent it, so setting it
        there would do nothing, silently."""
        for name, model in self.models.items():
            if model.num_ctx is not None and self.endpoints[model.endpoint].kind == "openai":
                raise ValueError(
                    f"models.{name}.num_ctx: endpoint {model.endpoint!r} is an OpenAI-compatible"
                    " server, which sets its context when it starts (vLLM: --max-model-len);"
                    " remove num_ctx"
                )
        return self


class Loaded(Schema):
    """A config and where it came from (judges and suites are found beside it)."""

    config: Config
    """The parsed config."""
    path: Path
    """The file it was read from."""

    @property
    def base_dir(self) -> Path:
        """The folder holding the config: judges/ and suites/ are looked up here."""
        return self.path.parent


def find_config(explicit: str | None) -> Path:
    """The config file to use: --config, else ./evalkit.toml."""
    path = Path(explicit) if explicit else Path.cwd() / CONFIG_NAME
    if not path.is_file():
        hint = "" if explicit else " (run from the project folder, or pass --config PATH)"
        raise ConfigError(f"{path}: no such config file{hint}")
    return path


def load_config(explicit: str | None = None) -> Loaded:
    """Read and validate evalkit.toml; errors name the file and the field."""
    path = find_config(explicit)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation(exc)}") from None
    return Loaded(config=config, path=path)


def interpolate(value: str, where: str) -> str:
    """Replace ${VAR} with the environment's value; a missing variable is a ConfigError."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(
                f"{where}: environment variable {name} is not set"
                " (set it, or override the endpoint with --endpoint NAME=URL)"
            )
        return os.environ[name]

    return _ENV_REF.sub(lookup, value)


def apply_endpoint_overrides(loaded: Loaded, overrides: list[str]) -> Loaded:
    """Apply --endpoint NAME=URL flags: the named endpoint gets that URL (NAME=URL1,URL2:
    those replicas)."""
    endpoints = dict(loaded.config.endpoints)
    for item in overrides:
        name, sep, url = item.partition("=")
        if not sep or not url:
            raise ConfigError(f"--endpoint {item!r}: expected NAME=URL")
        if name not in endpoints:
            known = ", ".join(sorted(endpoints))
            raise ConfigError(f"--endpoint {name}: unknown endpoint (known: {known})")
        # NAME=URL1,URL2 names replicas; a single URL replaces them all
        urls = [u.strip() for u in url.split(",") if u.strip()]
        update = {"url": None, "replicas": urls} if len(urls) > 1 else {"url": url, "replicas": []}
        endpoints[name] = endpoints[name].model_copy(update=update)
    config = loaded.config.model_copy(update={"endpoints": endpoints})
    return Loaded(config=config, path=loaded.path)


def resolve_endpoint(loaded: Loaded, name: str) -> EndpointConfig:
    """The endpoint with ${VAR} filled in (the pool that uses it keeps its secrets)."""
    endpoint = loaded.config.endpoints[name]
    where = f"{loaded.path}: endpoints.{name}"
    replicas = [
        interpolate(u, f"{where}.replicas[{i}]").rstrip("/")
        for i, u in enumerate(endpoint.replicas)
    ]
    # with replicas, `url` is the first one, what a manifest lists as the model's url
    url = interpolate(endpoint.url, f"{where}.url") if endpoint.url else None
    url = replicas[0] if replicas else url
    key = interpolate(endpoint.api_key, f"{where}.api_key") if endpoint.api_key else None
    if key and any(urlsplit(u).username is not None for u in [url, *replicas] if u):
        # both would travel in the one Authorization header (see redact.server_auth)
        raise ConfigError(f"{where}: credentials in the url and an api_key: give only one")
    url = url.rstrip("/") if url else url
    return endpoint.model_copy(update={"url": url, "api_key": key, "replicas": replicas})


def model_config(loaded: Loaded, name: str, where: str) -> ModelConfig:
    """A model by name, or a ConfigError naming where it was asked for."""
    try:
        return loaded.config.models[name]
    except KeyError:
        known = ", ".join(sorted(loaded.config.models)) or "none"
        raise ConfigError(f"{where}: unknown model {name!r} (known: {known})") from None


def profile_config(loaded: Loaded, name: str | None) -> tuple[str, ProfileConfig]:
    """The named profile (or the default one) and its name."""
    name = name or loaded.config.default_profile
    try:
        return name, loaded.config.profiles[name]
    except KeyError:
        known = ", ".join(sorted(loaded.config.profiles)) or "none"
        raise ConfigError(f"{loaded.path}: unknown profile {name!r} (known: {known})") from None
