"""evalkit: LLM-as-judge evaluation for models you run yourself.

Suites are Hugging Face datasets, candidates are called through litellm (Ollama first of
all, or the embedded Gemma 3 270M), a judge grades every answer against the task's rubric
into a structured Verdict, and every result lands in an append-only JSONL run file.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
