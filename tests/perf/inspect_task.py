"""The inspect-ai side of the whole-process comparison: the same suite, each sample answered
by `ollama/cand`, then scored by `ollama/judge` through `model_graded_qa` (answer, then a
model-graded score: the same two requests per sample as an evalkit run).

    OLLAMA_BASE_URL=http://127.0.0.1:PORT/v1 EVALKIT_BENCH_SUITE=.../test.jsonl \\
        inspect eval tests/perf/inspect_task.py --model ollama/cand --max-connections 8

inspect-ai's Ollama provider speaks Ollama's OpenAI-compatible `/v1/chat/completions`,
which the loopback server also serves with the same latency and slots. Its connection
limit is per base URL, so candidate and grader share 8 slots, as evalkit's endpoint does.
"""

from __future__ import annotations

import os

from inspect_ai import Task, task
from inspect_ai.dataset import FieldSpec, json_dataset
from inspect_ai.scorer import model_graded_qa
from inspect_ai.solver import generate


@task
def bench() -> Task:
    """Answer, then grade with a model."""
    dataset = json_dataset(
        os.environ["EVALKIT_BENCH_SUITE"],
        FieldSpec(input="prompt", target="reference", id="id"),
    )
    return Task(dataset=dataset, solver=generate(), scorer=model_graded_qa(model="ollama/judge"))
