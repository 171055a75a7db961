"""Checks beside the judge: deterministic facts about an answer (regex, contains,
json_schema) and executed evidence (python, in a sandbox), recorded apart from the verdict.

The integration surface, in pipeline order:

    checks = validate_checks(row["checks"], rubric_ids)       # at suite load; ValueError
    key = checks_hash(checks)                                # reuse results when unchanged
    sandbox = find_sandbox("bwrap")                          # or SandboxUnavailable (exit 2)
    results = await run_checks(checks, answer_text, sandbox)  # list[CheckResult], in order
    capped = fatal_failures(checks, results)                 # ids that cap the score
    found = find_disagreements(checks, results, {c.id: c.met for c in verdict.criteria})

Imports one way: spec <- result <- text, code_blocks <- sandbox <- bwrap, container <-
sandboxes, runner. Only evalkit.errors from the rest of evalkit.
"""

from evalkit.checks.bwrap import BwrapSandbox
from evalkit.checks.code_blocks import fenced_blocks, python_source
from evalkit.checks.container import ContainerSandbox
from evalkit.checks.result import (
    CheckResult,
    Disagreement,
    fatal_failures,
    find_disagreements,
)
from evalkit.checks.runner import run_check, run_checks
from evalkit.checks.sandbox import Limits, Sandbox, SandboxRun, SandboxUnavailable
from evalkit.checks.sandboxes import (
    SANDBOXES,
    SandboxStatus,
    find_sandbox,
    make_sandbox,
    sandbox_status,
)
from evalkit.checks.spec import (
    Check,
    ContainsCheck,
    JsonSchemaCheck,
    PythonCheck,
    RegexCheck,
    checks_hash,
    validate_checks,
)

__all__ = [
    "SANDBOXES",
    "BwrapSandbox",
    "Check",
    "CheckResult",
    "ContainerSandbox",
    "ContainsCheck",
    "Disagreement",
    "JsonSchemaCheck",
    "Limits",
    "PythonCheck",
    "RegexCheck",
    "Sandbox",
    "SandboxRun",
    "SandboxStatus",
    "SandboxUnavailable",
    "checks_hash",
    "fatal_failures",
    "fenced_blocks",
    "find_disagreements",
    "find_sandbox",
    "make_sandbox",
    "python_source",
    "run_check",
    "run_checks",
    "sandbox_status",
    "validate_checks",
]
