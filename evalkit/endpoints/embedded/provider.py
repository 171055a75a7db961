"""The embedded models as the litellm provider `embedded`: one blocking completion per call,
run in a worker thread, its prompt processing and generation times reported as Ollama's
would be."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from evalkit.endpoints.embedded.catalogue import CATALOGUE
from evalkit.endpoints.embedded.chat import prompt_tokens
from evalkit.endpoints.embedded.models import RUN_LOCK, load_model
from evalkit.endpoints.embedded.schema import bounded, tuple_only

PROVIDER = "embedded"
_registered = False


def generate(name: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Run one completion (blocking); returns a completion dict as llama.cpp's, with the
    prompt processing and generation times under "timings" (milliseconds). A JSON schema in
    `response_format` constrains the reply (sampling.generate_constrained)."""
    llm = load_model(name, int(params.get("num_ctx") or 8192))
    response_format = params.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return _constrained(name, llm, messages, params, response_format["json_schema"])
    return _free(name, llm, messages, params)


def _free(name: str, llm: Any, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict:
    """Free text: llama-cpp-python's own completion, stopped at the format's turn markers."""
    import llama_cpp

    with RUN_LOCK:
        tokens = prompt_tokens(name, llm, messages)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        began = time.perf_counter()
        result = llm.create_completion(
            prompt=tokens,
            max_tokens=int(params.get("max_tokens") or 512),
            temperature=float(params.get("temperature") or 0.0),
            top_p=float(params.get("top_p") or 0.95),
            seed=int(params["seed"]) if params.get("seed") is not None else None,
            repeat_penalty=1.15,  # against loops in free text
            stop=list(CATALOGUE[name].stop),
        )
        wall_ms = (time.perf_counter() - began) * 1000
        prompt_ms = llama_cpp.llama_perf_context(llm.ctx).t_p_eval_ms
    # generation is everything after the prompt: decoding and sampling
    result["timings"] = {"prompt_eval_ms": prompt_ms, "eval_ms": max(0.0, wall_ms - prompt_ms)}
    return result


def _constrained(
    name: str, llm: Any, messages: list[dict[str, Any]], params: dict[str, Any], schema: dict
) -> dict[str, Any]:
    """A reply under the schema's grammar, its free text capped (schema.bounded)."""
    import llama_cpp

    from evalkit.endpoints.embedded.sampling import Sampling, generate_constrained

    rules = json.dumps(bounded(tuple_only(schema["schema"])))
    grammar = llama_cpp.LlamaGrammar.from_json_schema(rules, verbose=False)
    how = Sampling(
        max_tokens=int(params.get("max_tokens") or 512),
        temperature=float(params.get("temperature") or 0.0),
        top_p=float(params.get("top_p") or 0.95),
        seed=int(params["seed"]) if params.get("seed") is not None else 0,
    )
    with RUN_LOCK:
        reply = generate_constrained(llm, prompt_tokens(name, llm, messages), grammar, how)
    return {
        "choices": [{"text": reply.text, "finish_reason": reply.finish_reason}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.tokens,
            "total_tokens": reply.prompt_tokens + reply.tokens,
        },
        "timings": {"prompt_eval_ms": reply.prompt_ms, "eval_ms": reply.generation_ms},
    }


def register(litellm: Any) -> None:
    """Register the embedded provider with litellm (once per process)."""
    global _registered
    if _registered:
        return
    from litellm import CustomLLM

    from evalkit.endpoints.ollama_usage import report_durations

    class EmbeddedLLM(CustomLLM):
        """litellm's custom-provider interface over `generate`."""

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            name = str(kwargs.get("model"))
            messages = kwargs["messages"]
            params = dict(kwargs.get("optional_params") or {})
            response = kwargs["model_response"]
            result = await asyncio.to_thread(generate, name, messages, params)
            choice = result["choices"][0]
            response.choices[0].message.content = choice["text"]
            response.choices[0].finish_reason = choice.get("finish_reason") or "stop"
            usage = result.get("usage") or {}
            response.usage = litellm.Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            )
            response.model = f"{PROVIDER}/{name}"
            report_durations(**result["timings"])
            return response

    litellm.custom_provider_map = [
        *[p for p in litellm.custom_provider_map if p.get("provider") != PROVIDER],
        {"provider": PROVIDER, "custom_handler": EmbeddedLLM()},
    ]
    _registered = True
