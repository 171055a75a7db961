"""OpenAI-compatible servers (vLLM, SGLang, llama.cpp's servers, LM Studio): what a request
to one carries, and the two ways such servers refuse one that evalkit can tell apart.

Guarantees:

- A request carries only what OpenAI's chat API defines: Ollama's `num_ctx` is never sent
  (the server fixes its context when it starts, e.g. vLLM's `--max-model-len`; an OpenAI
  server rejects an unknown argument, vLLM ignores it with a warning).
- A server that needs no key gets a placeholder (`NO_KEY`): litellm's OpenAI client sends
  nothing without a key ("Missing credentials"), and without an explicit one it would take
  `OPENAI_API_KEY` from the environment and send that key to whatever server the URL
  names.
- A verdict's JSON schema is asked for as OpenAI's `response_format` of type `json_schema`,
  which vLLM, SGLang, llama.cpp's C++ server, LM Studio and OpenAI constrain decoding to.
  A server that refuses that shape and names `json_object` as what it takes
  (llama-cpp-python's server: "Input should be 'text' or 'json_object'") is sent
  `{"type": "json_object", "schema": ...}`, which it constrains to the same schema, and
  so is every later request to that endpoint.
- An answer of 401 or 403 says which setting to change: it is a configuration problem,
  never retried (see evalkit.endpoints.retry).
"""

from __future__ import annotations

from typing import Any, Literal

from evalkit.endpoints.embedded import tuple_only

SchemaStyle = Literal["json_schema", "json_object"]

NO_KEY = "no-key"
"""The api_key sent to an OpenAI-compatible endpoint that has none configured."""

OPENAI_PARAMS = frozenset({"temperature", "seed", "max_tokens", "top_p"})
"""The sampling settings OpenAI's chat API defines, of those a model config can set."""

AUTH_STATUS = frozenset({401, 403})


def openai_params(params: dict[str, Any]) -> dict[str, Any]:
    """The settings an OpenAI-compatible server is sent: those the API defines."""
    return {k: v for k, v in params.items() if k in OPENAI_PARAMS}


def response_format(schema: dict[str, Any], style: SchemaStyle = "json_schema") -> dict:
    """The `response_format` asking for JSON that validates against `schema`."""
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": schema, "strict": True},
    }


def refuses_json_schema(request: dict[str, Any], exc: BaseException) -> bool:
    """Whether `exc` is the server refusing this request's `json_schema` response format
    while naming `json_object` as one it takes (so asking in that shape can succeed)."""
    asked = request.get("response_format") or {}
    text = str(exc)
    return (
        asked.get("type") == "json_schema" and "response_format" in text and ("json_object" in text)
    )


def as_json_object(request: dict[str, Any]) -> dict[str, Any]:
    """The `json_schema` response format of `request` in the `json_object` shape. The
    servers that want this shape are llama-cpp-python's, whose grammar converter reads
    `items` before `prefixItems`: it gets the schema the embedded model gets."""
    schema = request["response_format"]["json_schema"]["schema"]
    return response_format(tuple_only(schema), "json_object")


def auth_hint(status: int | None, endpoint: str, has_key: bool) -> str:
    """What to change when a server answered 401 or 403; empty for any other status."""
    if status not in AUTH_STATUS:
        return ""
    if has_key:
        return f" (the server refused the api_key of endpoints.{endpoint}: check it)"
    return f" (the server wants an API key: set api_key in endpoints.{endpoint})"
