"""What each served model is, recorded in the manifest so that a changed model shows
(`compare` says so before any score): a model re-pulled under the same tag, a GGUF file
replaced, a server upgraded.

A model's identity is, by what its server tells:

- `digest`: Ollama's digest of the model, from `/api/tags` (the probe reads it);
- `file_sha256`: the sha256 of the GGUF file the embedded model runs, hashed once per
  process (the file is about 250 MB, 0.3 s of CPU): cached by path, modification time and
  size, so a replaced file is hashed again;
- `model`: the model string litellm calls, when the server tells nothing more (an
  OpenAI-compatible server, or an Ollama server that was down when probed).

The server's version (Ollama's `/api/version`) is recorded beside it. Replicas that serve
different digests under one name give every digest, joined, so the mix shows.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from evalkit.endpoints.pool import Pool
from evalkit.errors import EvalkitError
from evalkit.types import EndpointHealth, IdentitySource, ModelInfo

_hashed: dict[tuple[str, int, int], str] = {}
"""File sha256 by (resolved path, mtime in ns, size)."""
_hashing = threading.Lock()
READ_BLOCK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file (hex), computed once per process for a given path, modification
    time and size."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_mtime_ns, stat.st_size)
    with _hashing:  # two probes of the same file hash it once
        if key not in _hashed:
            digest = hashlib.sha256()
            with resolved.open("rb") as handle:
                while block := handle.read(READ_BLOCK):
                    digest.update(block)
            _hashed[key] = digest.hexdigest()
        return _hashed[key]


def embedded_digest() -> str | None:
    """The sha256 of the embedded model's GGUF file; None when it cannot be had (then the
    model string stands for it, and the first request reports why)."""
    from evalkit.endpoints.embedded import model_path

    try:
        return file_sha256(model_path())
    except (OSError, ValueError, ImportError):
        return None


def identify(info: ModelInfo, served: str, health: list[EndpointHealth]) -> ModelInfo:
    """`info` with its identity and server version filled from the probes' `health`;
    `served` is the server-side model name."""
    probes = [h for h in health if h.endpoint == info.endpoint and h.reachable]
    found: list[str] = []
    for probe in probes:
        digest = _digest_of(probe, served, info.kind)
        if digest is not None and digest not in found:
            found.append(digest)
    source: IdentitySource = "model"
    identity = info.litellm_model
    if found:
        source = "file_sha256" if info.kind == "embedded" else "digest"
        identity = ",".join(sorted(found))
    versions = sorted({probe.version for probe in probes if probe.version})
    return info.model_copy(
        update={
            "identity": identity,
            "identity_source": source,
            "server_version": ",".join(versions) or None,
        }
    )


def _digest_of(probe: EndpointHealth, served: str, kind: str) -> str | None:
    if kind == "embedded":  # one GGUF file serves every embedded model
        return next(iter(probe.digests.values()), None)
    digest = probe.digests.get(served)
    if digest is None and ":" not in served:  # Ollama lists `gemma3` as `gemma3:latest`
        digest = probe.digests.get(f"{served}:latest")
    return digest


def identify_models(
    pool: Pool, models: dict[str, ModelInfo], health: list[EndpointHealth], names: list[str]
) -> dict[str, ModelInfo]:
    """`models` with the identity of each of `names` filled from the probes' `health`; a
    model the config no longer has (a forced resume) is left as it was."""
    identified = dict(models)
    for name in names:
        if name not in identified:
            continue
        try:
            _, model = pool.model(name, "model")
        except EvalkitError:
            continue
        identified[name] = identify(identified[name], model.model or name, health)
    return identified
