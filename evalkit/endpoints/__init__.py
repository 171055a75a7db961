"""Stage 2, endpoints: the only place evalkit calls a model.

Takes: the config's endpoints and models. Gives: a `Pool` of `Endpoint`s whose
`complete(...)` returns an `Answer` or raises `CallFailed` (kind, HTTP status, reason),
after evalkit's one retry policy, per-endpoint slots, a circuit breaker and replicas; and
health probes before fan-out.

Modules: `pool` (Endpoint, Pool, CallFailed; litellm's one call site), `retry`, `breaker`,
`replicas`, `probes`, `litellm_tuning`, `ollama_usage`, `openai_compat` (what an
OpenAI-compatible server is sent), `embedded` (llama.cpp in-process).
May import: `config` and the leaves. litellm is imported here only; llama.cpp in
`embedded` only.
"""
