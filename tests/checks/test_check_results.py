"""Check results against the judge: disagreements and the fatal cap, as pure functions."""

from __future__ import annotations

from evalkit.checks import (
    CheckResult,
    Disagreement,
    fatal_failures,
    find_disagreements,
    validate_checks,
)

RUBRIC = ["hmac", "constant-time", "closes-session"]
CHECKS = validate_checks(
    [
        {"id": "uses-hmac", "kind": "regex", "pattern": "hmac", "severity": "fatal",
         "criterion": "hmac"},
        {"id": "compare", "kind": "contains", "text": "compare_digest", "severity": "major",
         "criterion": "constant-time"},
        {"id": "runs", "kind": "python", "code": "import solution", "severity": "fatal"},
        {"id": "closes", "kind": "python", "code": "import solution", "severity": "minor",
         "criterion": "closes-session"},
    ],
    RUBRIC,
)  # fmt: skip


def result(check_id: str, passed: bool | None) -> CheckResult:
    return CheckResult(id=check_id, passed=passed, detail="", duration_ms=1.0)


def test_a_check_contradicting_the_judge_is_a_disagreement_both_ways() -> None:
    results = [result("uses-hmac", False), result("compare", True), result("runs", True),
               result("closes", True)]  # fmt: skip
    judge = {"hmac": True, "constant-time": False, "closes-session": True}
    assert find_disagreements(CHECKS, results, judge) == [
        Disagreement(check_id="uses-hmac", criterion="hmac", check_passed=False, judge_met=True),
        Disagreement(
            check_id="compare", criterion="constant-time", check_passed=True, judge_met=False
        ),
    ]


def test_agreement_is_no_disagreement() -> None:
    results = [result("uses-hmac", True), result("compare", False)]
    assert find_disagreements(CHECKS, results, {"hmac": True, "constant-time": False}) == []


def test_a_check_not_run_or_a_criterion_without_a_finding_is_no_disagreement() -> None:
    results = [result("uses-hmac", None), result("compare", False), result("closes", False)]
    assert find_disagreements(CHECKS, results, {"hmac": False, "closes-session": True}) == [
        Disagreement(
            check_id="closes", criterion="closes-session", check_passed=False, judge_met=True
        )
    ]


def test_results_are_matched_by_id_not_position() -> None:
    results = [result("compare", True), result("uses-hmac", False)]
    found = find_disagreements(CHECKS, results, {"hmac": True, "constant-time": True})
    assert [d.check_id for d in found] == ["uses-hmac"]


def test_only_fatal_checks_that_ran_and_failed_cap_the_score() -> None:
    results = [result("uses-hmac", False), result("compare", False), result("runs", None),
               result("closes", False)]  # fmt: skip
    assert fatal_failures(CHECKS, results) == ["uses-hmac"]
    assert fatal_failures(CHECKS, [result("runs", False)]) == ["runs"]
    assert fatal_failures(CHECKS, [result("uses-hmac", True)]) == []


def test_a_result_serialises_as_the_record_field() -> None:
    assert result("runs", None).model_dump() == {
        "id": "runs", "passed": None, "detail": "", "duration_ms": 1.0,
    }  # fmt: skip
