"""The keys: each thing a key covers changes it, and nothing else does."""

from __future__ import annotations

import pytest

from evalkit.cache import ServedModel, answer_key, judge_hash, task_hash
from evalkit.types import Criterion, JudgeInfo, Task

MODEL = ServedModel("sha256:aaa", {"temperature": 0.3, "seed": 1, "max_tokens": 100})
MESSAGES = [{"role": "user", "content": "hi"}]
BASE = answer_key(MODEL, MESSAGES)


@pytest.mark.parametrize(
    "changed",
    [
        answer_key(ServedModel("sha256:bbb", MODEL.params), MESSAGES),  # re-pulled weights
        answer_key(ServedModel(MODEL.identity, {**MODEL.params, "temperature": 0.4}), MESSAGES),
        answer_key(ServedModel(MODEL.identity, {**MODEL.params, "seed": 2}), MESSAGES),
        answer_key(ServedModel(MODEL.identity, {**MODEL.params, "num_ctx": 4096}), MESSAGES),
        answer_key(MODEL, [{"role": "user", "content": "hi!"}]),
        answer_key(MODEL, [{"role": "system", "content": "s"}, *MESSAGES]),
        answer_key(MODEL, MESSAGES, sample=1),
    ],
)
def test_each_thing_an_answer_key_covers_changes_it(changed: str) -> None:
    assert changed != BASE


def test_an_answer_key_is_stable_and_ignores_setting_order() -> None:
    reordered = ServedModel(MODEL.identity, dict(reversed(list(MODEL.params.items()))))
    assert answer_key(reordered, MESSAGES) == BASE
    assert answer_key(MODEL, MESSAGES, sample=0) == BASE


JUDGE = JudgeInfo(name="j", model="judge", prompt_sha256="p", settings={"temperature": 0.0})
JUDGE_MODELS = {"judge": ServedModel("sha256:jjj", {"max_tokens": 500})}


def test_the_judge_hash_covers_its_prompt_settings_and_models_identity() -> None:
    base = judge_hash(JUDGE, JUDGE_MODELS)
    assert judge_hash(JUDGE.model_copy(update={"prompt_sha256": "q"}), JUDGE_MODELS) != base
    other = JUDGE.model_copy(update={"settings": {"temperature": 0.1}})
    assert judge_hash(other, JUDGE_MODELS) != base
    assert judge_hash(JUDGE, {"judge": ServedModel("sha256:kkk", {"max_tokens": 500})}) != base
    assert judge_hash(JUDGE, {"judge": ServedModel("sha256:jjj", {"max_tokens": 501})}) != base
    moved = JUDGE.model_copy(update={"name": "copy", "path": "/elsewhere/j.toml"})
    assert judge_hash(moved, JUDGE_MODELS) == base  # a renamed or moved file is the same judge


def test_the_task_hash_ignores_id_category_and_tags() -> None:
    task = Task(
        id="t1",
        prompt="p",
        reference="r",
        rubric=[Criterion(id="c", criterion="does it", severity="fatal")],
    )
    same = task.model_copy(update={"id": "t2", "category": "x", "tags": ["y"]})
    assert task_hash(same) == task_hash(task)
    assert task_hash(task.model_copy(update={"reference": "r2"})) != task_hash(task)
