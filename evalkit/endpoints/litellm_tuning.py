"""What evalkit switches off in litellm, and why: work litellm does on every call that a
run never reads.

Measured per call on a 2-core machine against a loopback Ollama server
(`tests/perf/bench_cpu.py` shows the current figures):

- **Token counting.** litellm's Ollama provider counts the prompt and the reply with
  tiktoken on every response, even when Ollama reports both counts (the count is a default
  argument of `dict.get`, so it is computed either way): about a third of litellm's CPU per
  call. Ollama's own counts are what a run records; `disable_token_counter` stops it.
- **Cost.** litellm prices every response twice (for the response's hidden params and for
  the success log) by looking the model up in its cost map. evalkit's models are local or
  rented by the hour, never priced per token, and nothing reads the figure.
- **Success logging.** With no callback registered, litellm still builds a "standard
  logging payload" for every call on a background worker, for nobody.

The last two are litellm internals, not settings, so each is replaced only where it exists
and only while no litellm callback is registered: a user or library that registers one
gets litellm's full behaviour back. `tests/perf/bench_cpu.py` fails loudly if an upgrade
moves them.
"""

from __future__ import annotations

from typing import Any

CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "service_callback",
    "_async_input_callback",
    "_async_success_callback",
    "_async_failure_callback",
)
"""litellm's module-level callback registries; all empty unless someone registers one."""

_applied: list[str] = []
"""The switches applied, for benchmarks and tests to report."""


def applied() -> list[str]:
    """The switches applied so far (empty before litellm is imported)."""
    return list(_applied)


def has_callbacks(litellm: Any) -> bool:
    """Whether any litellm callback is registered (then nothing is skipped)."""
    return any(getattr(litellm, name, None) for name in CALLBACK_LISTS)


def quieten(litellm: Any) -> list[str]:
    """Switch off the per-call work a run does not need; returns what was switched off."""
    if _applied:
        return list(_applied)
    litellm.suppress_debug_info = True  # else a "Give Feedback" banner on every failure
    litellm.telemetry = False
    litellm.drop_params = True
    litellm.disable_token_counter = True
    _applied.append("disable_token_counter")
    _skip_cost(litellm)
    _skip_success_logging(litellm)
    return list(_applied)


def _skip_cost(litellm: Any) -> None:
    """Price no response while no callback could want the price."""
    logging_module = getattr(getattr(litellm, "litellm_core_utils", None), "litellm_logging", None)
    logging_class = getattr(logging_module, "Logging", None)
    original = getattr(logging_class, "response_cost_calculator", None)
    if original is None:
        return

    def response_cost_calculator(self: Any, *args: Any, **kwargs: Any) -> float | None:
        if has_callbacks(litellm):
            return original(self, *args, **kwargs)
        return None

    logging_class.response_cost_calculator = response_cost_calculator
    _applied.append("response_cost_calculator")


def _skip_success_logging(litellm: Any) -> None:
    """Schedule no success-logging task while no callback would receive it."""
    utils = getattr(litellm, "utils", None)
    original = getattr(utils, "_schedule_async_success_logging", None)
    if original is None:
        return

    def schedule(*args: Any, **kwargs: Any) -> None:
        if has_callbacks(litellm):
            original(*args, **kwargs)

    utils._schedule_async_success_logging = schedule
    _applied.append("_schedule_async_success_logging")


_registered_models: set[str] = set()


def register_model_info(litellm: Any, model: str) -> None:
    """Tell litellm an Ollama model's info up front. Otherwise its success logging looks it
    up with a blocking POST /api/show on the event loop, once per model, and again on every
    call while that lookup fails (measured: a slow /api/show froze the loop)."""
    if model in _registered_models or not model.startswith("ollama_chat/"):
        return
    litellm.register_model(
        {
            model: {
                "litellm_provider": "ollama_chat",
                "mode": "chat",
                "input_cost_per_token": 0.0,
                "output_cost_per_token": 0.0,
            }
        }
    )
    _registered_models.add(model)
