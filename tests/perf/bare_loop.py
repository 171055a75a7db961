"""The baseline: a bare asyncio loop over `litellm.acompletion` making the calls an evalkit
run makes (the same models, messages, judge prompt, JSON schema, timeout), with the same
number in flight, and nothing else: no retries, no records, no file.

    python tests/perf/bare_loop.py URL SUITE_JSONL [--slots 8] [--tuned]

Prints one JSON object: `import` (seconds to import litellm), `run_wall`, `run_cpu` (CPU
seconds of the loop only) and `samples`. Plain, litellm is imported and called as any
litellm user gets it; `--tuned`, it is imported through evalkit (with what evalkit
switches off) and called through evalkit's HTTP client, so the loop costs what litellm
costs evalkit, and evalkit's own share of a run is the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from evalkit.judges.prompt import render, verdict_schema
from evalkit.types import Task

REPO = Path(__file__).resolve().parents[2]


async def sample(
    litellm: object, url: str, row: dict, slots: asyncio.Semaphore, client: object
) -> None:
    """Answer one task, then grade the answer, as a run does."""
    task = Task.model_validate(row)
    common = {"api_base": url, "timeout": 60, "num_retries": 0}
    if client is not None:
        common["client"] = client
    async with slots:
        answer = await litellm.acompletion(  # type: ignore[attr-defined]
            model="ollama_chat/cand",
            messages=[{"role": "user", "content": task.prompt}],
            temperature=0.3,
            **common,
        )
    text = answer.choices[0].message.content or ""
    schema = {"name": "verdict", "schema": verdict_schema(task), "strict": True}
    async with slots:
        grade = await litellm.acompletion(  # type: ignore[attr-defined]
            model="ollama_chat/judge",
            messages=[{"role": "user", "content": render(TEMPLATE, task, text)}],
            temperature=0.0,
            response_format={"type": "json_schema", "json_schema": schema},
            **common,
        )
    json.loads(grade.choices[0].message.content)


TEMPLATE = (REPO / "judges" / "rubric-judge.md").read_text()


def main() -> None:
    """Import, then time the loop alone."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("suite_jsonl")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--tuned", action="store_true", help="litellm as evalkit sets it up")
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    began = time.perf_counter()
    client = None
    if args.tuned:
        from evalkit.endpoints.litellm_tuning import register_model_info
        from evalkit.endpoints.ollama_usage import tapped_handler
        from evalkit.endpoints.pool import import_litellm

        litellm = import_litellm()
        client = tapped_handler()
        for model in ("ollama_chat/cand", "ollama_chat/judge"):
            register_model_info(litellm, model)
    else:
        import litellm
    imported = time.perf_counter() - began
    rows = [json.loads(line) for line in Path(args.suite_jsonl).read_text().splitlines()]

    async def run() -> None:
        slots = asyncio.Semaphore(args.slots)
        await asyncio.gather(*(sample(litellm, args.url, row, slots, client) for row in rows))

    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run())
    result = {
        "import": imported,
        "run_wall": time.perf_counter() - wall,
        "run_cpu": time.process_time() - cpu,
        "samples": len(rows),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
