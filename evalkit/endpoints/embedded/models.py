"""The loaded llama.cpp models of this process: each catalogue model's GGUF is loaded once,
on first use, and freed before the interpreter shuts down. Calls take `RUN_LOCK`: one model
runs at a time, since two would only share the same CPU cores."""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from evalkit.endpoints.embedded.catalogue import model_path

_load_lock = threading.Lock()
RUN_LOCK = threading.Lock()
"""Held while a model evaluates a prompt or generates."""
_models: dict[str, Any] = {}
THREADS = max(1, (os.cpu_count() or 1) - 1)
"""llama.cpp threads: every core but one. Its threads wait for each other at every layer
by spinning, so when another process wants a core they stall: on this 2-core machine,
shared, SmolLM2 fell from 22-25 tokens/s on one thread to 1 token/s on two (measured)."""


def loaded() -> list[str]:
    """The models this process has loaded so far."""
    return list(_models)


_log_callback: Any = None
"""llama.cpp's log callback, kept alive while the library may call it."""


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
