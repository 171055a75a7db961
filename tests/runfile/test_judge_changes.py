"""runfile.manifests.judge_changes: the same judge file in another checkout is the same
judge; any change to its definition is named."""

from __future__ import annotations

from evalkit.runfile.manifests import judge_changes
from evalkit.types import JudgeInfo


def info(**changes: object) -> JudgeInfo:
    base = {
        "name": "embedded",
        "kind": "rubric",
        "model": "gemma3-270m",
        "prompt_sha256": "p" * 64,
        "settings": {"temperature": 0.0, "max_tokens": 768},
        "path": "/work/main/judges/embedded.toml",
        "definition_sha256": "d" * 64,
    }
    return JudgeInfo.model_validate({**base, **changes})


def test_the_same_file_loaded_from_another_checkout_is_the_same_judge() -> None:
    assert judge_changes(info(), info(path="/check/work/main/judges/embedded.toml")) == []


def test_a_changed_definition_is_named_with_where_it_was_loaded_from() -> None:
    changed = info(
        settings={"temperature": 0.0, "max_tokens": 512},
        definition_sha256="e" * 64,
        path="/elsewhere/embedded.toml",
    )
    found = judge_changes(info(), changed)
    assert "max_tokens 768 -> 512" in found
    assert "loaded from /elsewhere/embedded.toml, not /work/main/judges/embedded.toml" in found
    assert judge_changes(info(), info(definition_sha256="e" * 64)) == [
        f"its file changed (definition sha256 {'d' * 12} -> {'e' * 12})"
    ]
