"""The token list an embedded model is fed: the chat format's own markers as control tokens,
every message's content as plain text, so model text can never open or close a turn."""

from __future__ import annotations

import secrets
from typing import Any

from evalkit.endpoints.embedded.catalogue import CATALOGUE

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
