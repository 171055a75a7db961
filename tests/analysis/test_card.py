"""The judge card computed from card run files written here (no model): how gradings count
for validity (a panel's votes one by one), when there is no interval, what a probe says
when it has nothing to measure, and the card file's naming."""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import manifest, record, verdict

from evalkit.analysis.card import build_card
from evalkit.analysis.labels import Label
from evalkit.runfile.card import card_path, probe_candidate, split_probe
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import (
    CardSettings,
    ErrorInfo,
    MemberVerdict,
    ModelFamilies,
    Record,
)

JUDGE = "gemma3-27b"


def card_file(path: Path, records: list[Record], candidates=("gemma3:1b",), **card) -> Path:
    """A card run file of `records`, its manifest a card's."""
    families = ModelFamilies(
        families={"gemma3:1b": "gemma3", "gemma3:27b": "gemma3"},
        judge=["gemma3:27b"],
        shared={"gemma3:1b": "is of the judge's family gemma3 (gemma3:27b)"},
    )
    settings = CardSettings(samples=2, probes=["repeat-0..1", "padded", "injected"], **card)
    head = manifest(list(candidates)).model_copy(
        update={"parent": "run.jsonl", "card": settings, "families": families}
    )
    with RunWriter(path, head) as writer:
        for item in records:
            writer.write(item)
    return path


def graded(task: str, variant: str, score: int, candidate: str = "gemma3:1b", **extra) -> Record:
    made = record(task, probe_candidate(candidate, variant), score=score, judge=JUDGE)
    return made.model_copy(update=extra)


def test_validity_counts_first_replies_reasks_and_failures_and_each_panel_vote(
    tmp_path: Path,
) -> None:
    invalid = ErrorInfo(kind="InvalidVerdict", message="bad", role="judge")
    down = ErrorInfo(kind="EndpointDown", message="down", role="judge")
    votes = [
        MemberVerdict(judge="a", verdict=verdict(3)),
        MemberVerdict(judge="b", verdict=verdict(3), raw=["{not json"]),
        MemberVerdict(judge="c", error=invalid, raw=["x", "y"]),
        MemberVerdict(judge="d", error=down, unavailable=True),
    ]
    records = [
        graded("t1", "repeat-0", 3),
        graded("t2", "repeat-0", 3, judge_raw=["{not json"]),
        record("t3", "gemma3:1b~repeat-0", "judge_error", judge=JUDGE),
        record("t4", "gemma3:1b~repeat-0", "unavailable", judge=JUDGE),
        graded("t5", "repeat-0", 3, members=votes),
    ]
    card = build_card(read_run(card_file(tmp_path / "c.jsonl", records)))
    probe = card.probes.validity
    assert (probe.n, probe.not_reached, card.not_done) == (6, 2, 1)
    assert (probe.first_time, probe.after_reask, probe.never) == (2 / 6, 2 / 6, 2 / 6)
    assert probe.effect == pytest.approx(4 / 6)


def test_one_task_gives_no_interval_and_no_flag(tmp_path: Path) -> None:
    records = [graded("t1", "repeat-0", 2), graded("t1", "padded", 5)]
    card = build_card(read_run(card_file(tmp_path / "c.jsonl", records)))
    assert card.probes.verbosity.effect == 3.0
    assert card.probes.verbosity.ci is None and not card.probes.verbosity.flagged


def test_every_answer_raised_on_every_task_is_flagged(tmp_path: Path) -> None:
    records = [
        graded(t, v, s) for t in ("t1", "t2", "t3") for v, s in (("repeat-0", 2), ("padded", 3))
    ]
    probe = build_card(read_run(card_file(tmp_path / "c.jsonl", records))).probes.verbosity
    assert (probe.effect, probe.ci, probe.flagged) == (1.0, (1.0, 1.0), True)
    assert (probe.raised, probe.lowered, probe.unchanged) == (3, 0, 0)


def test_probes_without_material_say_why_and_are_never_flagged(tmp_path: Path) -> None:
    records = [graded("t1", "repeat-0", 2), graded("t2", "repeat-0", 3)]
    path = card_file(tmp_path / "c.jsonl", records, skipped={"position": "a panel"})
    probes = build_card(read_run(path)).probes
    assert probes.position.note == "no pair judged: a panel"
    assert "give --labels or --versus" in probes.self_preference.note
    assert probes.agreement.note == "no expert labels: give --labels FILE"
    assert probes.repeatability.note == "no answer has two scored gradings"
    for _, probe in probes:
        assert probe.flagged is False
        if probe.n == 0:
            assert probe.effect is None and probe.ci is None


def test_self_preference_with_only_the_judges_family_says_it_cannot_tell_leniency(
    tmp_path: Path,
) -> None:
    records = [graded(f"t{i}", "repeat-0", 4) for i in range(4)]
    labels = [Label(task_id=f"t{i}", candidate="gemma3:1b", score=2) for i in range(4)]
    card = build_card(read_run(card_file(tmp_path / "c.jsonl", records)), labels=labels)
    probe = card.probes.self_preference
    assert (probe.effect, probe.flagged, probe.other_difference) == (2.0, True, None)
    assert "cannot tell self-preference from leniency" in probe.note
    assert card.probes.agreement.effect == 2.0 and card.probes.agreement.flagged
    assert card.probes.agreement.kappa_quadratic.value == 0.0  # sklearn's value (one side constant)


def test_card_files_are_named_beside_the_run_and_keep_their_keys() -> None:
    assert card_path("results/big-brain/R.jsonl", "gemma3-27b") == Path(
        "results/big-brain/R.card-gemma3-27b.jsonl"
    )
    assert card_path("R.jsonl", "a/b c").name == "R.card-a_b_c.jsonl"
    probe = split_probe(probe_candidate("hf.co/x:Q4~odd", "repeat-12"))
    assert probe is not None and (probe.candidate, probe.repeat) == ("hf.co/x:Q4~odd", 12)
    assert split_probe("gemma3:1b") is None
