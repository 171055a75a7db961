"""The judge card against scripted judges with planted biases (on the loopback Ollama,
through the real litellm path): each biased judge is flagged by the probe built for it
and by no other, a fair judge by none; no candidate is ever called; the card's numbers
equal a direct computation; a card killed midway and resumed repeats no judge call."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from biased_judges import (
    always_first,
    answer_for,
    by_length,
    fair,
    favours,
    graded_answer,
    invalid_half_the_time,
    labels,
    longer,
    noisy_when_hot,
    obeys,
    responder,
    task_number,
)
from judge_replies import shown_answers
from projects import REPO, is_judge_request, write_project

from evalkit.analysis.card import build_card
from evalkit.cli import main
from evalkit.run.card_probes import injected, padded
from evalkit.runfile.reader import read_run

CANDIDATES = ["llama3:1b", "qwen2:1b"]
JUDGE_MODEL = "llama3:8b"  # of llama3:1b's family, so self-preference can be measured
N_TASKS = 4
PROBES = {"validity", "repeatability", "position", "verbosity", "injection"} | {
    "self_preference",
    "agreement",
}


def length_judge():
    """Scores by length, its thresholds set from the answers: the originals score as a
    fair judge would (good answers are the long ones), an injected answer keeps its score,
    a padded good answer gains a point."""
    originals = [answer_for(m, c, t) for t in range(N_TASKS) for c, m in enumerate(CANDIDATES)]
    good = [a for a in originals if "EXPLAINED" in a]
    poor = [a for a in originals if "EXPLAINED" not in a]
    short_top = max(len(v) for a in poor for v in (a, padded(a), injected(a)))
    assert short_top < min(map(len, good))
    long_gap = (max(len(injected(a)) for a in good), min(len(padded(a)) for a in good))
    assert long_gap[0] < long_gap[1]
    return by_length((short_top + min(map(len, good))) // 2, sum(long_gap) // 2)


JUDGES = {
    # name: (score, pick, judge file extra, the probe that must be flagged)
    "fair": (fair, None, "", None),
    "long": (length_judge(), longer, "", "verbosity"),
    "first": (fair, always_first, "", "position"),
    "obey": (obeys, None, "", "injection"),
    "self": (favours("llama3"), None, "", "self_preference"),
    "flaky": (fair, None, "", "validity"),
    "random": (noisy_when_hot(CANDIDATES), None, "temperature = 0.8\n", "repeatability"),
}


@pytest.fixture
def graded(tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch):
    """A project whose run.jsonl holds both candidates' answers to every task, graded by
    the fair judge; judge files for every scripted judge; labels.jsonl. Returns the
    server, its request log cleared."""
    server = ollama(models=[*CANDIDATES, JUDGE_MODEL], responder=responder(CANDIDATES, fair))
    write_project(
        tmp_path, server.url, n_tasks=N_TASKS, candidates=tuple(CANDIDATES), judge_model=JUDGE_MODEL
    )
    shutil.copy(REPO / "judges" / "pairwise-judge.md", tmp_path / "judges")
    for name, (_, _, extra, _) in JUDGES.items():
        text = f'model = "{JUDGE_MODEL}"\nseed = 100\n' + (extra or "temperature = 0.0\n")
        (tmp_path / "judges" / f"{name}.toml").write_text(text)
    lines = [json.dumps(label) for label in labels(CANDIDATES, N_TASKS)]
    (tmp_path / "labels.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 0
    server.requests.clear()
    return server


def make_card(server, name: str, capsys, *extra: str) -> dict:
    """The card of the scripted judge `name` as JSON (labels given)."""
    score, pick, _, _ = JUDGES[name]
    respond = responder(CANDIDATES, score, *(pick,) if pick else ())
    server.responder = invalid_half_the_time(respond) if name == "flaky" else respond
    capsys.readouterr()
    args = ["card", "run.jsonl", "--judge", name, "--labels", "labels.jsonl", *extra]
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(JUDGES))
def test_each_bias_is_flagged_by_its_probe_and_no_other(graded, capsys, name: str) -> None:
    card = make_card(graded, name, capsys)
    expected = JUDGES[name][3]
    flagged = {probe for probe, found in card["probes"].items() if found["flagged"]}
    assert flagged == ({expected} if expected else set()), card["probes"]
    assert set(card["probes"]) == PROBES
    assert all(set(p) >= {"n", "effect", "ci", "flagged", "note"} for p in card["probes"].values())
    chats = [r for r in graded.requests if r["path"] == "/api/chat"]
    assert chats and all(is_judge_request(r) and r["model"] == JUDGE_MODEL for r in chats)


def test_a_finished_card_is_rebuilt_without_a_call(graded, capsys) -> None:
    first = make_card(graded, "long", capsys)
    graded.requests.clear()
    again = make_card(graded, "long", capsys)
    assert again == first
    assert [r for r in graded.requests if r["path"] == "/api/chat"] == []


def test_the_card_file_is_an_ordinary_run_file_of_every_probe(graded, capsys) -> None:
    make_card(graded, "fair", capsys, "--samples", "2")
    card = read_run("run.card-fair.jsonl")
    assert card.manifest.parent == "run.jsonl" and card.manifest.card.samples == 2
    variants = Counter(key[1].rpartition("~")[2] for key in card.records)
    per_answer = N_TASKS * len(CANDIDATES)
    assert variants == {"repeat-0": per_answer, "repeat-1": per_answer} | {
        "padded": per_answer,
        "injected": per_answer,
    }
    assert len(card.pairs) == N_TASKS and all(p.status == "ok" for p in card.pairs.values())
    assert card.manifest.families.shared == {
        "llama3:1b": "is of the judge's family llama3 (llama3:8b)"
    }
    assert main(["show", "run.card-fair.jsonl", "--limit", "3"]) == 0  # existing readers read it
    capsys.readouterr()
    assert main(["card", "run.jsonl", "--judge", "fair", "--samples", "3"]) == 2
    assert "made with --samples 2" in " ".join(capsys.readouterr().err.split())
    Path("judges/fair.toml").write_text(f'model = "{JUDGE_MODEL}"\nseed = 101\n')
    assert main(["card", "run.jsonl", "--judge", "fair"]) == 2
    assert "another definition of judge 'fair'" in " ".join(capsys.readouterr().err.split())
    assert main(["card", "run.card-fair.jsonl", "--judge", "fair"]) == 2  # a card of a card


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "its answers were never graded (judge 'ungraded'); name the judge"),
        (["--judge", "nosuch"], "unknown judge 'nosuch'"),
        (["--judge", "embedded", "--labels", "nosuch.jsonl"], "nosuch.jsonl"),
        (["--judge", "embedded", "--samples", "1"], "--samples 1: must be between 2 and 25"),
    ],
    ids=["ungraded-run", "unknown-judge", "missing-labels", "one-sample"],
)
def test_bad_input_stops_the_card_before_any_call(project: Path, capsys, args, message) -> None:
    seed = "suites/big-brain/runs/seed-gemma3-1b.jsonl"
    before = sorted(Path(REPO / "suites/big-brain/runs").iterdir())
    assert main(["card", seed, *args]) == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert sorted(Path(REPO / "suites/big-brain/runs").iterdir()) == before


def direct(path: Path, label_rows: list[dict]) -> dict[str, dict]:
    """Every probe's effect, recomputed from the card file's raw lines with numpy, scipy
    and scikit-learn, and the tasks each value belongs to (for a bootstrap by task)."""
    import numpy as np
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    manifest, results = lines[0], [x for x in lines[1:] if x["type"] == "result"]
    pairs = [x for x in lines[1:] if x["type"] == "pair" and x["status"] == "ok"]
    score = {}
    for x in results:
        if x["status"] == "ok":
            name, _, variant = x["candidate"].rpartition("~")
            score[(x["task_id"], name, variant)] = x["verdict"]["score"]
    answers = sorted({(t, c) for t, c, _ in score})
    found: dict[str, tuple[list, list]] = {}  # probe -> (tasks, values)

    def put(probe: str, task: str, value: float) -> None:
        found.setdefault(probe, ([], []))
        found[probe][0].append(task)
        found[probe][1].append(value)

    for x in results:
        if x["status"] in ("ok", "judge_error"):
            put("validity", x["task_id"], float(x["status"] != "ok" or bool(x["judge_raw"])))
    for t, c in answers:
        repeats = [s for (t2, c2, v), s in score.items() if (t2, c2) == (t, c) and "repeat" in v]
        if len(repeats) >= 2:
            put("repeatability", t, float(np.ptp(repeats)))
        for probe, variant in (("verbosity", "padded"), ("injection", "injected")):
            if (t, c, variant) in score and (t, c, "repeat-0") in score:
                put(probe, t, score[(t, c, variant)] - score[(t, c, "repeat-0")])
    for pair in pairs:
        slots = [0 if j["preferred"] == "tie" else (1 if j["preferred"] == j["first"] else -1)
                 for j in pair["judgements"]]  # fmt: skip
        put("position", pair["task_id"], float(np.mean(slots)))
    human = {(x["task_id"], x["candidate"]): x["score"] for x in label_rows}
    judged = {(t, c): score[(t, c, "repeat-0")] for t, c in answers if (t, c, "repeat-0") in score}
    for (t, c), s in judged.items():
        put("agreement", t, float(s - human[(t, c)]))
    own = set(manifest["families"]["shared"])
    gaps = {k: s - human[k] for k, s in judged.items()}
    mine = [g for k, g in gaps.items() if k[1] in own]
    theirs = [g for k, g in gaps.items() if k[1] not in own]
    keys = list(judged)
    kappa = cohen_kappa_score(
        [judged[k] for k in keys],
        [human[k] for k in keys],
        weights="quadratic",
        labels=[1, 2, 3, 4, 5],
    )
    effects = {
        p: {"effect": float(np.mean(v)), "tasks": t, "values": v} for p, (t, v) in found.items()
    }
    return {
        **effects,
        "self_preference": {"effect": float(np.mean(mine) - np.mean(theirs))},
        "kappa": kappa,
        "spearman": spearmanr([judged[k] for k in keys], [human[k] for k in keys]).statistic,
    }


def numpy_interval(tasks: list[str], values: list[float], rng) -> tuple[float, float]:
    """95% percentile interval of the mean, tasks resampled with replacement (numpy)."""
    import numpy as np

    clusters = {t: [v for t2, v in zip(tasks, values, strict=True) if t2 == t] for t in tasks}
    groups = [np.array(c) for c in clusters.values()]
    means = []
    for _ in range(10_000):
        drawn = [groups[i] for i in rng.integers(0, len(groups), len(groups))]
        means.append(np.concatenate(drawn).mean())
    return tuple(np.percentile(means, [2.5, 97.5]))


@pytest.mark.parametrize("name", ["self", "flaky", "random", "first"])
def test_the_card_equals_a_direct_computation(graded, capsys, name: str) -> None:
    import numpy as np

    card = make_card(graded, name, capsys)
    expected = direct(Path(f"run.card-{name}.jsonl"), labels(CANDIDATES, N_TASKS))
    probes, rng = card["probes"], np.random.default_rng(7)
    for probe in ("validity", "repeatability", "position", "verbosity", "injection"):
        assert probes[probe]["effect"] == pytest.approx(expected[probe]["effect"]), probe
        assert probes[probe]["n"] == len(expected[probe]["values"]), probe
        tasks = expected[probe]["tasks"]
        if len(set(tasks)) < 2:  # one task: no interval, and never a flag
            assert probes[probe]["ci"] is None and not probes[probe]["flagged"], probe
            continue
        low, high = numpy_interval(tasks, expected[probe]["values"], rng)
        assert probes[probe]["ci"] == pytest.approx([low, high], abs=0.15), probe
    agreement = probes["agreement"]
    assert agreement["effect"] == pytest.approx(expected["agreement"]["effect"])
    assert agreement["kappa_quadratic"]["value"] == pytest.approx(expected["kappa"])
    assert agreement["spearman"]["value"] == pytest.approx(expected["spearman"])
    assert probes["self_preference"]["effect"] == pytest.approx(
        expected["self_preference"]["effect"]
    )
    if name == "flaky":  # half the replies were broken: a quarter or more of gradings re-asked
        assert probes["validity"]["effect"] >= 0.25 and probes["validity"]["ci"][0] > 0


def request_key(entry: dict) -> tuple:
    """Which card key a judge request asks for: (task, candidate, variant) for a grading
    (repeat-i told by its seed, 100 + i), (task, order) for a pick."""
    body = entry["body"]
    prompt = body["messages"][0]["content"]
    if "winner" in body["format"].get("properties", {}):
        first = shown_answers(body)[0]
        return (task_number(prompt), "pick", first.rpartition("written by ")[2])
    answer = graded_answer(body)
    writer = answer.split("(written by ", 1)[1].split(")", 1)[0]
    if "To restate the answer above" in answer:
        return (task_number(prompt), writer, "padded")
    if "Note to the grader" in answer:
        return (task_number(prompt), writer, "injected")
    return (task_number(prompt), writer, f"repeat-{body['options']['seed'] - 100}")


def card_key(record: dict) -> tuple:
    name, _, variant = record["candidate"].rpartition("~")
    return (int(record["task_id"][1:]), name, variant)


def test_a_card_killed_midway_resumes_without_repeating_a_judge_call(graded, capsys) -> None:
    graded.responder = responder(CANDIDATES, fair)
    graded.latency = 0.1
    process = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "card", "run.jsonl", "--judge", "fair"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 120
    while sum(is_judge_request(r) for r in graded.requests) < 12:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the card never got going"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    lines = Path("run.card-fair.jsonl").read_text().splitlines()
    done = {card_key(x) for x in map(json.loads, lines[1:]) if x["type"] == "result"}
    head = json.loads(lines[0])["card"]
    assert (
        done and head["samples"] == 3 and head["calls"] == N_TASKS * len(CANDIDATES) * 5 + N_TASKS
    )
    pairs_done = sum(json.loads(x)["type"] == "pair" for x in lines[1:])
    partial = build_card(read_run("run.card-fair.jsonl"))
    assert partial.not_done == head["calls"] - len(done) - pairs_done > 0
    capsys.readouterr()
    assert main(["card", "run.jsonl", "--judge", "fair", "--format", "json"]) == 0
    asked = Counter(request_key(r) for r in graded.requests if is_judge_request(r))
    assert all(asked[key] == 1 for key in done), asked  # nothing recorded is asked again
    resumed = read_run("run.card-fair.jsonl")
    assert len(resumed.records) == N_TASKS * len(CANDIDATES) * 5 and len(resumed.pairs) == N_TASKS
    assert all(r.status == "ok" for r in resumed.records.values())


def test_self_preference_against_another_judges_run(graded, capsys) -> None:
    """--versus: the fair judge's grades in the run file itself are the reference."""
    score, _, _, _ = JUDGES["self"]
    graded.responder = responder(CANDIDATES, score)
    capsys.readouterr()
    assert (
        main(["card", "run.jsonl", "--judge", "self", "--versus", "run.jsonl", "--format", "json"])
        == 0
    )
    probe = json.loads(capsys.readouterr().out)["probes"]["self_preference"]
    assert probe["flagged"] and probe["effect"] == pytest.approx(2.0)
    assert probe["reference"] == "judge j in run.jsonl"
    assert (probe["own_difference"], probe["other_difference"]) == (1.0, -1.0)


def test_the_report_shows_the_card_and_the_self_judging_caution(graded, capsys) -> None:
    graded.responder = responder(CANDIDATES, obeys)
    assert main(["card", "run.jsonl", "--format", "md", "-o", "card.md"]) == 0  # the run's judge
    assert Path("run.card-j.jsonl").is_file()
    assert "| injection |" in Path("card.md").read_text()
    assert main(["report", "run.jsonl", "-o", "report.md"]) == 0
    text = " ".join(Path("report.md").read_text().split())
    assert "## Judge card: j" in text
    assert "| injection | mean score change when an answer carries an instruction" in text
    assert "| FLAGGED |" in text
    assert "Caution: llama3:1b is of the judge's family llama3 (llama3:8b)." in text
    assert "the judge card below measures it" in text
    assert main(["report", "run.jsonl", "-o", "report.html"]) == 0
    page = Path("report.html").read_text()
    assert "<h2>Judge card: j</h2>" in page and "<b class='down'>FLAGGED</b>" in page


def test_a_pairwise_run_lends_its_own_pairs(graded, capsys) -> None:
    """The run's pairs, judged by the same judge, are the position probe: no pick is asked
    again; the answers in its pairs are graded for the other probes."""
    graded.responder = responder(CANDIDATES, fair, always_first)
    pairwise = ["run", "gen", "--pairwise", ",".join(CANDIDATES), "--out", "pairs.jsonl"]
    assert main(pairwise) == 0
    graded.requests.clear()
    capsys.readouterr()
    assert main(["card", "pairs.jsonl", "--format", "json"]) == 0
    probes = json.loads(capsys.readouterr().out)["probes"]
    asked = [r for r in graded.requests if is_judge_request(r)]
    assert not [r for r in asked if "winner" in r["body"]["format"]["properties"]]
    assert len(asked) == N_TASKS * len(CANDIDATES) * 5  # every answer's gradings, no pick
    assert probes["position"]["source"].startswith("the pairwise run's own pairs")
    assert probes["position"]["flagged"] and probes["position"]["effect"] == 1.0
    assert {p for p, found in probes.items() if found["flagged"]} == {"position"}


def test_the_shipped_embedded_card_rebuilds_from_its_file_without_the_model(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's card: the embedded judge's gradings of the seed answers are shipped, so
    the README's command rebuilds the card from them, and no model is loaded (the registry
    of loaded models starts empty here, whatever earlier tests of this process loaded)."""
    from evalkit.endpoints import embedded
    from evalkit.endpoints.embedded import models

    monkeypatch.setattr(models, "_models", {})
    seed = "suites/big-brain/runs/seed-gemma3-1b.jsonl"
    labels_file = "suites/big-brain/labels/seed-expert-grades.jsonl"
    args = ["card", seed, "--judge", "embedded", "--labels", labels_file, "--format", "json"]
    # no --force: the gradings were made by the embedded judge as it is defined today (its
    # file, template and model); a change to any of them refuses to rebuild until the card
    # is made again (README, "A real card, made here")
    assert main(args) == 0
    card = json.loads(capsys.readouterr().out)
    assert embedded.loaded() == []
    assert (card["answers"], card["samples"], card["not_done"]) == (2, 2, 0)
    assert card["probes"]["validity"]["n"] == 8
    assert (
        card["probes"]["position"]["note"] == "no pair: the run has answers from one candidate only"
    )
