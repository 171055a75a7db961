"""The embedded provider's pure parts: Gemma's turn format and the schema it hands to
llama.cpp's grammar converter (the model itself runs in tests/cli/test_cli.py)."""

from evalkit.endpoints.embedded import gemma_prompt, tuple_only
from evalkit.judges.prompt import verdict_schema
from evalkit.types import Task


def test_gemma_prompt_folds_system_into_first_user_turn() -> None:
    prompt = gemma_prompt(
        [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Again"},
        ]
    )
    assert prompt == (
        "<start_of_turn>user\nBe terse.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello<end_of_turn>\n"
        "<start_of_turn>user\nAgain<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_grammar_schema_keeps_the_criteria_tuple_and_drops_items() -> None:
    task = Task(
        id="t",
        prompt="p",
        reference="r",
        rubric=[
            {"id": "a", "criterion": "c", "severity": "fatal"},
            {"id": "b", "criterion": "c", "severity": "minor"},
        ],
    )
    criteria = tuple_only(verdict_schema(task))["properties"]["criteria"]
    assert "items" not in criteria
    assert [i["properties"]["id"]["enum"] for i in criteria["prefixItems"]] == [["a"], ["b"]]
    issues = tuple_only(verdict_schema(task))["properties"]["issues"]
    assert "items" in issues  # arrays without a tuple keep their item schema
