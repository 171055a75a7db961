"""evalkit: LLM-as-judge evaluation for models you run yourself.

Suites are Hugging Face datasets, candidates are called through litellm (Ollama first of
all, or the tiny embedded SmolLM2 and Gemma 3 models run in-process by llama.cpp), a judge
grades every answer against the task's rubric into a structured Verdict, and every result
lands in an append-only JSONL run file.

The public API, importable from here (`from evalkit import Judge, Task, read_run`):

- for a judge plugin: what it implements, `Judge`; what it is constructed with,
  `JudgeContext` (its `pool.model(name, where)` gives a configured model's `Endpoint` and
  `ModelConfig`, and `Endpoint.complete(...)` calls it with evalkit's retry policy); what
  it receives and returns, `Task`, `Criterion`, `Grading`, `Verdict`, `CriterionResult`,
  `Issue`, `ErrorInfo`, `JudgeInfo`; and `CallFailed`, what `Endpoint.complete` raises;
- for reading run files: `read_run` giving a `RunFile` (its `RunManifest`, and the latest
  `Record` or `PairRecord` of every key), `Answer`;
- the errors: `EvalkitError` and its tree (see `evalkit.errors`).

Names load on first use (PEP 562), so `import evalkit` costs what it did before the API
existed, and the commands that only read files never import litellm or datasets.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Answer": "evalkit.types",
    "CallFailed": "evalkit.endpoints.pool",
    "ConfigError": "evalkit.errors",
    "Criterion": "evalkit.types",
    "CriterionResult": "evalkit.types",
    "Endpoint": "evalkit.endpoints.pool",
    "ErrorInfo": "evalkit.types",
    "EvalkitError": "evalkit.errors",
    "Grading": "evalkit.types",
    "InputError": "evalkit.errors",
    "Issue": "evalkit.types",
    "Judge": "evalkit.judges.protocol",
    "JudgeContext": "evalkit.judges.protocol",
    "JudgeInfo": "evalkit.types",
    "LabelsError": "evalkit.errors",
    "ModelConfig": "evalkit.config",
    "PairRecord": "evalkit.types",
    "Pool": "evalkit.endpoints.pool",
    "Record": "evalkit.types",
    "ResumeMismatchError": "evalkit.errors",
    "RunFile": "evalkit.runfile.reader",
    "RunFileError": "evalkit.errors",
    "RunManifest": "evalkit.types",
    "SuiteError": "evalkit.errors",
    "Task": "evalkit.types",
    "UnknownJudgeError": "evalkit.errors",
    "Verdict": "evalkit.types",
    "read_run": "evalkit.runfile.reader",
}
"""Each public name and the module that defines it."""

__all__ = [
    "Answer",
    "CallFailed",
    "ConfigError",
    "Criterion",
    "CriterionResult",
    "Endpoint",
    "ErrorInfo",
    "EvalkitError",
    "Grading",
    "InputError",
    "Issue",
    "Judge",
    "JudgeContext",
    "JudgeInfo",
    "LabelsError",
    "ModelConfig",
    "PairRecord",
    "Pool",
    "Record",
    "ResumeMismatchError",
    "RunFile",
    "RunFileError",
    "RunManifest",
    "SuiteError",
    "Task",
    "UnknownJudgeError",
    "Verdict",
    "__version__",
    "read_run",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use, then keep it here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
