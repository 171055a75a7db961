"""Generation under a grammar that checks one token a step, not the whole vocabulary.

llama-cpp-python puts the grammar in the sampler chain, so at every step each vocabulary
entry is matched against it: 262,144 entries for Gemma 3, which made a 270M model's verdicts
generate at a third of its free-text speed (measured, README "The embedded models"). Here,
as llama.cpp's own `common_sampler` does, the token is sampled first and only that token is
checked; only when the grammar rejects it is the vocabulary filtered and the token sampled
again from what the grammar allows.

Guarantees:
- Every token emitted was accepted by the grammar: the reply parses as the schema, unless
  max_tokens cuts it (finish reason "length").
- Greedy decoding (temperature 0) emits the very tokens full-vocabulary grammar sampling
  emits: the most likely token, if the grammar allows it, is the most likely allowed one. At
  a temperature, a rejected draw is redrawn from the allowed tokens, which gives each
  allowed token the probability it has under full filtering (before top-k/top-p cuts).
- Generation ends at an end-of-generation token the grammar allows, or at max_tokens.
- Prompt processing and generation are timed apart (milliseconds, wall clock).
"""

from __future__ import annotations

import ctypes
import time
from typing import Any, Literal, NamedTuple

import llama_cpp
import numpy as np

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
"""llama_token_data as a numpy record (12 bytes, no padding)."""


class Sampling(NamedTuple):
    """How to choose tokens, as a completion request asks."""

    max_tokens: int
    """The most tokens to generate."""
    temperature: float
    """0 for greedy decoding."""
    top_p: float
    """Nucleus cut (with temperature > 0)."""
    seed: int
    """The sampler's random seed (with temperature > 0)."""


class Generated(NamedTuple):
    """One constrained completion."""

    text: str
    """The reply."""
    tokens: int
    """Tokens generated."""
    finish_reason: Literal["stop", "length"]
    """stop: the grammar's end was reached; length: max_tokens cut the reply."""
    prompt_tokens: int
    """Tokens of the prompt."""
    prompt_ms: float
    """Time to process the prompt tokens not already in the model's cache."""
    generation_ms: float
    """Time to generate: decoding, sampling and the grammar."""
    redraws: int
    """Steps whose first draw the grammar rejected."""


def generate_constrained(llm: Any, prompt: list[int], grammar: Any, how: Sampling) -> Generated:
    """Complete `prompt` (a token list) under `grammar` (a llama_cpp.LlamaGrammar)."""
    vocab = llm._model.vocab
    chain = _chain(how)
    rules = llama_cpp.llama_sampler_init_grammar(
        vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
    )
    try:
        began = time.perf_counter()
        feed_prompt(llm, prompt)
        prompted = time.perf_counter()
        out: list[int] = []
        redraws = 0
        finish: Literal["stop", "length"] = "length"
        while len(out) < how.max_tokens:
            token, redrawn = _next_token(llm, chain, rules)
            redraws += redrawn
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            llama_cpp.llama_sampler_accept(rules, token)
            out.append(token)
            llm.eval([token])
        done = time.perf_counter()
    finally:
        llama_cpp.llama_sampler_free(rules)
        llama_cpp.llama_sampler_free(chain)
    return Generated(
        text=llm.detokenize(out).decode("utf-8", errors="ignore"),
        tokens=len(out),
        finish_reason=finish,
        prompt_tokens=len(prompt),
        prompt_ms=(prompted - began) * 1000,
        generation_ms=(done - prompted) * 1000,
        redraws=redraws,
    )


def feed_prompt(llm: Any, prompt: list[int]) -> None:
    """Evaluate the prompt, reusing the model's cache for the prefix it shares with the
    last one (a judge's template opens every prompt); at least one token is evaluated, so
    the logits are the prompt's."""
    cached = llm.input_ids[: llm.n_tokens].tolist()
    shared = 0
    for old, new in zip(cached, prompt[:-1], strict=False):
        if old != new:
            break
        shared += 1
    llm.n_tokens = shared  # eval drops the cache from here on
    llm.eval(prompt[shared:])


def _chain(how: Sampling) -> Any:
    """The sampler without the grammar: greedy, or llama-cpp-python's default cuts."""
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    if how.temperature <= 0:
        steps = [llama_cpp.llama_sampler_init_greedy()]
    else:
        steps = [
            llama_cpp.llama_sampler_init_top_k(40),
            llama_cpp.llama_sampler_init_top_p(how.top_p, 1),
            llama_cpp.llama_sampler_init_min_p(0.05, 1),
            llama_cpp.llama_sampler_init_temp(how.temperature),
            llama_cpp.llama_sampler_init_dist(how.seed),
        ]
    for step in steps:
        llama_cpp.llama_sampler_chain_add(chain, step)
    return chain


def _next_token(llm: Any, chain: Any, rules: Any) -> tuple[int, bool]:
    """The next token, and whether the first draw was rejected and redrawn."""
    ctx = llm._ctx.ctx
    token = llama_cpp.llama_sampler_sample(chain, ctx, -1)
    one = np.array([(token, 0.0, 0.0)], dtype=_TOKEN_DATA)
    llama_cpp.llama_sampler_apply(rules, _as_array(one))
    if np.isfinite(one["logit"][0]):
        return token, False
    every = np.empty(llm.n_vocab(), dtype=_TOKEN_DATA)
    every["id"] = np.arange(len(every), dtype=np.int32)
    every["logit"] = np.ctypeslib.as_array(
        llama_cpp.llama_get_logits_ith(ctx, -1), shape=(len(every),)
    )
    every["p"] = 0.0
    candidates = _as_array(every)
    llama_cpp.llama_sampler_apply(rules, candidates)
    llama_cpp.llama_sampler_apply(chain, candidates)
    chosen = candidates.contents
    return int(chosen.data[chosen.selected].id), True


def _as_array(data: np.ndarray) -> Any:
    """A llama_token_data_array over `data` (which must outlive it)."""
    pointer = ctypes.cast(data.ctypes.data, llama_cpp.llama_token_data_p)
    return ctypes.pointer(llama_cpp.llama_token_data_array(pointer, len(data), -1, False))
