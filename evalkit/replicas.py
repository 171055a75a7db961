"""Several servers serving the same models, used as one endpoint: `replicas = [url, ...]`.

Requests are balanced by litellm's Router, one Router per model, one deployment per
replica, with the least-busy strategy. The endpoint already holds exactly `concurrency`
requests per replica in flight, so sending each request to the replica with the fewest in
flight keeps every replica's slots full; a random pick ("simple-shuffle") leaves about one
slot in seven idle at that load (simulated: 85% of the ideal throughput, against 100%).

The Router is told not to retry (`num_retries=0`): the endpoint's tenacity policy is the
one retry policy. A replica whose request fails is cooled down by the Router for a few
seconds, so the retry goes to another one.
"""

from __future__ import annotations

from typing import Any

ROUTING = "least-busy"
COOLDOWN_SECONDS = 5.0
"""How long a replica that failed is left out of rotation."""


class Replicas:
    """The replica URLs of one endpoint and, per model, the Router that balances them."""

    def __init__(self, urls: list[str], api_key: str | None) -> None:
        self.urls = urls
        self.api_key = api_key
        self._routers: dict[str, Any] = {}

    def router(self, litellm: Any, model: str) -> Any:
        """The Router for one litellm model string, e.g. ollama_chat/gemma3:27b."""
        if model not in self._routers:
            params = {"api_key": self.api_key} if self.api_key else {}
            deployments = [
                {"model_name": model, "litellm_params": {"model": model, "api_base": url, **params}}
                for url in self.urls
            ]
            self._routers[model] = litellm.Router(
                model_list=deployments,
                routing_strategy=ROUTING,
                num_retries=0,
                cooldown_time=COOLDOWN_SECONDS,
            )
        return self._routers[model]

    async def acompletion(self, litellm: Any, **kwargs: Any) -> Any:
        """`litellm.acompletion`, sent to the least busy replica of the model."""
        kwargs.pop("api_base", None)  # each deployment carries its own
        kwargs.pop("api_key", None)
        return await self.router(litellm, kwargs["model"]).acompletion(**kwargs)
