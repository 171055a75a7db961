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
  a few hundred tokens at most. Only the sampled token is checked against the grammar each
  step (`sampling`), not the whole vocabulary.
- Each answer carries its prompt-processing and generation times as `prompt_eval_ms`
  and `eval_ms`, the fields Ollama fills.

Modules: `catalogue` (which models, where their GGUF is), `models` (loading, one at a time),
`chat` (the token list fed), `schema` (the grammar's schema), `sampling` (generation under
a grammar), `provider` (the litellm provider). llama.cpp is imported only inside functions
that run a model, so importing this package stays cheap.
"""

from evalkit.endpoints.embedded.catalogue import (
    CATALOGUE,
    EmbeddedModel,
    installed,
    missing_reason,
    model_path,
)
from evalkit.endpoints.embedded.chat import gemma_segments, prompt_tokens, template_segments
from evalkit.endpoints.embedded.models import THREADS, load_model, loaded
from evalkit.endpoints.embedded.provider import PROVIDER, generate, register
from evalkit.endpoints.embedded.schema import ISSUES_CAP, TEXT_CAPS, bounded, tuple_only

__all__ = [
    "CATALOGUE",
    "ISSUES_CAP",
    "PROVIDER",
    "TEXT_CAPS",
    "THREADS",
    "EmbeddedModel",
    "bounded",
    "gemma_segments",
    "generate",
    "installed",
    "load_model",
    "loaded",
    "missing_reason",
    "model_path",
    "prompt_tokens",
    "register",
    "template_segments",
    "tuple_only",
]
