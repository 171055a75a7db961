"""evalkit.analysis.stats against numpy, scipy and scikit-learn, computed independently here."""

from __future__ import annotations

import random

import pytest
from exact_stats import bootstrap_quantile_band, signed_rank_reference

from evalkit.analysis import stats

np = pytest.importorskip("numpy")
scipy_stats = pytest.importorskip("scipy.stats")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _deltas(n: int, seed: int, values: tuple[int, ...] = (-2, -1, 0, 0, 1, 1, 2, 3)) -> list:
    rng = random.Random(seed)
    return [rng.choice(values) for _ in range(n)]


# --- Wilcoxon signed-rank ------------------------------------------------------------

NO_TIES = [
    [1, -2, 3, 4, -5, 6, 7],
    [-1, -2, -3, 4, -5, -6, -7, 8, -9, -10],
    [0.5, -1.5, 2.5, 3.5, 4.5, -5.5, 6.5, 7.5, 8.5, 9.5, 10.5, -11.5, 12.5, 13.5],
    [float(i) * (-1) ** i for i in range(1, 41)],
]


@pytest.mark.parametrize("deltas", NO_TIES)
def test_wilcoxon_without_ties_is_scipys_exact_test(deltas: list) -> None:
    ours = stats.wilcoxon_signed_rank(deltas)
    theirs = scipy_stats.wilcoxon(deltas, method="exact")
    assert ours.method == "exact"
    assert ours.statistic == pytest.approx(theirs.statistic)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


TIED = [
    [1, 1, -1, 2, 0, 2, -2, 3, 0, 1],
    [2, 2, 2, -1, -1, 0, 0, 0, 3],
    _deltas(13, seed=1),
    _deltas(12, seed=2),
]


@pytest.mark.parametrize("deltas", TIED)
def test_wilcoxon_with_ties_and_zeros_is_scipys_exhaustive_permutation_test(deltas: list) -> None:
    ours = stats.wilcoxon_signed_rank(deltas)
    exhaustive = scipy_stats.PermutationMethod(n_resamples=np.inf)
    theirs = scipy_stats.wilcoxon(deltas, method=exhaustive)
    assert ours.method == "exact"
    assert ours.zeros == deltas.count(0)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


def test_the_tied_reference_is_scipy_wilcoxons_permutation_test() -> None:
    """signed_rank_reference computes what scipy.stats.wilcoxon does for tied data (at a
    size where scipy.stats.wilcoxon itself takes a second, not minutes)."""
    deltas = [1, 1, -1, 2, 0, 2, -2, 3, 0, 1, -3, 2]
    exhaustive = scipy_stats.PermutationMethod(n_resamples=np.inf)
    theirs = scipy_stats.wilcoxon(deltas, method=exhaustive)
    assert signed_rank_reference(deltas) == (pytest.approx(theirs.pvalue, rel=1e-12), 0.0)


# 14 to 50 non-zero differences with ties: too many sign flips for scipy.stats.wilcoxon's
# own loop; scipy enumerates all of them up to 16, and draws 200,000 above.
TIED_14_TO_50 = [
    _deltas(17, seed=6),  # 14 non-zero differences
    _deltas(18, seed=1),  # 15
    _deltas(26, seed=5),  # 16
    _deltas(40, seed=3),  # 29
    _deltas(66, seed=9),  # 46
    _deltas(66, seed=6),  # 50
]


@pytest.mark.parametrize("deltas", TIED_14_TO_50)
def test_wilcoxon_with_ties_up_to_fifty_is_scipys_permutation_test(deltas: list) -> None:
    ours = stats.wilcoxon_signed_rank(deltas)
    nonzero = len(deltas) - deltas.count(0)
    assert 14 <= nonzero <= 50 and len(set(map(abs, deltas))) < nonzero  # tied
    assert (ours.method, ours.n) == ("exact", nonzero)
    assert ours.statistic == scipy_stats.wilcoxon(deltas, method="asymptotic").statistic
    reference = signed_rank_reference(deltas)
    assert ours.p_value == pytest.approx(reference.p_value, rel=1e-9, abs=reference.tolerance)


@pytest.mark.parametrize(("n", "seed"), [(80, 3), (200, 4), (5000, 5)])
def test_wilcoxon_above_fifty_is_scipys_normal_approximation(n: int, seed: int) -> None:
    deltas = _deltas(n, seed)
    ours = stats.wilcoxon_signed_rank(deltas)
    theirs = scipy_stats.wilcoxon(
        deltas, zero_method="wilcox", correction=False, method="asymptotic"
    )
    assert ours.method == "normal"
    assert ours.statistic == pytest.approx(theirs.statistic)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)


def test_wilcoxon_of_all_zero_differences_has_no_p_value() -> None:
    result = stats.wilcoxon_signed_rank([0, 0, 0])
    assert (result.p_value, result.method, result.n, result.zeros) == (None, "none", 0, 3)


# --- bootstrap -----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "seed"), [(12, 5), (60, 6), (200, 7), (400, 8)])
def test_bootstrap_interval_lies_on_the_exact_bootstrap_quantiles(n: int, seed: int) -> None:
    deltas = _deltas(n, seed)
    ours = stats.paired_bootstrap_ci(deltas)
    assert ours is not None
    slack = 4 * (0.025 * 0.975 / ours.resamples) ** 0.5  # four Monte Carlo standard errors
    low_band = bootstrap_quantile_band(deltas, 0.025, slack)
    high_band = bootstrap_quantile_band(deltas, 0.975, slack)
    assert low_band[0] <= ours.low <= low_band[1]
    assert high_band[0] <= ours.high <= high_band[1]


@pytest.mark.parametrize(("n", "seed"), [(60, 6), (200, 7), (1000, 8)])
def test_bootstrap_interval_agrees_with_scipys_percentile_bootstrap(n: int, seed: int) -> None:
    deltas = _deltas(n, seed)
    ours = stats.paired_bootstrap_ci(deltas, resamples=20_000)
    assert ours is not None
    theirs = scipy_stats.bootstrap(
        (np.array(deltas, dtype=float),),
        np.mean,
        method="percentile",
        n_resamples=20_000,
        rng=np.random.default_rng(seed),
    ).confidence_interval
    # Two Monte Carlo estimates of the same quantiles of a distribution on a grid of
    # step 1/n: they may sit one step apart, plus a little Monte Carlo noise.
    tolerance = 1 / n + 0.1 * np.std(deltas) / np.sqrt(n)
    assert ours.low == pytest.approx(theirs.low, abs=tolerance)
    assert ours.high == pytest.approx(theirs.high, abs=tolerance)


def test_bootstrap_is_reproducible_for_a_seed_and_varies_with_it() -> None:
    deltas = _deltas(100, seed=9)
    first = stats.paired_bootstrap_ci(deltas, seed=1)
    assert first == stats.paired_bootstrap_ci(deltas, seed=1)
    assert first != stats.paired_bootstrap_ci(deltas, seed=2)


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [([], None), ([2], (2.0, 2.0)), ([-1, -1, -1], (-1.0, -1.0))],
)
def test_bootstrap_edge_cases(deltas: list, expected: tuple | None) -> None:
    interval = stats.paired_bootstrap_ci(deltas)
    assert (None if interval is None else (interval.low, interval.high)) == expected


# --- agreement -----------------------------------------------------------------------


def _scores(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(1, 5) for _ in range(n)]


def _noisy(scores: list[int], seed: int) -> list[int]:
    """Another grader close to `scores`: mostly within a point."""
    rng = random.Random(seed)
    return [min(5, max(1, s + rng.choice((-1, 0, 0, 0, 1, 2)))) for s in scores]


PAIRS = [
    ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]),
    ([2, 2, 3, 4, 4, 5, 1, 3], [2, 3, 3, 5, 4, 4, 1, 2]),
    ([2, 2, 2, 2], [1, 2, 3, 2]),
    ([3, 3, 3], [3, 3, 3]),
    (_scores(80, 13), _noisy(_scores(80, 13), 14)),
    (_scores(80, 15), _scores(80, 16)),
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("weights", ["quadratic", "linear", "none"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_weighted_kappa_is_sklearns(a: list, b: list, weights: str) -> None:
    theirs = sklearn_metrics.cohen_kappa_score(
        a, b, labels=[1, 2, 3, 4, 5], weights=None if weights == "none" else weights
    )
    ours = stats.weighted_kappa(a, b, (1, 2, 3, 4, 5), weights)
    assert ours is None if np.isnan(theirs) else ours == pytest.approx(theirs)


def test_kappa_is_undefined_when_both_graders_give_one_same_score() -> None:
    assert stats.weighted_kappa([3, 3, 3], [3, 3, 3], (1, 2, 3, 4, 5)) is None


def test_kappa_default_categories_span_the_scores_given() -> None:
    a, b = [2, 3, 4, 4], [2, 4, 4, 3]
    theirs = sklearn_metrics.cohen_kappa_score(a, b, labels=[2, 3, 4], weights="quadratic")
    assert stats.weighted_kappa(a, b) == pytest.approx(theirs)


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
def test_spearman_and_shares_match_scipy_and_numpy(a: list, b: list) -> None:
    result = stats.agreement(a, b)
    expected_rho = scipy_stats.spearmanr(a, b).statistic
    if np.isnan(expected_rho):
        assert result.spearman is None
    else:
        assert result.spearman == pytest.approx(expected_rho)
    difference = np.abs(np.array(a) - np.array(b))
    assert result.exact == pytest.approx(np.mean(difference == 0))
    assert result.within_one == pytest.approx(np.mean(difference <= 1))
    assert result.n == len(a)


def test_average_ranks_are_scipys_rankdata() -> None:
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    assert stats.average_ranks(values) == pytest.approx(scipy_stats.rankdata(values).tolist())


@pytest.mark.parametrize(
    "call",
    [
        lambda: stats.exact_agreement([1, 2], [1]),
        lambda: stats.within_one_agreement([], []),
        lambda: stats.spearman([1], [1, 2]),
    ],
)
def test_unpaired_or_empty_scores_are_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
