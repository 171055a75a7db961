"""evalkit.analysis.ranking on simulated pairwise data of known truth: Bradley-Terry
ratings against an independent maximum-likelihood fit (scipy), planted strengths
recovered and covered at the nominal rate, and style control against a judge that only
rewards length."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.analysis import ranking
from evalkit.analysis.bradley_terry import SCALE
from evalkit.analysis.ranking import bradley_terry, rank, rank_scores
from evalkit.analysis.style import normalise, style_difference, style_features

REPO = Path(__file__).resolve().parents[2]


def _simulate(
    strengths: list[float], tasks: int, seed: int, *, ties: float = 0.0, both_orders: bool = False
) -> list[tuple[str, str, str, str]]:
    """Every pair of candidates c0, c1, ... judged on each task under Bradley-Terry with
    these thetas (log-odds); a share `ties` of the judgements are ties."""
    rng = random.Random(seed)
    names = [f"c{k}" for k in range(len(strengths))]
    outcomes = []
    for task in range(tasks):
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                orders = [(i, j), (j, i)] if both_orders else [rng.choice([(i, j), (j, i)])]
                for a, b in orders:
                    p = 1 / (1 + math.exp(strengths[b] - strengths[a]))
                    result = "a" if rng.random() < p else "b"
                    if rng.random() < ties:
                        result = "tie"
                    outcomes.append((f"task-{task}", names[a], names[b], result))
    return outcomes


# --- the fit against scipy -------------------------------------------------------------


def _scipy_fit(outcomes, names, prior=0.0, covariates=None):
    """Maximum likelihood by scipy.optimize on the logistic log-likelihood written out here
    (ties as outcome 1/2, the prior as `prior` virtual ties per pair); thetas mean-centred."""
    np = pytest.importorskip("numpy")
    optimize = pytest.importorskip("scipy.optimize")
    index = {name: k for k, name in enumerate(names)}
    a = [index[o[1]] for o in outcomes]
    b = [index[o[2]] for o in outcomes]
    y = [{"a": 1.0, "b": 0.0, "tie": 0.5}[o[3]] for o in outcomes]
    x = [list(row) for row in zip(*covariates.values(), strict=True)] if covariates else []
    width = len(covariates or {})
    w = [1.0] * len(outcomes)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b, y, w = [*a, i], [*b, j], [*y, 0.5], [*w, prior]
            x = [*x, [0.0] * width] if width else x
    a, b, y, w = map(np.array, (a, b, y, w))
    x = np.array(x).reshape(len(y), width)
    k = len(names)

    def loss(params):
        theta = np.concatenate([[0.0], params[: k - 1]])
        eta = theta[a] - theta[b] + x @ params[k - 1 :]
        p = 1 / (1 + np.exp(-eta))
        residual = w * (y - p)
        grad_theta = np.bincount(a, residual, k) - np.bincount(b, residual, k)
        grad = np.concatenate([grad_theta[1:], x.T @ residual])
        return np.sum(w * (np.logaddexp(0, eta) - y * eta)), -grad

    fit = optimize.minimize(
        loss, np.zeros(k - 1 + width), jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    theta = np.concatenate([[0.0], fit.x[: k - 1]])
    return theta - theta.mean(), fit.x[k - 1 :]


@pytest.mark.parametrize("prior", [0.0, 1.0])
@pytest.mark.parametrize(("tasks", "ties", "seed"), [(30, 0.0, 1), (200, 0.2, 2), (15, 0.4, 3)])
def test_ratings_are_scipys_maximum_likelihood(prior, tasks, ties, seed) -> None:
    names = ["c0", "c1", "c2", "c3"]
    outcomes = _simulate([0.0, 0.3, -0.2, 0.9], tasks, seed, ties=ties)
    theirs, _ = _scipy_fit(outcomes, names, prior)
    ours = bradley_terry(outcomes, names, prior=prior)
    expected = [1000 + SCALE * t for t in theirs]
    assert list(ours.ratings.values()) == pytest.approx(expected, abs=1e-3)
    assert ours.comparisons == len(outcomes)


def test_ratings_with_covariates_are_scipys_joint_fit() -> None:
    rng = random.Random(4)
    names = ["c0", "c1", "c2"]
    outcomes, lengths, markup = [], [], []
    theta = {"c0": 0.0, "c1": 0.5, "c2": -0.4}
    for task in range(300):
        for a, b in [("c0", "c1"), ("c2", "c0"), ("c1", "c2")]:
            d1, d2 = rng.uniform(-1, 1), rng.choice([-1.0, 0.0, 1.0])
            eta = theta[a] - theta[b] + 1.5 * d1 - 0.5 * d2
            result = "a" if rng.random() < 1 / (1 + math.exp(-eta)) else "b"
            outcomes.append((f"t{task}", a, b, result))
            lengths.append(d1)
            markup.append(d2)
    covariates = {"length": lengths, "markup": markup}
    theirs, gamma = _scipy_fit(outcomes, names, 1.0, covariates)
    ours = bradley_terry(outcomes, names, covariates=covariates)
    expected = [1000 + SCALE * t for t in theirs]
    assert list(ours.ratings.values()) == pytest.approx(expected, abs=1e-3)
    assert list(ours.covariates.values()) == pytest.approx([SCALE * g for g in gamma], abs=1e-3)


def test_a_covariate_that_never_varies_is_left_out() -> None:
    outcomes = _simulate([0.0, 0.5], 40, seed=12)
    covariates = {"length": [0.0] * len(outcomes)}
    ours = bradley_terry(outcomes, ["c0", "c1"], covariates=covariates)
    assert ours.covariates == {}
    assert ours.ratings == bradley_terry(outcomes, ["c0", "c1"]).ratings


def test_a_baseline_is_rated_1000_and_gaps_do_not_depend_on_the_anchor() -> None:
    outcomes = _simulate([0.0, 0.5, 1.0], 50, seed=5)
    by_mean = bradley_terry(outcomes, ["c0", "c1", "c2"]).ratings
    by_c1 = bradley_terry(outcomes, ["c0", "c1", "c2"], baseline="c1").ratings
    assert sum(by_mean.values()) / 3 == pytest.approx(1000)
    assert by_c1["c1"] == 1000
    assert by_c1["c2"] - by_c1["c0"] == pytest.approx(by_mean["c2"] - by_mean["c0"])


def test_an_unbeaten_candidate_needs_the_prior_and_is_named_without_it() -> None:
    outcomes = [(f"t{k}", "champ", other, "a") for k in range(5) for other in ("x", "y")]
    outcomes += [(f"t{k}", "x", "y", "tie") for k in range(5)]
    with pytest.raises(ValueError, match="ratings unbounded: x, y never beat champ"):
        bradley_terry(outcomes, ["champ", "x", "y"], prior=0)
    ratings = bradley_terry(outcomes, ["champ", "x", "y"]).ratings
    assert ratings["champ"] > ratings["x"] + 400  # far ahead, and finite


def test_a_candidate_without_comparisons_has_no_rating_to_fit() -> None:
    with pytest.raises(ValueError, match="no comparisons for c: no rating to fit"):
        bradley_terry([("t", "a", "b", "a"), ("t", "b", "a", "tie")], ["a", "b", "c"])


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (("t1", "c0", "nobody", "a"), "outcome 1: field b: unknown candidate 'nobody'"),
        (("t1", "c0", "c1", "A"), "outcome 1: field result: 'A' is not a, b or tie"),
        (("t1", "c1", "c1", "tie"), "outcome 1: candidate 'c1' compared with itself"),
        (("t1", "c0", "c1"), "outcome 1: expected"),
    ],
)
def test_a_bad_outcome_is_refused_with_its_position_and_field(outcome, message) -> None:
    with pytest.raises(ValueError, match=message):
        rank([("t0", "c0", "c1", "a"), outcome], ["c0", "c1"])


# --- rank: planted strengths -----------------------------------------------------------


def test_rank_orders_planted_strengths_and_separates_them() -> None:
    strengths = [0.0, 0.4, 0.8, 1.2, 1.6]
    board = rank(_simulate(strengths, 300, seed=6, ties=0.1), resamples=300)
    assert [s.candidate for s in board.standings] == ["c4", "c3", "c2", "c1", "c0"]
    assert [s.rank for s in board.standings] == [1, 2, 3, 4, 5]
    assert [s.rank_ub for s in board.standings] == [1, 2, 3, 4, 5]
    for standing in board.standings:
        assert standing.ci[0] < standing.rating < standing.ci[1]


def test_intervals_cover_planted_differences_at_about_the_nominal_rate() -> None:
    """200 simulated suites of 40 tasks: each candidate's interval, anchored at c0, should
    hold its planted rating 95% of the time."""
    strengths = [0.0, 0.3, 0.6, 1.0]
    truth = {f"c{k}": 1000 + SCALE * s for k, s in enumerate(strengths)}
    covered = total = 0
    for sim in range(200):
        outcomes = _simulate(strengths, 40, seed=1000 + sim)
        board = rank(outcomes, baseline="c0", resamples=200, seed=sim)
        for standing in board.standings:
            if standing.candidate != "c0":
                covered += standing.ci[0] <= truth[standing.candidate] <= standing.ci[1]
                total += 1
    assert 0.88 <= covered / total <= 0.99


def test_rank_is_reproducible_for_a_seed_and_varies_with_it() -> None:
    outcomes = _simulate([0.0, 0.2, 0.4], 30, seed=7)
    first = rank(outcomes, resamples=100, seed=1)
    assert first == rank(outcomes, resamples=100, seed=1)
    assert first.standings != rank(outcomes, resamples=100, seed=2).standings


def test_resampling_clusters_widens_intervals_when_clusters_share_an_effect() -> None:
    """Tasks in 10 categories where c1's edge flips sign by category: resampling tasks
    underestimates the uncertainty that resampling categories shows."""
    rng = random.Random(8)
    outcomes, clusters = [], {}
    for category in range(10):
        edge = rng.choice([-1.0, 1.0])
        for task in range(30):
            task_id = f"cat{category}-t{task}"
            clusters[task_id] = f"cat{category}"
            for _ in range(4):
                p = 1 / (1 + math.exp(-edge))
                outcomes.append((task_id, "c1", "c0", "a" if rng.random() < p else "b"))
    by_task = rank(outcomes, baseline="c0", resamples=300).standings
    by_cluster = rank(outcomes, baseline="c0", clusters=clusters, resamples=300).standings

    def width(standings):
        (c1,) = [s for s in standings if s.candidate == "c1"]
        return c1.ci[1] - c1.ci[0]

    assert width(by_cluster) > 2 * width(by_task)


def test_win_rates_count_ties_as_half_and_equal_ratings_share_a_rank() -> None:
    outcomes = [
        ("t1", "x", "y", "a"),
        ("t1", "y", "x", "tie"),
        ("t2", "x", "y", "b"),
        ("t2", "y", "x", "tie"),
        ("t1", "z", "x", "a"),
        ("t2", "x", "z", "tie"),
        ("t3", "y", "z", "b"),
        ("t3", "z", "y", "tie"),
    ]
    board = rank(outcomes, resamples=50)
    assert board.win_rates["x"] == {"y": 0.5, "z": 0.25}
    assert board.win_rates["z"] == {"x": 0.75, "y": 0.75}
    assert board.comparisons["x"] == {"y": 4, "z": 2}
    ranks = {s.candidate: s.rank for s in board.standings}
    assert ranks == {"z": 1, "x": 2, "y": 2}


def test_plain_rank_does_not_import_scipy_or_litellm() -> None:
    """`rank` must start fast: the plain fit is pure Python, only the draws use numpy."""
    probe = (
        "import sys\n"
        "from evalkit.analysis.ranking import rank\n"
        "rank([('t', 'a', 'b', 'a'), ('t', 'b', 'a', 'tie')], resamples=20)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'litellm'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "['numpy']"


# --- style control -----------------------------------------------------------------------


def _length_judged(seed: int, tasks: int = 150):
    """Three candidates of equal quality; "verbose" writes twice as long; the judge picks
    the longer answer with probability logistic(4 * normalised length difference) and
    ignores everything else. Answers carry some list items, unrelated to the verdict."""
    rng = random.Random(seed)
    mean_length = {"brief": 500, "plain": 700, "verbose": 1400}
    answers = {}
    for task in range(tasks):
        for name, length in mean_length.items():
            body = "w " * int(rng.lognormvariate(math.log(length), 0.6) / 2)
            answers[(f"t{task}", name)] = body + "\n- point" * rng.randint(0, 3)
    outcomes = []
    for (task, a), text in answers.items():
        for b in mean_length:
            if b != a:
                d = style_difference(style_features(text), style_features(answers[(task, b)]))
                p = 1 / (1 + math.exp(-4 * d[0]))
                outcomes.append((task, a, b, "a" if rng.random() < p else "b"))
    return outcomes, answers


def test_a_length_loving_judge_puts_the_verbose_candidate_first_without_style_control() -> None:
    outcomes, _ = _length_judged(seed=9)
    board = rank(outcomes, resamples=200)
    top, *others = board.standings
    assert top.candidate == "verbose"
    assert all(top.ci[0] > other.ci[1] for other in others)  # separated from every other
    assert board.style_control is False and board.uncontrolled is None


def test_with_style_control_no_candidate_is_separated_from_the_others() -> None:
    pytest.importorskip("numpy")
    outcomes, answers = _length_judged(seed=9)
    board = rank(outcomes, answers=answers, style_control=True, resamples=200)
    assert board.style_control is True
    for standing in board.standings:
        assert standing.rank_ub == 1
        for other in board.standings:
            assert standing.ci[0] <= other.ci[1]  # every pair of intervals overlaps
    assert board.style["length"] > 100  # the judge's taste, measured
    # the uncontrolled ratings come with it, from the same resamples
    assert board.uncontrolled == rank(outcomes, resamples=200).standings


def test_style_control_with_two_candidates_and_few_distinct_tasks() -> None:
    """One comparison per task: tasks take two distinct tallies, so resamples are drawn
    per tally and spread over tasks for the style fit; a length-only judge is still
    explained away."""
    pytest.importorskip("numpy")
    rng = random.Random(14)
    answers, outcomes = {}, []
    for task in range(300):
        for name, length in (("short", 300), ("long", 900)):
            answers[(f"t{task}", name)] = "w" * int(rng.lognormvariate(math.log(length), 0.7))
        a, b = rng.sample(["short", "long"], 2)
        d = style_difference(*(style_features(answers[(f"t{task}", n)]) for n in (a, b)))
        outcomes.append(
            (f"t{task}", a, b, "a" if rng.random() < 1 / (1 + math.exp(-4 * d[0])) else "b")
        )
    board = rank(outcomes, answers=answers, style_control=True, resamples=200)
    assert [s.rank_ub for s in board.standings] == [1, 1]
    assert board.uncontrolled[0].candidate == "long"
    assert board.uncontrolled[1].rank_ub == 2


def test_style_control_needs_every_answer() -> None:
    outcomes, answers = _length_judged(seed=10, tasks=3)
    del answers[("t1", "plain")]
    with pytest.raises(ValueError, match="no answer of candidate 'plain' to task 't1'"):
        rank(outcomes, answers=answers, style_control=True, resamples=10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", (0, 0, 0)),
        ("# Title\n## Part\nSome **bold** and __more__.\n", (2, 0, 2)),
        ("- a\n* b\n+ c\n  1. d\n2) e\n", (0, 5, 0)),
        ("#tag and 3.5 and **\n-x", (0, 0, 0)),
        ("```py\n# comment\n- item\nf(**kwargs**)\n```\n**real**", (0, 0, 1)),
    ],
)
def test_style_features_count_markdown_outside_code(text, expected) -> None:
    features = style_features(text)
    assert (features.headers, features.lists, features.bold) == expected
    assert features.length == len(text)  # code included


def test_style_differences_are_antisymmetric_and_normalised_without_centring() -> None:
    a, b = style_features("# H\n- x\n" + "w" * 90), style_features("short")
    assert style_difference(a, b) == tuple(-v for v in style_difference(b, a))
    rows = normalise([(0.5, 0.0), (-0.25, 0.0), (0.25, 0.0)])
    rms = math.sqrt((0.25 + 0.0625 + 0.0625) / 3)
    assert [r[0] for r in rows] == pytest.approx([0.5 / rms, -0.25 / rms, 0.25 / rms])
    assert [r[1] for r in rows] == [0.0, 0.0, 0.0]


# --- rank_scores -------------------------------------------------------------------------


def _scores(means: dict[str, float], tasks: int, samples: int, seed: int, spread: float = 1.0):
    """Scores with a shared task difficulty: score = mean + task effect + noise."""
    rng = random.Random(seed)
    difficulty = [rng.gauss(0, spread) for _ in range(tasks)]
    return {
        name: {
            f"t{t}": [mean + difficulty[t] + rng.gauss(0, 1) for _ in range(samples)]
            for t in range(tasks)
        }
        for name, mean in means.items()
    }


def test_rank_scores_orders_by_mean_with_intervals_around_it() -> None:
    means = {"low": 2.0, "mid": 3.0, "high": 4.0}
    board = rank_scores(_scores(means, 100, 3, seed=11), resamples=300)
    assert [s.candidate for s in board.standings] == ["high", "mid", "low"]
    assert [s.n for s in board.standings] == [300, 300, 300]
    for standing in board.standings:
        assert standing.ci[0] < standing.rating < standing.ci[1]
    assert board.method == "mean-score" and board.unit == "task" and board.units == 100


def test_rank_scores_intervals_cover_the_planted_mean_at_about_the_nominal_rate() -> None:
    covered = total = 0
    for sim in range(100):
        scores = _scores({"a": 3.0, "b": 3.5}, 40, 2, seed=2000 + sim)
        # the planted mean of the suite: the candidate's mean plus these tasks' difficulty
        for standing in rank_scores(scores, resamples=200, seed=sim).standings:
            covered += standing.ci[0] <= {"a": 3.0, "b": 3.5}[standing.candidate] <= standing.ci[1]
            total += 1
    assert 0.88 <= covered / total <= 0.99


def test_rank_scores_equal_means_share_a_rank_and_unscored_samples_are_left_out() -> None:
    scores = {
        "x": {"t1": [4, 5], "t2": [3, None]},
        "y": {"t1": [4, 4], "t2": [4]},
        "z": {"t1": [None], "t2": [2, 2]},
    }
    board = rank_scores(scores, resamples=50)
    found = {s.candidate: (s.rating, s.rank, s.n) for s in board.standings}
    assert found == {"x": (4.0, 1, 3), "y": (4.0, 1, 3), "z": (2.0, 3, 2)}


def test_rank_scores_resamples_clusters_when_given() -> None:
    """Ten categories with a shared effect: the interval resampling them is wider than the
    one resampling tasks, and the leaderboard says what it resampled."""
    rng = random.Random(13)
    clusters = {f"t{t}": f"cat{t % 10}" for t in range(200)}
    effect = {f"cat{c}": rng.gauss(0, 1) for c in range(10)}
    scores = {"m": {t: [3 + effect[c] + rng.gauss(0, 0.3)] for t, c in clusters.items()}}
    by_task = rank_scores(scores, resamples=300)
    by_cluster = rank_scores(scores, clusters=clusters, resamples=300)
    assert (by_cluster.unit, by_cluster.units, by_task.units) == ("cluster", 10, 200)
    (task_ci,), (cluster_ci,) = [[s.ci for s in b.standings] for b in (by_task, by_cluster)]
    assert cluster_ci[1] - cluster_ci[0] > 2 * (task_ci[1] - task_ci[0])


def test_rank_scores_refuses_a_candidate_without_any_score() -> None:
    with pytest.raises(ValueError, match="candidate 'z' has no scored sample"):
        rank_scores({"x": {"t1": [4]}, "z": {"t1": [None]}})


def test_the_public_names_are_declared() -> None:
    assert sorted(ranking.__all__) == ranking.__all__
    assert all(hasattr(ranking, name) for name in ranking.__all__)
